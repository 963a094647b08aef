"""Template tags for public pages outside the impacts app (e.g. the project page)."""

from django import template
from django.db.models import Count

from ..models import Category, ImpactReport, ReportCategory

register = template.Library()

LATEST_ON_PROJECT_PAGE = 10


@register.simple_tag
def project_reports(project) -> dict:
    """The project's published reports: the latest few, how many in all, and counts per category."""
    published = ImpactReport.objects.published().filter(project=project)
    latest = published.prefetch_related("categories").order_by("-observed_on", "-pk")[:LATEST_ON_PROJECT_PAGE]
    counts = (
        ReportCategory.objects.filter(report__in=published)
        .values_list("category")
        .annotate(total=Count("id"))
        .order_by("-total", "category")
    )
    labels = dict(Category.choices)
    return {
        "latest": list(latest),
        "total": published.count(),
        "category_counts": [(labels.get(category, category), total) for category, total in counts],
    }


NOT_A_CHOICE = {"ordering", "page"}


@register.filter
def chosen_filters(filterset) -> int:
    """How many filters the visitor chose: the sort order (always sent) and the page are not filters."""
    return sum(1 for name in filterset.form.changed_data if name not in NOT_A_CHOICE)
