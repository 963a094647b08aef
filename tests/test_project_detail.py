"""A visitor reads one project's page: its facts, each marked with the source it comes from."""

import pytest
from django.test import RequestFactory
from django.urls import reverse, translate_url
from django.utils import translation

from projects.models import Project
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
        "Placed in the programme list (51, 52 or 55 items) by a source",
        "A source explicitly places the project in the 52-project programme.",
        "Residents report dust and noise.",
        "China Gezhouba Group Cement Co., Ltd",
        "China Development Bank",
        "USD 100 million",
    ]:
        assert fact in content, fact
    assert 'USD 178 million<sup><a href="#source-1"' in content
    assert '<span lang="en">Residents report dust and noise.</span><sup><a href="#source-1"' in content
    assert '<a href="#source-2" class="text-decoration-none" title="Source 2">[2]</a>' in content
    assert 'id="source-1"' in content
    assert (
        '<a href="https://timesca.com/?p=7253" rel="noopener noreferrer">New cement plant starts operation</a>'
        in content
    )
    # A source without a title shows its publisher, never a bare address.
    assert (
        '<a href="https://dialogue.earth/en/x/" rel="noopener noreferrer">example.org</a> '
        '<span class="text-body-secondary">(title not recorded)</span>' in content
    )
    assert ">https://" not in content


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
    assert content.count('rel="noopener noreferrer"') == 6
    assert 'id="source-6"' in content
    assert "also:" not in content


def test_a_cost_no_source_states_is_shown_as_not_stated(client):
    import_catalogue()

    content = client.get(reverse("projects:project_detail", args=["turgusun-hydropower-plant-hpp-1"])).content.decode()

    assert "not stated in the sources" in content
    assert "Coordinates" not in content  # no source states them, and none are made up


def test_name_is_shown_in_the_visitors_language_with_english_fallback(client):
    project = make_project(name_en="Shymkent Oil Refinery", name_ru="Шымкентский НПЗ")

    # LocaleMiddleware leaves the request's language active in the thread: restore it after.
    with translation.override("en"):
        russian = client.get(translate_url(project.get_absolute_url(), "ru")).content.decode()
        kazakh = client.get(translate_url(project.get_absolute_url(), "kk")).content.decode()

    assert '<h1 class="h2"><span>Шымкентский НПЗ</span></h1>' in russian
    assert '<h1 class="h2"><span lang="en">Shymkent Oil Refinery</span> <span class="badge' in kazakh


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


def test_the_tie_is_shown_with_its_quote_and_the_title_of_the_source_it_comes_from(client):
    import_catalogue()
    project = Project.objects.get(slug="kaskelen-50-mwp-solar-photovoltaic-power-plant-universal-energy")
    tie_source = project.sources.get(url=project.programme_tie_url)
    tie_source.title = "Chinese-built solar plant in Kazakhstan"
    tie_source.save()

    content = client.get(project.get_absolute_url()).content.decode()

    assert "Placed in the programme list (51, 52 or 55 items) by a source<sup>" in content
    assert "“included on the list of key projects of China-Kazakhstan cap" in content
    assert "quoted from Chinese-built solar plant in Kazakhstan" in content
    assert "(in its original language)" in content


def test_coordinates_are_shown_only_where_a_source_states_them_with_a_footnote_to_it(client):
    import_catalogue()
    shelek = Project.objects.get(slug="shelek-wind-farm-60-mw")

    content = client.get(shelek.get_absolute_url()).content.decode()

    number = (
        content.split('<a href="https://china.aiddata.org/projects/39539"')[0].rsplit('id="source-', 1)[1].split('"')[0]
    )
    assert f'43.711694, 78.743944<sup><a href="#source-{number}"' in content
    assert "Supports: environmental notes, coordinates" in " ".join(content.split())


@pytest.mark.parametrize(
    ("slug_start", "shown"),
    [
        ("integrated-gas", "Launched (as of 2025)"),
        ("reconstruction", "Launched (as of July 2022)"),
        ("zhanatas", "Launched (as of June 23, 2021)"),
    ],
)
def test_the_status_date_is_as_precise_as_its_source(client, slug_start, shown):
    import_catalogue()

    project = Project.objects.get(slug__startswith=slug_start)

    assert shown in client.get(project.get_absolute_url()).content.decode()
