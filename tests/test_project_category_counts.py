"""The project page counts its reports per impact from the project's own reports, not the whole table,
and keeps the counts until the site changes (impacts.project_counts)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from impacts import project_counts, workflow
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db


def published(**kw):
    return make_report(status="published", published_at=timezone.now(), **kw)


@pytest.fixture
def project():
    project = make_site_project()
    other = make_site_project(slug="other-plant", name_en="Other plant")
    published(project=project, primary_category="air", categories=["air", "water"])
    published(project=project, primary_category="air", categories=["air"])
    published(project=project, primary_category="noise", categories=["noise", "water"])
    published(project=other, categories=["air", "soil"])  # another project's: not counted
    make_report(project=project, categories=["waste"])  # not published: not counted
    return project


def test_counts_equal_the_live_join_and_follow_publish_and_withdraw(project, moderator, senior_moderator):
    assert project_counts.project_counts(project.pk) == {
        "total": 3,
        "categories": [("air", 2), ("water", 2), ("noise", 1)],
    }

    report = make_report(project=project, status="in_review", categories=["waste", "air"])
    workflow.apply(report, "publish", by=moderator)
    assert project_counts.project_counts(project.pk) == {
        "total": 4,
        "categories": [("air", 3), ("water", 2), ("noise", 1), ("waste", 1)],
    }

    workflow.apply(report, "withdraw", by=senior_moderator, message="Asked by the reporter")
    assert project_counts.project_counts(project.pk)["total"] == 3


def test_the_project_page_shows_the_counts_and_reads_them_once_per_change(client, project):
    response = client.get(project.get_absolute_url())
    text = response.content.decode()
    assert "3 published reports about this project." in text
    assert "Air: dust, smoke, odour: 2" in text and "Water pollution: 2" in text
    assert "Noise and vibration: 1" in text and "Waste:" not in text

    def counting_queries(queries):
        return [
            q for q in queries.captured_queries if "reportcategory" in q["sql"].lower() and "count(" in q["sql"].lower()
        ]

    with CaptureQueriesContext(connection) as queries:
        client.get(project.get_absolute_url(), {"kind": "news"})  # another address, same site version
    assert counting_queries(queries) == []

    published(project=project, categories=["soil"])  # the site changes: counted again, once
    with CaptureQueriesContext(connection) as queries:
        text = client.get(project.get_absolute_url()).content.decode()
    assert len(counting_queries(queries)) == 1
    assert "4 published reports about this project." in text and "Soil contamination: 1" in text


@pytest.mark.parametrize("extra", [0, 30])
def test_the_project_page_costs_the_same_queries_with_more_reports(
    client, project, extra, django_assert_max_num_queries
):
    for _ in range(extra):
        published(project=project, categories=["air", "noise"])
    with django_assert_max_num_queries(25):
        assert client.get(project.get_absolute_url()).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the query plan is PostgreSQL's")
@pytest.mark.postgres
def test_the_count_reads_the_projects_reports_and_their_categories_by_index(project):
    with connection.cursor() as cursor:
        # A handful of rows is read whole by any planner: forbid that, as a big table does, and see
        # which indexes the query's shape lets it use.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + project_counts.POSTGRES_CATEGORY_COUNTS, [project.pk, "published"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan and "Hash Join" not in plan, plan
    assert "SubPlan" in plan, plan  # categories are looked up per report of the project, not joined whole
    # Each report's categories off an index on report_id (the FK's, or the unique constraint's).
    assert re.search(r"Index (Only )?Scan using \S+ on impacts_reportcategory link", plan), plan
    assert "Index Cond: (report_id = report.id)" in plan, plan
