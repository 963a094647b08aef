"""A visitor browses, filters, sorts and pages through the project catalogue."""

import re

import pytest
from django.urls import reverse

from tests.catalogue import add_company, import_catalogue, make_project

pytestmark = pytest.mark.django_db

URL = reverse("projects:project_list")


def names_on_page(response) -> list[str]:
    return re.findall(r'<h3 class="h5 card-title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def test_visitor_can_find_all_launched_metallurgy_projects_in_shymkent(client):
    import_catalogue()

    response = client.get(URL, {"sector": "metallurgy", "status": "launched", "region": "shymkent"})

    assert response.status_code == 200
    assert names_on_page(response) == ["Sin Yuan Steel LLP steel and steel-rolling plant"]
    assert "1 project matches" in response.content.decode()


def test_the_whole_catalogue_is_listed_with_its_count(client):
    import_catalogue()

    response = client.get(URL)

    assert "29 projects match" in response.content.decode()
    assert len(names_on_page(response)) == 20  # the first page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"sector": "power"}, ["Wind farm"]),
        ({"status": "in_progress"}, ["Rolling mill"]),
        ({"region": "kyzylorda"}, ["Cement plant"]),
        ({"tie": "reported"}, ["Rolling mill"]),
        ({"cost_min": "100"}, ["Cement plant", "Wind farm"]),
        ({"cost_max": "100"}, ["Rolling mill"]),
        ({"cost_min": "50", "cost_max": "150"}, ["Rolling mill", "Wind farm"]),
        ({"company": "gezhouba"}, ["Cement plant"]),
        ({"company": "Development Bank"}, ["Wind farm"]),
        ({"q": "Кодаманов"}, ["Cement plant"]),
        ({"q": "Zhanatas"}, ["Wind farm"]),
        ({"q": "POWERCHINA"}, ["Wind farm"]),
        ({"q": "dust"}, ["Cement plant"]),
    ],
)
def test_each_filter_narrows_the_list(client, query, expected):
    cement = make_project(
        name_en="Cement plant",
        name_ru="Цементный завод, с. Кодаманов",
        sector="construction_materials",
        region="kyzylorda",
        cost_usd_million=178,
        overview="Residents report dust.",
    )
    add_company(cement, "China Gezhouba Group Cement Co., Ltd")
    wind = make_project(
        name_en="Wind farm", sector="power", region="zhambyl", settlement="Zhanatas", cost_usd_million=150
    )
    add_company(wind, "POWERCHINA International", role="contractor")
    wind.financings.create(lender="Asian Development Bank")
    make_project(name_en="Rolling mill", status="in_progress", programme_tie="reported", cost_usd_million=50)

    response = client.get(URL, query)

    assert response.status_code == 200
    assert names_on_page(response) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Alpha", "Bravo", "Charlie"]),
        ("-name", ["Charlie", "Bravo", "Alpha"]),
        ("-cost", ["Charlie", "Alpha", "Bravo"]),  # no cost stated: last either way
        ("cost", ["Alpha", "Charlie", "Bravo"]),
        ("start_year", ["Bravo", "Charlie", "Alpha"]),
        ("-start_year", ["Charlie", "Bravo", "Alpha"]),
    ],
)
def test_visitor_can_sort_the_list(client, ordering, expected):
    make_project(name_en="Alpha", cost_usd_million=10, start_year=None)
    make_project(name_en="Bravo", cost_usd_million=None, start_year=2015)
    make_project(name_en="Charlie", cost_usd_million=900, start_year=2019)

    assert names_on_page(client.get(URL, {"ordering": ordering})) == expected


def test_long_lists_are_paged_and_page_links_keep_the_filters(client):
    for number in range(45):
        make_project(name_en=f"Plant {number:02}", sector="power")
    make_project(name_en="Other sector plant", sector="transport")

    first = client.get(URL, {"sector": "power"})
    third = client.get(URL, {"sector": "power", "page": "3"})

    assert len(names_on_page(first)) == 20
    assert "45 projects match" in first.content.decode()
    assert 'href="?sector=power&amp;page=2"' in first.content.decode()
    assert names_on_page(third) == [f"Plant {number}" for number in range(40, 45)]


@pytest.mark.parametrize(
    "query",
    [
        {"cost_min": "abc"},
        {"cost_max": "1e999"},
        {"sector": "space"},
        {"ordering": "secret_field"},
        {"page": "x"},
        {"page": "999"},
        {"page": "-1"},
        {"start_year": "abc", "q": "x" * 5000},
    ],
)
def test_bad_filter_input_shows_a_page_not_an_error(client, query):
    make_project(name_en="Sin Yuan Steel")

    response = client.get(URL, query)

    assert response.status_code == 200
    assert "<h1" in response.content.decode()


def test_a_filter_that_is_not_understood_is_explained_and_left_out(client):
    make_project(name_en="Sin Yuan Steel")

    response = client.get(URL, {"cost_min": "abc"})

    assert "Some filters could not be understood" in response.content.decode()
    assert names_on_page(response) == ["Sin Yuan Steel"]


def test_a_page_beyond_the_end_shows_the_last_page(client):
    for number in range(25):
        make_project(name_en=f"Plant {number:02}")

    response = client.get(URL, {"page": "999"})

    assert names_on_page(response) == [f"Plant {number}" for number in range(20, 25)]


def test_no_match_says_so_and_offers_to_clear_the_filters(client):
    make_project(name_en="Sin Yuan Steel", sector="metallurgy")

    response = client.get(URL, {"sector": "healthcare"})

    content = response.content.decode()
    assert "No projects match these filters." in content
    assert f'<a href="{URL}">Clear the filters and show all projects</a>' in content


def test_the_list_page_has_one_h1(client):
    make_project()
    assert client.get(URL).content.decode().count("<h1") == 1


def _projects_with_companies(how_many: int) -> None:
    for number in range(how_many):
        project = make_project(name_en=f"Plant {number:03}")
        add_company(project, f"Builder {number}", role="contractor")
        add_company(project, f"Owner {number}", role="owner", country="KZ")


@pytest.mark.parametrize("how_many", [5, 200])
def test_the_list_page_query_count_does_not_grow_with_the_catalogue(client, django_assert_max_num_queries, how_many):
    _projects_with_companies(how_many)

    with django_assert_max_num_queries(4):
        response = client.get(URL, {"q": "Plant", "company": "Builder", "ordering": "-cost"})

    assert response.status_code == 200
    assert "Builder 0" in response.content.decode()
