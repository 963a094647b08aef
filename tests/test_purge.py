"""A year after a report is closed, the site forgets who sent it and where they stood."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from impacts.models import ImpactReport, Status
from tests.reports import make_report
from tests.test_roles import make_evidence

pytestmark = pytest.mark.django_db

CONTACT = {
    "reporter_name": "Aigul Secret",
    "contact_email": "aigul@example.org",
    "contact_phone": "+7 701 999 8877",
    "latitude": Decimal("43.30123"),
    "longitude": Decimal("68.25456"),
    "public_latitude": Decimal("43.30"),
    "public_longitude": Decimal("68.25"),
}


def old_report(days: int = 400, **kw) -> ImpactReport:
    return make_report(created=timezone.now() - timedelta(days=days), **{**CONTACT, **kw})


def purge(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("purge_contact_details", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.REJECTED, Status.WITHDRAWN, Status.SPAM])
def test_closed_old_report_loses_contact_details_and_exact_location_but_is_kept(status):
    report = old_report(status=status, title="Black dust")

    output = purge()

    report.refresh_from_db()
    assert (report.reporter_name, report.contact_email, report.contact_phone) == ("", "", "")
    assert report.latitude is None and report.longitude is None
    assert report.title == "Black dust" and report.status == status
    assert (report.public_latitude, report.public_longitude) == (Decimal("43.30"), Decimal("68.25"))
    assert "Purged contact details and exact locations of 1 closed reports" in output


def test_moderation_history_forgets_the_details_too():
    report = old_report(status=Status.PUBLISHED)
    report.title = "Edited"
    report.save()
    assert report.history.count() == 2

    purge()

    for version in report.history.all():
        assert version.contact_email == "" and version.reporter_name == "" and version.latitude is None


def test_photo_gps_positions_are_forgotten():
    report = old_report(
        status=Status.PUBLISHED, reporter_name="", contact_email="", contact_phone="", latitude=None, longitude=None
    )
    item = make_evidence(report)

    assert "of 1 closed" in purge()

    item.refresh_from_db()
    assert item.gps_latitude is None and item.gps_longitude is None


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO])
def test_open_reports_keep_their_contact_details_however_old(status):
    report = old_report(status=status)

    purge()

    report.refresh_from_db()
    assert report.contact_email == "aigul@example.org"


def test_recent_closed_reports_are_kept_until_the_retention_period_ends(settings):
    settings.KZCN_CONTACT_RETENTION_DAYS = 365
    report = old_report(days=300, status=Status.REJECTED)

    assert "of 0 closed" in purge()
    report.refresh_from_db()
    assert report.contact_phone == "+7 701 999 8877"


def test_dry_run_counts_without_changing_anything():
    report = old_report(status=Status.SPAM)

    assert "Would purge contact details and exact locations of 1 closed reports" in purge("--dry-run")

    report.refresh_from_db()
    assert report.contact_email == "aigul@example.org"


def test_second_run_finds_nothing_left_to_purge():
    old_report(status=Status.PUBLISHED)
    purge()

    assert "of 0 closed" in purge()


def test_no_model_stores_an_ip_address():
    from django.apps import apps
    from django.db.models import GenericIPAddressField

    ours = [apps.get_app_config(label) for label in ("projects", "impacts")]  # history models included
    fields = [
        f"{model.__name__}.{field.name}"
        for config in ours
        for model in config.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, GenericIPAddressField) or "ip_address" in field.name
    ]
    assert ours and fields == []
