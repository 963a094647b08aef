"""The public side of published reports: the list, its filters, exports, the map and project pages.

Only published reports may ever be public, and of them only the public (redacted) version.
"""

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from impacts.models import Evidence, ImpactReport
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

# Values a visitor must never see, whatever page or file they open.
PRIVATE_VALUES = [
    "secret-resident@example.org",
    "+7 701 555 0199",
    "Aigerim Secretname",
    "INTERNAL-NOTE-do-not-publish",
    "Original title naming Secretname",
    "Original text with the neighbour's phone",
    "43.12345",
    "68.54321",
    "HIDDEN-EVIDENCE-caption",
    "HIDDEN-EVIDENCE-reason",
]
UNPUBLISHED_STATUSES = ["submitted", "in_review", "needs_info", "rejected", "spam", "withdrawn"]


def published(**kw) -> ImpactReport:
    return make_report(status="published", published_at=timezone.now(), **kw)


def photo(report: ImpactReport, visibility: str = "approved", **kw) -> Evidence:
    fields = {
        "kind": "photo",
        "sealed_file": "sealed/x.jpg",
        "sha256": f"{report.pk:064d}",
        "content_type": "image/jpeg",
        "size": 10,
        "visibility": visibility,
        **kw,
    }
    return Evidence.objects.create(report=report, **fields)


@pytest.fixture
def project():
    return make_site_project()


def make_private_mix(project, *, unpublished_extra: dict | None = None, **extra) -> ImpactReport:
    """One published report carrying every kind of private value, and one of each unpublished status."""
    private = {
        "project": project,
        "contact_email": "secret-resident@example.org",
        "contact_phone": "+7 701 555 0199",
        "reporter_name": "Aigerim Secretname",
        "attribution": "anonymous",
        "internal_notes": "INTERNAL-NOTE-do-not-publish",
        "latitude": Decimal("43.12345"),
        "longitude": Decimal("68.54321"),
        "title": "Original title naming Secretname",
        "description": "Original text with the neighbour's phone",
        **extra,
    }
    report = published(
        public_title="Cement dust over Shieli",
        public_description="Dust settles on the houses every night.",
        public_latitude=Decimal("43.12"),
        public_longitude=Decimal("68.54"),
        **private,
    )
    photo(report, visibility="hidden", caption="HIDDEN-EVIDENCE-caption", hidden_reason="HIDDEN-EVIDENCE-reason")
    for status in UNPUBLISHED_STATUSES:
        make_report(
            status=status,
            public_title=f"UNPUBLISHED-{status}",
            public_latitude=Decimal("44.00"),
            public_longitude=Decimal("70.00"),
            **private,
            **(unpublished_extra or {}),
        )
    return report


@pytest.fixture
def private_mix(project):
    return make_private_mix(project)


def body(response) -> str:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def assert_only_the_published_report(text: str) -> None:
    assert "Cement dust over Shieli" in text
    for status in UNPUBLISHED_STATUSES:
        assert f"UNPUBLISHED-{status}" not in text
    for value in PRIVATE_VALUES:
        assert value not in text


