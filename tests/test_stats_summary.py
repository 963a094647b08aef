"""The statistics page counts published reports once per change of the site, not on every visit, and
its kept counts always equal the live ones: after a publication, a withdrawal, an edit, and while
the cache is down (issue 16)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from impacts import workflow
from impacts.models import ReportCategory
from impacts.views import _report_counts, report_counts
from tests.reports import make_report, make_site_project
from tests.test_outages import redis_down  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shieli():
    return make_site_project()


def in_review(project, moderator, **kw):
    report = make_report(project=project, **kw)
    workflow.apply(report, "start_review", by=moderator)
    return report


def bars(response, chart: str) -> dict:
    return {bar.label: bar.count for bar in response.context[chart].bars}


def test_the_kept_counts_equal_the_live_counts_after_each_publication_and_withdrawal(
    client, shieli, moderator, senior_moderator
):
    water = in_review(shieli, moderator, primary_category="water", categories=["water", "air"], region="kyzylorda")
    noise = in_review(shieli, moderator, primary_category="noise", region="", observed_on=datetime.date(2025, 1, 2))
    assert report_counts() == _report_counts()
    for step in [
        lambda: workflow.apply(water, "publish", by=moderator),
        lambda: workflow.apply(noise, "publish", by=moderator),
        lambda: workflow.apply(water, "withdraw", by=senior_moderator, message="Asked by the reporter."),
        lambda: ReportCategory.objects.create(report=noise, category="soil"),
        lambda: noise.categories.filter(category="soil").delete(),
    ]:
        before = report_counts()
        step()
        assert report_counts() == _report_counts()
        assert report_counts() != before


def test_a_visitor_sees_a_new_publication_in_the_statistics_at_once(client, shieli, moderator):
    report = in_review(shieli, moderator, primary_category="water", categories=["water", "air"])
    assert bars(client.get(reverse("impacts:stats")), "categories")["Water pollution"] == 0
    workflow.apply(report, "publish", by=moderator)
    categories = bars(client.get(reverse("impacts:stats")), "categories")
    # A report with two categories counts once in each (the pair is unique: no DISTINCT needed).
    assert categories["Water pollution"] == 1 and categories["Air: dust, smoke, odour"] == 1


def test_the_report_counts_are_computed_once_per_change_not_per_visit(client, shieli, moderator):
    report = in_review(shieli, moderator)
    workflow.apply(report, "publish", by=moderator)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("impacts:stats"))
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("impacts:stats"))
    aggregates = [q["sql"] for q in first.captured_queries if "impacts_impactreport" in q["sql"]]
    assert len(aggregates) == 4  # categories, sectors, regions, months
    assert not [q["sql"] for q in second.captured_queries if "impacts_impactreport" in q["sql"]]


def test_the_category_count_sorts_nothing_for_distinct(shieli):
    make_report(project=shieli, status="published", categories=["water", "air"])
    with CaptureQueriesContext(connection) as queries:
        _report_counts()
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]


def test_statistics_are_counted_live_while_the_cache_is_down(client, shieli, redis_down):  # noqa: F811
    make_report(project=shieli, status="published", primary_category="water", categories=["water"])
    response = client.get(reverse("impacts:stats"))
    assert response.status_code == 200
    assert bars(response, "categories")["Water pollution"] == 1
    # No validator without the site version; the page is still served.
    assert "ETag" not in response or not response["ETag"].startswith("W/")
