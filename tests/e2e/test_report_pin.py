"""Putting the place of a problem on the map, in a real browser: by tapping, by "Use my location", by
the photo (only when the reporter asks), or without JavaScript by typing the numbers.

Each story sends the report, checks that it arrived with the reporter's point, publishes it, and
checks that the public page shows only the settlement's centre or the rounded point. The watcher
(`a_visitor`) fails a story on any request to another host, any failed response and any console error.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from impacts import workflow
from impacts.models import ImpactReport, PublicLocationKind, Status
from tests import evidence_files
from tests.catalogue import make_project
from tests.reports import make_report

from .people import a_visitor, untranslated_texts
from .site_pages import describe_violations, fill_required_fields, run_axe, submit_report_form

pytestmark = pytest.mark.browser

PLANT = (Decimal("51.780000"), Decimal("75.380000"))  # in the fields 7 km from Ekibastuz
IN_TEMIR = (49.15123, 57.13456)  # a village of about 2,500 people
TEMIR_CENTRE = (Decimal("49.14284"), Decimal("57.12736"))
IN_EKIBASTUZ = (51.72345, 75.31234)


def sent_report() -> ImpactReport:
    return ImpactReport.objects.get()


def publish(report: ImpactReport, by) -> ImpactReport:
    """What the moderator does in the admin, done through the same workflow."""
    workflow.apply(ImpactReport.objects.get(pk=report.pk), "start_review", by=by)
    workflow.apply(ImpactReport.objects.get(pk=report.pk), "publish", by=by)
    return ImpactReport.objects.get(pk=report.pk)


def field_point(page) -> tuple[float, float]:
    return float(page.input_value("#id_latitude")), float(page.input_value("#id_longitude"))


def exact_point_is_not_on(page, report) -> None:
    text = page.content()
    for value in (report.latitude, report.longitude):
        for shown in (f"{value:.5f}", f"{value:.4f}"):
            assert shown not in text and shown.replace(".", ",") not in text


def map_can_be_seen(page) -> None:
    """What the person sees: a map big enough to aim at, with Kazakhstan's outline drawn on it."""
    expect(page.locator("#pin-map")).to_be_visible()
    box = page.locator("#pin-map").bounding_box()
    assert box["height"] >= 200 and box["width"] >= 250, box
    expect(page.locator("#pin-map svg path").first).to_be_visible()


def test_resident_taps_the_map_by_the_plant_on_a_desktop(browser, request, site, moderator):
    plant = make_project(
        name_en="Ekibastuz test power plant",
        latitude=PLANT[0],
        longitude=PLANT[1],
        coordinates_source_url="https://example.org/plant",
        region="pavlodar",
    )
    with a_visitor(browser, request, site, "desktop") as page:
        page.goto(site + "/en/report/")
        map_can_be_seen(page)
        page.select_option("#id_project", str(plant.pk))  # the map centres on the plant
        page.locator("#pin-map").click()  # a tap in the middle: by the plant

        expect(page.locator("#id_latitude")).not_to_have_value("")
        latitude, longitude = field_point(page)
        assert abs(latitude - 51.78) < 0.01 and abs(longitude - 75.38) < 0.01
        expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
        expect(page.locator("#place-suggestion")).to_contain_text("Ekibastuz")
        expect(page.locator("#id_settlement")).to_have_value("Ekibastuz")  # 7 km: filled in, editable

        fill_required_fields(page, title="Ash from the power plant", description="Grey ash on the snow every day.")
        submit_report_form(page)
        expect(page.locator("#tracking-link")).to_be_visible()

    report = sent_report()
    assert (float(report.latitude), float(report.longitude)) == (latitude, longitude)
    assert report.settlement == "Ekibastuz"
    report = publish(report, moderator)
    assert report.public_location_kind == PublicLocationKind.SETTLEMENT  # the fields around a town
    with a_visitor(browser, request, site, "desktop") as page:
        page.goto(site + report.get_absolute_url())
        expect(page.locator("#location-shown")).to_contain_text("centre of Ekibastuz")
        exact_point_is_not_on(page, report)


