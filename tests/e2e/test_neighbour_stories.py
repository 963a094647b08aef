"""Neighbours' voices in a real Chromium: "this affects me too" pressed in Kazakh, Russian and English
on a phone and a desktop; an update sent from a phone with a photo, published by a moderator and seen
on the report's timeline; the reporter saying "it is still happening" from the tracking page.

The expected words come from the site's own catalogues (gettext at test time), so the assertions hold
in each language without copying translations here.
"""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from impacts.models import FollowUp, ImpactReport, Status
from impacts.neighbours.models import ReportUpdate, UpdateState
from tests.reports import make_report

from .people import a_visitor, follow, watch
from .site_pages import describe_violations, run_axe, write_evidence_files

pytestmark = pytest.mark.browser


def in_language(code: str, text: str) -> str:
    with translation.override(code):
        return gettext(text)


def people_count(code: str, count: int) -> str:
    with translation.override(code):
        return ngettext(
            "%(counter)s person says this affects them too.", "%(counter)s people say this affects them too.", count
        ) % {"counter": count}


def published_report(**kw) -> ImpactReport:
    return make_report(
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        public_title="Black dust at night",
        public_description="Dust falls on the village every night.",
        observed_on=timezone.localdate() - datetime.timedelta(days=10),
        **kw,
    )


def report_address(site: str, report: ImpactReport, language: str) -> str:
    with translation.override(language):
        return site + reverse("impacts:report_detail", args=[report.reference])


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_neighbour_says_this_affects_them_too(request, site, browser, language, viewport):
    report = published_report()
    with a_visitor(browser, request, site, viewport) as page:
        page.goto(report_address(site, report, language))
        follow(page, page.locator("#affects-me-button"))
        expect(page.locator("#mark-message")).to_have_text(in_language(language, "Thank you. You have been counted."))
        expect(page.locator("#mark-count")).to_have_text(people_count(language, 1))
        follow(page, page.locator("#affects-me-button"))
        expect(page.locator("#mark-message")).to_have_text(in_language(language, "You have already said so."))
        expect(page.locator("#mark-count")).to_have_text(people_count(language, 1))
    assert report.neighbour_marks.count() == 1


def test_an_update_from_a_phone_is_published_by_a_moderator_and_seen_on_the_timeline(
    site, phone_page, page, moderator, tmp_path
):
    """phone_page and page (conftest) let axe-core run despite the CSP; `watch` still checks every request."""
    report = published_report()
    photo = write_evidence_files(tmp_path).gps_photo
    visitor = watch(phone_page, site)
    phone_page.goto(report_address(site, report, "ru"))
    follow(phone_page, phone_page.locator("#add-update"))
    assert run_axe(phone_page) == [], describe_violations(phone_page.url, run_axe(phone_page))
    phone_page.fill("#id_observed_on", timezone.localdate().isoformat())
    phone_page.fill("#id_text", "Пыль снова, утром всё чёрное. Звоните мне: +7 701 234 5678")
    phone_page.set_input_files("#id_files", str(photo))
    follow(phone_page, phone_page.locator("#update-form button[type=submit]"))
    expect(phone_page.locator("#update-received")).to_contain_text(report.reference)
    update = ReportUpdate.objects.get(report=report)
    assert update.state == UpdateState.SUBMITTED and update.evidence.count() == 1

    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ru", "url": site}])
    page.goto(f"{site}/{settings.KZCN_ADMIN_URL}")
    page.fill("#id_username", "moderator")
    page.fill("#id_password", "a-long-password-1")
    follow(page, page.locator("#login-form [type=submit]"))
    page.goto(f"{site}/{settings.KZCN_ADMIN_URL}impacts/reportupdate/{update.pk}/change/")
    page.fill("#id_public_text", "Пыль снова, утром всё чёрное.")
    follow(page, page.locator("#update-decision button[name=_publish]"))
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert ReportUpdate.objects.get(pk=update.pk).state == UpdateState.PUBLISHED

    phone_page.goto(report_address(site, report, "ru"))
    entry = phone_page.locator(f"#event-update-{update.pk}")
    expect(entry).to_contain_text("Пыль снова, утром всё чёрное.")
    expect(phone_page.locator("#timeline")).not_to_contain_text("+7 701")
    thumbnail = entry.locator("img")
    expect(thumbnail).to_have_count(1)
    assert phone_page.evaluate("img => img.complete && img.naturalWidth > 0", thumbnail.element_handle())
    assert run_axe(phone_page) == [], describe_violations(phone_page.url, run_axe(phone_page))
    visitor.assert_all_was_well()


@pytest.mark.parametrize(("viewport", "language"), [("phone", "kk"), ("desktop", "en")])
def test_the_reporter_says_it_is_still_happening_from_the_tracking_page(request, site, browser, viewport, language):
    report = published_report(language=language)
    token = report.issue_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    with translation.override(language):
        tracking = site + reverse("impacts:track", args=[token])
    with a_visitor(browser, request, site, viewport) as page:
        page.goto(tracking)
        page.fill("#id_message", "Шаң әлі түседі, кеше түнде де.")
        follow(page, page.locator("#followup button[value=reporter_continues]"))
        with translation.override(language):
            label = str(FollowUp.CONTINUES.label)
        expect(page.locator("#tracked-followup")).to_have_text(label)
        expect(page.locator("#followup button[value=reporter_continues]")).to_have_count(0)
        page.goto(report_address(site, report, language))
        expect(page.locator("#followup-badge")).to_have_text(label)
        expect(page.locator("#timeline")).to_contain_text(label)
        expect(page.locator("body")).not_to_contain_text("кеше түнде")
    assert ImpactReport.objects.get(pk=report.pk).followup == FollowUp.CONTINUES