@pytest.mark.parametrize(
    "url",
    [
        reverse("impacts:report_list"),
        reverse("impacts:report_export_csv"),
        reverse("impacts:report_export_geojson"),
        reverse("impacts:map"),
    ],
)
def test_anonymous_visitor_sees_only_the_public_version_of_published_reports(client, private_mix, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_only_the_published_report(body(response))


def test_project_page_shows_only_published_reports_and_no_private_values(client, private_mix, project):
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    text = body(response)
    assert_only_the_published_report(text)
    assert "1 published report about this project." in text
    assert f"{reverse('impacts:report_create')}?project={project.slug}" in text
    assert f"{reverse('impacts:report_list')}?project={project.pk}" in text


def test_project_page_without_reports_still_invites_a_report(client, project):
    text = body(client.get(project.get_absolute_url()))
    assert "No reports about this project have been published yet." in text
    assert "Report an impact here" in text


def test_the_reporter_is_shown_only_as_they_chose(client, private_mix):
    published(public_title="Named report", reporter_name="Dana Public", attribution="name")
    text = body(client.get(reverse("impacts:report_list")))
    assert "Dana Public" in text
    assert "Anonymous" in text


# Filters ----------------------------------------------------------------------------------------


@pytest.fixture
def three_reports(project):
    """A: at the cement plant; B: an unlisted site; C: at a metallurgy plant."""
    steel = make_site_project(name_en="Pavlodar steel", slug="pavlodar-steel", sector="metallurgy", region="pavlodar")
    a = published(
        project=project,
        region="kyzylorda",
        public_title="Report A",
        categories=["air", "health"],
        severity=4,
        reporter_type="worker",
        observed_on=datetime.date(2026, 1, 10),
        ongoing=True,
    )
    photo(a)
    b = published(
        site_name="Unlisted quarry",
        region="akmola",
        public_title="Report B",
        categories=["water"],
        primary_category="water",
        severity=1,
        reporter_type="resident",
        observed_on=datetime.date(2026, 6, 1),
        public_description="Fish died in the river.",
    )
    c = published(
        project=steel,
        region="pavlodar",
        public_title="Report C",
        categories=["noise"],
        primary_category="noise",
        severity=2,
        reporter_type="ngo",
        observed_on=datetime.date(2025, 3, 1),
    )
    photo(c, visibility="hidden", hidden_reason="shows a face")
    return {"A": a, "B": b, "C": c, "steel": steel}


def titles(client, **query) -> list[str]:
    response = client.get(reverse("impacts:report_list"), query)
    assert response.status_code == 200
    return [report.public_title for report in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"sector": "metallurgy"}, {"Report C"}),
        ({"region": "akmola"}, {"Report B"}),
        ({"category": "health"}, {"Report A"}),
        ({"category": "air"}, {"Report A"}),
        ({"severity": "4"}, {"Report A"}),
        ({"reporter_type": "ngo"}, {"Report C"}),
        ({"observed_from": "2026-01-01"}, {"Report A", "Report B"}),
        ({"observed_to": "2025-12-31"}, {"Report C"}),
        ({"observed_from": "2026-01-01", "observed_to": "2026-03-01"}, {"Report A"}),
        ({"has_photos": "true"}, {"Report A"}),
        ({"has_photos": "false"}, {"Report B", "Report C"}),
        ({"ongoing": "true"}, {"Report A"}),
        ({"ongoing": "false"}, {"Report B", "Report C"}),
        ({}, {"Report A", "Report B", "Report C"}),
    ],
)
def test_each_filter_narrows_the_list(client, three_reports, query, expected):
    found = titles(client, **query)
    assert set(found) == expected
    assert len(found) == len(expected)  # a report with two categories is listed once


def test_project_filter_narrows_the_list(client, three_reports):
    assert titles(client, project=three_reports["steel"].pk) == ["Report C"]


def test_search_finds_a_word_of_the_public_text(client, three_reports):
    assert titles(client, q="river") == ["Report B"]
    assert titles(client, q="fish river") == ["Report B"]
    assert titles(client, q="volcano") == []


def test_search_never_matches_the_original_unredacted_text(client, private_mix):
    assert titles(client, q="Secretname") == []
    assert titles(client, q="Shieli") == ["Cement dust over Shieli"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("newest", ["Report B", "Report A", "Report C"]),
        ("oldest", ["Report C", "Report A", "Report B"]),
        ("severity", ["Report A", "Report C", "Report B"]),
    ],
)
def test_reports_can_be_sorted(client, three_reports, ordering, expected):
    assert titles(client, ordering=ordering) == expected


def test_no_results_say_so_and_offer_to_clear_the_filters(client, three_reports):
    text = body(client.get(reverse("impacts:report_list"), {"q": "volcano"}))
    assert "No published reports match these filters." in text
    assert "Clear the filters and show all reports" in text


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "999"},
        {"page": "-1"},
        {"severity": "banana"},
        {"project": "abc"},
        {"project": "999999"},
        {"observed_from": "not-a-date"},
        {"ordering": "sideways"},
        {"has_photos": "maybe"},
        {"category": "lava"},
        {"q": '"unbalanced & | ! ( quotes'},
    ],
)
def test_bad_input_never_breaks_the_pages(client, three_reports, query):
    for name in ("report_list", "report_export_csv", "report_export_geojson", "map"):
        response = client.get(reverse(f"impacts:{name}"), query)
        assert response.status_code == 200, name
        body(response)


