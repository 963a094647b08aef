"""The reporter's tracking page in a real Chromium, in Kazakh, Russian and English, on a phone and on a
desktop: answering the moderator with a photo, asking to withdraw the report or hide a name, and
switching language there and on the confirmation page, with every form posting back to the site
(no 403 from the CSRF check) while other sites never learn the private link."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from impacts import workflow
from impacts.models import ImpactReport, ReporterRequest, Status
from tests.reports import make_report

from .site_pages import fill_required_fields, submit_report_form, write_evidence_files

pytestmark = pytest.mark.browser

LANGUAGES = ["kk", "ru", "en"]
VIEWPORTS = ["phone", "desktop"]
QUESTION = {"kk": "Шаң қай түні түсті?", "ru": "В какую ночь выпала пыль?", "en": "Which night did the dust fall?"}
ANSWER = {
    "kk": "Сейсенбі түні, сағат екіде.",
    "ru": "Во вторник ночью, около двух.",
    "en": "Tuesday night, about 2 a.m.",
}
# The switcher's visible names (Django's name_local), for a switcher made of links or buttons.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақ"}


def other_language(code: str) -> str:
    return LANGUAGES[(LANGUAGES.index(code) + 1) % len(LANGUAGES)]


def in_language(code: str, text: str) -> str:
    with translation.override(code):
        return gettext(text)


def a_page(request, viewport: str) -> Page:
    return request.getfixturevalue("phone_page" if viewport == "phone" else "page")


def report_with_a_question(moderator, language: str) -> tuple[ImpactReport, str]:
    """A report whose moderator asked the reporter a question; returns it with its tracking path."""
    report = make_report(language=language, status=Status.SUBMITTED)
    token = report.issue_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    workflow.apply(report, "start_review", by=moderator)
    workflow.apply(report, "ask_reporter", by=moderator, message=QUESTION[language])
    with translation.override(language):
        return report, reverse("impacts:track", args=[token])


def watch_form_posts(page: Page) -> list:
    """Every POST the page makes, with the Origin it carried (the CSRF check compares it to the site)."""
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    return posts


def assert_posted_from_the_site(posts, site: str) -> None:
    assert posts, "nothing was posted"
    for request in posts:
        origin = request.all_headers().get("origin")
        assert origin in (None, site), f"{request.url} was posted with Origin {origin!r}"


def use_language_switcher(page: Page, code: str) -> None:
    """Switch language with the header's switcher, whichever shape it has: a select with a button,
    or one link / button per language (optionally inside `[data-language-switcher]`)."""
    switcher = page.locator("[data-language-switcher]")
    if not switcher.count():
        switcher = page.locator("header")
    select = switcher.locator("select[name=language]")
    if select.count():
        select.select_option(code)
        target = select.locator("xpath=ancestor::form").locator("[type=submit]")
    else:
        target = switcher.locator(
            f"a[hreflang='{code}'], a[lang='{code}'], button[name=language][value='{code}'], button[lang='{code}']"
        )
        if not target.count():
            target = switcher.get_by_role("link", name=LANGUAGE_NAMES[code], exact=True)
        if not target.first.is_visible():  # tucked into a phone menu
            page.locator("header .navbar-toggler, header summary").first.click()
    with page.expect_navigation() as navigation:
        target.first.click()
    page.wait_for_load_state()
    final = navigation.value
    assert final is None or final.status < 400, f"switching language answered {final.status}"
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.locator("h1")).not_to_contain_text("403")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_reporter_answers_the_moderator_with_a_photo_and_the_report_returns_to_review(
    request, site, moderator, tmp_path, language, viewport
):
    report, path = report_with_a_question(moderator, language)
    gallery = write_evidence_files(tmp_path / "gallery")
    page = a_page(request, viewport)
    posts = watch_form_posts(page)

    page.goto(site + path)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("main")).to_contain_text(QUESTION[language])
    page.fill("#id_answer", ANSWER[language])
    page.set_input_files("#id_files", gallery.gps_photo)
    page.locator("form:has(input[name=form][value=answer]) button[type=submit]").click()

    expect(page.locator("[role=status]")).to_contain_text(
        in_language(language, "Thank you. Your answer was sent to the moderators.")
    )
    with translation.override(language):
        in_review = str(Status.IN_REVIEW.label)
    expect(page.locator("#status-heading + p .badge")).to_have_text(in_review)
    expect(page.locator("main")).to_contain_text(ANSWER[language])
    expect(page.locator("#id_answer")).to_have_count(0)
    assert_posted_from_the_site(posts, site)
    report.refresh_from_db()
    assert report.status == Status.IN_REVIEW
    assert list(report.evidence.values_list("original_name", flat=True)) == ["dust-on-roof.jpg"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_reporter_asks_to_withdraw_and_to_hide_their_name_and_sees_both_acknowledged(
    request, site, moderator, language, viewport
):
    report, path = report_with_a_question(moderator, language)
    page = a_page(request, viewport)
    posts = watch_form_posts(page)
    received = in_language(language, "Your request was sent to the moderators.")

    page.goto(site + path)
    for kind in ("withdraw", "hide_name"):
        page.locator(f"input[name=kind][value={kind}]").check()
        page.fill("#id_text", "x")  # a short note; the limits have tests of their own
        page.locator("form:has(input[name=form][value=request]) button[type=submit]").click()
        expect(page.locator("[role=status]")).to_contain_text(received)

    with translation.override(language):
        labels = [gettext("Withdraw my report"), gettext("Stop showing my name or organisation")]
    for label in labels:
        expect(page.locator("#open-requests")).to_contain_text(label)
    assert_posted_from_the_site(posts, site)
    assert sorted(ReporterRequest.objects.filter(report=report).values_list("kind", flat=True)) == [
        "hide_name",
        "withdraw",
    ]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_language_switcher_works_on_the_tracking_page(request, site, moderator, language, viewport):
    report, path = report_with_a_question(moderator, language)
    page = a_page(request, viewport)
    posts = watch_form_posts(page)

    page.goto(site + path)
    use_language_switcher(page, other_language(language))

    expect(page.locator("h1")).to_contain_text(report.reference)
    expect(page.locator("main")).to_contain_text(QUESTION[language])
    if posts:  # a switcher of plain links posts nothing
        assert_posted_from_the_site(posts, site)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_language_switcher_works_on_the_confirmation_page(request, site, language, viewport):
    page = a_page(request, viewport)
    posts = watch_form_posts(page)
    with translation.override(language):
        form_path = reverse("impacts:report_create")

    page.goto(site + form_path)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.fill("#id_site_name", "Quarry by the river")
    fill_required_fields(page, title="Orange smoke", description="Since Monday the smoke is orange.")
    submit_report_form(page)
    expect(page).to_have_url(re.compile(r"/report/sent/$"))
    report = ImpactReport.objects.get()
    expect(page.locator("main")).to_contain_text(report.reference)
    link = page.locator("#tracking-link").input_value()

    use_language_switcher(page, other_language(language))

    expect(page).to_have_url(re.compile(r"/report/sent/$"))
    # Switching language must not lose the link that is shown only after sending.
    expect(page.locator("#tracking-link")).to_have_value(link)
    assert_posted_from_the_site(posts, site)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_other_sites_never_learn_the_private_link(request, site, moderator, viewport):
    report, path = report_with_a_question(moderator, "en")
    page = a_page(request, viewport)
    outside = []

    def outside_site(route):
        outside.append(route.request.all_headers())
        route.fulfill(status=200, content_type="text/html", body="<title>elsewhere</title>")

    page.route(re.compile(r"^https://outside\.example/"), outside_site)
    response = page.goto(site + path)
    token = path.rstrip("/").rsplit("/", 1)[-1]

    assert response.headers["referrer-policy"] == "same-origin"
    for meta in page.locator("meta[name=referrer]").all():
        # Not "no-referrer": with it the page's own forms post `Origin: null` and are refused.
        assert meta.get_attribute("content") in ("same-origin", "strict-origin")
    # Every link to another host says rel="noreferrer", on top of the policy.
    host = urlsplit(site).netloc
    for link in page.locator("a[href]").all():
        href = link.get_attribute("href")
        if urlsplit(href).netloc not in ("", host):
            assert "noreferrer" in (link.get_attribute("rel") or ""), href

    # A link someone might add later without rel (the policy alone must hold), and an outside image.
    page.evaluate(
        """() => {
            const link = Object.assign(document.createElement('a'), {id: 'away', href: 'https://outside.example/x'});
            link.textContent = 'away';
            document.querySelector('main').append(link);
            document.querySelector('main').append(Object.assign(new Image(), {src: 'https://outside.example/i.png'}));
        }"""
    )
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.locator("#away").click()
    expect(page).to_have_url("https://outside.example/x")

    assert len(outside) == 2
    for headers in outside:
        assert token not in headers.get("referer", ""), headers
        assert "referer" not in headers, "same-origin sends no Referer to another site"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_reporter_who_lost_the_link_gets_it_by_email_and_answers(request, site, moderator, language, viewport):
    from django.core import mail

    report, _path = report_with_a_question(moderator, language)
    ImpactReport.objects.filter(pk=report.pk).update(contact_email="aigul@example.org")
    mail.outbox.clear()
    page = a_page(request, viewport)
    posts = watch_form_posts(page)
    with translation.override(language):
        lost_path = reverse("impacts:track_lost")
    answer = in_language(
        language,
        "If this address was given with a report, we have sent the links to it. "
        "Please check your e-mail, including the spam folder.",
    )

    page.goto(site + lost_path)
    page.fill("#id_email", "nobody@example.org")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[role=status]")).to_have_text(answer)
    page.fill("#id_email", "Aigul@example.org")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[role=status]")).to_have_text(answer)
    assert_posted_from_the_site(posts, site)

    (message,) = mail.outbox
    (link,) = re.findall(r"https?://\S+/track/(?!lost/)[\w-]+/", message.body)
    page.goto(site + urlsplit(link).path)
    expect(page.locator("h1")).to_contain_text(report.reference)
    page.fill("#id_answer", ANSWER[language])
    page.locator("form:has(input[name=form][value=answer]) button[type=submit]").click()
    expect(page.locator("[role=status]")).to_contain_text(
        in_language(language, "Thank you. Your answer was sent to the moderators.")
    )
    assert ImpactReport.objects.get(pk=report.pk).status == Status.IN_REVIEW
