"""The map page, the home page's map and each project's map, as a visitor without JavaScript reads them:
the plants with sourced coordinates, the plants known only by their town (never a made-up point), the
reports, filters through the address, and an offline base layer shipped with the site and its licences."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from impacts.models import Status
from projects.models import Project
from tests.catalogue import make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db

MAP = reverse("impacts:map")
VENDOR = Path(django_settings.BASE_DIR) / "static" / "vendor"


def published(**kw):
    return make_report(status=Status.PUBLISHED, published_at=timezone.now(), **kw)


@pytest.fixture
def plants() -> dict[str, Project]:
    return {
        "cement": make_project(
            name_en="Shieli cement plant",
            sector="construction_materials",
            status="launched",
            region="kyzylorda",
            settlement="Shieli",
            latitude=Decimal("44.166700"),
            longitude=Decimal("66.750000"),
            coordinates_source_url="https://example.org/shieli-cement",
        ),
        "power": make_project(
            name_en="Ekibastuz power unit",
            sector="power",
            status="in_progress",
            region="pavlodar",
            latitude=Decimal("51.723000"),
            longitude=Decimal("75.322000"),
            coordinates_source_url="https://example.org/ekibastuz",
        ),
        "steel": make_project(
            name_en="Karaganda steel works",
            sector="metallurgy",
            status="launched",
            region="karaganda",
            settlement="Temirtau",
        ),
        "glass": make_project(
            name_en="Kyzylorda glass factory",
            sector="construction_materials",
            status="in_progress",
            region="kyzylorda",
            settlement="",
        ),
    }


def page(client, **query) -> str:
    response = client.get(MAP, query)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<ul id="{element_id}">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def test_without_javascript_the_page_lists_the_plants_with_their_sourced_coordinates(client, plants):
    html = page(client)

    mapped = section(html, "mapped-plants")
    assert "Shieli cement plant" in mapped and "Ekibastuz power unit" in mapped
    assert "44.166700, 66.750000" in mapped
    assert 'href="https://example.org/shieli-cement"' in mapped
    assert 'data-plant-lat="44.166700" data-plant-lon="66.750000"' in mapped


def test_plants_known_only_by_their_town_are_listed_beside_the_map_and_never_given_a_point(client, plants):
    html = page(client)

    unmapped = " ".join(section(html, "unmapped-plants").split())
    assert "Karaganda steel works" in unmapped
    assert "located in Temirtau, Karaganda region; no sourced coordinates" in unmapped
    assert "located in Kyzylorda region; no sourced coordinates" in unmapped
    assert "data-plant-lat" not in unmapped
    assert "Karaganda steel works" not in section(html, "mapped-plants")


def test_sector_and_status_choose_the_plants_through_the_address(client, plants):
    html = page(client, sector="construction_materials", status="launched")

    assert "Shieli cement plant" in section(html, "mapped-plants")
    listed = section(html, "mapped-plants") + section(html, "unmapped-plants")
    assert "Ekibastuz power unit" not in listed
    assert "Kyzylorda glass factory" not in listed  # in progress
    assert 'value="launched" selected' in html  # the form shows the choice


def test_a_region_or_a_project_chooses_the_plants_too(client, plants):
    in_kyzylorda = page(client, region="kyzylorda")
    assert "Shieli cement plant" in section(in_kyzylorda, "mapped-plants")
    assert "Kyzylorda glass factory" in section(in_kyzylorda, "unmapped-plants")
    assert "Ekibastuz power unit" not in section(in_kyzylorda, "mapped-plants")

    one = page(client, project=plants["power"].pk)
    assert "Ekibastuz power unit" in section(one, "mapped-plants")
    assert "Shieli cement plant" not in section(one, "mapped-plants") + section(one, "unmapped-plants")


def test_category_and_date_choose_the_reports_and_the_map_asks_for_the_same(client, plants):
    published(
        project=plants["cement"],
        public_title="Grey water in the canal",
        primary_category="water",
        categories=["water"],
        public_latitude="44.17",
        public_longitude="66.75",
    )
    published(public_title="Dust at night", public_latitude="44.20", public_longitude="66.80", observed_on="2025-03-01")

    html = page(client, category="water", observed_from="2026-01-01")

    reports = section(html, "mapped-reports")
    assert "Grey water in the canal" in reports and "Dust at night" not in reports
    points_url = f"{reverse('impacts:map_points')}?category=water&amp;observed_from=2026-01-01"
    assert f'data-points-url="{points_url}"' in html


def test_the_map_draws_its_own_base_layer_and_loads_no_tiles_unless_told(client, settings):
    html = page(client)

    assert 'data-tile-url=""' in html
    assert 'data-outline-url="/static/vendor/naturalearth/kazakhstan.geojson"' in html
    assert 'data-towns-url="/static/vendor/geonames/kz-towns.json"' in html
    assert "GeoNames (CC BY 4.0)" in html and "Natural Earth" in html

    settings.KZCN_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in page(client)


def test_the_legend_names_the_sectors_of_the_plants_drawn(client, plants):
    html = page(client, sector="power")

    legend = html[html.index('class="map-legend') :]
    legend = legend[: legend.index("</div>")]
    assert "Electric power" in legend and "Construction materials" not in legend
    assert "Plant, launched" in legend and "Published reports grouped" in legend


def test_the_map_page_costs_the_same_queries_for_few_and_many_plants_and_reports(client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client)
        return len(captured)

    make_project(latitude=Decimal("44.1"), longitude=Decimal("66.7"), coordinates_source_url="https://example.org/a")
    published(public_latitude="44.17", public_longitude="66.75")
    few = queries()
    for number in range(15):
        plant = make_project(
            latitude=Decimal("45.1"),
            longitude=Decimal(f"{60 + number}"),
            coordinates_source_url="https://example.org/b",
        )
        published(project=plant, public_latitude="44.17", public_longitude=f"{60 + number}")
    assert queries() == few


def test_a_project_page_with_sourced_coordinates_shows_its_own_map(client, plants):
    html = client.get(plants["cement"].get_absolute_url()).content.decode()

    assert 'id="report-map"' in html and "js/map.js" in html
    assert 'data-plant-lat="44.166700"' in html
    # Opens around the plant: a degree and a half of longitude each way.
    assert 'data-bounds="65.2500,43.4167,68.2500,44.9167"' in html
    assert f"{MAP}?project={plants['cement'].pk}" in html


def test_a_project_page_without_coordinates_says_where_it_is_in_words_and_draws_no_point(client, plants):
    html = " ".join(client.get(plants["steel"].get_absolute_url()).content.decode().split())

    assert "Located in Temirtau, Karaganda region. No source states this plant" in html
    assert "data-plant-lat" not in html and "js/map.js" not in html


def test_the_home_page_shows_the_map_with_the_plants_before_the_latest_reports(client, plants):
    published(public_title="Black dust", public_latitude="44.17", public_longitude="66.75")

    html = client.get(reverse("projects:home")).content.decode()

    order = [html.index(f'id="{heading}"') for heading in ("home-map-heading", "latest-heading", "programme-heading")]
    assert order == sorted(order)
    home_plants = html[html.index('class="small list-inline home-plants"') :]
    home_plants = home_plants[: home_plants.index("</ul>")]
    assert "Shieli cement plant" in home_plants and "Ekibastuz power unit" in home_plants
    assert "Karaganda steel works" not in home_plants
    assert "js/map.js" in html and f'data-points-url="{reverse("impacts:map_points")}"' in html


def test_the_vendored_outline_is_kazakhstan_small_and_licensed():
    outline_file = VENDOR / "naturalearth" / "kazakhstan.geojson"
    outline = json.loads(outline_file.read_text())
    [kazakhstan] = [f for f in outline["features"] if f["properties"]["role"] == "kazakhstan"]
    points = [point for polygon in kazakhstan["geometry"]["coordinates"] for ring in polygon for point in ring]
    longitudes, latitudes = [p[0] for p in points], [p[1] for p in points]

    assert 46 < min(longitudes) < 47.5 and 87 < max(longitudes) < 88
    assert 40.3 < min(latitudes) < 41 and 55.2 < max(latitudes) < 56
    assert outline_file.stat().st_size < 60_000
    assert "ISC" in (VENDOR / "naturalearth" / "LICENSE-world-atlas").read_text()
    assert "public domain" in (VENDOR / "naturalearth" / "README.md").read_text()


def test_the_vendored_towns_have_names_in_three_languages_and_credit_geonames():
    towns = json.loads((VENDOR / "geonames" / "kz-towns.json").read_text())

    by_name = {town["en"]: town for town in towns["towns"]}
    assert (by_name["Almaty"]["kk"], by_name["Almaty"]["ru"]) == ("Алматы", "Алматы")
    assert (by_name["Ust-Kamenogorsk"]["kk"], by_name["Ust-Kamenogorsk"]["ru"]) == ("Өскемен", "Усть-Каменогорск")
    assert all(town["population"] >= 50_000 for town in towns["towns"])
    assert "CC BY 4.0" in towns["attribution"]
    assert "Creative Commons Attribution 4.0" in (VENDOR / "geonames" / "README.md").read_text()
