"""The company's right of reply in a real browser: a moderator invites a company from a published
report, the company answers through the link in its e-mail, a moderator publishes the answer and a
visitor reads it beside the report; another report whose deadline passed says "no response".

The full story runs once (company on a phone, in Russian); the company's form, the cheap step, runs
in Kazakh and English on a phone and a desktop. Expected words come from the site's catalogues.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from impacts import workflow
from impacts.replies.models import CompanyInvitation, CompanyReply, ReplyState
from tests import evidence_files
from tests.catalogue import add_company, make_project
from tests.reports import make_report

from .people import in_language, watch
from .site_pages import describe_violations, run_axe

pytestmark = pytest.mark.browser

VIEWPORT_FIXTURE = {"phone": "phone_page", "desktop": "page"}
REPORTER_EMAIL = "aigul.secret@mail.kz"
COMPANY = "PetroKazakhstan Oil Products"
ANSWER = "We measured the flare on 3 October; the emissions were within the permit."


def published_report(moderator, title="Black smoke at night"):
    project = make_project(name_en=f"Refinery for {title}")
    party = add_company(project, COMPANY)
    party.company.contact_email = "press@petrokazakhstan.example"
    party.company.save()
    report = make_report(
        project=project,
        title=title,
        contact_email=REPORTER_EMAIL,
        description="Black smoke from the flare every night.",
    )
    workflow.apply(report, "start_review", by=moderator)
    report.refresh_from_db()
    workflow.apply(report, "publish", by=moderator)
    report.refresh_from_db()
    return report, party.company


def sign_in_to_the_admin(page: Page, site: str, language: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": site}])
    page.goto(site + "/" + settings.KZCN_ADMIN_URL)
    page.fill("#id_username", "moderator")
    page.fill("#id_password", "a-long-password-1")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def link_from_the_e_mail() -> str:
    return re.search(r"https?://\S+/reply/\S+/", mail.outbox[-1].body).group(0)


def answer_on_the_company_page(page: Page, url: str, language: str, *, photo: bool = False) -> None:
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.fill("#id_responder", "Daniyar K., head of ecology")
    page.fill("#id_text", ANSWER)
    if photo:
        page.set_input_files(
            "#id_document",
            files=[{"name": "measurements.jpg", "mimeType": "image/jpeg", "buffer": evidence_files.jpeg_with_gps()}],
        )
    page.locator("#company-reply-form button[type=submit]").click()
    expect(page.locator(".alert-success, .alert-info").first).to_contain_text(
        in_language(
            language,
            "Thank you. Your response was received: a moderator will check it before it is published beside "
            "the report.",
        )
    )
    expect(page.locator("#reply-state")).to_be_visible()
    expect(page.locator("#company-reply-form")).to_have_count(0)


def assert_no_serious_violations(page: Page) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(page.url, violations)


def test_a_company_is_invited_answers_and_its_reply_is_published(site, settings, page, phone_page, moderator):
    settings.KZCN_SITE_URL = site  # the e-mailed link leads to this test server
    report, company = published_report(moderator)
    overdue, other_company = published_report(moderator, title="Dead fish in the canal")
    CompanyInvitation.objects.invite(report=overdue, company=other_company, by=moderator, language="ru", days=14)
    CompanyInvitation.objects.filter(report=overdue).update(
        created=timezone.now() - timedelta(days=20), deadline=timezone.now() - timedelta(days=6)
    )

    # The moderator invites the company from the report's admin page.
    sign_in_to_the_admin(page, site, "ru")
    page.goto(f"{site}/{settings.KZCN_ADMIN_URL}impacts/impactreport/{report.pk}/change/")
    page.locator("#invite-company").click()
    page.select_option("#id_company", label=COMPANY)
    page.select_option("#id_language", "ru")
    page.locator("#invite-form [type=submit]").click()
    expect(page.locator(".messagelist .success")).to_contain_text(COMPANY)
    assert REPORTER_EMAIL not in mail.outbox[-1].body

    # The company opens the link from its e-mail on a phone, in Russian, and answers with a photo.
    link = link_from_the_e_mail()
    assert "/ru/reply/" in link
    watched = watch(phone_page, site)
    phone_page.goto(link)
    assert_no_serious_violations(phone_page)
    answer_on_the_company_page(phone_page, link, "ru", photo=True)
    assert_no_serious_violations(phone_page)

    # The moderator publishes it.
    reply = CompanyReply.objects.get(invitation__report=report)
    page.goto(f"{site}/{settings.KZCN_ADMIN_URL}impacts/companyreply/{reply.pk}/change/")
    page.locator("button[name=_publish]").click()
    expect(page.locator(".messagelist .success")).to_contain_text(report.reference)
    assert CompanyReply.objects.get(pk=reply.pk).state == ReplyState.PUBLISHED

    # A visitor reads it beside the report; the other report says "no response".
    with translation.override("en"):
        report_url, overdue_url = site + report.get_absolute_url(), site + overdue.get_absolute_url()
    phone_page.goto(report_url)
    expect(phone_page.locator("#company-responses h2")).to_have_text("Company's response")
    expect(phone_page.locator(".company-response")).to_contain_text(ANSWER)
    expect(phone_page.locator(".company-response")).to_contain_text(COMPANY)
    expect(phone_page.locator(".company-response a")).to_be_visible()
    assert_no_serious_violations(phone_page)
    phone_page.goto(overdue_url)
    expect(phone_page.locator(".company-no-response")).to_contain_text("no response")
    assert_no_serious_violations(phone_page)
    watched.assert_all_was_well()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["kk", "en"])
def test_a_company_answers_on_its_page(request, site, moderator, language, viewport):
    company_page = request.getfixturevalue(VIEWPORT_FIXTURE[viewport])
    report, company = published_report(moderator)
    invitation, _created = CompanyInvitation.objects.invite(
        report=report, company=company, by=moderator, language=language, days=14
    )
    token = invitation.rotate()
    with translation.override(language):
        url = site + reverse("impacts:company_reply", args=[token])
    watched = watch(company_page, site)
    answer_on_the_company_page(company_page, url, language)
    if viewport == "phone" and language == "kk":
        assert_no_serious_violations(company_page)
    # Going back to the form finds the answer received instead: it cannot be sent a second time.
    company_page.go_back()
    company_page.reload()
    expect(company_page.locator("#company-reply-form")).to_have_count(0)
    assert CompanyReply.objects.filter(invitation=invitation).count() == 1
    watched.assert_all_was_well()
