"""How many published reports a project has, in all and per impact category (the project page).

Counting a project's categories by joining its reports to ``impacts_reportcategory`` makes
PostgreSQL read that whole table (a hash join over every report's categories: 190,000 rows at
100,000 reports) to count a few thousand. Here each of the project's published reports is found on
the (project, status, …) index (migration 0013) and its categories on the (report, category) index
of the unique constraint, through a correlated ``ARRAY(SELECT …)``: the work follows the project's own
reports, never the whole table. And the result is kept until the site changes (kzcn.freshness), so a
page view after the first costs one cache read, whatever the number of reports.
"""

from collections import Counter

from django.db import connection
from django.db.models import Count

from kzcn.freshness import kept_until_change

from .models import Category, ImpactReport, ReportCategory, Status

# Constant SQL (table and column names are the models' own); the values travel as parameters.
POSTGRES_CATEGORY_COUNTS = f"""
SELECT category, COUNT(*) FROM (
    SELECT unnest(ARRAY(
        SELECT link.category FROM {ReportCategory._meta.db_table} AS link WHERE link.report_id = report.id
    )) AS category
    FROM {ImpactReport._meta.db_table} AS report
    WHERE report.project_id = %s AND report.status = %s
) AS categories
GROUP BY category
"""  # noqa: S608


def _category_totals(project_id: int) -> dict[str, int]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(POSTGRES_CATEGORY_COUNTS, [project_id, Status.PUBLISHED])
            return dict(cursor.fetchall())
    # SQLite (development): the plain join; its planner walks the project's reports first anyway.
    links = ReportCategory.objects.filter(report__project_id=project_id, report__status=Status.PUBLISHED)
    return dict(links.order_by().values_list("category").annotate(total=Count("pk")))


def _live_counts(project_id: int) -> dict:
    totals = _category_totals(project_id)
    return {
        "total": ImpactReport.objects.published().filter(project_id=project_id).count(),
        # Most reported first, then by code, as before: a stable order for the page.
        "categories": sorted(Counter(totals).items(), key=lambda item: (-item[1], item[0])),
    }


def project_counts(project_id: int) -> dict:
    """{"total": n, "categories": [(code, n), …]} for the project's published reports, kept until
    the site changes."""
    return kept_until_change(f"project-counts:{project_id}", lambda: _live_counts(project_id))


def labelled(categories: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(label in the visitor's language, n): labels are looked up per request, never kept."""
    labels = dict(Category.choices)
    return [(labels.get(code, code), total) for code, total in categories]
