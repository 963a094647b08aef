import sys

from django.core.paginator import Paginator
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.views.decorators.http import require_http_methods

from impacts import abuse
from impacts.evidence import PreparedEvidence
from impacts.exports import spreadsheet_lines
from impacts.places.base_map import around, place_map
from impacts.places.plants import place_in_words
from kzcn.freshness import public_page

from . import suggested_document, timeline
from .coverage import programme_coverage
from .filters import ProjectFilter
from .forms import SuggestionForm
from .models import ProgrammeFigure, Project, Sector, Status, Suggestion, SuggestionKind

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


@public_page
def home(request: HttpRequest) -> HttpResponse:
    figures = ProgrammeFigure.objects.by_key()
    status_counts = Project.objects.count_by("status")
    sector_counts = Project.objects.count_by("sector")
    # The figures for templates/projects/includes/coverage.html; the flat keys are kept for the page.
    coverage = programme_coverage()
    context = {
        "coverage": coverage,
        "identified": coverage.identified,
        "programme_total": coverage.programme_total,
        "unidentified": coverage.unidentified,
        "reported": coverage.reported,
        "headline_figures": [f for key, f in figures.items() if key not in BREAKDOWN_KEYS],
        "breakdown_source": figures.get("launched_count"),
        "comparison": status_comparison(status_counts, figures),
        "ties": coverage.by_tie,
        "sectors": [(sector, sector_counts.get(sector.value, 0)) for sector in Sector],
        "latest_reports": latest_published_reports(),
        **home_map(),
    }
    return render(request, "projects/home.html", context)


def home_map() -> dict:
    """The home page's map: every plant with sourced coordinates, and the published reports clustered."""
    plants = list(Project.objects.filter(latitude__isnull=False, longitude__isnull=False).ordered_for())
    return {"mapped_plants": plants, "place_map": place_map(plants=plants)}


def latest_published_reports(count: int = 5) -> list:
    """The newest published reports for the home page (the template shows their public fields only)."""
    from impacts.models import ImpactReport  # impacts builds on projects: import at use, not at load

    return list(ImpactReport.objects.published().select_related("project").order_by("-published_at", "-pk")[:count])


@public_page
def project_list(request: HttpRequest) -> HttpResponse:
    projects = Project.objects.prefetch_related("parties__company").ordered_for()
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


@public_page
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project.objects.with_related(), slug=slug)
    sources = project.numbered_sources()
    kind = timeline.chosen_kind(request.GET.get("kind"))
    context = {
        "project": project,
        "sources": sources,
        "footnotes": project.fact_footnotes(sources),
        "tie_source": next((source for source in sources if source.url == project.programme_tie_url), None),
        "timeline_kind": kind,
        "timeline": timeline.project_timeline(project, kind),
        "timeline_kinds": timeline.kind_counts(project),
        "credits": [s.public_credit for s in project.suggestions.filter(credit=True) if s.public_credit],
        "main_source": next((source for source in sources if source.is_primary), None),
        "notes_sources": [source for source in sources if source.supports_environmental_notes],
        # The plant and the published reports around it, where a source states where it is.
        "place_map": place_map(bounds=around(project.latitude, project.longitude), plants=[project])
        if project.has_coordinates
        else None,
        "place_words": place_in_words(project),
    }
    return render(request, "projects/project_detail.html", context)


TIMELINE_COLUMNS = ["date", "kind", "summary", "place", "minutes_url", "source_title", "source_url", "report_url"]


@public_page
def project_timeline_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The project's timeline (one kind with ?kind=) as CSV, every cell safe for spreadsheets."""
    project = get_object_or_404(Project, slug=slug)
    kind = timeline.chosen_kind(request.GET.get("kind"))
    rows = (
        [
            entry.date.isoformat(),
            entry.kind,
            entry.summary,
            entry.place,
            entry.minutes_url,
            entry.source.display_title if entry.source else "",
            entry.source.url if entry.source else "",
            request.build_absolute_uri(entry.report.get_absolute_url()) if entry.report else "",
        ]
        for entry in timeline.project_timeline(project, kind)
    )
    response = StreamingHttpResponse(
        spreadsheet_lines(TIMELINE_COLUMNS, rows, set()), content_type="text/csv; charset=utf-8"
    )
    name = f"{project.slug}-timeline{'-' + kind if kind else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
def suggest(request: HttpRequest) -> HttpResponse:
    """Propose a missing project or a correction; kept private until an editor accepts it.

    The same protection as the report form: a hidden field a bot fills, a signed start time (too
    fast or too old is refused), a limit on posts per address, and one suggestion per form.
    """
    if request.method == "GET":
        project = Project.objects.filter(slug=request.GET.get("project") or "").first()
        initial = {"kind": SuggestionKind.CORRECTION, "project": project.pk} if project else {}
        return _suggest_page(request, SuggestionForm(initial=initial), abuse.new_form_token())
    token = abuse.read_form_token(request.POST.get(abuse.TIMESTAMP_FIELD))
    problem = abuse.count_post(request)
    if abuse.honeypot_filled(request.POST) or token is None:
        problem = abuse.UNREADABLE_TOKEN
    problem = problem or token.problem()
    form = SuggestionForm(request.POST, request.FILES)
    form_key = token.submission_key if token else ""
    if problem is None:
        if form.is_valid() and Suggestion.objects.filter(submission_key=form_key).exists():
            return redirect("projects:suggestion_sent")  # a double tap: one suggestion, same thanks
        document = suggested_document.attached(request.FILES.get("document"), request.POST, form_key)
        if document.error:
            form.add_error("document", document.error)
        if form.is_valid():
            _save_suggestion(form, form_key, document.prepared)
            document.sealed()
            return redirect("projects:suggestion_sent")
        kept = document.keep_for_retry(form_key)
    else:
        form.add_error(None, problem)
        kept = suggested_document.posted_kept(request.POST, form_key)  # carried over, not opened
    # Refused before any check, a newly chosen file is not kept: the page says to choose it again.
    document_dropped = problem is not None and bool(request.FILES.get("document"))
    return _suggest_page(
        request,
        form,
        token.for_retry() if token else abuse.new_form_token(),
        status=400,
        kept_document=kept,
        document_dropped=document_dropped,
    )


def _save_suggestion(form: SuggestionForm, submission_key: str, document: PreparedEvidence | None) -> None:
    suggestion = form.save(commit=False)
    suggestion.submission_key = submission_key
    if document is not None:
        suggestion.attach_document(document)
    try:
        with transaction.atomic():
            suggestion.save()
    except IntegrityError:
        suggestion.delete_document_files()
        # The same form's other post (a double tap) saved it meanwhile: one suggestion, same thanks.
        if not Suggestion.objects.filter(submission_key=submission_key).exists():
            raise
    except BaseException:
        suggestion.delete_document_files()  # no sealed file without its row
        raise


def _suggest_page(
    request: HttpRequest,
    form: SuggestionForm,
    signed_token: str,
    status: int = 200,
    kept_document=None,
    document_dropped: bool = False,
) -> HttpResponse:
    context = {
        "form": form,
        "kept_document": kept_document,
        "kept_document_name": suggested_document.KEPT_FIELD,
        "remove_kept_document_name": suggested_document.REMOVE_FIELD,
        "document_dropped": document_dropped,
        "timestamp": signed_token,
        "honeypot_name": abuse.HONEYPOT_FIELD,
        "timestamp_name": abuse.TIMESTAMP_FIELD,
    }
    return render(request, "projects/suggest.html", context, status=status)


def suggestion_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/suggestion_sent.html")


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
