"""Neighbours' voices on a published report: "this affects me too", and an update with photos.

Both start from ImpactReport.objects.published(): an unpublished, withdrawn or unknown reference is
the same 404. No account, no JavaScript; the abuse limits are in impacts.neighbours.limits.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kzcn import request_checks

from .. import abuse
from ..models import EvidenceWriter, ImpactReport
from . import limits
from .forms import UPDATE_MAX_PHOTOS, ReportUpdateForm
from .models import NeighbourMark, ReportUpdate

# What the report page says after a press (its address carries the outcome, not a cookie: the page
# stays shareable by caches, and the redirect never shows a stale copy without the message).
MARK_OUTCOME_PARAMETER = "affected"


def _published_report(reference: str) -> ImpactReport:
    if len(reference) > ImpactReport._meta.get_field("reference").max_length:
        raise Http404
    return get_object_or_404(ImpactReport.objects.published().select_related("project"), reference=reference)


# --- "This affects me too" -----------------------------------------------------------------------


def _cross_site(request) -> bool:
    """Whether this POST was sent by another site's page (a forced "affects me too").

    The report page's button carries no CSRF token: a token would set a cookie on the most shared
    page of the site and stop caches from sharing it (kzcn.freshness.SharedCopyGuard). Browsers
    say where a POST comes from instead: `Sec-Fetch-Site`, and `Origin`. A press refused here is
    shown the confirmation page, whose button (same origin, with a CSRF token) counts it.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site", "")
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin", "")
    if not origin or origin == "null":
        return False
    trusted = {urlsplit(o).netloc for o in settings.CSRF_TRUSTED_ORIGINS}
    return urlsplit(origin).netloc not in {request.get_host(), *trusted}


@csrf_exempt  # see _cross_site: checked by the browser's own headers instead
@require_http_methods(["GET", "POST"])
@never_cache
def affects_me(request, reference):
    """GET: the confirmation page. POST: count one "affects me too", then back to the report."""
    report = _published_report(reference)
    if request.method == "POST" and (character := request_checks.forbidden_character(request.POST)):
        return request_checks.refused(character)  # what the site's middleware does for CSRF-checked views
    if request.method == "GET" or _cross_site(request):
        return _confirmation_page(request, report)
    if abuse.honeypot_filled(request.POST):
        return _confirmation_page(
            request,
            report,
            _("The form could not be accepted. If you are a person, please leave the “website” field empty."),
            status=400,
        )
    token = abuse.read_form_token(request.POST.get(abuse.TIMESTAMP_FIELD))
    if token is None or token.problem():
        # A copy of the page from long ago, or a press within a second of loading it: ask once more.
        return _confirmation_page(request, report)
    outcome, problem = limits.mark_problem(request, report)
    if problem:
        return _confirmation_page(request, report, problem, status=429)
    if outcome == "counted":
        NeighbourMark.objects.create(report=report)
    return redirect(f"{report.get_absolute_url()}?{MARK_OUTCOME_PARAMETER}={outcome}#neighbours")


def _confirmation_page(request, report, problem: str | None = None, status: int = 200):
    context = {
        "report": report,
        "problem": problem,
        "mark_count": report.neighbour_marks.count(),
        **mark_form_fields(),
    }
    return render(request, "impacts/neighbours/affects_me.html", context, status=status)


def mark_form_fields() -> dict:
    """The hidden fields of the "affects me too" button, for the report page and the confirmation page."""
    return {
        "honeypot_name": abuse.HONEYPOT_FIELD,
        "timestamp_name": abuse.TIMESTAMP_FIELD,
        "timestamp": abuse.new_form_token(),
    }


def mark_message(outcome: str | None) -> str:
    """What the report page says after a press, from its address (`?affected=counted`)."""
    return {
        "counted": _("Thank you. You have been counted."),
        "already": _("You have already said so."),
    }.get(outcome or "", "")


# --- An update: "still happening on ..." ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@never_cache
def update_create(request, reference):
    report = _published_report(reference)
    if request.method == "POST":
        return _receive_update(request, report)
    return _update_page(request, report, ReportUpdateForm(report=report), abuse.new_form_token())


def _update_page(request, report, form, signed_token: str, status: int = 200):
    context = {
        "report": report,
        "form": form,
        "max_photos": UPDATE_MAX_PHOTOS,
        "timestamp": signed_token,
        "honeypot_name": abuse.HONEYPOT_FIELD,
        "timestamp_name": abuse.TIMESTAMP_FIELD,
    }
    return render(request, "impacts/neighbours/update_form.html", context, status=status)


def _receive_update(request, report):
    """One POST of the form: cheap checks first, then the photos, then one update per form token."""
    token = abuse.read_form_token(request.POST.get(abuse.TIMESTAMP_FIELD))
    too_many_posts = limits.update_post_problem(request)  # every POST counts, before any file is read
    problem = None
    if abuse.honeypot_filled(request.POST):
        problem = _("The form could not be accepted. If you are a person, please leave the “website” field empty.")
    elif token is None:
        problem = abuse.UNREADABLE_TOKEN
    elif _already_received(report, token):
        return redirect("impacts:update_sent", reference=report.reference)
    problem = problem or too_many_posts or token.problem()
    form = ReportUpdateForm(request.POST, request.FILES if problem is None else None, report=report)
    if problem is None and form.is_valid():
        problem = limits.take_update_allowance(request)
        if problem is None:
            return _save_update(request, report, form, token)
    if problem:
        form.add_error(None, problem)
    if request.FILES:
        form.add_error("files", _("Please choose your photos again: they are kept only once the update is sent."))
    retry_token = token.for_retry() if token else abuse.new_form_token()
    status = 429 if too_many_posts and problem == too_many_posts else 400
    return _update_page(request, report, form, retry_token, status=status)


def _already_received(report, token) -> bool:
    return ReportUpdate.objects.filter(report=report, submission_key=token.submission_key).exists()


def _save_update(request, report, form, token):
    try:
        with EvidenceWriter() as writer, transaction.atomic():
            form.save_update(writer=writer, submission_key=token.submission_key)
    except IntegrityError:
        limits.give_back_update_allowance(request)
        if not _already_received(report, token):
            raise
    except BaseException:
        limits.give_back_update_allowance(request)
        raise
    return redirect("impacts:update_sent", reference=report.reference)


@never_cache
def update_sent(request, reference):
    report = _published_report(reference)
    return render(request, "impacts/neighbours/update_sent.html", {"report": report})
