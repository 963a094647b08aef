"""This package's admin pages (imported by impacts.admin, which Django discovers).

Moderators (impacts.moderate_report) read each neighbour's update, redact its public text, and
publish or reject it. Its photos become public with it, unless the moderator publishes the text
only and decides on each photo in the report's evidence list (photos not approved stay private).
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..admin import ModeratorsOnly, staff_label
from ..models import Status
from .models import NeighbourMark, ReportUpdate, UpdateState


@admin.register(ReportUpdate)
class ReportUpdateAdmin(ModeratorsOnly, admin.ModelAdmin):
    change_form_template = "admin/impacts/reportupdate/change_form.html"
    list_display = ["report_reference", "observed_on", "created", "state", "photo_count", "moderator"]
    list_filter = ["state"]
    list_select_related = ["report", "moderated_by"]
    search_fields = ["report__reference"]
    fields = [
        "report_link",
        "observed_on",
        "created",
        "text",
        "photos",
        "public_text",
        "moderation_reason",
        "state",
        "moderator",
        "moderated_at",
    ]
    readonly_fields = ["report_link", "observed_on", "created", "text", "photos", "state", "moderator", "moderated_at"]
    actions = ["publish_updates"]

    def has_change_permission(self, request, obj=None):
        return self._moderator(request)

    @admin.display(description=gettext_lazy("report"), ordering="report__reference")
    def report_reference(self, update):
        return update.report.reference

    @admin.display(description=gettext_lazy("report"))
    def report_link(self, update):
        url = reverse("admin:impacts_impactreport_change", args=[update.report_id])
        return format_html('<a href="{}">{}</a>', url, update.report.reference)

    @admin.display(description=gettext_lazy("photos"))
    def photo_count(self, update):
        return update.evidence.count()

    @admin.display(description=gettext_lazy("photos"))
    def photos(self, update):
        items = update.evidence.all()
        if not items:
            return "—"
        # Each photo's visibility is set in the report's own evidence list (the report's admin page).
        return format_html_join(
            " ",
            '<a href="{}"><img src="{}" alt="{}" style="max-height:8rem"></a> {}',
            (
                (
                    reverse("impacts:evidence_file", args=[item.pk, "public"]),
                    reverse("impacts:evidence_file", args=[item.pk, "thumb"]),
                    item.original_name,
                    f"{item.get_visibility_display()} · {item.get_state_display()}",
                )
                for item in items
            ),
        )

    @admin.display(description=gettext_lazy("moderated by"))
    def moderator(self, update):
        return staff_label(update.moderated_by) if update.moderated_by_id else "—"

    def response_change(self, request, obj):
        """The edits (public text, reason) are saved first; then a decision button applies its decision."""
        decision = next((name for name in ("_publish", "_publish_text_only", "_reject") if name in request.POST), None)
        if decision is None:
            return super().response_change(request, obj)
        if obj.report.status != Status.PUBLISHED:
            self.message_user(
                request, _("Your edits were saved, but the report is no longer published."), messages.ERROR
            )
        elif decision == "_reject":
            if not obj.moderation_reason.strip():
                self.message_user(
                    request,
                    _("Your edits were saved, but the update was not rejected: please give a reason."),
                    messages.ERROR,
                )
            else:
                obj.reject(by=request.user, reason=obj.moderation_reason)
                self.message_user(request, _("The update was rejected."), messages.SUCCESS)
        else:
            obj.publish(by=request.user, approve_photos=decision == "_publish")
            self.message_user(
                request,
                _("The update is published on the timeline of %(reference)s.") % {"reference": obj.report.reference},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_decide"] = obj is not None and obj.report.status == Status.PUBLISHED
        context["update_states"] = UpdateState
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description=gettext_lazy("Publish the selected updates, with their photos"))
    def publish_updates(self, request, queryset):
        waiting = [
            u
            for u in queryset.select_related("report").filter(state=UpdateState.SUBMITTED)
            if u.report.status == Status.PUBLISHED
        ]
        for update in waiting:
            update.publish(by=request.user)
        text = ngettext("%(count)d update published.", "%(count)d updates published.", len(waiting))
        self.message_user(request, text % {"count": len(waiting)}, messages.SUCCESS)


@admin.register(NeighbourMark)
class NeighbourMarkAdmin(ModeratorsOnly, admin.ModelAdmin):
    """Read-only: the counts, to spot a flood (a mark holds nothing else)."""

    list_display = ["report", "created"]
    list_select_related = ["report"]
    search_fields = ["report__reference"]
    date_hierarchy = "created"

    def has_change_permission(self, request, obj=None):
        return False
