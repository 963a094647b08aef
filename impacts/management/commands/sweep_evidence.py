"""Queue again the evidence files whose processing stopped (a worker killed, a task that failed).

Run every few minutes (cron or a systemd timer) beside `manage.py db_worker`; see README, "Running
more workers". Safe to run at any time, on any machine: processing is idempotent and leased.
"""

from django.core.management.base import BaseCommand

from impacts.evidence import processing


class Command(BaseCommand):
    help = "Queue again the evidence files still processing after their lease ran out."

    def handle(self, *args, **options):
        queued = processing.sweep()
        self.stdout.write(f"Queued {queued} evidence file(s) again for processing.")
