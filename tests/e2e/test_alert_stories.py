"""E-mail alerts in a real Chromium: a resident subscribes to a plant's news from its page (in Kazakh,
Russian and English, on a phone and a desktop), confirms from the e-mailed link, receives exactly one
e-mail when a report on that plant is published, and stops the alerts with one request; an address
that never confirms receives nothing but its confirmation. axe-core finds nothing serious on the
subscribe, confirm and unsubscribe pages."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation
from playwright.sync_api import Page, expect

from impacts import workflow
from impacts.alerts.models import Subscription
from tests.reports import make_report, make_site_project

from .people import in_language
from .site_pages import describe_violations, run_axe

pytestmark = pytest.mark.browser

LANGUAGES = ["kk", "ru", "en"]
VIEWPORTS = ["phone", "desktop"]
AIGUL = "aigul@example.org"
STRANGER = "never.confirms@example.org"
SENT = (
    "Thank you. If the address can receive e-mail, a message with a link to confirm is on its way: please "
    "check your e-mail, including the spam folder. Nothing else is sent until you confirm."
)


def link_in(message, kind: str) -> str:
    (link,) = re.findall(rf"https?://\S+/alerts/{kind}/[\w-]+/", message.body)
    return link.removeprefix(settings.KZCN_SITE_URL)


def alerts_to(email: str) -> list:
    return [m for m in mail.outbox if m.to == [email] and "List-Unsubscribe" in m.extra_headers]


def assert_accessible(page: Page) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(page.url, violations)


def a_page(request, viewport: str) -> Page:
    """The conftest's pages (axe-core is injected as an inline script, which they let past the CSP)."""
    return request.getfixturevalue("phone_page" if viewport == "phone" else "page")


def subscribe_from_the_project_page(page: Page, site: str, project, language: str, email: str) -> None:
    """From the plant's page, follow "Get e-mail alerts for this project" and send the form."""
    with translation.override(language):
        page.goto(site + project.get_absolute_url())
    page.get_by_role("link", name=in_language(language, "Get e-mail alerts for this project")).click()
    expect(page.locator("h1")).to_have_text(in_language(language, "E-mail alerts"))
    expect(page.locator("input[name=scope][value=project]")).to_be_checked()
    expect(page.locator("#id_project")).to_have_value(str(project.pk))
    page.fill("#id_email", email)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[role=status]")).to_contain_text(in_language(language, SENT))


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_resident_subscribes_to_a_plant_from_its_page(request, site, language, viewport):
    project = make_site_project()
    page = a_page(request, viewport)
    subscribe_from_the_project_page(page, site, project, language, AIGUL)
    assert_accessible(page)
    subscription = Subscription.objects.get()
    assert subscription.project == project and subscription.language == language
    assert subscription.confirmed_at is None
    (message,) = mail.outbox
    assert message.to == [AIGUL] and f"/{language}/alerts/confirm/" in message.body


def test_the_maps_link_asks_for_alerts_about_the_area_on_screen(page, site, settings):
    settings.KZCN_MAP_TILE_URL = ""  # no tile server
    page.goto(site + "/en/map/")
    expect(page.locator("#report-map.map-ready")).to_be_attached()
    link = page.locator("#alerts-for-area")
    expect(link).to_have_attribute("href", re.compile(r"bbox=-?[\d.]+(%2C|,)-?[\d.]+(%2C|,)-?[\d.]+(%2C|,)-?[\d.]+"))
    link.click()
    expect(page.locator("input[name=scope][value=area]")).to_be_checked()
    south, north = (float(page.input_value(f"#id_{edge}_latitude")) for edge in ("min", "max"))
    west, east = (float(page.input_value(f"#id_{edge}_longitude")) for edge in ("min", "max"))
    assert south < north and west < east
    page.fill("#id_email", AIGUL)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[role=status]")).to_contain_text(in_language("en", SENT))
    assert Subscription.objects.get().is_area


def test_a_subscriber_confirms_gets_one_email_and_leaves_with_one_request(phone_page, site, moderator):
    page = phone_page
    project = make_site_project()
    subscribe_from_the_project_page(page, site, project, "ru", AIGUL)
    subscribe_from_the_project_page(page, site, project, "ru", STRANGER)
    (confirmation,) = [m for m in mail.outbox if m.to == [AIGUL]]

    # The link from the e-mail, opened: a page with a button, and nothing confirmed yet.
    page.goto(site + link_in(confirmation, "confirm"))
    expect(page.locator("h1")).to_have_text(in_language("ru", "Confirm your alerts"))
    assert_accessible(page)
    assert Subscription.objects.confirmed().count() == 0
    page.get_by_role("button", name=in_language("ru", "Confirm and start the alerts")).click()
    expect(page.locator("h1")).to_have_text(in_language("ru", "Your alerts are confirmed"))
    assert_accessible(page)

    report = make_report(project=project, region="kyzylorda", public_title="Пыль над Шиели")
    workflow.apply(report, "start_review", by=moderator)
    workflow.apply(report, "publish", by=moderator)
    (alert,) = alerts_to(AIGUL)
    assert report.reference in alert.subject and "Пыль над Шиели" in alert.body
    assert alert.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [m.to for m in mail.outbox if m.to == [STRANGER]] == [[STRANGER]]  # its confirmation only

    page.goto(site + link_in(alert, "unsubscribe"))
    expect(page.locator("h1")).to_have_text(in_language("ru", "Stop these alerts"))
    assert_accessible(page)
    assert Subscription.objects.filter(email=AIGUL).exists()  # opening the link removed nothing
    posts = []
    page.on("request", lambda sent: posts.append(sent) if sent.method == "POST" else None)
    page.get_by_role("button", name=in_language("ru", "Stop the alerts")).click()
    expect(page.locator("h1")).to_have_text(in_language("ru", "The alerts are stopped"))
    assert_accessible(page)
    assert len(posts) == 1
    assert not Subscription.objects.filter(email=AIGUL).exists()

    second = make_report(project=project, region="kyzylorda", public_title="Снова пыль")
    workflow.apply(second, "start_review", by=moderator)
    workflow.apply(second, "publish", by=moderator)
    assert len(alerts_to(AIGUL)) == 1 and alerts_to(STRANGER) == []
