import sys

from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import get_object_or_404, render
from django.template import loader

from .filters import ProjectFilter
from .models import PROGRAMME_PROJECT_COUNT, ProgrammeFigure, ProgrammeTie, Project, Sector, Status

PROJECTS_PER_PAGE = 20

# The July 2022 breakdown of the 52 projects, by status: (count figure key, value figure key).
OFFICIAL_BREAKDOWN = {
    Status.LAUNCHED: ("launched_count", "launched_value"),
    Status.IN_PROGRESS: ("in_progress_count", "in_progress_value"),
    Status.UNDER_REVIEW: ("under_review_count", None),
}
BREAKDOWN_KEYS = {key for keys in OFFICIAL_BREAKDOWN.values() for key in keys if key}


def status_comparison(status_counts: dict[str, int], figures: dict[str, ProgrammeFigure]) -> list[dict]:
    """One row per status: how many catalogue projects have it, beside the official breakdown."""
    comparison = []
    for status in Status:
        count_key, value_key = OFFICIAL_BREAKDOWN.get(status, (None, None))
        comparison.append(
            {
                "status": status,
                "catalogue": status_counts.get(status.value, 0),
                "official_count": figures.get(count_key),
                "official_value": figures.get(value_key),
            }
        )
    return comparison


def home(request: HttpRequest) -> HttpResponse:
    figures = ProgrammeFigure.objects.by_key()
    status_counts = Project.objects.count_by("status")
    tie_counts = Project.objects.count_by("programme_tie")
    sector_counts = Project.objects.count_by("sector")
    programme_figure = figures.get("programme_projects")
    programme_total = int(programme_figure.value) if programme_figure else PROGRAMME_PROJECT_COUNT
    identified = sum(status_counts.values())
    # Projects only reported as linked do not shrink the unidentified part of the programme.
    tied = tie_counts.get(ProgrammeTie.OFFICIAL, 0) + tie_counts.get(ProgrammeTie.EARLIER_LIST, 0)
    context = {
        "identified": identified,
        "programme_total": programme_total,
        "unidentified": max(programme_total - tied, 0),
        "reported": tie_counts.get(ProgrammeTie.REPORTED, 0),
        "headline_figures": [f for key, f in figures.items() if key not in BREAKDOWN_KEYS],
        "breakdown_source": figures.get("launched_count"),
        "comparison": status_comparison(status_counts, figures),
        "ties": [(tie, tie_counts.get(tie.value, 0)) for tie in ProgrammeTie],
        "sectors": [(sector, sector_counts.get(sector.value, 0)) for sector in Sector],
    }
    return render(request, "projects/home.html", context)


def project_list(request: HttpRequest) -> HttpResponse:
    projects = Project.objects.prefetch_related("parties__company").order_by("name_en", "pk")
    filterset = ProjectFilter(request.GET, queryset=projects)
    page = Paginator(filterset.qs, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    filtered = any(value for key, value in request.GET.items() if key not in ("page", "ordering"))
    context = {
        "filterset": filterset,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "filtered": filtered,
    }
    return render(request, "projects/project_list.html", context)


def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project.objects.with_related(), slug=slug)
    sources = project.numbered_sources()
    context = {
        "project": project,
        "sources": sources,
        "main_source": next((source for source in sources if source.is_primary), None),
        "notes_sources": [source for source in sources if source.supports_environmental_notes],
    }
    return render(request, "projects/project_detail.html", context)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request: no context processors, no database, no session.

    A database outage that struck before any view ran (e.g. loading the session) is a 503 with
    the person's text, like the ones kzcn.middleware catches inside views.
    """
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        from kzcn.middleware import database_unavailable

        return database_unavailable(request)
    return HttpResponseServerError(loader.get_template("500.html").render())
