import hashlib

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.formats import date_format
from django.utils.http import quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kzcn.admin_site import is_trusted_staff
from kzcn.freshness import kept_until_change, public_page
from projects.models import ProgrammeFigure, Project, Region, Sector
from projects.views import status_comparison

from . import abuse, byte_ranges, charts, exports, keyset, timeline, workflow
from .evidence.fingerprints import file_sha256
from .exports import prebuilt
from .filters import ImpactReportFilter
from .forms import (
    KEPT_FILES_FIELD,
    REMOVE_KEPT_FIELD,
    ImpactReportForm,
    LostLinkForm,
    ReporterAnswerForm,
    ReporterRequestForm,
)
from .models import (
    Category,
    Evidence,
    EvidenceWriter,
    ImpactReport,
    NotificationKind,
    ReportCategory,
    ReporterRequest,
    Status,
    token_digest,
)
from .neighbours import views as neighbours
from .neighbours.forms import ReporterFollowUpForm
from .notifications import notify_reporter
from .places.base_map import place_map
from .places.plants import MapFilter, plants_in
from .tasks import send_lost_links

SUBMITTED_SESSION_KEY = "impacts.just_submitted"


def _private(response):
    """Pages that hold a secret (the tracking token) must not be cached, indexed or leaked as referrer."""
    response["Cache-Control"] = "no-store, private"
    # Not "no-referrer": with it, browsers send `Origin: null` with the page's own form posts and
    # Django's CSRF check refuses them. "same-origin" still gives other sites no Referer at all.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _project_from_query(request) -> Project | None:
    slug = request.GET.get("project")
    return Project.objects.filter(slug=slug).first() if slug else None


@require_http_methods(["GET", "POST"])
def report_create(request):
    project = _project_from_query(request)
    if request.method == "POST":
        return _receive_report(request, project)
    return _report_form_page(request, ImpactReportForm(project=project), project, abuse.new_form_token())


def _report_form_page(request, form, project, signed_token: str, status: int = 200):
    context = {
        "form": form,
        "project": project,
        "timestamp": signed_token,
        "honeypot_name": abuse.HONEYPOT_FIELD,
        "timestamp_name": abuse.TIMESTAMP_FIELD,
        "kept_files_name": KEPT_FILES_FIELD,
        "remove_kept_name": REMOVE_KEPT_FIELD,
        "form_map": _form_map(),
    }
    response = render(request, "impacts/report_form.html", context, status=status)
    abuse.set_client_cookie(request, response)
    return response


def _form_map() -> dict:
    """What the form's pin map draws beneath the pin, and where each project with sourced coordinates is."""
    plants = Project.objects.filter(latitude__isnull=False, longitude__isnull=False).values_list(
        "pk", "latitude", "longitude"
    )
    return {
        **place_map(),
        "projects": {str(pk): [float(lat), float(lon)] for pk, lat, lon in plants},
        "place_url": reverse("impacts:report_place"),
        "nearby_url": reverse("impacts:report_nearby"),
    }


def _receive_report(request, project):
    """One POST of the form: cheap checks first, then the files, then one report per form token."""
    token = abuse.read_form_token(request.POST.get(abuse.TIMESTAMP_FIELD))
    too_many_posts = abuse.count_post(request)  # every POST counts, before anything expensive
    problem = _submission_problem(request, token)
    if problem is None:
        token = abuse.token_of_same_report(request, token)  # sent again from a page fetched anew?
        if received := _already_received(request, token):
            return received
    problem = problem or too_many_posts or token.problem() or abuse.rate_limit_problem(request)
    # A refused post is shown again with what was typed, but its files are never decoded: showing a
    # bound form validates it, so a refused one is bound without them.
    form = ImpactReportForm(
        request.POST,
        request.FILES if problem is None else None,
        project=project,
        form_key=token and token.submission_key,
        check_files=problem is None,
    )
    if problem is None and form.is_valid():
        problem = abuse.take_report_allowance(request)
        if problem is None:
            return _save_report(request, form, token)
    if problem:
        form.add_error(None, problem)
    elif token and (received := _already_received(request, token)):
        return received  # the same form, sent twice at once: the other post made the report meanwhile
    form.keep_accepted_files()
    # The same form again (same nonce, same start): a corrected form may be sent again at once.
    retry_token = token.for_retry() if token else abuse.new_form_token()
    return _report_form_page(request, form, project, retry_token, status=400)


