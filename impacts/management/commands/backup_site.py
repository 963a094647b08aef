"""manage.py backup_site DEST [--format auto|pg|json]: database and both file storages into DEST."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kzcn.backup import backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump on PostgreSQL, else dumpdata) and both file storages into a new folder."

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path)
        parser.add_argument("--format", choices=["auto", "pg", "json"], default="auto", dest="database_format")

    def handle(self, destination, database_format, **options):
        try:
            counts = backup(destination, database_format)
        except FileExistsError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backed up the database and {counts['default']} public and {counts['sealed']} sealed files "
            f"to {destination}."
        )