def test_villager_uses_their_location_on_a_phone_in_russian_and_sees_a_report_nearby(browser, request, site, moderator):
    earlier = make_report(
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        title="Пыль над Темиром",
        public_latitude=TEMIR_CENTRE[0],
        public_longitude=TEMIR_CENTRE[1],
        observed_on=timezone.localdate() - datetime.timedelta(days=20),
    )
    with a_visitor(browser, request, site, "phone", locale="ru-RU") as page:
        page.context.grant_permissions(["geolocation"], origin=site)
        page.context.set_geolocation({"latitude": IN_TEMIR[0], "longitude": IN_TEMIR[1], "accuracy": 20})
        page.goto(site + "/ru/report/")
        map_can_be_seen(page)  # on a phone too
        page.fill("#id_site_name", "Карьер у дороги")
        page.select_option("#id_primary_category", "air")
        assert page.input_value("#id_latitude") == ""  # nothing is asked or filled before the tap
        page.locator("#use-my-location").click()

        expect(page.locator("#id_latitude")).to_have_value("49.15123")
        expect(page.locator("#id_longitude")).to_have_value("57.13456")
        expect(page.locator("#id_settlement")).to_have_value("Темир")
        nearby = page.locator("#nearby-reports")
        expect(nearby.locator(f"a[href='{earlier.get_absolute_url().replace('/en/', '/ru/')}']")).to_be_visible()
        expect(nearby).to_contain_text("Пыль над Темиром")

        fill_required_fields(page, title="Снова пыль", description="Пыль каждую ночь, дети кашляют.")
        submit_report_form(page)  # the nearby report never blocks a new one
        expect(page.locator("#tracking-link")).to_be_visible()

    report = ImpactReport.objects.exclude(pk=earlier.pk).get()
    assert (report.latitude, report.longitude) == (Decimal("49.15123"), Decimal("57.13456"))
    report = publish(report, moderator)
    assert (report.public_latitude, report.public_longitude) == TEMIR_CENTRE
    with a_visitor(browser, request, site, "phone", locale="ru-RU") as page:
        page.goto(site + report.get_absolute_url().replace("/en/", "/ru/"))
        expect(page.locator("#location-shown")).to_contain_text("Темир")
        exact_point_is_not_on(page, report)


def test_resident_uses_the_place_of_their_photo_on_a_phone_in_kazakh(browser, request, site, moderator, tmp_path):
    photo = tmp_path / "dust.jpg"
    photo.write_bytes(evidence_files.jpeg_with_gps(lat=IN_EKIBASTUZ[0], lon=IN_EKIBASTUZ[1]))
    with a_visitor(browser, request, site, "phone", locale="kk-KZ") as page:
        page.goto(site + "/kk/report/")
        map_can_be_seen(page)  # on a phone too
        page.fill("#id_site_name", "Күл үйіндісі")
        expect(page.locator("#photo-place")).to_be_hidden()
        page.set_input_files("#id_files", str(photo))

        offer = page.locator("#photo-place")
        expect(offer).to_be_visible()
        page.wait_for_timeout(300)
        assert page.input_value("#id_latitude") == "", "the photo's place is never used without asking"
        offer.locator("#use-photo-place").click()

        expect(page.locator("#id_latitude")).to_have_value("51.72345")
        expect(page.locator("#id_longitude")).to_have_value("75.31234")
        expect(page.locator("#id_settlement")).to_have_value("Екібастұз")
        expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
        english_left = untranslated_texts(page)  # judged at the end, once the rest of the story is checked

        fill_required_fields(page, title="Күл ұшады", description="Күл үйіндісінен күл ұшады.")
        submit_report_form(page)
        expect(page.locator("#tracking-link")).to_be_visible()

    report = sent_report()
    assert (report.latitude, report.longitude) == (Decimal("51.72345"), Decimal("75.31234"))
    report = publish(report, moderator)
    assert report.public_location_kind == PublicLocationKind.COARSE  # inside a town of 120,000
    assert (report.public_latitude, report.public_longitude) == (Decimal("51.72"), Decimal("75.31"))
    with a_visitor(browser, request, site, "phone", locale="kk-KZ") as page:
        page.goto(site + report.get_absolute_url().replace("/en/", "/kk/"))
        expect(page.locator("#location-shown")).to_be_visible()
        expect(page.locator("#location-shown")).not_to_contain_text("Екібастұз")  # rounded, not the centre
        exact_point_is_not_on(page, report)
    assert english_left == [], f"English words on the Kazakh form: {english_left}"


def test_without_javascript_the_numbers_still_place_the_report(browser, request, site):
    with a_visitor(browser, request, site, "phone", javascript=False) as page:
        page.goto(site + "/en/report/")
        expect(page.locator("#place-picker")).to_be_hidden()
        page.fill("#id_site_name", "Quarry by the road")
        page.locator("details summary").filter(has_text="exact location").click()
        page.fill("#id_latitude", "49.15123")
        page.fill("#id_longitude", "57.13456")
        fill_required_fields(page, title="Dust from the quarry", description="Dust every night.")
        submit_report_form(page)
        expect(page.locator("#tracking-link")).to_be_visible()

    report = sent_report()
    assert (report.latitude, report.longitude) == (Decimal("49.15123"), Decimal("57.13456"))


def test_the_form_with_a_pin_and_reports_nearby_has_no_serious_accessibility_problem(page, site):
    make_report(
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        title="Dust over Temir",
        public_latitude=TEMIR_CENTRE[0],
        public_longitude=TEMIR_CENTRE[1],
        observed_on=timezone.localdate(),
    )
    page.context.grant_permissions(["geolocation"], origin=site)
    page.context.set_geolocation({"latitude": IN_TEMIR[0], "longitude": IN_TEMIR[1]})
    page.goto(site + "/en/report/")
    page.locator("#use-my-location").click()
    expect(page.locator("#nearby-reports")).to_contain_text("Dust over Temir")
    expect(page.locator("#place-suggestion")).to_contain_text("Temir")

    violations = run_axe(page)

    assert not violations, describe_violations("/en/report/ (with a pin)", violations)
