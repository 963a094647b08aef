"""Forget who reported what, once a report is closed and older than the retention period.

    manage.py purge_contact_details [--dry-run]

Blanks the reporter's name, e-mail and phone, the exact location, and the GPS position read from
the photos, of every report that is published, rejected, withdrawn or spam and was submitted more
than settings.KZCN_CONTACT_RETENTION_DAYS ago, in the report and in its moderation history. The
report itself, its public text and coarse public location stay. Run it daily (cron or a timer).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from impacts.models import Evidence, ImpactReport, Status
from kzcn.freshness import site_changed

logger = logging.getLogger(__name__)

CLOSED = [Status.PUBLISHED, Status.REJECTED, Status.WITHDRAWN, Status.SPAM]
PERSONAL = {"reporter_name": "", "contact_email": "", "contact_phone": "", "latitude": None, "longitude": None}
STILL_HOLDS_PERSONAL_DATA = (
    ~Q(reporter_name="")
    | ~Q(contact_email="")
    | ~Q(contact_phone="")
    | Q(latitude__isnull=False)
    | Q(longitude__isnull=False)
)


def reports_due(now=None):
    """Closed reports past the retention period that still hold contact details or an exact location."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.KZCN_CONTACT_RETENTION_DAYS)
    evidence_with_gps = Evidence.objects.filter(gps_latitude__isnull=False).values("report")
    return ImpactReport.objects.filter(status__in=CLOSED, created__lt=cutoff).filter(
        STILL_HOLDS_PERSONAL_DATA | Q(pk__in=evidence_with_gps)
    )


class Command(BaseCommand):
    help = "Blank contact details and exact locations of closed reports older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count the reports that would be purged")

    def handle(self, dry_run=False, **options):
        ids = list(reports_due().values_list("pk", flat=True))
        if not dry_run:
            with transaction.atomic():
                # update(), not save(): the purge is not a moderation step and must not add a
                # history row, and the old history rows must lose the same details.
                ImpactReport.objects.filter(pk__in=ids).update(**PERSONAL)
                ImpactReport.history.filter(id__in=ids).update(**PERSONAL)
                # A reporter shown by name becomes "Anonymous"; an organisation stays as chosen.
                ImpactReport.objects.filter(pk__in=ids, attribution="name").update(public_reporter_name="")
                ImpactReport.history.filter(id__in=ids, attribution="name").update(public_reporter_name="")
                Evidence.objects.filter(report__in=ids).update(gps_latitude=None, gps_longitude=None)
                site_changed()  # update() sends no signal: public pages showing a name must not keep it
        verb = "Would purge" if dry_run else "Purged"
        message = (
            f"{verb} contact details and exact locations of {len(ids)} closed reports "
            f"older than {settings.KZCN_CONTACT_RETENTION_DAYS} days."
        )
        logger.info(message)
        self.stdout.write(message)
