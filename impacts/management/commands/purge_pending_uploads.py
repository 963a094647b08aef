"""Delete files kept for a report form's retry whose time is up (run hourly: cron or a systemd timer)."""

from django.core.management.base import BaseCommand

from impacts import pending_uploads


class Command(BaseCommand):
    help = "Delete expired files kept for a report form's next try (sealed storage, pending/)."

    def handle(self, *args, **options):
        removed = pending_uploads.purge_expired()
        self.stdout.write(f"Removed {removed} expired pending file(s).")
