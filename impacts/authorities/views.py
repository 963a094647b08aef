"""The reporter's letter page: from their tracking link, a complaint or an information request as a PDF.

A letter with the reporter's name and address is made, handed over and forgotten: only the fact that a
letter was generated is recorded (AuthorityRequest without the file, includes_reporter_contact=True).
A letter without them says only what is public and is kept like a moderator's.
"""

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..models import Status
from ..views import _private, _report_for_token
from . import letter
from .forms import ReporterLetterForm
from .models import AuthorityRequest

# Enough for every body of a region in both languages and kinds, not enough to fill a disk.
LETTERS_PER_REPORT_PER_DAY = 20


def _too_many_letters(report) -> bool:
    since = timezone.now() - timedelta(days=1)
    return (
        AuthorityRequest.objects.filter(report=report, created_by_reporter=True, created__gte=since).count()
        >= LETTERS_PER_REPORT_PER_DAY
    )


@require_http_methods(["GET", "POST"])
def reporter_letter(request, token):
    report = _report_for_token(token)
    published = report.status == Status.PUBLISHED
    form = ReporterLetterForm(request.POST if request.method == "POST" else None, report=report)
    if request.method == "POST" and published:
        if _too_many_letters(report):
            form.add_error(None, _("Many letters were made for this report today. Please try again tomorrow."))
        elif form.is_valid():
            return _private(_download(report, form))
    context = {"report": report, "token": token, "form": form, "published": published}
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "impacts/authorities/reporter_letter.html", context, status=status))


def _download(report, form: ReporterLetterForm) -> HttpResponse:
    data, sender = form.cleaned_data, form.sender()
    pdf = letter.render_letter(report, data["authority"], data["kind"], data["language"], sender)
    record = AuthorityRequest(
        report=report,
        authority=data["authority"],
        kind=data["kind"],
        language=data["language"],
        created_by_reporter=True,
        includes_reporter_contact=sender is not None,
    )
    if sender is None:
        record.store_letter(pdf)  # nothing personal in it: kept, as a moderator's letter is
    record.save()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = letter.file_name(report, data["kind"], data["language"])  # reference, kind, language: ASCII only
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