def test_pages_hold_twenty_reports_and_page_links_keep_the_filters(client):
    for number in range(25):
        published(public_title=f"Dust {number}", severity=3)
    published(public_title="Minor thing", severity=1)
    response = client.get(reverse("impacts:report_list"), {"severity": "3"})
    assert len(response.context["page"].object_list) == 20
    # The next page is linked by cursor (impacts.keyset), keeping the filters.
    next_cursor = response.context["page"].next_cursor
    assert f"severity=3&amp;after={next_cursor}" in body(response)
    second = client.get(reverse("impacts:report_list"), {"severity": "3", "after": next_cursor})
    assert len(second.context["page"].object_list) == 5
    # An old numbered link still shows its page.
    old_link = client.get(reverse("impacts:report_list"), {"severity": "3", "page": "2"})
    assert old_link.context["page"].object_list == second.context["page"].object_list


def test_export_links_carry_the_current_filters(client, three_reports):
    text = body(client.get(reverse("impacts:report_list"), {"severity": "4", "page": "1"}))
    assert f'{reverse("impacts:report_export_csv")}?severity=4"' in text
    assert f'{reverse("impacts:report_export_geojson")}?severity=4"' in text
    assert f'{reverse("impacts:map")}?severity=4"' in text


@pytest.mark.parametrize("rows", [5, 60])
def test_list_queries_do_not_grow_with_the_number_of_reports(client, project, rows, django_assert_max_num_queries):
    for number in range(rows):
        report = published(project=project, public_title=f"Dust {number}", categories=["air", "noise"])
        photo(report)
    with django_assert_max_num_queries(6):
        client.get(reverse("impacts:report_list"))
    with django_assert_max_num_queries(6):
        body(client.get(reverse("impacts:report_export_csv")))
    with django_assert_max_num_queries(6):
        client.get(reverse("impacts:report_export_geojson"))
    with django_assert_max_num_queries(8):
        client.get(reverse("impacts:map"))


def test_list_query_count_is_the_same_for_few_and_many_reports(client, project):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("impacts:report_list"))
        return len(queries)

    for number in range(3):
        published(project=project, public_title=f"Few {number}", categories=["air", "noise"])
    few = count_queries()
    for number in range(40):
        published(project=project, public_title=f"Many {number}", categories=["air", "noise"])
    assert count_queries() == few


# Exports and map ----------------------------------------------------------------------------------


def test_csv_export_streams_the_filtered_public_rows(client, three_reports):
    response = client.get(reverse("impacts:report_export_csv"), {"severity": "4"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    assert 'rel="license"' in response["Link"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [row["public_title"] for row in rows] == ["Report A"]
    row = rows[0]
    assert row["reference"] == three_reports["A"].reference
    assert row["categories"] == "air;health"
    assert row["project"] == "Shieli cement plant"
    assert row["sector"] == "construction_materials"
    assert row["reporter"] == "Anonymous"
    assert row["url"].endswith(three_reports["A"].get_absolute_url())


def test_geojson_export_has_public_points_and_attribution(client, private_mix):
    published(public_title="No location", site_name="Somewhere")
    collection = json.loads(body(client.get(reverse("impacts:report_export_geojson"))))
    assert collection["type"] == "FeatureCollection"
    assert collection["attribution"]
    assert collection["license"]["url"]
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [68.54, 43.12]}
    assert feature["properties"]["title"] == "Cement dust over Shieli"


def test_map_page_lists_every_mapped_report_and_has_no_inline_script(client, private_mix, settings):
    settings.KZCN_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    text = body(client.get(reverse("impacts:map"), {"severity": "3"}))
    assert "Cement dust over Shieli" in text
    assert "43.12" in text
    assert "vendor/leaflet/leaflet.js" in text
    assert "js/map.js" in text
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in text
    assert f"{reverse('impacts:report_export_geojson')}?severity=3" in text
    assert re.findall(r"<script(?![^>]*\bsrc=)", text) == []
