"""manage.py restore_site SRC: replace the database and stored files with a backup_site folder."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kzcn.backup import restore


class Command(BaseCommand):
    help = "Restore a backup made by backup_site. The database's current data is replaced."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, source, yes=False, **options):
        if not yes and input("This replaces all data in the configured database. Type 'yes': ") != "yes":
            raise CommandError("Not restored.")
        try:
            counts = restore(source)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored the database and {counts['default']} public and {counts['sealed']} sealed files from {source}."
        )
