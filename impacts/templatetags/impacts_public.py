"""Template tags for public pages outside the impacts app (e.g. the project page)."""

from django import template

from .. import project_counts
from ..models import ImpactReport

register = template.Library()

LATEST_ON_PROJECT_PAGE = 10


@register.simple_tag
def project_reports(project) -> dict:
    """The project's published reports: the latest few, how many in all, and counts per category."""
    published = ImpactReport.objects.published().filter(project=project)
    latest = published.prefetch_related("categories").order_by("-observed_on", "-pk")[:LATEST_ON_PROJECT_PAGE]
    counts = project_counts.project_counts(project.pk)  # indexed, and kept until the site changes
    return {
        "latest": list(latest),
        "total": counts["total"],
        "category_counts": project_counts.labelled(counts["categories"]),
    }


NOT_A_CHOICE = {"ordering", "page"}


@register.filter
def chosen_filters(filterset) -> int:
    """How many filters the visitor chose: the sort order (always sent) and the page are not filters."""
    return sum(1 for name in filterset.form.changed_data if name not in NOT_A_CHOICE)
