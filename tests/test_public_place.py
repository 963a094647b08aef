"""Nothing a reporter typed is published except through a copy a moderator can edit.

A resident typed their street and house number as the place; the moderator replaced it in the
public copies (`public_site_name`, `public_settlement`) as they redact the title and text. Every
public surface must then show the moderator's words and none of the typed ones: pages, the list,
the map, the CSV and GeoJSON downloads, the Atom feeds, the API, the statistics, the home and
project pages, and a search for a typed word must find nothing.
"""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

# What the reporters typed: one searchable word per field, never to be seen in public.
TYPED = {
    "title": "Zqtitlemarker over my house",
    "description": "Zqtextmarker: my neighbour Zqneighbour coughs.",
    "site_name": "Zqsitemarker yard, Abai street 12",
    "settlement": "Zqsettlementmarker, house 5",
    "reporter_name": "Zqnamemarker Secretova",
    "organisation": "Zqorgmarker LLP",
    "contact_email": "zqmailmarker@example.org",
    "contact_phone": "+7 701 000 4242",
    "latitude": Decimal("43.98765"),
    "longitude": Decimal("68.12345"),
}
# What the moderator made of them.
PUBLIC = {
    "public_title": "Cement dust over the village",
    "public_description": "Dust falls on the houses every night.",
    "public_site_name": "Quarry near Shieli",
    "public_settlement": "Shieli district",
}
MARKERS = [
    "Zqtitlemarker",
    "Zqtextmarker",
    "Zqneighbour",
    "Zqsitemarker",
    "Abai street",
    "Zqsettlementmarker",
    "house 5",
    "Zqnamemarker",
    "Zqorgmarker",
    "zqmailmarker",
    "701 000 4242",
    "43.98765",
    "68.12345",
]


@pytest.fixture
def project():
    return make_site_project()


@pytest.fixture
def redacted_reports(project):
    """The same typed place, once at an unlisted site and once at a catalogued project."""
    common = {
        **TYPED,
        **PUBLIC,
        "status": "published",
        "published_at": timezone.now(),
        "region": "kyzylorda",
        "attribution": "anonymous",
    }
    unlisted = make_report(**common)
    catalogued = make_report(**{**common, "project": project, "site_name": ""})
    return unlisted, catalogued


def body(response) -> str:
    assert response.status_code == 200, response
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def public_surfaces(unlisted, catalogued, project) -> list[str]:
    return [
        unlisted.get_absolute_url(),
        catalogued.get_absolute_url(),
        reverse("impacts:report_list"),
        reverse("impacts:report_list") + "?region=kyzylorda&ordering=severity",
        reverse("impacts:map"),
        reverse("impacts:report_export_csv"),
        reverse("impacts:report_export_geojson"),
        reverse("impacts:feed"),
        reverse("impacts:project_feed", args=[project.slug]),
        reverse("impacts:region_feed", args=["kyzylorda"]),
        reverse("api:report-list"),
        reverse("api:report-detail", args=[unlisted.reference]),
        reverse("api:report-detail", args=[catalogued.reference]),
        reverse("api:project-detail", args=[project.slug]),
        reverse("impacts:stats"),
        reverse("projects:home"),
        project.get_absolute_url(),
    ]


def test_no_typed_word_appears_on_any_public_surface(client, redacted_reports, project):
    for url in public_surfaces(*redacted_reports, project):
        text = body(client.get(url))
        for marker in MARKERS:
            assert marker not in text, (url, marker)


def test_every_place_surface_shows_the_moderators_words(client, redacted_reports):
    unlisted, catalogued = redacted_reports
    for report in redacted_reports:
        page = body(client.get(report.get_absolute_url()))
        assert "Shieli district" in page
    assert "Quarry near Shieli" in body(client.get(unlisted.get_absolute_url()))
    listing = body(client.get(reverse("impacts:report_list")))
    assert "Quarry near Shieli" in listing and "Shieli district" in listing
    assert "Quarry near Shieli" in body(client.get(reverse("impacts:map")))
    exported = body(client.get(reverse("impacts:report_export_csv")))
    assert "Quarry near Shieli" in exported and "Shieli district" in exported
    features = json.loads(body(client.get(reverse("impacts:report_export_geojson"))))["features"]
    assert {feature["properties"]["site"] for feature in features} == {"Quarry near Shieli", "Shieli cement plant"}
    api = {row["reference"]: row for row in client.get(reverse("api:report-list")).json()["results"]}
    assert (api[unlisted.reference]["site"], api[unlisted.reference]["settlement"]) == (
        "Quarry near Shieli",
        "Shieli district",
    )


@pytest.mark.parametrize(
    "marker",
    [
        "Zqtitlemarker",
        "Zqtextmarker",
        "Zqsitemarker",
        "Zqsettlementmarker",
        "Zqnamemarker",
        "Zqorgmarker",
        "zqmailmarker",
    ],
)
def test_searching_for_a_typed_word_finds_nothing(client, redacted_reports, marker):
    listing = body(client.get(reverse("impacts:report_list"), {"q": marker}))
    assert "Cement dust over the village" not in listing
    assert client.get(reverse("api:report-list"), {"q": marker}).json()["count"] == 0
    exported = body(client.get(reverse("impacts:report_export_csv"), {"q": marker}))
    assert exported.count("\n") == 1  # the header only


def test_searching_for_the_moderators_words_finds_the_reports(client, redacted_reports):
    assert client.get(reverse("api:report-list"), {"q": "village"}).json()["count"] == 2


@pytest.mark.parametrize("attribution", ["name", "organisation"])
def test_a_named_reporter_is_published_only_as_the_moderator_left_the_name(client, project, attribution):
    """The reporter asked to be shown; the moderator shortened what they typed: only that is public."""
    report = make_report(
        **{
            **TYPED,
            **PUBLIC,
            "project": project,
            "site_name": "",
            "status": "published",
            "published_at": timezone.now(),
            "attribution": attribution,
        }
    )
    typed = TYPED["reporter_name"] if attribution == "name" else TYPED["organisation"]
    assert report.public_reporter_name == typed  # what they chose starts as the public copy
    report.public_reporter_name = "Resident of Shieli"
    report.save()
    pages = [
        client.get(report.get_absolute_url()),
        client.get(reverse("impacts:report_list")),
        client.get(reverse("impacts:report_export_csv")),
        client.get("/api/reports/" + report.reference + "/"),
    ]
    text = "".join(
        b"".join(page.streaming_content).decode() if page.streaming else page.content.decode() for page in pages
    )
    assert "Resident of Shieli" in text
    assert "Zqnamemarker" not in text and "Zqorgmarker" not in text


def test_a_hidden_name_leaves_nothing_public(client, project):
    report = make_report(
        **{
            **TYPED,
            **PUBLIC,
            "project": project,
            "site_name": "",
            "status": "published",
            "published_at": timezone.now(),
            "attribution": "name",
        }
    )
    request = report.requests.create(kind="hide_name")
    request.hide_name(by=None)
    report.refresh_from_db()
    assert report.public_reporter_name == ""
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Zqnamemarker" not in page and "Anonymous" in page
