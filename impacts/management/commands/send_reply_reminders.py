"""Remind invited companies of their deadline (3 days and 1 day before); safe to run as often as you like."""

from django.core.management.base import BaseCommand
from django.db import transaction

from impacts.replies.reminders import send_due_reminders


class Command(BaseCommand):
    help = "E-mail a reminder to each company whose answer to a report is due soon (each reminder once)."

    def handle(self, *args, **options):
        with transaction.atomic():  # the e-mails are queued when this commits
            count = send_due_reminders()
        self.stdout.write(f"{count} reminder(s) queued.")
