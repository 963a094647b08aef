"""A new user's first five minutes, with no dead end: they type the site's address, land on the home
page in their browser's language, press "Report an impact", fill the form (plain controls only),
keep the tracking link from the confirmation page, open it, switch language there and find their way
home. In Kazakh on a phone and in Russian on a desktop; and without JavaScript, where the form and
the list filters must still work."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from impacts.models import ImpactReport, Status
from tests.catalogue import make_project
from tests.reports import make_report

from .people import a_visitor, follow, in_language, shown_references, untranslated_texts
from .site_pages import fill_required_fields, open_filters, submit_report_form, write_evidence_files

pytestmark = pytest.mark.browser

PLANT = {"en": "Shieli cement plant", "ru": "Цементный завод Шиели", "kk": "Шиелі цемент зауыты"}
TITLE = {"kk": "Зауыттан қара түтін шығады", "ru": "Чёрный дым из трубы завода", "en": "Black smoke from the stack"}
DESCRIPTION = {
    "kk": "Кеше түнде зауыттан қара түтін шықты, ауылда жұтқыру қиын болды.",
    "ru": "Вчера ночью из трубы шёл чёрный дым, в посёлке было трудно дышать.",
    "en": "Last night black smoke came from the stack; it was hard to breathe in the village.",
}


@pytest.fixture
def plant(site):
    return make_project(
        name_en=PLANT["en"],
        name_ru=PLANT["ru"],
        name_kk=PLANT["kk"],
        region="kyzylorda",
        sector="construction_materials",
    )


def assert_page_in(page: Page, language: str) -> None:
    """The page speaks the visitor's language, with no English left in the site's own words."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_count(1)
    if language != "en":
        untranslated = untranslated_texts(page, [*TITLE.values(), *DESCRIPTION.values(), *PLANT.values()])
        assert untranslated == [], f"English left on a {language} page {page.url}"


def file_a_report(page: Page, language: str, *, photo=None) -> str:
    """Fill the report form about the plant and send it; returns the reference it was given."""
    with translation.override(language):
        page.select_option("#id_project", label=PLANT[language])
    fill_required_fields(page, title=TITLE[language], description=DESCRIPTION[language])
    if photo:
        page.set_input_files("#id_files", photo)
    submit_report_form(page)
    expect(page).to_have_url(re.compile(rf"/{language}/report/sent/$"))
    report = ImpactReport.objects.get(title=TITLE[language])
    assert report.status == Status.SUBMITTED
    assert report.project.name_en == PLANT["en"]
    return report.reference


def new_user_story(page: Page, site: str, first: str, then: str, *, photo=None) -> None:
    # The address typed bare: the browser's language decides.
    page.goto(site + "/")
    expect(page).to_have_url(f"{site}/{first}/")
    assert_page_in(page, first)

    page.locator(".report-cta").get_by_role("link", name=in_language(first, "Report an impact")).click()
    expect(page).to_have_url(f"{site}/{first}/report/")
    assert_page_in(page, first)
    reference = file_a_report(page, first, photo=photo)

    # The confirmation: the reference and the private link, in the same language.
    expect(page.locator("h1")).to_have_text(in_language(first, "Thank you: your report was received"))
    expect(page.locator("main")).to_contain_text(reference)
    link = page.locator("#tracking-link").input_value()
    assert re.fullmatch(rf"{re.escape(site)}/{first}/track/[\w-]+/", link), link
    assert_page_in(page, first)

    page.get_by_role("link", name=in_language(first, "Open the tracking page")).click()
    expect(page).to_have_url(link)
    expect(page.locator("h1")).to_contain_text(reference)
    with translation.override(first):
        submitted = str(Status.SUBMITTED.label)
    expect(page.locator("#status-heading + p .badge")).to_have_text(submitted)
    assert_page_in(page, first)

    # The header's switcher: the same tracking page in the other language.
    page.locator(f".language-switcher a[hreflang={then}]").click()
    expect(page).to_have_url(link.replace(f"/{first}/", f"/{then}/"))
    expect(page.locator("h1")).to_contain_text(reference)
    assert_page_in(page, then)

    # And home again, by the site's name in the header, still in the chosen language.
    page.locator(".navbar-brand").click()
    expect(page).to_have_url(f"{site}/{then}/")
    expect(page.locator(".report-cta")).to_be_visible()
    assert_page_in(page, then)


def test_a_new_resident_on_a_phone_in_kazakh_reports_with_a_photo_and_finds_the_report_again(
    browser, request, site, plant, tmp_path
):
    gallery = write_evidence_files(tmp_path / "gallery")
    with a_visitor(browser, request, site, "phone", locale="kk-KZ") as page:
        new_user_story(page, site, "kk", "ru", photo=gallery.gps_photo)
    assert ImpactReport.objects.get().evidence.count() == 1


def test_a_new_visitor_on_a_desktop_in_russian_reports_and_finds_the_report_again(browser, request, site, plant):
    with a_visitor(browser, request, site, "desktop", locale="ru-RU") as page:
        new_user_story(page, site, "ru", "en")


# Without JavaScript (switched off, blocked, or an old phone): nothing may depend on it.


def test_without_javascript_a_report_with_a_mistake_is_corrected_and_filed(browser, request, site, plant):
    with a_visitor(browser, request, site, "phone", javascript=False) as page:
        page.goto(f"{site}/en/report/")
        page.select_option("#id_project", label=PLANT["en"])
        fill_required_fields(page, title=TITLE["en"], description=DESCRIPTION["en"])
        page.fill("#id_title", "")  # forgotten
        submit_report_form(page)

        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        expect(summary.get_by_role("link", name="Title")).to_have_attribute("href", "#id_title")
        # Nothing typed is lost.
        expect(page.locator("#id_description")).to_have_value(DESCRIPTION["en"])
        expect(page.locator("#id_project option:checked")).to_have_text(PLANT["en"])
        expect(page.locator("#id_consent_privacy")).to_be_checked()

        page.fill("#id_title", TITLE["en"])
        submit_report_form(page)
        expect(page).to_have_url(re.compile(r"/en/report/sent/$"))
        expect(page.locator("#tracking-link")).to_have_value(re.compile(r"/en/track/[\w-]+/$"))
    assert ImpactReport.objects.get().title == TITLE["en"]


@pytest.mark.parametrize(("language", "viewport"), [("ru", "desktop"), ("kk", "phone")])
def test_without_javascript_the_report_filters_still_work(browser, request, site, plant, language, viewport):
    smoke = make_report(status=Status.PUBLISHED, project=plant, title=TITLE[language], language=language)
    make_report(
        status=Status.PUBLISHED, project=plant, title="Dust on the road", primary_category="noise", categories=["noise"]
    )
    make_report(status=Status.IN_REVIEW, project=plant, title=f"{TITLE[language]} (unpublished)", language=language)
    with a_visitor(browser, request, site, viewport, javascript=False) as page:
        page.goto(f"{site}/{language}/reports/")
        expect(page.locator("#results")).to_contain_text("2")
        open_filters(page)  # a <details>: it opens without JavaScript
        page.fill("#id_q", TITLE[language].split()[1].upper())
        page.select_option("#id_category", "air")
        follow(page, page.locator("details.filters button[type=submit]"))

        assert shown_references(page) == [smoke.reference]
        expect(page.locator("#id_category")).to_have_value("air")
        assert_page_in(page, language)
