"""What moderators see of evidence fingerprints and custody in the admin.

Mixed into the report admin (impacts.admin.ImpactReportAdmin), which stays declarative:

* `resemblance_note(request, item)`: the evidence inline's note, "This photo resembles evidence 123
  of report KZCN-2025-000481 (published), distance 4" and "The same file was also sent with
  report …", each with a link to a side-by-side page. Computed for all files of the report at
  once, in three queries however many files and matches there are.
* the side-by-side page: both *public thumbnails* (never a sealed original), for staff who may
  moderate;
* the custody log export (impacts.evidence.custody), for senior moderators only.

These are pages of their own under the admin, not list filters: the lookup guard of the list
(kzcn.admin_site.ListLookupGuard) is untouched, and their query strings are ignored.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from . import custody
from .fingerprints import distance, near_duplicate_distance, resemblances

MODERATE = "impacts.moderate_report"
# Senior moderators only: the log lists who downloaded sealed originals and their hashes.
EXPORT_CUSTODY = "impacts.view_sealed_original"


def _report_resemblances(request, report_id: int) -> dict:
    """Every file of the report → its resemblances, once per request (the inline asks per file)."""
    from impacts.models import Evidence

    cache = request.__dict__.setdefault("_kzcn_resemblances", {})
    if report_id not in cache:
        cache[report_id] = resemblances(list(Evidence.objects.filter(report_id=report_id)))
    return cache[report_id]


def _compare_link(item, match) -> str:
    return format_html(
        ' <a href="{}">{}</a>',
        reverse("admin:impacts_evidence_compare", args=[item.pk, match.evidence.pk]),
        _("Compare side by side"),
    )


def _sentence(match) -> str:
    other = match.evidence
    values = {
        "evidence": other.pk,
        "reference": other.report.reference,
        "status": other.report.get_status_display().lower(),
        "distance": match.distance,
    }
    if match.same_file:
        return _("The same file was also sent with report %(reference)s (evidence %(evidence)s, %(status)s).") % values
    return (
        _("This photo resembles evidence %(evidence)s of report %(reference)s (%(status)s), distance %(distance)s.")
        % values
    )


def resemblance_note(request, item) -> str:
    """The inline's HTML note for one file: its matches in other reports, or why there are none."""
    if item.pk is None:
        return "—"
    matches = _report_resemblances(request, item.report_id).get(item.pk, [])
    if matches:
        return format_html_join("", "<p>{}{}</p>", ((_sentence(m), _compare_link(item, m)) for m in matches))
    if item.phash is None:
        return _(
            "Not compared with other reports' photos (not a picture, or not processed yet). "
            "No other report has the same file."
        )
    return _("No other report has this file or a photo like it.")


class EvidenceIntegrityAdmin:
    """Adds the side-by-side page and the custody log export to the report admin."""

    def get_urls(self):
        return [
            path(
                "evidence/<int:pk>/compare/<int:other>/",
                self.admin_site.admin_view(self.compare_view),
                name="impacts_evidence_compare",
            ),
            path(
                "<int:pk>/custody-log/",
                self.admin_site.admin_view(self.custody_log_view),
                name="impacts_impactreport_custody_log",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.user.has_perm(EXPORT_CUSTODY):
            context["custody_log_url"] = reverse("admin:impacts_impactreport_custody_log", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def compare_view(self, request, pk, other):
        """Two files side by side, as their public thumbnails, with what makes them alike."""
        from impacts.models import Evidence

        # Permission first: whoever may not moderate gets the same answer for any pair of numbers.
        if not request.user.has_perm(MODERATE):
            raise PermissionDenied
        items = Evidence.objects.select_related("report").in_bulk([pk, other])
        if pk not in items or other not in items:
            raise Http404
        first, second = items[pk], items[other]
        apart = None
        if first.phash is not None and second.phash is not None:
            apart = distance(first.phash, second.phash)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Compare evidence %(first)s and %(second)s") % {"first": pk, "second": other},
            "opts": self.model._meta,
            "pair": [first, second],
            "distance": apart,
            "threshold": near_duplicate_distance(),
            "same_file": first.sha256 == second.sha256,
        }
        return TemplateResponse(request, "admin/impacts/evidence/compare.html", context)

    def custody_log_view(self, request, pk):
        """The report's hash-chained, signed custody log as a JSON Lines download."""
        from impacts.models import ImpactReport

        if not request.user.has_perm(EXPORT_CUSTODY):
            raise PermissionDenied
        report = get_object_or_404(ImpactReport, pk=pk)
        body = custody.to_json_lines(custody.custody_log(report, exported_by=request.user))
        response = HttpResponse(body, content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="custody-{report.reference}.jsonl"'
        response["Cache-Control"] = "no-store, private"
        response["X-Content-Type-Options"] = "nosniff"
        return response