def _submission_problem(request, token) -> str | None:
    if abuse.honeypot_filled(request.POST):
        return _("The form could not be accepted. If you are a person, please leave the “website” field empty.")
    if token is None:
        return abuse.UNREADABLE_TOKEN
    return None


def _save_report(request, form, token):
    tracking_token = abuse.tracking_token_for(token, abuse.client_secret(request))
    try:
        # One writer for the whole block: if queueing the e-mail fails after the report's files
        # were written, the rollback must take the files too (not only the rows).
        with EvidenceWriter() as writer, transaction.atomic():
            report = form.save(writer=writer, tracking_token=tracking_token)
            tracking_link = _tracking_link(request, form.tracking_token)
            notify_reporter(report, NotificationKind.TRACKING_LINK, tracking_link=tracking_link)
    except IntegrityError:
        abuse.give_back_report_allowance(request)
        form.close_kept_files()
        received = _already_received(request, token)
        if received is None:
            raise  # some other constraint: a real fault
        return received  # lost the race with the same form's other post: its confirmation
    except BaseException:
        abuse.give_back_report_allowance(request)
        form.close_kept_files()
        raise
    _remember_submission(request, report, tracking_link)
    abuse.remember_sent(request, token)
    return redirect("impacts:report_sent")


def _tracking_link(request, tracking_token: str) -> str:
    return request.build_absolute_uri(reverse("impacts:track", args=[tracking_token]))


def _remember_submission(request, report, tracking_link: str) -> None:
    request.session[SUBMITTED_SESSION_KEY] = {
        "reference": report.reference,
        "link": tracking_link,
        "emailed": bool(report.contact_email),
    }


def _already_received(request, token):
    """The answer to a form that already made a report, or None if it has not.

    The browser that sent it (its form-client cookie gives the same tracking token) sees the same
    confirmation again, tracking link included; any other client learns only the reference.
    """
    report = ImpactReport.objects.filter(submission_key=token.submission_key).first()
    if report is None:
        return None
    tracking_token = abuse.tracking_token_for(token, abuse.client_secret(request))
    if token_digest(tracking_token) == report.tracking_digest:
        _remember_submission(request, report, _tracking_link(request, tracking_token))
        return redirect("impacts:report_sent")
    return _private(render(request, "impacts/report_sent.html", {"already_received": report.reference}))


@never_cache
def report_sent(request):
    # Shown once in each language, so switching language (a link to the same page) keeps the
    # tracking link on screen, while a reload or a later visitor to this browser sees it no more.
    submitted = request.session.get(SUBMITTED_SESSION_KEY)
    shown_in = submitted.setdefault("shown_in", []) if submitted else []
    if submitted and get_language() not in shown_in:
        shown_in.append(get_language())
        request.session.modified = True
    else:
        request.session.pop(SUBMITTED_SESSION_KEY, None)
        submitted = None
    return _private(render(request, "impacts/report_sent.html", {"submitted": submitted}))


