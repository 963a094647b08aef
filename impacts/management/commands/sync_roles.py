from django.core.management.base import BaseCommand

from impacts.roles import ROLES, sync_roles


class Command(BaseCommand):
    help = "Create or update the staff role groups (Moderators, Senior moderators, Editors)."

    def handle(self, *args, **options):
        sync_roles()
        self.stdout.write(f"Roles in step: {', '.join(ROLES)}")
