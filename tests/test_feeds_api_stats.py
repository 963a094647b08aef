"""Feeds, the JSON API and the statistics page: published reports only, and only their public version.

Extends the guarantee of test_public_reports.py to every endpoint added for data reuse.
"""

import datetime
import json
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.throttling import AnonRateThrottle

from impacts.models import ImpactReport
from tests.reports import make_site_project
from tests.test_public_reports import (
    PRIVATE_VALUES,
    UNPUBLISHED_STATUSES,
    body,
    make_private_mix,
    photo,
    published,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
# Names of private fields: none may appear in the API's data or its schema.
PRIVATE_FIELD_NAMES = [
    "contact_email",
    "contact_phone",
    "reporter_name",
    "internal_notes",
    "tracking_digest",
    "sealed_file",
    "hidden_reason",
    "organisation",
]


@pytest.fixture
def shieli():
    return make_site_project()


@pytest.fixture
def private_mix(shieli):
    # Unpublished reports get a published_at of their own, as one withdrawn after publication has:
    # still never shown.
    return make_private_mix(
        shieli,
        region="kyzylorda",
        primary_category="water",
        categories=["water", "air"],
        observed_on=datetime.date(2026, 3, 5),
        unpublished_extra={"published_at": timezone.now()},
    )


def assert_no_private_values(text: str) -> None:
    for status in UNPUBLISHED_STATUSES:
        assert f"UNPUBLISHED-{status}" not in text
    for value in PRIVATE_VALUES:
        assert value not in text


def public_urls(report: ImpactReport) -> list[str]:
    return [
        reverse("impacts:feed"),
        reverse("impacts:project_feed", args=[report.project.slug]),
        reverse("impacts:region_feed", args=["kyzylorda"]),
        reverse("api:report-list"),
        reverse("api:report-detail", args=[report.reference]),
    ]


def test_feeds_and_api_show_the_published_report_and_nothing_private(client, private_mix):
    for url in public_urls(private_mix):
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        assert "Cement dust over Shieli" in text, url
        assert_no_private_values(text)
        for name in PRIVATE_FIELD_NAMES:
            assert name not in text, (url, name)


@pytest.mark.parametrize("name", ["api:project-list", "api:schema", "impacts:stats"])
def test_catalogue_schema_and_statistics_leak_nothing(client, private_mix, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    text = body(response)
    assert_no_private_values(text)
    if name != "impacts:stats":
        for field_name in PRIVATE_FIELD_NAMES:
            assert field_name not in text


def test_unpublished_reports_are_not_found_in_the_api(client, private_mix):
    for report in ImpactReport.objects.exclude(status="published"):
        assert client.get(reverse("api:report-detail", args=[report.reference])).status_code == 404


def test_the_atom_feed_gives_title_excerpt_link_and_publication_date(client, private_mix):
    response = client.get(reverse("impacts:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own feed, not untrusted input)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == "Cement dust over Shieli"
    assert entry.findtext(f"{ATOM}summary") == "Dust settles on the houses every night."
    assert entry.find(f"{ATOM}link").get("href").endswith(private_mix.get_absolute_url())
    assert entry.findtext(f"{ATOM}published")
    assert "CC BY 4.0" in feed.findtext(f"{ATOM}rights")


def test_project_and_region_feeds_hold_only_their_own_reports(client, private_mix):
    published(
        public_title="Steel noise",
        region="pavlodar",
        project=make_site_project(name_en="Pavlodar steel", slug="pavlodar-steel", region="pavlodar"),
    )
    project_feed = body(client.get(reverse("impacts:project_feed", args=["shieli-cement"])))
    region_feed = body(client.get(reverse("impacts:region_feed", args=["pavlodar"])))
    assert "Cement dust over Shieli" in project_feed and "Steel noise" not in project_feed
    assert "Steel noise" in region_feed and "Cement dust over Shieli" not in region_feed


@pytest.mark.parametrize("url", ["/en/reports/feed/project/no-such-plant/", "/en/reports/feed/region/atlantis/"])
def test_feeds_of_unknown_projects_or_regions_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_the_reports_list_links_its_feeds_and_the_api(client, private_mix):
    text = body(client.get(reverse("impacts:report_list"), {"region": "kyzylorda"}))
    assert (
        f'rel="alternate" type="application/atom+xml" title="Newly published reports (Atom)" '
        f'href="{reverse("impacts:feed")}"' in text
    )
    assert f'href="{reverse("impacts:region_feed", args=["kyzylorda"])}"' in text
    assert reverse("api:report-list") + "?region=kyzylorda" in text


def test_the_project_page_links_its_feed(client, private_mix, shieli):
    assert reverse("impacts:project_feed", args=[shieli.slug]) in body(client.get(shieli.get_absolute_url()))


# The API ------------------------------------------------------------------------------------------


def test_api_report_list_carries_the_licence_and_public_fields(client, private_mix):
    response = client.get(reverse("api:report-list"))
    assert 'rel="license"' in response["Link"]
    data = response.json()
    assert data["license"]["name"] == "CC BY 4.0"
    assert data["attribution"]
    assert data["count"] == 1
    [report] = data["results"]
    assert report["title"] == "Cement dust over Shieli"
    assert report["reporter"] == "Anonymous"
    assert (report["latitude"], report["longitude"]) == ("43.12000", "68.54000")
    assert report["categories"] == ["air", "water"]
    assert report["project"]["slug"] == "shieli-cement"


def test_api_uses_the_filters_of_the_reports_list(client, private_mix):
    published(public_title="Noise at night", primary_category="noise", region="pavlodar")
    api = reverse("api:report-list")
    assert [r["title"] for r in client.get(api, {"category": "water"}).json()["results"]] == ["Cement dust over Shieli"]
    assert [r["title"] for r in client.get(api, {"region": "pavlodar"}).json()["results"]] == ["Noise at night"]
    found = {r["title"] for r in client.get(api, {"q": "night"}).json()["results"]}
    assert found == {"Noise at night", "Cement dust over Shieli"}
    assert client.get(api, {"q": "Secretname"}).json()["count"] == 0


def test_api_page_size_is_bounded(client, shieli):
    for number in range(3):
        published(project=shieli, public_title=f"Dust {number}")
    data = client.get(reverse("api:report-list"), {"page_size": "100000"}).json()
    assert len(data["results"]) == 3
    from impacts.api import MAX_PAGE_SIZE, LicensedPagination

    assert LicensedPagination.max_page_size == MAX_PAGE_SIZE == 100
    assert client.get(reverse("api:report-list"), {"page_size": "2"}).json()["next"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(client, private_mix, method):
    for url in [
        reverse("api:report-list"),
        reverse("api:report-detail", args=[private_mix.reference]),
        reverse("api:project-list"),
        reverse("api:project-detail", args=["shieli-cement"]),
    ]:
        response = getattr(client, method)(url, data="{}", content_type="application/json")
        assert response.status_code == 405, (method, url)
    assert ImpactReport.objects.published().get().public_title == "Cement dust over Shieli"


def test_api_project_detail_lists_its_sources(client, shieli):
    from tests.catalogue import add_company, add_source

    add_source(shieli, url="https://example.org/shieli", title="Plant opens")
    add_company(shieli, "China Building Materials")
    data = client.get(reverse("api:project-detail", args=["shieli-cement"])).json()
    assert data["sources"][0]["url"] == "https://example.org/shieli"
    assert data["parties"][0]["company"] == "China Building Materials"
    assert client.get(reverse("api:project-detail", args=["no-such-plant"])).status_code == 404
    listed = client.get(reverse("api:project-list")).json()
    assert listed["results"][0]["sources"][0]["title"] == "Plant opens"


def test_anonymous_clients_are_throttled(client, monkeypatch, settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"]
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    codes = [client.get(reverse("api:project-list")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_schema_is_published_at_a_stable_address(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/reports/" in schema["paths"]
    assert set(schema["paths"]["/api/reports/"]) == {"get"}


@pytest.mark.parametrize("rows", [5, 50])
def test_api_queries_do_not_grow_with_the_number_of_reports(client, shieli, rows, django_assert_max_num_queries):
    for number in range(rows):
        report = published(project=shieli, public_title=f"Dust {number}", categories=["air", "noise"])
        photo(report)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("api:report-list"), {"page_size": "100"})
    assert len(response.json()["results"]) == rows
    with django_assert_max_num_queries(5):
        client.get(reverse("api:project-list"))
    with django_assert_max_num_queries(3):
        client.get(reverse("impacts:feed"))


@pytest.mark.parametrize("params", [{"ordering": "severity"}, {"ordering": "oldest"}, {"q": "dust"}, {}])
def test_api_pages_read_no_column_left_out_in_any_order(client, shieli, params, django_assert_max_num_queries):
    """The list loads only the columns it serializes (ReportViewSet.get_queryset): every order and
    its next page stay within the same few queries (a column left out would cost one per report)."""
    for number in range(12):
        published(project=shieli, public_title=f"Dust {number}", categories=["air"], severity=1 + number % 4)
    with django_assert_max_num_queries(5):
        first = client.get(reverse("api:report-list"), {**params, "page_size": "5"}).json()
    assert len(first["results"]) == 5 and first["results"][0]["project"]["slug"] == shieli.slug
    with django_assert_max_num_queries(5):
        second = client.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert not {r["reference"] for r in first["results"]} & {r["reference"] for r in second["results"]}


# Statistics --------------------------------------------------------------------------------------


def test_statistics_count_only_published_reports(client, private_mix):
    published(public_title="Noise", primary_category="noise", region="", observed_on=datetime.date(2025, 1, 2))
    context = client.get(reverse("impacts:stats")).context
    categories = {bar.label: bar.count for bar in context["categories"].bars}
    assert categories["Water pollution"] == 1 and categories["Noise and vibration"] == 1
    assert context["categories"].total == 3  # the water report also names air
    assert context["regions"].total == context["sectors"].total == context["months"].total == 2
    assert {bar.label: bar.count for bar in context["regions"].bars} == {"Kyzylorda region": 1, "Region not stated": 1}


def test_statistics_draw_svg_bars_with_a_table_and_no_inline_style_or_script(client, private_mix):
    from tests.catalogue import import_catalogue

    import_catalogue()
    text = body(client.get(reverse("impacts:stats")))
    main = text[text.index("<main") : text.index("</main>")]
    assert main.count("<svg") == 6
    assert main.count("<table") == 7  # one per chart, and the official comparison
    assert "<rect" in main and '<th scope="row">Water pollution</th>' in main
    assert "style=" not in main and "<script" not in main
    assert "Official breakdown" in main
    assert reverse("impacts:stats") in text  # linked from the navigation


def test_statistics_queries_are_few(client, private_mix, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client.get(reverse("impacts:stats"))


# Search on PostgreSQL uses the GIN index -----------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN index and EXPLAIN are PostgreSQL only")
def test_search_uses_the_full_text_index_on_postgresql(private_mix):
    from impacts.filters import ImpactReportFilter
    from impacts.search import INDEX

    # Over all rows, so the GIN index is the only index that applies (with a handful of rows the
    # planner would rightly prefer the status index; bench/public_pages.py shows the plan at scale).
    queryset = ImpactReportFilter({"q": "dust"}, queryset=ImpactReport.objects.all()).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert f"Bitmap Index Scan on {INDEX}" in plan, plan
    assert "to_tsvector" not in plan, plan  # the stored vector, never one computed per row
    assert [report.public_title for report in queryset.filter(status="published")] == ["Cement dust over Shieli"]