def _report_for_token(token: str) -> ImpactReport:
    try:
        return ImpactReport.objects.select_related("project").by_tracking_token(token)
    except ImpactReport.DoesNotExist:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def track(request, token):
    report = _report_for_token(token)
    answer_form = request_form = None
    if report.status == Status.NEEDS_INFO:
        answer_form = ReporterAnswerForm()
    if report.status not in (Status.WITHDRAWN, Status.SPAM, Status.REJECTED):
        request_form = ReporterRequestForm(report=report)
    followup_actions = workflow.reporter_actions(report)
    followup_form = ReporterFollowUpForm(initial={"version": report.version}) if followup_actions else None
    if request.method == "POST":
        if request.POST.get("form") == "answer" and answer_form is not None:
            answer_form = ReporterAnswerForm(request.POST, request.FILES)
            if answer_form.is_valid():
                if _record_answer(report, answer_form):
                    messages.success(request, _("Thank you. Your answer was sent to the moderators."))
                else:
                    messages.error(request, _("Your answer to this question had already been received."))
                return redirect("impacts:track", token=token)
        elif request.POST.get("form") == "request" and request_form is not None:
            request_form = ReporterRequestForm(request.POST, report=report)
            if _record_request(report, request_form):
                messages.success(request, _("Your request was sent to the moderators."))
                return redirect("impacts:track", token=token)
        elif request.POST.get("form") == "followup" and followup_form is not None:
            followup_form = ReporterFollowUpForm(request.POST)
            if followup_form.is_valid():
                _record_followup(request, report, followup_form)
                return redirect("impacts:track", token=token)
            if "message" not in followup_form.errors:  # a tampered or mangled form, not a typing mistake
                messages.error(request, _("That action is not available for this report now."))
                return redirect("impacts:track", token=token)
        else:
            messages.error(request, _("That action is not available for this report now."))
            return redirect("impacts:track", token=token)
    open_requests = report.requests.filter(handled_at__isnull=True)
    context = {
        "report": report,
        "token": token,
        "answer_form": answer_form,
        "can_request": request_form is not None,
        # Nothing left to ask (every kind already waiting, or the report's cap reached): no empty form.
        "request_form": request_form
        if request_form is not None and (request_form.is_bound or request_form.accepts_more)
        else None,
        "dialogue": report.messages.all(),
        "evidence": report.evidence.of_report_itself(),  # not the files of neighbours' updates
        "categories": report.categories.all(),
        "open_requests": open_requests,
        "followup_form": followup_form,
        "followup_actions": followup_actions,
    }
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "impacts/track.html", context, status=status))


def _record_followup(request, report: ImpactReport, form) -> None:
    """Move the follow-up as the reporter says; a replayed or outdated form is refused and told so."""
    action = form.cleaned_data["action"]
    try:
        workflow.apply(
            report, action, message=form.cleaned_data["message"], expected_version=form.cleaned_data["version"]
        )
    except workflow.ConcurrentChange:
        messages.error(
            request,
            _(
                "This report changed since you opened the page. Nothing was saved: "
                "please look at it again and choose once more."
            ),
        )
    except workflow.WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Thank you. The report now says: “%(followup)s”.") % {"followup": report.get_followup_display()}
        )


def _record_answer(report: ImpactReport, form: ReporterAnswerForm) -> bool:
    """Store the answer and its files, and return the report to review; False if already answered.

    One answer per question: the workflow moves the report out of "needs information" with a
    conditional update, so of two answers sent at once only the first is kept.
    """
    try:
        with EvidenceWriter() as writer, transaction.atomic():
            for prepared in form.prepared_evidence:
                if not report.evidence.filter(sha256=prepared.sha256).exists():
                    writer.store(report, prepared)
            workflow.apply(report, "reporter_answered", message=form.cleaned_data["answer"])
    except workflow.WorkflowError:
        return False
    return True


