"""The map asks the server for one view at a time and gets the published reports clustered per grid cell:
counts that add up, nothing unpublished, no exact point, a small answer and a fixed number of queries
whatever the number of reports, and a clear 400 for a view it cannot answer."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from impacts.models import ImpactReport, Status
from impacts.places.clusters import KAZAKHSTAN_BBOX, MAX_CELLS_ACROSS
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

URL = reverse("impacts:map_points")
KAZAKHSTAN = ",".join(str(value) for value in KAZAKHSTAN_BBOX)


def published(**kw) -> ImpactReport:
    return make_report(status=Status.PUBLISHED, published_at=timezone.now(), **kw)


def many_published(count: int, latitude: float = 43.3, longitude: float = 68.2, spread: float = 0.5, **kw) -> None:
    """`count` published reports scattered over a square of `spread` degrees (fast: one bulk insert)."""
    side = max(1, int(count**0.5))
    ImpactReport.objects.bulk_create(
        ImpactReport(
            reference=f"KZCN-T-{number:06d}",
            tracking_digest=f"digest-{number:06d}",
            status=Status.PUBLISHED,
            published_at=timezone.now(),
            reporter_type="resident",
            primary_category="air",
            severity=2,
            title="Dust",
            public_title=f"Dust over the village number {number}",
            description="Dust.",
            site_name="Quarry",
            observed_on=datetime.date(2026, 10, 1),
            language="ru",
            consent_publication=True,
            consent_privacy=True,
            public_latitude=Decimal(f"{latitude + spread * (number % side) / side:.5f}"),
            public_longitude=Decimal(f"{longitude + spread * (number // side) / side:.5f}"),
            **kw,
        )
        for number in range(count)
    )


def points(client, zoom=5, bbox=KAZAKHSTAN, **filters) -> dict:
    response = client.get(URL, {"zoom": zoom, "bbox": bbox, **filters})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_counts_add_up_to_the_published_reports_in_view_and_unpublished_ones_never_appear(client):
    for number in range(3):
        published(
            public_title=f"Dust {number}",
            latitude="43.12345",
            longitude="68.54321",
            public_latitude="43.12",
            public_longitude="68.54",
        )
    published(public_title="Far east", public_latitude="49.95", public_longitude="82.61")
    published(public_title="No place")  # no public point: not on the map
    for status in (Status.SUBMITTED, Status.IN_REVIEW, Status.REJECTED):
        make_report(
            status=status, title="Secret", public_title="Secret", public_latitude="43.13", public_longitude="68.55"
        )

    answer = points(client)

    assert answer["total"] == 4
    assert sum(point["count"] for point in answer["points"]) == 4
    assert sorted(point["count"] for point in answer["points"]) == [1, 3]
    assert "Secret" not in json.dumps(answer, ensure_ascii=False)


def test_a_lone_report_comes_with_its_public_fields_and_never_its_exact_point(client):
    report = published(
        public_title="Cement dust over Shieli",
        latitude="43.16123",
        longitude="68.54987",
        public_latitude="43.16",
        public_longitude="68.55",
        reporter_name="Aigul Serikova",
        contact_email="aigul@example.org",
    )

    [point] = points(client)["points"]

    assert point == {
        "count": 1,
        "lat": 43.16,
        "lon": 68.55,
        "reference": report.reference,
        "title": "Cement dust over Shieli",
        "url": report.get_absolute_url(),
        "severity": 3,
        "observed_on": "2026-10-01",
    }
    text = json.dumps(points(client, zoom=12, bbox="68.4,43.0,68.7,43.3"))
    for private in ("43.16123", "68.54987", "Aigul", "aigul@example.org"):
        assert private not in text


def test_a_cluster_gives_only_a_count_and_a_mean_public_position(client):
    published(public_latitude="43.10", public_longitude="68.50", latitude="43.10444", longitude="68.50444")
    published(public_latitude="43.20", public_longitude="68.60", latitude="43.20444", longitude="68.60444")

    [cluster] = points(client)["points"]

    assert cluster == {"count": 2, "lat": 43.15, "lon": 68.55}


def test_zooming_in_splits_a_cluster(client):
    published(public_latitude="43.10", public_longitude="68.50")
    published(public_latitude="43.30", public_longitude="68.90")

    assert [p["count"] for p in points(client, zoom=5)["points"]] == [2]
    assert sorted(p["count"] for p in points(client, zoom=10, bbox="68.0,42.8,69.4,43.6")["points"]) == [1, 1]


def test_the_bounds_limit_the_reports(client):
    published(public_latitude="43.10", public_longitude="68.50")
    published(public_latitude="49.95", public_longitude="82.61")

    answer = points(client, zoom=7, bbox="66,42,70,45")

    assert answer["total"] == 1


def test_the_map_pages_filters_apply(client):
    plant = make_site_project()
    published(
        project=plant, public_latitude="43.10", public_longitude="68.50", categories=["water"], primary_category="water"
    )
    published(public_latitude="43.11", public_longitude="68.51", observed_on=datetime.date(2025, 1, 5))

    assert points(client, category="water")["total"] == 1
    assert points(client, sector="construction_materials")["total"] == 1
    assert points(client, observed_from="2026-01-01")["total"] == 1
    assert points(client, status="launched")["total"] == 2  # the plants' status: a choice about plants only


def test_a_filter_that_cannot_be_understood_is_left_out_and_named(client):
    published(public_latitude="43.10", public_longitude="68.50")

    answer = points(client, observed_from="notadate", category="smog")

    assert answer["total"] == 1
    assert answer["ignored_filters"] == ["category", "observed_from"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"bbox": KAZAKHSTAN}, "zoom must be a whole number"),
        ({"zoom": "x", "bbox": KAZAKHSTAN}, "zoom must be a whole number"),
        ({"zoom": "5.5", "bbox": KAZAKHSTAN}, "zoom must be a whole number"),
        ({"zoom": "19", "bbox": KAZAKHSTAN}, "zoom must be a whole number"),
        ({"zoom": "-1", "bbox": KAZAKHSTAN}, "zoom must be a whole number"),
        ({"zoom": "99999999999999999999", "bbox": KAZAKHSTAN}, "zoom must be a whole number"),
        ({"zoom": "5"}, "bbox must be four numbers"),
        ({"zoom": "5", "bbox": "1,2,3"}, "bbox must be four numbers"),
        ({"zoom": "5", "bbox": "a,b,c,d"}, "bbox must be four numbers"),
        ({"zoom": "5", "bbox": "nan,40,88,56"}, "bbox must be four numbers"),
        ({"zoom": "5", "bbox": "46,40,inf,56"}, "bbox must be four numbers"),
        ({"zoom": "5", "bbox": "88,40,46,56"}, "west < east"),
        ({"zoom": "5", "bbox": "46,56,88,40"}, "west < east"),
        ({"zoom": "5", "bbox": "-200,40,88,56"}, "west < east"),
        ({"zoom": "5", "bbox": "46,40,88,95"}, "west < east"),
    ],
)
def test_a_view_the_map_cannot_answer_is_a_clear_400(client, query, message):
    response = client.get(URL, query)

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_many_reports_in_a_small_area_make_a_small_answer(client):
    many_published(5_000, spread=0.2)

    answer_bytes = client.get(URL, {"zoom": 5, "bbox": KAZAKHSTAN}).content
    assert json.loads(answer_bytes)["total"] == 5_000
    assert len(answer_bytes) < 2_000

    # Zoomed right in, every report has a cell of its own; the grid is still capped.
    close = client.get(URL, {"zoom": 18, "bbox": "68.1,43.2,68.5,43.6"})
    answer = close.json()
    assert answer["total"] == 5_000
    assert len(answer["points"]) <= MAX_CELLS_ACROSS**2
    assert len(close.content) < 200_000


def test_the_answer_is_bounded_even_for_a_whole_world_view_at_the_closest_zoom(client):
    many_published(3_000, latitude=41.0, longitude=50.0, spread=14.0)

    response = client.get(URL, {"zoom": 18, "bbox": "-180,-90,180,90"})

    assert response.status_code == 200
    assert len(response.json()["points"]) <= MAX_CELLS_ACROSS**2
    assert len(response.content) < 200_000


@pytest.mark.parametrize("count", [10, 400])
def test_the_number_of_queries_does_not_grow_with_the_reports(client, count):
    many_published(count, spread=3.0)

    with CaptureQueriesContext(connection) as queries:
        points(client, zoom=7, bbox="66,42,72,47")

    # The project choices of the filter, the grid, the lone reports; none per report.
    assert len(queries) <= 4


def test_the_answer_can_be_cached_and_revalidated(client):
    published(public_latitude="43.10", public_longitude="68.50")

    response = client.get(URL, {"zoom": 5, "bbox": KAZAKHSTAN})

    assert "public" in response["Cache-Control"]
    again = client.get(URL, {"zoom": 5, "bbox": KAZAKHSTAN}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_without_filters_the_coarse_grid_is_counted_once_until_the_site_changes(client):
    many_published(200, spread=3.0)
    points(client)  # counted here

    with CaptureQueriesContext(connection) as queries:
        assert points(client)["total"] == 200
    assert not any("GROUP BY" in query["sql"] for query in queries.captured_queries)

    published(public_latitude="49.95", public_longitude="82.61")  # a change of the site
    assert points(client)["total"] == 201
    # A filter is counted live.
    assert points(client, severity="3")["total"] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the query plan is PostgreSQL's")
@pytest.mark.postgres
def test_a_zoomed_in_view_reads_its_reports_off_the_map_point_index():
    # At 100,000 reports a town-sized view scanned every report (bench: 316 ms at zoom 12): the
    # bounds must be an index range over published reports' public points.
    from impacts.places import clusters

    many_published(400, spread=4.0)
    view = clusters.parse_view({"zoom": "12", "bbox": "68.2,43.3,68.3,43.4"})
    query = clusters._in_view(ImpactReport.objects.published(), view).order_by().values("pk")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE impacts_impactreport")  # the planner knows every report is published
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "report_public_point" in plan, plan
