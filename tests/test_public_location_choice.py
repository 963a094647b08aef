"""Where the public sees a report: the centre of the nearest settlement, or a point rounded to ~1 km.

In a village of 2,500 people a square kilometre around a pin can point at one house: the public
point is the village's centre. Inside a town, a rounded point hides a reporter among thousands and
keeps the report where it happened. The moderator may choose otherwise; the report's page says which
was used, and the exact pin is never public.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from impacts import workflow
from impacts.models import ImpactReport, PublicLocationKind, Status, coarsen
from tests.reports import make_report
from tests.test_moderation import inline_management_data

pytestmark = pytest.mark.django_db

IN_TEMIR = (Decimal("49.15123"), Decimal("57.13456"))  # a village of about 2,500 people
TEMIR_CENTRE = (Decimal("49.14284"), Decimal("57.12736"))
IN_EKIBASTUZ = (Decimal("51.72345"), Decimal("75.31234"))  # a town of about 120,000
EKIBASTUZ_CENTRE = (Decimal("51.72371"), Decimal("75.32287"))
EMPTY_STEPPE = (Decimal("47.00123"), Decimal("60.00456"))  # no settlement in the list within 50 km


def report_at(point, **kw) -> ImpactReport:
    latitude, longitude = point if point else (None, None)
    return make_report(latitude=latitude, longitude=longitude, **kw)


def public_point(report) -> tuple:
    return report.public_latitude, report.public_longitude


def test_a_pin_in_a_village_is_published_at_the_village_centre():
    report = report_at(IN_TEMIR)

    assert report.public_location_kind == PublicLocationKind.SETTLEMENT
    assert public_point(report) == TEMIR_CENTRE
    assert report.public_location_settlement.name == "Temir"


def test_a_pin_inside_a_town_is_published_rounded_to_about_a_kilometre():
    report = report_at(IN_EKIBASTUZ)

    assert report.public_location_kind == PublicLocationKind.COARSE
    assert public_point(report) == (Decimal("51.72"), Decimal("75.31"))


def test_a_pin_outside_a_town_is_published_at_the_town_centre():
    report = report_at((Decimal("51.80000"), Decimal("75.40000")))  # 10 km out, in the fields

    assert report.public_location_kind == PublicLocationKind.SETTLEMENT
    assert public_point(report) == EKIBASTUZ_CENTRE


def test_with_no_settlement_near_the_pin_it_is_rounded():
    report = report_at(EMPTY_STEPPE)

    assert report.public_location_kind == PublicLocationKind.COARSE
    assert public_point(report) == (Decimal("47.00"), Decimal("60.00"))


def test_a_report_without_a_pin_is_not_on_the_map():
    report = report_at(None)

    assert report.public_location_kind == PublicLocationKind.NONE
    assert public_point(report) == (None, None)


def test_a_settlement_choice_without_a_settlement_near_falls_back_to_rounding_and_says_so():
    report = report_at(EMPTY_STEPPE)
    report.set_public_location(PublicLocationKind.SETTLEMENT)

    assert report.public_location_kind == PublicLocationKind.COARSE


# --- the moderator's choice in the admin ---------------------------------------------------------


def admin_post(client, report, *, omit: tuple = (), **edits):
    data = {
        "public_title": report.public_title,
        "public_description": report.public_description,
        "public_site_name": report.public_site_name,
        "public_settlement": report.public_settlement,
        "public_note": "",
        "internal_notes": "",
        "assigned_to": "",
        "public_location_kind": report.public_location_kind,
        "public_latitude": report.public_latitude or "",
        "public_longitude": report.public_longitude or "",
        "seen_version": report.version,
        **inline_management_data(),
        **edits,
    }
    for name in omit:
        del data[name]
    response = client.post(reverse("admin:impacts_impactreport_change", args=[report.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return ImpactReport.objects.get(pk=report.pk)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (PublicLocationKind.COARSE, (Decimal("49.15"), Decimal("57.13"))),
        (PublicLocationKind.SETTLEMENT, TEMIR_CENTRE),
        (PublicLocationKind.NONE, (None, None)),
    ],
)
def test_the_moderator_chooses_the_public_point_and_never_sees_the_exact_one(client, moderator, kind, expected):
    report = report_at(IN_TEMIR, status=Status.IN_REVIEW)
    client.force_login(moderator)
    page = client.get(reverse("admin:impacts_impactreport_change", args=[report.pk])).content.decode()
    assert 'name="public_location_kind"' in page
    assert "49.15123" not in page and "57.13456" not in page

    report = admin_post(client, report, public_location_kind=kind)

    assert report.public_location_kind == kind
    assert public_point(report) == expected
    assert (report.latitude, report.longitude) == IN_TEMIR  # the reporter's pin is kept, privately


def test_a_point_the_moderator_types_for_a_report_without_a_pin_is_rounded(client, moderator):
    report = report_at(None, status=Status.IN_REVIEW)
    client.force_login(moderator)

    report = admin_post(client, report, public_latitude="44.16789", public_longitude="66.74321")

    assert report.public_location_kind == PublicLocationKind.COARSE
    assert public_point(report) == (Decimal("44.17"), Decimal("66.74"))


def test_a_form_without_the_choice_keeps_it(client, moderator):
    report = report_at(IN_TEMIR, status=Status.IN_REVIEW)
    client.force_login(moderator)

    report = admin_post(client, report, omit=("public_location_kind",), public_title="Dust in Temir")

    assert report.public_title == "Dust in Temir"
    assert report.public_location_kind == PublicLocationKind.SETTLEMENT
    assert public_point(report) == TEMIR_CENTRE


# --- what the public reads ------------------------------------------------------------------------


def publish(report, by):
    workflow.apply(ImpactReport.objects.get(pk=report.pk), "start_review", by=by)
    workflow.apply(ImpactReport.objects.get(pk=report.pk), "publish", by=by)


@pytest.mark.parametrize(("language", "name"), [("en", "Temir"), ("ru", "Темир"), ("kk", "Темір")])
def test_the_report_page_says_the_location_shown_is_the_village_centre(client, moderator, language, name):
    report = report_at(IN_TEMIR)
    publish(report, moderator)

    with translation.override(language):
        page = client.get(report.get_absolute_url()).content.decode()

    assert 'id="location-shown"' in page and name in page
    assert "49.15123" not in page and "57.13456" not in page


def test_the_report_page_says_the_location_shown_is_rounded(client, moderator):
    report = report_at(IN_EKIBASTUZ)
    publish(report, moderator)
    report.refresh_from_db()

    page = client.get(report.get_absolute_url()).content.decode()

    assert "rounded to about 1 km" in page
    assert "51.72345" not in page and "75.31234" not in page
    assert (report.public_latitude, report.public_longitude) == (coarsen(IN_EKIBASTUZ[0]), coarsen(IN_EKIBASTUZ[1]))
