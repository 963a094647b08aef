"""Formula and markup injection through every export, from what editors type as well as reporters.

Issue 10 found report titles exported raw to spreadsheets. Today's exports (a plant's timeline as
CSV) carry text typed by editors and by the import: event summaries, places, source titles, and the
names of projects. A compromised or careless editor account, or a pasted source title, must not be
able to run a formula on a journalist's computer, nor draw markup in a feed reader.
"""

import csv
import datetime
import io
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.catalogue import add_source, make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db

FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
            " =1+1", "\uff1d1+1", "\u200b=1+1"]  # fmt: skip
ATOM = "{http://www.w3.org/2005/Atom}"


def rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def runs_as_formula(cell: str) -> bool:
    stripped = cell.lstrip(" \u200b")
    return bool(cell) and (cell[0] in "\t\r" or stripped[:1] in "=+-@\uff1d\uff0b\uff0d\uff20")


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_timeline_csv_never_hands_a_spreadsheet_a_formula(client, formula):
    project = make_project(name_en="Cement plant", slug="cement-plant")
    source = add_source(project, title=formula, publisher=formula)
    project.events.create(
        kind="public_hearing", date=datetime.date(2026, 5, 1), summary=formula, place=formula, source=source
    )
    make_report(project=project, status="published", published_at=timezone.now(), public_title=formula)

    for kind in ("", "public_hearing", "site_report"):
        table = rows(client.get(reverse("projects:project_timeline_csv", args=[project.slug]), {"kind": kind}))
        cells = [cell for row in table[1:] for cell in row]
        assert cells and not [cell for cell in cells if runs_as_formula(cell)], (kind, table)


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_project_name_typed_by_an_editor_is_exported_as_text(client, formula):
    project = make_project(name_en=formula, slug="odd-name")
    make_report(project=project, status="published", published_at=timezone.now(), public_title="Dust")

    table = rows(client.get(reverse("impacts:report_export_csv")))

    assert not [cell for row in table[1:] for cell in row if runs_as_formula(cell)]


def test_markup_in_a_project_name_reaches_feed_readers_as_text(client):
    project = make_project(
        name_en='Plant <img src="https://evil.example/x.png"> <a href="https://evil.example">x</a>', slug="odd-plant"
    )
    make_report(
        project=project,
        status="published",
        published_at=timezone.now(),
        public_title="<b>Dust</b>",
        public_description="<script>alert(1)</script> every night",
    )

    response = client.get(reverse("impacts:project_feed", args=[project.slug]))

    feed = ET.fromstring(response.content)  # noqa: S314 (the site's own feed)
    constructs = [
        element
        for element in feed.iter()
        if element.tag.removeprefix(ATOM) in {"title", "subtitle", "rights", "summary", "content"}
    ]
    assert constructs and all(element.get("type") == "text" for element in constructs)
    text = response.content.decode()
    assert "<img" not in text and "&lt;img" not in text and "<script" not in text and "&lt;script" not in text


def test_the_timeline_csv_file_name_comes_from_the_site_not_the_address(client):
    project = make_project(name_en="Cement plant", slug="cement-plant")
    response = client.get(
        reverse("projects:project_timeline_csv", args=[project.slug]), {"kind": 'x"; filename="evil.exe'}
    )

    assert response["Content-Disposition"] == 'attachment; filename="cement-plant-timeline.csv"'
