"""A visitor learns how much of the 52-project programme is identified, by tie strength, and what
is still unaccounted for; the figures follow the data, none is written in a template."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from projects.coverage import programme_coverage
from projects.models import ProgrammeFigure, Project
from tests.catalogue import import_catalogue, make_project

pytestmark = pytest.mark.django_db

INCLUDE = Path(__file__).resolve().parent.parent / "templates" / "projects" / "includes" / "coverage.html"


def coverage_text() -> str:
    return " ".join(render_to_string("projects/includes/coverage.html", {"coverage": programme_coverage()}).split())


def test_coverage_of_version_2_by_tie_strength():
    import_catalogue()

    text = coverage_text()

    assert "29 of 52 identified in public sources" in text
    assert "Placed in the programme list (51, 52 or 55 items) by a source</a>: <strong>14</strong>" in text
    assert (
        "Only on an earlier version of the list, or only on China&#x27;s NDRC key project list</a>: <strong>7</strong>"
        in text
    )
    assert "Reported link only (membership not confirmed)</a>: <strong>8</strong>" in text
    assert "8 projects are only reported as linked to the programme, so about 31 of the 52 remain unidentified" in text
    assert 'href="/en/projects/?tie=official"' in text


def test_sectors_and_regions_not_yet_accounted_for_are_named():
    import_catalogue()

    coverage = programme_coverage()
    text = coverage_text()

    assert [sector.value for sector in coverage.sectors_missing] == ["healthcare"]
    assert "Sectors of the programme with no project in the catalogue: Healthcare" in text
    assert (
        "Regions where no project is tied to the programme by a source: Abai region, Akmola region, Aktobe region"
        in text
    )
    assert "Kyzylorda region" not in text.split("Regions where")[1]


def test_the_figures_follow_the_data_not_the_template():
    make_project(name_en="Hospital", sector="healthcare", programme_tie="reported", region="mangystau")
    make_project(name_en="Plant", sector="metallurgy", programme_tie="official", region="mangystau")
    ProgrammeFigure.objects.create(
        key="programme_projects",
        label="x",
        value=Decimal("55"),
        unit="projects",
        source_title="A list",
        source_url="https://example.org/list",
    )

    text = coverage_text()

    assert "2 of 55 identified in public sources" in text
    assert "about 54 of the 55 remain unidentified" in text
    assert "Sectors with reported links only: Healthcare" in text
    assert "Mangystau region" not in text
    # No figure of the programme is written into the include itself.
    template = INCLUDE.read_text()
    assert not re.search(r"\b(52|55|29|14)\b", template)


def test_home_page_gets_the_coverage_figures(client):
    import_catalogue()

    response = client.get(reverse("projects:home"))

    coverage = response.context["coverage"]
    assert (coverage.identified, coverage.tied, coverage.reported, coverage.programme_total) == (29, 21, 8, 52)
    assert Project.objects.count() == coverage.identified
