"""Letters to the authorities in a real Chromium: a moderator generates a complaint in Russian and in
Kazakh from the admin, downloads each PDF and reads it, records the letter as sent and then answered,
and the public report page shows that record. The reporter makes a letter from their tracking link in
Kazakh, Russian and English, on a phone and a desktop, and the page has no serious accessibility fault."""

import datetime
import io

import pytest
from django.conf import settings
from django.utils import timezone, translation
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from impacts.authorities.models import Authority, AuthorityRequest
from impacts.models import ImpactReport, Status
from tests.reports import make_report

from .people import a_visitor, watch
from .site_pages import describe_violations, publish_with_one_photo_hidden, run_axe, submitted_report

pytestmark = pytest.mark.browser


def an_authority() -> Authority:
    return Authority.objects.create(
        name_ru="Департамент экологии (тестовый)",
        name_kk="Экология департаменті (сынақ)",
        name_en="Ecology department (test)",
        kind="ecology",
        region="kyzylorda",
        postal_address="тестовый адрес",
    )


def downloaded_pdf_text(page: Page, target) -> str:
    """Click what downloads a PDF, as a person would, and read the text of the file the browser saved."""
    with page.expect_download() as download_info:
        target.click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def sign_in_to_the_admin(page: Page, site: str, language: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": site}])
    page.goto(site + "/" + settings.KZCN_ADMIN_URL)
    page.fill("#id_username", "moderator")
    page.fill("#id_password", "a-long-password-1")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def generate_letter(page: Page, site: str, report, authority, language: str) -> str:
    """From the report's admin page to the letter's: choose, save, download, read."""
    page.goto(f"{site}/{settings.KZCN_ADMIN_URL}impacts/impactreport/{report.pk}/change/")
    page.locator("#write-to-authority").click()
    expect(page.locator("#id_report")).to_have_value(str(report.pk))
    page.select_option("#id_authority", str(authority.pk))
    page.select_option("#id_kind", "complaint")
    page.select_option("#id_language", language)
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    return downloaded_pdf_text(page, page.locator("a[href$='/letter/']"))


def test_a_complaint_in_russian_and_kazakh_is_sent_answered_and_shown_on_the_report(request, site, moderator, page):
    report, _token = submitted_report(photos=1)
    publish_with_one_photo_hidden(ImpactReport.objects.get(pk=report.pk), moderator)
    report = ImpactReport.objects.get(pk=report.pk)
    assert report.status == Status.PUBLISHED
    authority = an_authority()
    sign_in_to_the_admin(page, site, "ru")

    kazakh = generate_letter(page, site, report, authority, "kk")
    assert "ШАҒЫМ" in kazakh and "Экология департаменті (сынақ)" in kazakh and report.reference in kazakh
    assert "Орхус" in kazakh and "ә" in kazakh and "қ" in kazakh
    russian = generate_letter(page, site, report, authority, "ru")
    assert "ЖАЛОБА" in russian and "Департамент экологии (тестовый)" in russian and "Орхус" in russian
    assert "SHA-256" in russian
    letter = AuthorityRequest.objects.latest("pk")

    sent_on = timezone.localdate() - datetime.timedelta(days=2)
    page.fill("#id_sent_on", sent_on.isoformat())
    page.select_option("#id_channel", "eotinish")
    page.fill("#id_incoming_number", "ЖТ-2026-0042")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    letter.refresh_from_db()
    assert letter.sent_on == sent_on and letter.answer_due is not None

    page.fill("#id_answered_on", timezone.localdate().isoformat())
    page.fill("#id_answer_summary", "Назначена внеплановая проверка предприятия.")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    report.refresh_from_db()
    assert report.followup == "authority_responded"

    with translation.override("en"):
        public_url = report.get_absolute_url()
    with a_visitor(page.context.browser, request, site, "phone") as visitor:
        visitor.goto(site + public_url)
        record = visitor.locator("#authority-requests")
        expect(record).to_contain_text("Complaint sent to Ecology department (test)")
        expect(record).to_contain_text("Назначена внеплановая проверка предприятия.")
        expect(record).to_contain_text("Answered on")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_reporter_downloads_a_letter_from_the_tracking_link(request, site, language, viewport):
    report = make_report(status=Status.PUBLISHED, published_at=timezone.now(), region="kyzylorda")
    token = report.issue_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    authority = an_authority()
    page = request.getfixturevalue("phone_page" if viewport == "phone" else "page")  # axe needs its CSP bypass
    watched = watch(page, site)
    page.goto(f"{site}/{language}/track/{token}/")
    page.locator("#authority-letter-link a").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_contain_text(report.reference)
    violations = run_axe(page)
    assert not violations, describe_violations(page.url, violations)
    expect(page.locator("#id_authority")).to_contain_text(authority.name_in(language))
    letter_language = "kk" if language == "kk" else "ru"
    page.locator(f"input[name=language][value={letter_language}]").check()
    page.locator("input[name=kind][value=information]").check()
    text = downloaded_pdf_text(page, page.locator("main form button[type=submit]"))
    watched.assert_all_was_well()
    assert report.reference in text
    assert ("АҚПАРАТ" if letter_language == "kk" else "ЭКОЛОГИЧЕСКОЙ ИНФОРМАЦИИ") in text
    record = AuthorityRequest.objects.get(report=report)
    assert record.created_by_reporter and record.letter and not record.includes_reporter_contact
