"""A moderator decides on reports in the admin, in Kazakh, Russian and English, on a phone and a desktop.

The story that broke: a moderator typed a redaction and pressed Publish without saving first, and the
original text (with a phone number) went public. Now the decision buttons belong to the change form:
a decision saves what is on the screen and applies to exactly that version. Every decision is pressed
as a moderator would, and what they then see (the message, the status) is asserted in their language.

The expected words come from the site's own catalogues (gettext at test time), so the assertions
hold in each language without copying translations here.
"""

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Page, expect

from impacts.models import ImpactReport, Status
from tests.reports import make_report

pytestmark = pytest.mark.browser

PHONE_NUMBER = "+7 701 234 5678"
VIEWPORT_FIXTURE = {"phone": "phone_page", "desktop": "page"}


def sign_in_to_the_admin(page: Page, site: str, language: str) -> None:
    """The admin speaks the language of the staff member's cookie (it has no language in its address)."""
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": site}])
    page.goto(site + "/" + settings.KZCN_ADMIN_URL)
    page.fill("#id_username", "moderator")
    page.fill("#id_password", "a-long-password-1")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def open_report(page: Page, site: str, report: ImpactReport) -> None:
    page.goto(f"{site}/{settings.KZCN_ADMIN_URL}impacts/impactreport/{report.pk}/change/")


def decide(page: Page, action: str, message: str = "") -> None:
    if message:
        page.fill("#id_workflow_message", message)
    page.locator(f"#decision button[name=action][value={action}]").click()


def expect_decision_taken(page: Page, report: ImpactReport, language: str, status: str) -> None:
    """The moderator is back on the report, told its new status, and the page shows that status."""
    with translation.override(language):
        label = str(Status(status).label)
        told = _("%(reference)s is now “%(status)s”.") % {"reference": report.reference, "status": label}
    expect(page.locator(".messagelist .success")).to_have_text(told)
    expect(page.locator("#report-status strong")).to_have_text(label)
    assert ImpactReport.objects.get(pk=report.pk).status == status


@pytest.mark.parametrize(("viewport", "language"), [("phone", "kk"), ("desktop", "ru")])
def test_a_redaction_typed_and_published_without_saving_is_what_the_public_sees(
    request, site, moderator, viewport, language
):
    page = request.getfixturevalue(VIEWPORT_FIXTURE[viewport])
    report = make_report(
        status=Status.IN_REVIEW,
        settlement="Shieli, Abay street 12",
        description=f"Dust every night. Call Aigul at {PHONE_NUMBER}.",
    )
    sign_in_to_the_admin(page, site, language)
    open_report(page, site, report)

    public_text = page.locator("#id_public_description")
    public_text.fill(public_text.input_value().replace(PHONE_NUMBER, "[phone removed]"))
    page.fill("#id_public_settlement", "Shieli")
    decide(page, "publish")  # no Save first

    expect_decision_taken(page, report, language, Status.PUBLISHED)
    with translation.override(language):
        public_url = report.get_absolute_url()
    page.goto(site + public_url)
    expect(page.locator("main")).to_contain_text("[phone removed]")
    expect(page.locator("main")).not_to_contain_text(PHONE_NUMBER)
    expect(page.locator("main")).not_to_contain_text("Abay street")


LANGUAGE_VIEWPORT = {"kk": "phone", "ru": "desktop", "en": "phone"}


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_each_decision_pressed_in_the_admin_tells_the_moderator_what_happened(request, site, moderator, language):
    page = request.getfixturevalue(VIEWPORT_FIXTURE[LANGUAGE_VIEWPORT[language]])
    waiting = make_report(title="Dust at night")
    doubtful = make_report(status=Status.IN_REVIEW, title="Smell of gas")
    advert = make_report(title="Buy cheap cement")
    sign_in_to_the_admin(page, site, language)

    open_report(page, site, waiting)
    decide(page, "start_review")
    expect_decision_taken(page, waiting, language, Status.IN_REVIEW)
    decide(page, "ask_reporter", "Which street is the dust worst on?")
    expect_decision_taken(page, waiting, language, Status.NEEDS_INFO)
    # Waiting for the reporter's answer: only marking as spam is left to a moderator.
    expect(page.locator("#decision button[name=action]")).to_have_count(1)
    expect(page.locator("#decision button[name=action]")).to_have_attribute("value", "mark_spam")

    open_report(page, site, doubtful)
    decide(page, "reject")  # a rejection needs a reason: refused, and the moderator is told why
    with translation.override(language):
        why = _("Please give a reason.")
    expect(page.locator(".messagelist .error")).to_contain_text(why)
    assert ImpactReport.objects.get(pk=doubtful.pk).status == Status.IN_REVIEW
    decide(page, "reject", "Not about a plant in the programme")
    expect_decision_taken(page, doubtful, language, Status.REJECTED)

    open_report(page, site, advert)
    decide(page, "mark_spam", "Advertising")
    expect_decision_taken(page, advert, language, Status.SPAM)
