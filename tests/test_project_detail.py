"""A visitor reads one project's page: its facts, each marked with the source it comes from."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from projects.views import server_error
from tests.catalogue import add_company, add_source, import_catalogue, make_project

pytestmark = pytest.mark.django_db


def test_project_page_shows_the_facts_with_footnotes_to_their_sources(client):
    project = make_project(
        name_en="Gezhouba Shieli cement plant",
        name_ru="Цементный завод, с. Кодаманов",
        sector="construction_materials",
        region="kyzylorda",
        settlement="Kodamanov village",
        cost_usd_million=178,
        capacity="1 million t cement per year",
        start_year=2017,
        environmental_notes="Residents report dust and noise.",
        programme_tie_basis="A source explicitly places the project in the 52-project programme.",
    )
    main = add_source(project, "https://timesca.com/?p=7253", title="New cement plant starts operation")
    add_source(project, "https://dialogue.earth/en/x/", title="", is_primary=False, supports="environmental notes")
    add_company(project, "China Gezhouba Group Cement Co., Ltd", role="partner", source=main)
    project.financings.create(lender="China Development Bank", amount_usd_million=100, stage="stage 1")

    content = client.get(project.get_absolute_url()).content.decode()

    for fact in [
        "Gezhouba Shieli cement plant",
        "Цементный завод, с. Кодаманов",
        "Construction materials",
        "Kyzylorda region",
        "Kodamanov village",
        "USD 178 million",
        "1 million t cement per year",
        "2017",
        "Placed in the 52-project programme by a source",
        "A source explicitly places the project in the 52-project programme.",
        "Residents report dust and noise.",
        "China Gezhouba Group Cement Co., Ltd",
        "China Development Bank",
        "USD 100 million",
    ]:
        assert fact in content, fact
    assert 'USD 178 million<sup><a href="#source-1"' in content
    assert 'Residents report dust and noise.<sup><a href="#source-1"' in content
    assert '<a href="#source-2" class="text-decoration-none" title="Source 2">[2]</a>' in content
    assert 'id="source-1"' in content
    assert (
        '<a href="https://timesca.com/?p=7253" rel="noopener noreferrer">New cement plant starts operation</a>'
        in content
    )
    # A source without a title shows its address.
    assert (
        '<a href="https://dialogue.earth/en/x/" rel="noopener noreferrer">https://dialogue.earth/en/x/</a>' in content
    )


def test_imported_project_page_shows_status_date_partners_as_stated_and_all_sources(client):
    import_catalogue()

    url = reverse(
        "projects:project_detail", args=["reconstruction-and-modernization-of-shymkent-oil-refinery-2-phases"]
    )
    content = client.get(url).content.decode()

    assert "Launched (as of July 2022)" in content
    assert "Partners as stated by the source" in content
    assert "PetroKazakhstan Oil Products LLP (KazMunayGas and CNPC partnership)" in content
    assert "China Eximbank" in content and "USD 963.75 million" in content
    assert content.count('rel="noopener noreferrer"') == 4
    assert 'id="source-4"' in content
    assert "also:" not in content


def test_a_cost_no_source_states_is_shown_as_not_stated(client):
    import_catalogue()

    content = client.get(reverse("projects:project_detail", args=["shelek-wind-farm-60-mw"])).content.decode()

    assert "not stated in the sources" in content
    assert "Coordinates" not in content  # the data has none, and none are made up


def test_name_is_shown_in_the_visitors_language_with_english_fallback(client):
    project = make_project(name_en="Shymkent Oil Refinery", name_ru="Шымкентский НПЗ")

    # LocaleMiddleware leaves the request's language active in the thread: restore it after.
    with translation.override("en"):
        russian = client.get(project.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        kazakh = client.get(project.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="kk").content.decode()

    assert '<h1 class="h2">Шымкентский НПЗ</h1>' in russian
    assert '<h1 class="h2">Shymkent Oil Refinery</h1>' in kazakh


def test_project_page_has_one_h1_and_the_reports_spot(client):
    project = make_project()

    response = client.get(project.get_absolute_url())

    assert response.status_code == 200
    assert response.content.decode().count("<h1") == 1
    assert "includes/project_reports.html" in [template.name for template in response.templates]


def test_unknown_project_is_a_404_in_the_site_style(client):
    response = client.get(reverse("projects:project_detail", args=["no-such-project"]))

    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found" in content
    assert content.count("<h1") == 1
    assert reverse("projects:project_list") in content


def test_server_error_page_needs_no_database_or_context_processors(django_assert_num_queries):
    request = RequestFactory().get("/")

    with django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert response.content.decode().count("<h1") == 1