def _record_request(report: ImpactReport, form: ReporterRequestForm) -> bool:
    """Store a valid withdraw / hide-name request; the form's per-report limits are checked under a lock."""
    with transaction.atomic():
        # Serialises requests for one report, so that a burst cannot slip past the limits together.
        list(ImpactReport.objects.select_for_update().filter(pk=report.pk).values_list("pk", flat=True))
        if not form.is_valid():
            return False
        ReporterRequest.objects.create(report=report, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"])
    return True


@require_http_methods(["GET", "POST"])
def track_lost(request):
    """Ask for the tracking links to be e-mailed again.

    The answer is the same whether or not the address is known: the look-up and the sending happen
    in the background task, so neither the page nor its timing tells a visitor who has reported.
    """
    form = LostLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        problem = abuse.lost_link_problem(request, email)
        if problem:
            form.add_error(None, problem)
        else:
            send_lost_links.enqueue(email, get_language() or settings.LANGUAGE_CODE)
            messages.success(
                request,
                _(
                    "If this address was given with a report, we have sent the links to it. "
                    "Please check your e-mail, including the spam folder."
                ),
            )
            return redirect("impacts:track_lost")
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "impacts/track_lost.html", {"form": form}, status=status))


@public_page
def report_detail(request, reference):
    report = get_object_or_404(ImpactReport.objects.published().select_related("project"), reference=reference)
    show_original = "original" in request.GET
    context = {
        "report": report,
        # Approved and processed (never a file still processing); a neighbour's photos are on the timeline.
        "evidence": report.evidence.public().of_report_itself(),
        "categories": report.categories.all(),
        "translation": None if show_original else report.translation_for(get_language()),
        "has_translation": report.translations.exists(),
        "show_original": show_original,
        "events": timeline.public_events(report),
        "mark_count": report.neighbour_marks.count(),
        "mark_message": neighbours.mark_message(request.GET.get(neighbours.MARK_OUTCOME_PARAMETER)),
        **neighbours.mark_form_fields(),
    }
    return render(request, "impacts/report_detail.html", context)


@public_page
def evidence_record(request, pk):
    """The public record of one published file: what an NGO cites to show it was not altered.

    The same 404 for a file that does not exist, is hidden or processing, or belongs to an
    unpublished report: nothing tells which.
    """
    item = (
        Evidence.objects.public()
        .filter(report__in=ImpactReport.objects.published())
        .exclude(public_file="")
        .select_related("report", "report__project")
        .filter(pk=pk)
        .first()
    )
    if item is None or not item.is_public:
        raise Http404
    context = {
        "item": item,
        "report": item.report,
        "public_sha256": item.public_sha256 or file_sha256(item.public_file),
        "removed": [_(label) for label in item.removed_metadata or []],
        "record_url": settings.KZCN_SITE_URL + request.path,
    }
    return render(request, "impacts/evidence_record.html", context)


EVIDENCE_VARIANTS = {"public": "public_file", "thumb": "thumbnail", "poster": "poster"}
# Public copies of videos and voice messages (impacts.evidence.media); photos and PDFs as before.
MEDIA_CONTENT_TYPES = {"mp4": "video/mp4", "m4a": "audio/mp4"}


def evidence_file(request, pk, variant):
    """A public derivative: to anyone once approved and published, else to moderators only."""
    field = EVIDENCE_VARIANTS.get(variant)
    item = Evidence.objects.select_related("report").filter(pk=pk).first()
    if field is None or item is None:
        raise Http404
    if not (item.is_public or (is_trusted_staff(request) and request.user.has_perm("impacts.view_evidence"))):
        raise Http404
    file = getattr(item, field)
    if not file:
        raise Http404
    if not item.is_public:  # a moderator's preview: never stored anywhere
        return _send_evidence(request, file, item)
    # Public, but only until a moderator hides it or the report is withdrawn: browsers keep a copy
    # and ask again each time (304 while still public, 404 after), shared caches keep nothing.
    etag = quote_etag(hashlib.sha256(file.name.encode()).hexdigest()[:32])
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return _revalidated(not_modified, etag)
    return _revalidated(_send_evidence(request, file, item), etag)


