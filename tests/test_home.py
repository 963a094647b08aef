"""A visitor lands on the home page: what the site is, the programme's figures, and how much is known."""

import pytest
from django.urls import reverse

from tests.catalogue import import_catalogue, make_project

pytestmark = pytest.mark.django_db

URL = reverse("projects:home")


def test_home_shows_how_many_of_the_52_projects_are_identified(client):
    import_catalogue()

    content = client.get(URL).content.decode()

    assert "29 of 52 identified in public sources" in content
    assert "8 projects are only reported as linked to the programme" in content
    assert "so about 31 of the 52 remain unidentified by name" in content


def test_home_shows_programme_figures_with_their_source(client):
    import_catalogue()

    content = client.get(URL).content.decode()

    assert "Joint projects under the 2015 programme" in content
    assert "21.1 USD bn" in content
    assert "32 projects" in content and "as of October 2022" in content
    assert '<a href="https://ec-info.org/en/kazakhstan-and-china/" rel="noopener noreferrer">' in content


def test_home_compares_catalogue_statuses_with_the_july_2022_breakdown(client):
    import_catalogue()

    content = " ".join(client.get(URL).content.decode().split())

    assert "Official breakdown, July 2022" in content
    assert (
        '<th scope="row">Launched</th> <td><a href="/en/projects/?status=launched">20</a></td> <td>20</td>' in content
    )
    assert "<td>4.453 USD bn</td>" in content
    assert (
        '<th scope="row">Under review</th> <td><a href="/en/projects/?status=under_review">0</a></td> <td>17</td>'
        in content
    )


def test_home_counts_come_from_the_database(client):
    make_project(name_en="Only plant")

    content = client.get(URL).content.decode()

    # No figures imported yet: the programme's size falls back to the constant 52.
    assert "1 of 52 identified in public sources" in content


def test_home_links_to_browse_and_keeps_a_spot_for_reports(client):
    make_project(sector="power")

    response = client.get(URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<h1") == 1
    assert f'href="{reverse("projects:project_list")}"' in content
    assert "/en/projects/?sector=power" in content
    assert "includes/home_report_cta.html" in [template.name for template in response.templates]
