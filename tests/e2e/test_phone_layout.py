"""On a phone (390 px wide) no public page is wider than the screen and no table hides columns
behind sideways scrolling, in Kazakh, Russian or English; the list pages show their first result
before the filters' fields."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from impacts.models import Status
from projects.models import Project
from tests.reports import make_report

pytestmark = pytest.mark.browser

LANGUAGES = ["kk", "ru", "en"]
# Long words and labels are what push a page sideways: a reference-like title with no spaces, the
# longest severity and the longest categories.
LONG_TITLE = "Қаражарлылардың_үйлерінің_шатырларына_түнде_түсетін_қара_шаңның_сынамалары_KZCN-2026-000123"


def public_pages(language: str) -> dict[str, str]:
    project = Project.objects.order_by("name_en").first()
    report = make_report(
        project=project,
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        severity=3,  # the longest label: "Serious: harm to health, property or nature"
        public_title=LONG_TITLE,
        public_description="Әр түнде зауыттан қара шаң ауылға түседі. " * 20,
        categories=["air", "health", "water"],
    )
    with translation.override(language):
        return {
            "home": reverse("projects:home"),
            "projects": reverse("projects:project_list"),
            "project": project.get_absolute_url(),
            "reports": reverse("impacts:report_list"),
            "report": report.get_absolute_url(),
            "map": reverse("impacts:map"),
            "stats": reverse("impacts:stats"),
            "report form": reverse("impacts:report_create"),
            "tracking page": reverse("impacts:track", args=[_token(report)]),
            "not found": f"/{language}/no-such-page/",
        }


def _token(report) -> str:
    token = report.issue_tracking_token()
    report.save()
    return token


def overflow(page) -> dict:
    """How far the page reaches beyond the screen, and which elements stick out."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest('.leaflet-container'))
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + '.' + String(el.className).split(' ').join('.'));
            // A table that scrolls sideways inside its box hides columns just the same.
            const scrolling = [...document.querySelectorAll('.table-responsive, table')]
                .filter(el => el.scrollWidth > el.clientWidth + 1).length;
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide, scrolling};
        }"""
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_public_page_is_wider_than_a_phone(phone_page, site, language):
    call_command("import_projects", verbosity=0)
    too_wide = {}
    for name, path in public_pages(language).items():
        phone_page.goto(site + path)
        expect(phone_page.locator("html")).to_have_attribute("lang", language)
        measured = overflow(phone_page)
        if measured["scrollWidth"] > measured["innerWidth"] or measured["scrolling"]:
            too_wide[name] = measured
    assert too_wide == {}, too_wide


@pytest.mark.parametrize("list_name", ["impacts:report_list", "projects:project_list"])
def test_on_a_phone_the_first_result_comes_before_the_filter_fields(phone_page, site, list_name):
    call_command("import_projects", verbosity=0)
    make_report(status=Status.PUBLISHED, published_at=timezone.now(), public_title="Black dust")
    with translation.override("kk"):
        url = reverse(list_name)

    phone_page.goto(f"{site}{url}?region=shymkent&sector=metallurgy")

    summary = phone_page.locator("details.filters > summary")
    expect(summary).to_be_visible()
    # Two filters chosen: the button says so, and the fields stay folded away.
    expect(summary).to_contain_text("2")
    expect(phone_page.locator("#id_region")).to_be_hidden()
    first_result = phone_page.locator("#results")
    assert first_result.bounding_box()["y"] < 844, "the results start below the first screen"

    summary.click()
    expect(phone_page.locator("#id_region")).to_be_visible()
    expect(phone_page.locator("#id_region")).to_have_value("shymkent")