def _send_evidence(request, file, item):
    """A public derivative; a video's or voice's copy with its own type, answering byte ranges."""
    media_type = MEDIA_CONTENT_TYPES.get(file.name.rsplit(".", 1)[-1].lower())
    response = send_file(file, item, download=item.kind == "document", content_type=media_type)
    if media_type is None:
        return response
    return byte_ranges.honour_range(request, response, file, file.size)


def _revalidated(response, etag: str):
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def send_file(file, item, *, download: bool, content_type: str | None = None):
    """Send a stored file with headers that stop a browser from running anything in it.

    Not to be stored by any cache (the sealed originals go through here too); `evidence_file`
    lets browsers keep public copies that they revalidate.
    """
    if content_type is None:
        content_type = "application/pdf" if item.kind == "document" else "image/jpeg"
    extension = "pdf" if content_type == "application/pdf" else file.name.rsplit(".", 1)[-1]
    response = FileResponse(
        file.open("rb"),
        content_type=content_type,
        as_attachment=download,
        filename=f"{item.report.reference}-{item.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store, private"
    return response


# The public side: lists, exports and the map of published reports. Each starts from
# published() through _public_reports(), so nothing unpublished can reach them.

REPORTS_PER_PAGE = 20


def _public_reports():
    """Published reports with what the lists show, in a number of queries that does not grow."""
    return ImpactReport.objects.published().select_related("project").prefetch_related("categories")


def _filtered_reports(request) -> ImpactReportFilter:
    return ImpactReportFilter(request.GET, queryset=_public_reports())


def _mapped(reports):
    return reports.filter(public_latitude__isnull=False, public_longitude__isnull=False)


# Query parameters that say where in the list a page is (numbered or keyset), not which reports.
POSITION = frozenset({"page", "after", "before"})


def _query_without_page(request) -> str:
    query = request.GET.copy()
    for name in POSITION:  # the filters, without the position in the list
        query.pop(name, None)
    return query.urlencode()


# The map page's text list (what a visitor without JavaScript reads), paged: 200 rows made the page
# the slowest of the site (bench: 363 ms at 100,000 reports, half of it drawing the list).
MAP_LIST_PER_PAGE = 50


def _paged(request, queryset, per_page: int) -> dict:
    # Keyset pages (impacts.keyset); numbered ones, within the count's cap, for a ranked search.
    page = keyset.web_page(request.GET, queryset, per_page)
    return {
        "page": page,
        "reports": page.object_list,
        "page_range": None
        if getattr(page, "keyset", False)
        else page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    }


# Query parameters that say where in the list or in which order, not which reports.
NOT_FILTERS = POSITION | {"ordering"}


@public_page
def report_list(request):
    filterset = _filtered_reports(request)
    context = {
        "filterset": filterset,
        **_paged(request, filterset.qs, REPORTS_PER_PAGE),
        "filtered": any(value for key, value in request.GET.items() if key not in NOT_FILTERS),
        "query": _query_without_page(request),
    }
    return render(request, "impacts/report_list.html", context)


def _unfiltered(request) -> bool:
    """True when the export is the whole published list in its default order (a prebuilt dump)."""
    chosen = {key: value for key, value in request.GET.items() if value and key not in POSITION}
    return not chosen or chosen == {"ordering": "newest"}


@public_page
def report_export_csv(request):
    """The filtered list as CSV, streamed in chunks of rows (see impacts.exports on attribution);
    unfiltered, the prebuilt file when it is current (impacts.exports.prebuilt)."""
    filename = f"kzcn-watch-reports-{timezone.localdate():%Y-%m-%d}.csv"
    if _unfiltered(request) and (dump := prebuilt.response("csv", filename)):
        return dump
    response = StreamingHttpResponse(
        exports.csv_lines(_filtered_reports(request).qs, request.build_absolute_uri),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Link"] = f'<{exports.license_url()}>; rel="license"'
    return response


@public_page
def report_export_geojson(request):
    """The filtered reports that have public coordinates, as a GeoJSON FeatureCollection, streamed;
    unfiltered, the prebuilt file when it is current (impacts.exports.prebuilt)."""
    if _unfiltered(request) and (dump := prebuilt.response("geojson")):
        return dump
    response = StreamingHttpResponse(
        exports.geojson_chunks(_filtered_reports(request).qs, request.build_absolute_uri),
        content_type="application/geo+json",
    )
    response["Link"] = f'<{exports.license_url()}>; rel="license"'
    return response


@public_page
def report_map(request):
    """The plants and the published reports on a map, and the same as text lists (the page without JavaScript)."""
    filterset = MapFilter(request.GET, queryset=_public_reports())
    plants = plants_in(filterset)
    query = _query_without_page(request)
    geojson_url = reverse("impacts:report_export_geojson") + (f"?{query}" if query else "")
    context = {
        "filterset": filterset,
        # The text list (for when JavaScript or tiles fail) is paged like the report list.
        **_paged(request, _mapped(filterset.qs), MAP_LIST_PER_PAGE),
        "plants": plants,
        "query": query,
        "geojson_url": geojson_url,
        "place_map": place_map(query, plants=plants.mapped),
        "map_label": _("Map of plants and published reports"),
    }
    return render(request, "impacts/map.html", context)


# Statistics of published reports and of the catalogue, drawn as server-side SVG bar charts.


def _report_counts() -> dict:
    """Published reports counted by category, sector, region and month: the live aggregates."""
    reports = ImpactReport.objects.published().order_by()
    # (report, category) is unique (report_category_once): a plain count, no DISTINCT sort.
    categories = (
        ReportCategory.objects.filter(report__status=Status.PUBLISHED)
        .order_by()
        .values_list("category")
        .annotate(total=Count("pk"))
    )
    months = reports.annotate(month=TruncMonth("observed_on")).values_list("month").annotate(total=Count("pk"))
    return {
        "categories": dict(categories),
        "sectors": dict(reports.values_list("project__sector").annotate(total=Count("pk"))),
        "regions": dict(reports.values_list("region").annotate(total=Count("pk"))),
        "months": sorted(months),
    }


def report_counts() -> dict:
    """`_report_counts()`, computed once per change of the site (kzcn.freshness), live without a cache."""
    return kept_until_change("stats:report-counts", _report_counts)


def _report_charts() -> dict:
    counts = report_counts()
    categories, sectors, regions, months = (counts[key] for key in ("categories", "sectors", "regions", "months"))
    return {
        "categories": charts.bar_chart([(label, categories.get(value, 0)) for value, label in Category.choices]),
        "sectors": charts.bar_chart(
            [(label, sectors.get(value, 0)) for value, label in Sector.choices]
            + [(_("Site not in the catalogue"), sectors.get(None, 0))]
        ),
        "regions": charts.bar_chart(
            [(label, regions[value]) for value, label in Region.choices if regions.get(value)]
            + ([(_("Region not stated"), regions[""])] if regions.get("") else [])
        ),
        "months": charts.bar_chart([(date_format(month, "YEAR_MONTH_FORMAT"), n) for month, n in months]),
    }


@public_page
def stats(request):
    """Published reports by category, sector, region and month; projects beside the official figures."""
    figures = ProgrammeFigure.objects.by_key()
    status_counts = Project.objects.count_by("status")
    sector_counts = Project.objects.count_by("sector")
    comparison = status_comparison(status_counts, figures)
    context = {
        **_report_charts(),
        "project_statuses": charts.bar_chart(
            [charts.Bar(label=str(row["status"].label), count=row["catalogue"], extra=row) for row in comparison]
        ),
        "project_sectors": charts.bar_chart([(label, sector_counts.get(value, 0)) for value, label in Sector.choices]),
        "comparison": comparison,
        "catalogue_total": sum(status_counts.values()),
        "programme_figure": figures.get("programme_projects"),
        "breakdown_source": figures.get("launched_count"),
    }
    return render(request, "impacts/stats.html", context)
