"""This package's admin pages (imported by impacts.admin, which Django discovers).

Moderators (impacts.moderate_report) invite a company from a published report, follow the
invitations and their deadlines, and publish or reject the replies. Everything here is read-only
apart from the reply's public text and the moderator's reason; invitations are made by the invite
page, never by the generic "add" form.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import workflow
from ..admin import ModeratorsOnly, staff_label
from ..models import FollowUp, ImpactReport, Status
from ..views import send_file
from . import emails
from .forms import InvitationForm
from .models import CompanyInvitation, CompanyReply, ReplyState


@admin.register(CompanyInvitation)
class CompanyInvitationAdmin(ModeratorsOnly, admin.ModelAdmin):
    list_display = [
        "report_reference",
        "company",
        "created",
        "deadline",
        "reminders_sent",
        "mail_state",
        "is_answered",
        "is_overdue",
    ]
    list_filter = ["mail_state"]
    list_select_related = ["report", "company", "reply"]
    search_fields = ["report__reference", "company__name"]
    fields = [
        "report_link",
        "company",
        "email",
        "language",
        "created",
        "deadline",
        "expires",
        "invited_by_name",
        "reminders_sent",
        "last_reminder_at",
        "mail_state",
        "mail_error",
        "mailed_at",
        "reply_link",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("report"), ordering="report__reference")
    def report_reference(self, invitation):
        return invitation.report.reference

    @admin.display(description=gettext_lazy("report"))
    def report_link(self, invitation):
        url = reverse("admin:impacts_impactreport_change", args=[invitation.report_id])
        return format_html('<a href="{}">{}</a>', url, invitation.report.reference)

    @admin.display(description=gettext_lazy("invited by"))
    def invited_by_name(self, invitation):
        return staff_label(invitation.invited_by)

    @admin.display(description=gettext_lazy("answered"), boolean=True)
    def is_answered(self, invitation):
        return getattr(invitation, "reply", None) is not None

    @admin.display(description=gettext_lazy("overdue"), boolean=True)
    def is_overdue(self, invitation):
        return invitation.is_overdue()

    @admin.display(description=gettext_lazy("reply"))
    def reply_link(self, invitation):
        reply = getattr(invitation, "reply", None)
        if reply is None:
            return "—"
        url = reverse("admin:impacts_companyreply_change", args=[reply.pk])
        return format_html('<a href="{}">{}</a>', url, reply.get_state_display())

    @admin.action(description=gettext_lazy("Send the link again (the old link stops working)"))
    def send_again(self, request, queryset):
        waiting = [invitation for invitation in queryset.unanswered()]
        with transaction.atomic():
            for invitation in waiting:
                emails.queue(invitation, emails.INVITATION)
        text = ngettext("%(count)d invitation sent again.", "%(count)d invitations sent again.", len(waiting))
        self.message_user(request, text % {"count": len(waiting)}, messages.SUCCESS)

    # --- the invite page, reached from a published report ---

    def get_urls(self):
        return [
            path(
                "invite/<int:report_pk>/",
                self.admin_site.admin_view(self.invite_view),
                name="impacts_companyinvitation_invite",
            ),
            *super().get_urls(),
        ]

    def invite_view(self, request, report_pk):
        if not self._moderator(request):
            raise PermissionDenied
        report = get_object_or_404(ImpactReport.objects.select_related("project"), pk=report_pk)
        back = reverse("admin:impacts_impactreport_change", args=[report.pk])
        if report.status != Status.PUBLISHED or report.project_id is None:
            self.message_user(
                request,
                _("Only a published report about a project in the catalogue can be answered by a company."),
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        form = InvitationForm(request.POST or None, report=report)
        if request.method == "POST" and form.is_valid():
            problem = self._invite(request, report, form.cleaned_data)
            if problem is None:
                return HttpResponseRedirect(back)
            form.add_error("company", problem)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Invite a company to respond to %(reference)s") % {"reference": report.reference},
            "opts": self.model._meta,
            "report": report,
            "form": form,
            "back": back,
            "invited": report.invitations.select_related("company", "reply"),
        }
        return TemplateResponse(request, "admin/impacts/companyinvitation/invite.html", context)

    def _invite(self, request, report, data) -> str | None:
        """Invite (or invite again) and e-mail the company; a reason when it cannot be done."""
        company = data["company"]
        existing = report.invitations.filter(company=company).first()
        if existing is not None and existing.answered():
            return _("%(company)s has already answered this report.") % {"company": company.name}
        try:
            with transaction.atomic():
                invitation, created = CompanyInvitation.objects.invite(
                    report=report, company=company, by=request.user, language=data["language"], days=data["days"]
                )
                emails.queue(invitation, emails.INVITATION)
                deadline = timezone.localtime(invitation.deadline).date().isoformat()
                if report.followup != FollowUp.AWAITING_RESPONSE:
                    workflow.apply(
                        report,
                        "await_response",
                        by=request.user,
                        message=f"{company.name} invited to respond by {deadline}.",
                    )
        except workflow.WorkflowError as error:  # nothing was saved or sent
            return error.message
        told = (
            _("%(company)s was invited to respond by %(deadline)s; the e-mail is on its way.")
            if created
            else _("%(company)s was sent a new link; it has until %(deadline)s. The old link no longer works.")
        )
        self.message_user(request, told % {"company": company.name, "deadline": deadline}, messages.SUCCESS)
        return None


@admin.register(CompanyReply)
class CompanyReplyAdmin(ModeratorsOnly, admin.ModelAdmin):
    change_form_template = "admin/impacts/companyreply/change_form.html"
    list_display = ["report_reference", "company", "received", "late", "state", "moderator"]
    list_filter = ["state"]
    list_select_related = ["invitation__report", "invitation__company", "moderated_by"]
    search_fields = ["invitation__report__reference", "invitation__company__name"]
    fields = [
        "report_link",
        "company",
        "received",
        "late",
        "responder",
        "text",
        "document_link",
        "public_text",
        "moderation_reason",
        "state",
        "moderator",
        "moderated_at",
    ]
    readonly_fields = [
        "report_link",
        "company",
        "received",
        "late",
        "responder",
        "text",
        "document_link",
        "state",
        "moderator",
        "moderated_at",
    ]

    def has_change_permission(self, request, obj=None):
        return self._moderator(request)

    @admin.display(description=gettext_lazy("report"), ordering="invitation__report__reference")
    def report_reference(self, reply):
        return reply.invitation.report.reference

    @admin.display(description=gettext_lazy("report"))
    def report_link(self, reply):
        report = reply.invitation.report
        url = reverse("admin:impacts_impactreport_change", args=[report.pk])
        return format_html('<a href="{}">{}</a>', url, report.reference)

    @admin.display(description=gettext_lazy("company"))
    def company(self, reply):
        return reply.invitation.company

    @admin.display(description=gettext_lazy("after the deadline"), boolean=True)
    def late(self, reply):
        return reply.was_late

    @admin.display(description=gettext_lazy("moderated by"))
    def moderator(self, reply):
        return staff_label(reply.moderated_by) if reply.moderated_by_id else "—"

    @admin.display(description=gettext_lazy("document"))
    def document_link(self, reply):
        if not reply.document_copy:
            return "—"
        url = reverse("admin:impacts_companyreply_document", args=[reply.pk])
        return format_html('<a href="{}">{}</a> ({})', url, _("Download the safe copy"), reply.document_name)

    def get_urls(self):
        return [
            path(
                "<int:pk>/document/",
                self.admin_site.admin_view(self.document_view),
                name="impacts_companyreply_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request, pk):
        if not self._moderator(request):
            raise PermissionDenied
        reply = get_object_or_404(CompanyReply.objects.select_related("invitation__report"), pk=pk)
        if not reply.document_copy:
            raise PermissionDenied
        return send_file(reply.document_copy, reply, download=True, content_type=reply.copy_content_type)

    def response_change(self, request, obj):
        """The edits (public text, reason) are saved first; then a decision button applies its decision."""
        if "_publish" in request.POST:
            try:
                obj.publish(by=request.user)
            except workflow.WorkflowError as error:
                self.message_user(
                    request,
                    _("Your edits were saved, but the reply was not published: %(reason)s") % {"reason": error.message},
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
            self.message_user(
                request,
                _("The reply of %(company)s is published beside %(reference)s.")
                % {"company": obj.invitation.company, "reference": obj.report.reference},
                messages.SUCCESS,
            )
        elif "_reject" in request.POST:
            if not obj.moderation_reason.strip():
                self.message_user(
                    request,
                    _("Your edits were saved, but the reply was not rejected: please give a reason."),
                    messages.ERROR,
                )
            else:
                obj.reject(by=request.user, reason=obj.moderation_reason)
                self.message_user(request, _("The reply was rejected."), messages.SUCCESS)
        else:
            return super().response_change(request, obj)
        return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_decide"] = obj is not None and obj.report.status == Status.PUBLISHED
        context["reply_states"] = ReplyState
        return super().render_change_form(request, context, add, change, form_url, obj)
