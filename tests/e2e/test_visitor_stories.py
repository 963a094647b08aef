"""A public visitor browses the published reports and the project catalogue in a real Chromium, in
Kazakh, Russian and English, on a phone and a desktop: searches (Cyrillic typed in another case than
stored), filters, sorts, clears, pages to page 2 and back, opens the map of a filtered list and
downloads it as CSV, and follows broken links. Only published reports ever appear, every outcome is
what the person sees on the page, nothing leaves the machine and no page breaks."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from impacts.models import ImpactReport, Status
from tests.catalogue import add_company, make_project
from tests.reports import make_report

from .people import (
    a_visitor,
    download_csv,
    follow,
    in_language,
    shown_references,
    shown_titles,
    tile_url,
    untranslated_texts,
)
from .site_pages import open_filters

pytestmark = pytest.mark.browser

UNPUBLISHED = [Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO, Status.REJECTED, Status.WITHDRAWN, Status.SPAM]
PAVLODAR_REPORTS = 23  # more than one page (20 a page)
MACHINERY_PROJECTS = 21


class Record:
    """The published record a visitor browses, made with the ORM (see `record`)."""

    def __init__(self):
        self.shieli = make_project(
            name_en="Shieli cement plant",
            name_ru="Цементный завод Шиели",
            name_kk="Шиелі цемент зауыты",
            sector="construction_materials",
            region="kyzylorda",
            status="launched",
            cost_usd_million=300,
            start_year=2018,
        )
        add_company(self.shieli, "China CAMC Engineering")
        self.smelter = make_project(
            name_en="Pavlodar aluminium smelter",
            name_ru="Павлодарский алюминиевый завод",
            name_kk="Павлодар алюминий зауыты",
            sector="metallurgy",
            region="pavlodar",
            status="in_progress",
            cost_usd_million=1200,
            start_year=2020,
        )
        self.machinery = [
            make_project(
                name_en=f"Machine works {n:02d}",
                name_ru=f"Машиностроительный завод {n:02d}",
                name_kk=f"Машина жасау зауыты {n:02d}",
                sector="machinery",
                region="almaty",
                status="launched",
                cost_usd_million=10 + n,
            )
            for n in range(1, MACHINERY_PROJECTS + 1)
        ]
        # Stored in lower case; visitors type it in capitals.
        self.dust_storm = published(
            project=self.shieli,
            region="kyzylorda",
            title="Ауылды шаңтозаң басты",
            description="Түнде шаңтозаң түседі, терезе ашуға болмайды.",
            observed_on=datetime.date(2026, 10, 5),
            latitude=Decimal("44.16123"),
            longitude=Decimal("66.74987"),
            severity=3,
        )
        self.river_smell = published(
            project=self.shieli,
            region="kyzylorda",
            title="Запах сероводорода у реки",
            primary_category="water",
            categories=["water"],
            description="Река пахнет тухлыми яйцами.",
            observed_on=datetime.date(2026, 9, 20),
            latitude=Decimal("44.20456"),
            longitude=Decimal("66.70123"),
            severity=4,
            language="ru",
        )
        self.unmapped = published(
            site_name="Quarry by the road",
            region="kyzylorda",
            title="Blasting cracks the walls",
            primary_category="noise",
            categories=["noise"],
            observed_on=datetime.date(2026, 9, 25),
            severity=2,
            language="en",
        )
        self.pavlodar = [
            published(
                project=self.smelter,
                region="pavlodar",
                title=f"Red dust over Pavlodar, night {n:02d}",
                observed_on=datetime.date(2026, 7, 1) + datetime.timedelta(days=n),
                latitude=Decimal("52.28"),
                longitude=Decimal("76.95"),
            )
            for n in range(1, PAVLODAR_REPORTS + 1)
        ]
        # The same words, never published: they must not appear in any list, map or file.
        self.unpublished = [
            make_report(
                status=status,
                project=self.shieli,
                region="kyzylorda",
                title=f"Шаңтозаң тағы да ({status}) сероводорода",
                observed_on=datetime.date(2026, 10, 6),
                latitude=Decimal("44.1"),
                longitude=Decimal("66.7"),
            )
            for status in UNPUBLISHED
        ]

    @property
    def all_published(self) -> list[ImpactReport]:
        return [self.dust_storm, self.river_smell, self.unmapped, *self.pavlodar]

    @property
    def written_by_people(self) -> list[str]:
        """Titles, texts and names as their authors wrote them (not the site's words to translate)."""
        reports = [*self.all_published, *self.unpublished]
        projects = [self.shieli, self.smelter, *self.machinery]
        return (
            [r.public_title for r in reports]
            + [r.public_description for r in reports]
            + [r.public_site_name for r in reports]
            + [p.name_en for p in projects]
            + ["China CAMC Engineering"]
        )

    @property
    def unpublished_references(self) -> set[str]:
        return {report.reference for report in self.unpublished}


def published(**kw) -> ImpactReport:
    return make_report(status=Status.PUBLISHED, published_at=timezone.now(), **kw)


@pytest.fixture
def record(site, settings) -> Record:
    settings.KZCN_MAP_TILE_URL = tile_url()
    return Record()


def filters_form(page: Page):
    return page.locator("details.filters form")


def show_results(page: Page) -> None:
    """Press the filter form's button, as a person does after choosing."""
    follow(page, filters_form(page).locator("button[type=submit]"))


def assert_results(page: Page, references: list[str]) -> None:
    """The list shows these reports (in this order) and its heading counts them."""
    assert shown_references(page) == references
    expect(page.locator("#results")).to_contain_text(str(len(references)))


def assert_no_unpublished(page: Page, record: Record) -> None:
    assert not set(shown_references(page)) & record.unpublished_references
    expect(page.locator("main")).not_to_contain_text("Шаңтозаң тағы да")


def assert_in_the_language(page: Page, language: str, record: Record) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    if language != "en":
        untranslated = untranslated_texts(page, record.written_by_people)
        assert untranslated == [], f"English left on a {language} page {page.url}"


# The report list: search, filters, sorting, clearing.


def test_resident_finds_the_dust_storm_report_typing_its_word_in_capitals_on_a_phone_in_kazakh(
    browser, request, site, record
):
    with a_visitor(browser, request, site, "phone") as page:
        page.goto(f"{site}/kk/reports/")
        assert_in_the_language(page, "kk", record)
        open_filters(page)
        page.fill("#id_q", "ШАҢТОЗАҢ")
        show_results(page)

        assert_results(page, [record.dust_storm.reference])
        assert_no_unpublished(page, record)
        expect(page.locator("#id_q")).to_have_value("ШАҢТОЗАҢ")  # the form keeps what was typed

        # The result opens, and the way back leads to the same search.
        page.get_by_role("link", name="Ауылды шаңтозаң басты").click()
        expect(page.locator("h1")).to_contain_text("Ауылды шаңтозаң басты")
        assert_in_the_language(page, "kk", record)
        page.go_back()
        expect(page.locator("#id_q")).to_have_value("ШАҢТОЗАҢ")

        # Narrowed further: the impact "water" leaves nothing, and the page says so in Kazakh.
        open_filters(page)
        page.select_option("#id_category", "water")
        show_results(page)
        assert shown_references(page) == []
        expect(page.locator("main .alert-info")).to_contain_text(
            in_language("kk", "No published reports match these filters.")
        )
        expect(page.locator("#id_category")).to_have_value("water")
        assert_in_the_language(page, "kk", record)

        # "Clear the filters" brings every published report back, and an empty form.
        page.get_by_role("link", name=in_language("kk", "Clear the filters and show all reports")).click()
        expect(page.locator("#results")).to_contain_text(str(len(record.all_published)))
        open_filters(page)
        expect(page.locator("#id_q")).to_have_value("")
        expect(page.locator("#id_category")).to_have_value("")


def test_journalist_narrows_reports_by_region_dates_and_sorts_them_on_a_desktop_in_russian(
    browser, request, site, record
):
    with a_visitor(browser, request, site, "desktop") as page:
        page.goto(f"{site}/ru/reports/")
        open_filters(page)
        page.select_option("#id_region", "kyzylorda")
        page.fill("#id_observed_from", "2026-09-21")
        page.fill("#id_observed_to", "2026-10-31")
        page.select_option("#id_ordering", "oldest")
        show_results(page)

        # 20 September is before the range; the unpublished ones of 6 October never show.
        assert_results(page, [record.unmapped.reference, record.dust_storm.reference])
        expect(page.locator("#id_observed_from")).to_have_value("2026-09-21")
        expect(page.locator("#id_observed_to")).to_have_value("2026-10-31")
        expect(page.locator("#id_ordering")).to_have_value("oldest")
        assert_in_the_language(page, "ru", record)

        # The most serious first, over the whole region; then the Russian word typed in capitals.
        open_filters(page)
        page.fill("#id_observed_from", "")
        page.select_option("#id_ordering", "severity")
        show_results(page)
        assert_results(page, [record.river_smell.reference, record.dust_storm.reference, record.unmapped.reference])
        open_filters(page)
        page.fill("#id_q", "СЕРОВОДОРОДА")
        show_results(page)
        assert_results(page, [record.river_smell.reference])
        assert_no_unpublished(page, record)

        open_filters(page)
        page.locator("details.filters").get_by_role("link", name=in_language("ru", "Clear filters")).click()
        expect(page.locator("#results")).to_contain_text(str(len(record.all_published)))
        expect(page.locator("details.filters summary .badge")).to_have_count(0)


def test_the_filter_button_counts_only_the_choices_the_visitor_made(browser, request, site, record):
    with a_visitor(browser, request, site, "phone") as page:
        page.goto(f"{site}/en/reports/")
        open_filters(page)
        page.fill("#id_q", "dust")
        show_results(page)
        expect(page.locator("details.filters summary .badge")).to_have_text("1 chosen", timeout=2_000)


@pytest.mark.parametrize(("language", "viewport"), [("en", "phone"), ("kk", "desktop")])
def test_visitor_pages_to_page_two_and_back_with_the_filters_kept(browser, request, site, record, language, viewport):
    with a_visitor(browser, request, site, viewport) as page:
        page.goto(f"{site}/{language}/reports/")
        open_filters(page)
        page.select_option("#id_region", "pavlodar")
        show_results(page)
        first_page = shown_references(page)
        assert len(first_page) == 20
        expect(page.locator("#results")).to_contain_text(str(PAVLODAR_REPORTS))

        follow(page, page.get_by_role("link", name=in_language(language, "Next")))
        expect(page.locator(".pagination [aria-current=page]")).to_have_text("2")
        second_page = shown_references(page)
        assert len(second_page) == PAVLODAR_REPORTS - 20
        assert not set(first_page) & set(second_page)
        expect(page.locator("#id_region")).to_have_value("pavlodar")
        expect(page.locator("#results")).to_contain_text(str(PAVLODAR_REPORTS))

        follow(page, page.get_by_role("link", name=in_language(language, "Previous")))
        assert shown_references(page) == first_page
        expect(page.locator("#id_region")).to_have_value("pavlodar")
        assert_in_the_language(page, language, record)

        # A link to a page past the end (the list shrank since it was shared) shows the last one.
        page.goto(f"{site}/{language}/reports/?region=pavlodar&page=99")
        assert shown_references(page) == second_page


@pytest.mark.parametrize(("language", "viewport"), [("en", "desktop"), ("ru", "phone")])
def test_the_csv_of_a_filtered_list_holds_exactly_the_reports_the_page_shows(
    browser, request, site, record, language, viewport
):
    with a_visitor(browser, request, site, viewport) as page:
        page.goto(f"{site}/{language}/reports/")
        open_filters(page)
        page.select_option("#id_region", "kyzylorda")
        page.select_option("#id_ordering", "oldest")
        show_results(page)
        on_the_page = shown_references(page)
        assert len(on_the_page) == 3

        rows = download_csv(page, page.get_by_role("link", name=in_language(language, "CSV"), exact=True))

        assert [row["reference"] for row in rows] == on_the_page
        assert [row["public_title"] for row in rows] == shown_titles(page)
        assert {row["region"] for row in rows} == {"kyzylorda"}
        assert not {row["reference"] for row in rows} & record.unpublished_references


# The map of a filtered list.


@pytest.mark.parametrize(("language", "viewport"), [("kk", "desktop"), ("ru", "phone"), ("en", "phone")])
def test_visitor_opens_a_filtered_list_on_the_map_and_comes_back_to_change_the_filters(
    browser, request, site, record, language, viewport
):
    with a_visitor(browser, request, site, viewport) as page:
        page.goto(f"{site}/{language}/reports/")
        open_filters(page)
        page.select_option("#id_region", "kyzylorda")
        show_results(page)

        page.get_by_role("link", name=in_language(language, "Show on a map")).click()
        expect(page.locator("h1")).to_have_text(in_language(language, "Map of published reports"))
        # Only the filtered reports that have a public location, and never an unpublished one.
        mapped = page.locator("#mapped-reports li")
        expect(mapped).to_have_count(2)
        listed = " ".join(mapped.all_inner_texts())
        for report in (record.dust_storm, record.river_smell):
            assert report.reference in listed
        assert record.unmapped.reference not in listed
        assert not any(reference in listed for reference in record.unpublished_references)
        # The location shown is the rounded one, never the exact one.
        assert re.search(r"44[.,]16", listed) and not re.search(r"44[.,]16123", listed)
        # The two points, drawn as one group (they are 5 km apart; the server clusters them).
        expect(page.locator("#report-map .report-cluster")).to_have_text("2")
        assert_in_the_language(page, language, record)

        page.get_by_role("link", name=in_language(language, "Change the filters")).click()
        expect(page.locator("#id_region")).to_have_value("kyzylorda")
        expect(page.locator("#results")).to_contain_text("3")


# Broken links: a mistyped date, a page that is not a number, a choice that does not exist.


@pytest.mark.parametrize(("language", "viewport"), [("kk", "phone"), ("ru", "desktop"), ("en", "phone")])
def test_a_broken_report_list_link_says_what_was_left_out_and_still_lists_reports(
    browser, request, site, record, language, viewport
):
    with a_visitor(browser, request, site, viewport) as page:
        response = page.goto(
            f"{site}/{language}/reports/?observed_from=notadate&category=smog&ordering=best&page=x&region=kyzylorda"
        )
        assert response.status == 200

        # The filters open by themselves, with a warning and each field's own message.
        expect(page.locator("details.filters")).to_have_attribute("open", "")
        expect(filters_form(page).locator("[role=status]")).to_have_text(
            in_language(
                language,
                "Some filters could not be understood and were left out. Please check the fields marked below.",
            )
        )
        expect(filters_form(page)).to_contain_text(in_language(language, "Enter a valid date."))
        expect(filters_form(page).locator(".invalid-feedback")).to_have_count(3)
        # What could be understood still applies: the region; the page is the first.
        kyzylorda = sorted(r.reference for r in (record.dust_storm, record.river_smell, record.unmapped))
        assert sorted(shown_references(page)) == kyzylorda
        assert_in_the_language(page, language, record)

        # Its CSV link carries the same query, and the file holds the same reports.
        rows = download_csv(page, page.get_by_role("link", name=in_language(language, "CSV"), exact=True))
        assert sorted(row["reference"] for row in rows) == kyzylorda


@pytest.mark.parametrize(("language", "viewport"), [("kk", "desktop"), ("ru", "phone"), ("en", "desktop")])
def test_a_broken_map_link_still_shows_the_map_of_what_could_be_understood(
    browser, request, site, record, language, viewport
):
    with a_visitor(browser, request, site, viewport) as page:
        response = page.goto(f"{site}/{language}/map/?observed_from=notadate&region=kyzylorda&page=x&severity=9")
        assert response.status == 200
        expect(page.locator("h1")).to_have_text(in_language(language, "Map of published reports"))
        expect(page.locator("#mapped-reports li")).to_have_count(2)  # the region still applies
        assert_in_the_language(page, language, record)


def test_a_broken_map_link_says_what_was_left_out(browser, request, site, record):
    with a_visitor(browser, request, site, "desktop") as page:
        page.goto(f"{site}/en/map/?observed_from=notadate&region=kyzylorda")
        expect(page.locator("main")).to_contain_text(
            "Some filters could not be understood and were left out.", timeout=2_000
        )


# The project catalogue: search, filters, sorting, paging, broken links.


def test_visitor_searches_the_catalogue_in_russian_capitals_and_sorts_by_cost_on_a_desktop(
    browser, request, site, record
):
    with a_visitor(browser, request, site, "desktop") as page:
        page.goto(f"{site}/ru/projects/")
        open_filters(page)
        page.fill("#id_q", "ЦЕМЕНТНЫЙ")
        show_results(page)
        assert shown_titles(page) == ["Цементный завод Шиели"]
        expect(page.locator("#id_q")).to_have_value("ЦЕМЕНТНЫЙ")

        # By a company's name, in other letters' case.
        open_filters(page)
        page.fill("#id_q", "")
        page.fill("#id_company", "camc")
        show_results(page)
        assert shown_titles(page) == ["Цементный завод Шиели"]

        # The two big plants, most expensive first.
        open_filters(page)
        page.fill("#id_company", "")
        page.fill("#id_cost_min", "100")
        page.select_option("#id_ordering", "-cost")
        show_results(page)
        assert shown_titles(page) == ["Павлодарский алюминиевый завод", "Цементный завод Шиели"]
        expect(page.locator("#id_cost_min")).to_have_value("100")
        assert_in_the_language(page, "ru", record)

        open_filters(page)
        page.locator("details.filters").get_by_role("link", name=in_language("ru", "Clear filters")).click()
        expect(page.locator("#results")).to_contain_text(str(2 + MACHINERY_PROJECTS))


def test_visitor_finds_a_project_by_its_kazakh_name_and_pages_a_sector_on_a_phone(browser, request, site, record):
    with a_visitor(browser, request, site, "phone") as page:
        page.goto(f"{site}/kk/projects/")
        open_filters(page)
        page.fill("#id_q", "ШИЕЛІ")
        show_results(page)
        assert shown_titles(page) == ["Шиелі цемент зауыты"]

        open_filters(page)
        page.fill("#id_q", "")
        page.select_option("#id_sector", "machinery")
        page.select_option("#id_ordering", "-name")
        show_results(page)
        first_page = shown_titles(page)
        assert first_page[0] == f"Машина жасау зауыты {MACHINERY_PROJECTS:02d}"
        assert len(first_page) == 20
        follow(page, page.get_by_role("link", name=in_language("kk", "Next")))
        assert shown_titles(page) == ["Машина жасау зауыты 01"]
        expect(page.locator("#id_sector")).to_have_value("machinery")
        expect(page.locator("#id_ordering")).to_have_value("-name")
        follow(page, page.get_by_role("link", name=in_language("kk", "Previous")))
        assert shown_titles(page) == first_page
        assert_in_the_language(page, "kk", record)

        # A sector with nothing in it says so, and offers the way back.
        open_filters(page)
        page.select_option("#id_sector", "healthcare")
        show_results(page)
        expect(page.locator("main .alert-info")).to_contain_text(in_language("kk", "No projects match these filters."))
        page.get_by_role("link", name=in_language("kk", "Clear the filters and show all projects")).click()
        expect(page.locator("#results")).to_contain_text(str(2 + MACHINERY_PROJECTS))


@pytest.mark.parametrize(("language", "viewport"), [("en", "phone"), ("kk", "desktop"), ("ru", "phone")])
def test_a_broken_catalogue_link_says_what_was_left_out(browser, request, site, record, language, viewport):
    with a_visitor(browser, request, site, viewport) as page:
        response = page.goto(f"{site}/{language}/projects/?cost_min=lots&sector=mining&page=x&region=pavlodar")
        assert response.status == 200
        expect(page.locator("details.filters")).to_have_attribute("open", "")
        expect(filters_form(page).locator("[role=status]")).to_be_visible()
        expect(filters_form(page).locator(".invalid-feedback")).to_have_count(2)
        assert shown_titles(page) == [
            record.smelter.name_en if language == "en" else getattr(record.smelter, f"name_{language}")
        ]
        assert_in_the_language(page, language, record)


# The other form a visitor sends: a missing project, suggested from the home page.

MISSING_PLANT = {"ru": "Завод ферросплавов в Экибастузе", "en": "Ekibastuz ferroalloy plant"}


@pytest.mark.parametrize(("language", "viewport"), [("ru", "desktop"), ("en", "phone")])
def test_visitor_suggests_a_missing_project_fixes_a_forgotten_source_and_is_thanked(
    browser, request, site, record, language, viewport
):
    from projects.models import Suggestion

    with a_visitor(browser, request, site, viewport) as page:
        page.goto(f"{site}/{language}/")
        page.locator("a[href$='/projects/suggest/']").first.click()
        expect(page).to_have_url(f"{site}/{language}/projects/suggest/")
        page.locator("input[name=kind][value=new_project]").check()
        page.fill("#id_project_name", MISSING_PLANT[language])
        page.fill("#id_details", "2019 · 120 MW")
        page.locator("form.suggestion-form button[type=submit]").click()

        # The source was forgotten: said at the top, with a link to the field; nothing typed is lost.
        expect(page.locator("#error-summary a[href='#id_source_url']")).to_be_visible()
        expect(page.locator("#id_project_name")).to_have_value(MISSING_PLANT[language])
        expect(page.locator("input[name=kind][value=new_project]")).to_be_checked()
        assert_in_the_language(page, language, record)
        page.fill("#id_source_url", "https://example.org/ekibastuz")
        page.locator("form.suggestion-form button[type=submit]").click()

        expect(page).to_have_url(f"{site}/{language}/projects/suggest/sent/")
        expect(page.locator("h1")).to_have_text(in_language(language, "Thank you: the editors have your suggestion"))
        assert_in_the_language(page, language, record)
        page.get_by_role("link", name=in_language(language, "Back to the projects")).click()
        expect(page.locator("main")).not_to_contain_text(MISSING_PLANT[language])  # not public before an editor
    assert Suggestion.objects.get().project_name == MISSING_PLANT[language]
