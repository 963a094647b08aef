"""A first-time visitor from a village near a plant opens the home page on a phone: within the first
screen (390×844) they learn what the site is, find a big "Report an impact" button and read that no
account is needed and their name and contacts are never published. Below come the latest published
reports, then the programme's figures."""

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from impacts.models import Status
from tests.reports import make_report

pytestmark = pytest.mark.browser

FIRST_SCREEN = 844


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_phones_first_screen_invites_to_report_and_says_how_the_reporter_is_protected(phone_page, site, language):
    call_command("import_projects", verbosity=0)
    make_report(
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        public_title="Қара шаң түнде",
        reporter_name="Aigul Serikova",
        contact_email="aigul@example.org",
        contact_phone="+7 701 234 5678",
    )
    with translation.override(language):
        button_text = gettext("Report an impact")
        privacy_text = gettext("No account needed; your name and contacts are never published.")

    phone_page.goto(f"{site}/{language}/")

    button = phone_page.locator(".report-cta a.btn")
    privacy = phone_page.locator(".report-cta-privacy")
    expect(button).to_have_text(button_text)
    expect(privacy).to_have_text(privacy_text)
    assert button.bounding_box()["height"] >= 44, "a thumb-sized button"
    for element in (phone_page.locator("h1"), phone_page.locator("h1 + p.lead"), button, privacy):
        box = element.bounding_box()
        assert box["y"] + box["height"] <= FIRST_SCREEN, f"{element} ends at {box['y'] + box['height']:.0f} px"

    # Then the latest reports (public fields only), before the programme's figures.
    latest = phone_page.locator("#latest-heading")
    expect(phone_page.locator(".latest-reports li")).to_have_count(1)
    expect(phone_page.locator(".latest-reports")).to_contain_text("Қара шаң түнде")
    for private in ("Aigul", "aigul@example.org", "701 234"):
        expect(phone_page.locator("main")).not_to_contain_text(private)
    assert latest.bounding_box()["y"] < phone_page.locator("#coverage-heading").bounding_box()["y"]

    button.click()
    expect(phone_page).to_have_url(f"{site}/{language}/report/")


def test_on_a_desktop_the_call_to_report_sits_beside_the_introduction(page, site):
    page.goto(f"{site}/en/")

    heading = page.locator("h1").bounding_box()
    call = page.locator(".report-cta").bounding_box()
    assert call["x"] > heading["x"] + heading["width"] - 1, "the call to report is in the right column"
    assert call["y"] < 400
