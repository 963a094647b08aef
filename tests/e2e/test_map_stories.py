"""A resident opens the map on a phone or a desktop, in Kazakh, Russian or English, with no tile server
(the default): the map draws Kazakhstan's outline and its towns from the site's own files, the plants
whose coordinates a source states, and the published reports grouped by the server; a group opens
by zooming in, a lone report opens its page. Nothing is fetched from another host, no tile at all."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from impacts.models import Status
from tests.catalogue import make_project
from tests.reports import make_report

from .people import a_visitor, in_language, untranslated_texts
from .site_pages import describe_violations, run_axe

pytestmark = pytest.mark.browser

TILE_REQUEST = re.compile(r"/\d+/\d+/\d+\.(png|jpg|jpeg|webp)")


class Places:
    """Two plants with sourced coordinates, one known only by its town, and published reports around."""

    def __init__(self):
        self.cement = make_project(
            name_en="Shieli cement plant",
            name_ru="Цементный завод Шиели",
            name_kk="Шиелі цемент зауыты",
            sector="construction_materials",
            status="launched",
            region="kyzylorda",
            settlement="Shieli",
            latitude=Decimal("44.166700"),
            longitude=Decimal("66.750000"),
            coordinates_source_url="http://localhost/source-of-shieli",
        )
        self.smelter = make_project(
            name_en="Pavlodar aluminium smelter",
            name_ru="Павлодарский алюминиевый завод",
            name_kk="Павлодар алюминий зауыты",
            sector="metallurgy",
            status="in_progress",
            region="pavlodar",
            latitude=Decimal("52.287000"),
            longitude=Decimal("76.967000"),
            coordinates_source_url="http://localhost/source-of-pavlodar",
        )
        self.steel = make_project(
            name_en="Temirtau steel works",
            name_ru="Темиртауский металлургический завод",
            name_kk="Теміртау болат зауыты",
            sector="metallurgy",
            region="karaganda",
            settlement="Temirtau",
        )
        self.near_shieli = [
            published(
                project=self.cement,
                title=f"Шаң түнде {n}",
                latitude=Decimal(f"44.1{n}123"),
                longitude=Decimal(f"66.7{n}987"),
            )
            for n in range(3)
        ]
        self.lone = published(
            project=self.smelter,
            title="Red dust over the yards",
            latitude=Decimal("52.30123"),
            longitude=Decimal("76.95987"),
        )
        self.secret = make_report(
            status=Status.SUBMITTED,
            project=self.cement,
            title="Not yet checked",
            latitude=Decimal("44.15"),
            longitude=Decimal("66.76"),
        )

    @property
    def written_by_people(self) -> list[str]:
        reports = [*self.near_shieli, self.lone]
        return (
            [r.public_title for r in reports]
            + [p.name_en for p in (self.cement, self.smelter, self.steel)]
            + ["Shieli", "Temirtau"]
        )


def published(**kw):
    return make_report(
        status=Status.PUBLISHED, published_at=timezone.now(), observed_on=datetime.date(2026, 10, 1), **kw
    )


@pytest.fixture
def places(site, settings) -> Places:
    settings.KZCN_MAP_TILE_URL = ""  # the default: no tile server
    return Places()


def watch_tiles(page: Page) -> list[str]:
    asked = []
    page.on("request", lambda request: asked.append(request.url) if TILE_REQUEST.search(request.url) else None)
    return asked


def assert_base_layer_drawn(page: Page, language: str) -> None:
    expect(page.locator("#report-map path.base-kazakhstan").first).to_be_visible()
    expect(page.locator("#report-map path.base-nearby").first).to_be_attached()
    almaty = {"kk": "Алматы", "ru": "Алматы", "en": "Almaty"}[language]
    expect(page.locator("#report-map .town-label", has_text=almaty)).to_be_visible()
    expect(page.locator("#report-map .leaflet-control-attribution")).to_contain_text("GeoNames (CC BY 4.0)")


def assert_in_the_language(page: Page, language: str, places: Places) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    if language != "en":
        untranslated = untranslated_texts(page, places.written_by_people)
        assert not untranslated, f"English on the {language} map: {untranslated}"


@pytest.mark.parametrize(
    ("language", "viewport"), [("kk", "phone"), ("ru", "desktop"), ("en", "phone"), ("en", "desktop")]
)
def test_a_resident_sees_the_plants_and_grouped_reports_on_a_map_drawn_without_any_tile_server(
    browser, request, site, places, language, viewport
):
    with a_visitor(browser, request, site, viewport) as page:
        tiles = watch_tiles(page)
        page.goto(f"{site}/{language}/map/")

        assert_base_layer_drawn(page, language)
        plants = page.locator("#report-map .plant-marker")
        expect(plants).to_have_count(2)
        expect(page.locator("#report-map .plant-marker.status-launched.sector-construction_materials")).to_have_count(1)
        expect(page.locator("#report-map .plant-marker.status-in_progress.sector-metallurgy")).to_have_count(1)
        # The three reports by Shieli make one group; the one by Pavlodar stands alone.
        expect(page.locator("#report-map .report-cluster")).to_have_text("3")
        expect(page.locator("#report-map .report-point")).to_have_count(1)
        legend = page.locator(".map-legend")
        expect(legend).to_be_visible()
        expect(legend).to_contain_text(in_language(language, "Construction materials"))
        # The plant known only by its town is named beside the map, not drawn.
        expect(page.locator("#unmapped-plants")).to_contain_text("Temirtau")
        assert "Not yet checked" not in page.content()
        assert tiles == [], f"tiles were requested: {tiles}"
        assert_in_the_language(page, language, places)


def test_a_group_opens_by_zooming_in_and_a_lone_report_opens_its_page(browser, request, site, places):
    with a_visitor(browser, request, site, "desktop") as page:
        page.goto(f"{site}/en/map/")
        cluster = page.locator("#report-map .report-cluster")
        expect(cluster).to_have_text("3")

        zoom_before = int(
            re.search(r"zoom=(\d+)", page.locator("#report-map").get_attribute("data-points-url") + "&zoom=0").group(1)
        )
        with page.expect_response(lambda response: "points.json" in response.url) as answer:
            cluster.click()
        zoom_after = int(re.search(r"zoom=(\d+)", answer.value.url).group(1))
        assert zoom_after > zoom_before

        page.goto(f"{site}/en/map/")
        page.locator("#report-map .report-point").click()
        popup = page.locator(".leaflet-popup-content")
        expect(popup).to_contain_text(places.lone.reference)
        popup.get_by_role("link", name="Red dust over the yards").click()
        expect(page.locator("h1")).to_have_text("Red dust over the yards")


def test_a_plants_marker_says_what_it_is_and_where_its_coordinates_come_from(browser, request, site, places):
    with a_visitor(browser, request, site, "phone") as page:
        page.goto(f"{site}/en/map/")
        page.locator("#report-map .plant-marker.sector-metallurgy").click()
        popup = page.locator(".leaflet-popup-content")
        expect(popup).to_contain_text("Pavlodar aluminium smelter")
        expect(popup).to_contain_text("Metallurgy · In progress")
        expect(popup.get_by_role("link", name="source of the coordinates")).to_have_attribute(
            "href", "http://localhost/source-of-pavlodar"
        )


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_project_page_shows_the_plant_and_the_reports_around_it(browser, request, site, places, language):
    with a_visitor(browser, request, site, "phone") as page:
        tiles = watch_tiles(page)
        page.goto(f"{site}/{language}/projects/{places.cement.slug}/")

        assert_base_layer_drawn(page, language)
        expect(page.locator("#report-map .plant-marker")).to_have_count(1)
        # Zoomed in around the plant, the three reports are told apart or grouped, but all there.
        counts = page.locator("#report-map .report-cluster, #report-map .report-point")
        expect(counts.first).to_be_visible()
        expect(page.locator("#report-map")).to_have_attribute("data-reports-shown", "3")
        assert tiles == []
        assert_in_the_language(page, language, places)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_home_page_shows_the_map_after_the_first_screen_and_before_the_latest_reports(
    browser, request, site, places, language
):
    with a_visitor(browser, request, site, "phone") as page:
        page.goto(f"{site}/{language}/")

        expect(page.locator("#report-map .plant-marker")).to_have_count(2)
        expect(page.locator("#report-map")).to_have_attribute("data-reports-shown", "4")
        map_top = page.locator("#report-map").bounding_box()["y"]
        assert page.locator(".report-cta").bounding_box()["y"] < map_top
        assert map_top < page.locator("#latest-heading").bounding_box()["y"]
        assert_in_the_language(page, language, places)


def test_without_javascript_the_map_page_lists_everything_the_map_shows(browser, request, site, places):
    with a_visitor(browser, request, site, "phone", javascript=False) as page:
        page.goto(f"{site}/en/map/?sector=metallurgy")

        expect(page.locator("#mapped-plants li")).to_have_count(1)
        expect(page.locator("#mapped-plants")).to_contain_text("Pavlodar aluminium smelter")
        expect(page.locator("#mapped-plants")).to_contain_text("52.287000, 76.967000")
        expect(page.locator("#unmapped-plants")).to_contain_text(
            "located in Temirtau, Karaganda region; no sourced coordinates"
        )
        expect(page.locator("#mapped-reports li")).to_have_count(1)
        expect(page.locator(".map-legend")).to_be_hidden()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_maps_have_no_serious_accessibility_violations(page, site, places, language):
    problems = {}
    for url in (f"/{language}/map/", f"/{language}/", f"/{language}/projects/{places.cement.slug}/"):
        page.goto(site + url)
        expect(page.locator("#report-map .plant-marker").first).to_be_visible()
        expect(page.locator("#report-map .report-cluster, #report-map .report-point").first).to_be_visible()
        if violations := run_axe(page):
            problems[url] = violations
    text = "\n\n".join(describe_violations(url, found) for url, found in problems.items())
    assert not problems, text
