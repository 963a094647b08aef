"""Moderation in the Django admin.

Moderators never edit status directly: the change page offers the workflow actions the user may
take (impacts.workflow), the list offers them as bulk actions, and every change is recorded.
What a moderator may see depends on permissions given by the roles in impacts/roles.py:
contact details and sealed originals only with the senior permissions.

A decision is a submit button of the change form itself: pressing "Publish" saves what is on the
moderator's screen (redacted text, evidence approvals) and then publishes exactly that version, under
the same optimistic lock as a plain save. Staff appear by display name, never by user name, and
only moderators are offered as assignees. (Query-string lookups are closed for every admin by
kzcn.admin_site.ListLookupGuard.)
"""

import dataclasses

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from . import workflow
from .evidence.admin import EvidenceIntegrityAdmin, resemblance_note
from .models import (
    Category,
    Evidence,
    EvidenceState,
    EvidenceVisibility,
    ImpactReport,
    Notification,
    PublicLocationKind,
    ReporterRequest,
    ReportMessage,
    ReportTransition,
    ReportTranslation,
    RequestKind,
    SealedAccess,
    Status,
)
from .notifications import without_contacts
from .roles import MODERATORS, SENIOR_MODERATORS

CONTACT_FIELDS = ("reporter_name", "contact_email", "contact_phone")
EXACT_LOCATION_FIELDS = ("latitude", "longitude")


class ModeratorsOnly:
    """Admin pages that belong to moderators (the permission to moderate reports), not to a model
    permission: companies' replies, invitations, neighbours' updates and marks. No one adds or deletes there."""

    def _moderator(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.has_perm(workflow.MODERATE)

    def has_module_permission(self, request):
        return self._moderator(request)

    def has_view_permission(self, request, obj=None):
        return self._moderator(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def staff_label(user) -> str:
    """How a staff member is shown to other staff: their full name, or a neutral label, never the login."""
    if user is None:
        return "—"
    return user.get_full_name() or _("Moderator #%(number)d") % {"number": user.pk}


def moderators():
    """The accounts that may be assigned a report: members of the moderator groups, nobody else."""
    return (
        get_user_model()
        .objects.filter(groups__name__in=[MODERATORS, SENIOR_MODERATORS], is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )


class ModeratorFilter(admin.RelatedFieldListFilter):
    """The assigned-moderator filter: moderators only (not every staff account), by display name."""

    def field_choices(self, field, request, model_admin):
        return [(user.pk, staff_label(user)) for user in moderators()]


class ModeratorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return staff_label(obj)


class ReadOnlyInline(admin.TabularInline):
    """Records (history, messages, notifications) are shown, never edited or deleted here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("impacts.view_impactreport")


class TransitionInline(ReadOnlyInline):
    model = ReportTransition
    fields = ("created", "from_status", "to_status", "by", "message")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Status history")

    @admin.display(description=gettext_lazy("by"))
    def by(self, item):
        if item.actor_id:
            return staff_label(item.actor)
        return _("the reporter") if item.actor_label == "reporter" else item.actor_label or "—"


class MessageInline(ReadOnlyInline):
    model = ReportMessage
    fields = ("created", "direction", "author_name", "text")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Dialogue with the reporter")

    @admin.display(description=gettext_lazy("author"))
    def author_name(self, item):
        return staff_label(item.author) if item.author_id else _("the reporter")


class NotificationInline(ReadOnlyInline):
    model = Notification
    fields = ("created", "kind", "status", "attempted_at", "reason")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("reason for the failure"))
    def reason(self, item):
        # Rows stored before reasons were cleaned may still quote the reporter's address.
        return without_contacts(item.error) or "—"


class RequestInline(ReadOnlyInline):
    model = ReporterRequest
    fields = ("created", "kind", "text", "handled_at", "handled_by_name")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Reporter's requests")

    @admin.display(description=gettext_lazy("handled by"))
    def handled_by_name(self, item):
        return staff_label(item.handled_by) if item.handled_by_id else "—"


class TranslationInline(admin.StackedInline):
    model = ReportTranslation
    extra = 0
    fields = ("language", "method", "title", "text", "translator", "created")
    readonly_fields = ("translator", "created")
    verbose_name_plural = gettext_lazy("Translations of the public text")

    @admin.display(description=gettext_lazy("translated by"))
    def translator(self, item):
        return staff_label(item.translated_by) if item.translated_by_id else "—"


class EvidenceInlineForm(forms.ModelForm):
    """The voice may be approved for publication only where the reporter allowed it in the form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        item = self.instance
        if not (item.pk and item.is_voice and item.report.voice_may_be_published):
            self.fields["voice_publication_approved"].disabled = True
            self.fields["voice_publication_approved"].help_text = (
                _("The reporter did not allow their voice to be published: only the summary is public.")
                if item.pk and item.is_voice
                else _("For voice messages only.")
            )


class EvidenceInline(admin.StackedInline):
    model = Evidence
    form = EvidenceInlineForm
    extra = 0
    can_delete = False
    fields = (
        "processing_state",
        "preview",
        "kind",
        "original_name",
        "caption",
        "visibility",
        "hidden_reason",
        "summary",
        "voice_publication_approved",
        "details",
        "removed",
        "sealed",
        "resemblance",
    )
    readonly_fields = (
        "processing_state",
        "preview",
        "kind",
        "original_name",
        "details",
        "removed",
        "sealed",
        "resemblance",
    )

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("processing"))
    def processing_state(self, item):
        """Ready, still processing in the background, or refused by the worker (with the reason)."""
        if item.state == EvidenceState.REFUSED:
            return format_html("<strong>{}</strong>: {}", item.get_state_display(), item.refusal_reason)
        if item.state == EvidenceState.PROCESSING:
            return _(
                "Processing: the public copy is being made. It stays hidden until it is ready, "
                "even if approved and published."
            )
        return item.get_state_display()

    @admin.display(description=gettext_lazy("public copy"))
    def preview(self, item):
        if item.state != EvidenceState.READY:
            return "—"
        if item.kind == "photo" and item.thumbnail:
            url = reverse("impacts:evidence_file", args=[item.pk, "thumb"])
            full = reverse("impacts:evidence_file", args=[item.pk, "public"])
            return format_html(
                '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" '
                'style="max-width:240px;max-height:240px"></a>',
                full,
                url,
            )
        if item.is_voice:
            return format_html(
                '<audio controls preload="none" src="{}"></audio>',
                reverse("impacts:evidence_file", args=[item.pk, "public"]),
            )
        if item.kind == "video":
            poster = item.poster and reverse("impacts:evidence_file", args=[item.pk, "poster"])
            return format_html(
                '<video controls preload="none" src="{}" poster="{}" style="max-width:360px"></video>',
                reverse("impacts:evidence_file", args=[item.pk, "public"]),
                poster or "",
            )
        return format_html(
            '<a href="{}">{}</a>', reverse("impacts:evidence_file", args=[item.pk, "public"]), _("Open the PDF")
        )

    @admin.display(description=gettext_lazy("file"))
    def details(self, item):
        size = f"{item.width}×{item.height} px, " if item.width else ""
        length = f"{item.duration_label}, " if item.duration_label else ""
        return f"{item.content_type}, {size}{length}{filesizeformat(item.size)}"

    @admin.display(description=gettext_lazy("Removed from the public copy"))
    def removed(self, item):
        # Filled by the evidence pipeline: "author", "embedded GPS", "auto-action /OpenAction"...
        return ", ".join(str(entry) for entry in item.removed_metadata or []) or _("nothing")

    @admin.display(description=gettext_lazy("sealed original"))
    def sealed(self, item):
        if not self._request.user.has_perm("impacts.view_sealed_original"):
            return _("Only senior moderators can see the original and its metadata.")
        gps = f"{item.gps_latitude}, {item.gps_longitude}" if item.gps_latitude is not None else _("no GPS in the file")
        url = reverse("admin:impacts_evidence_sealed", args=[item.pk])
        return format_html(
            '<a href="{}">{}</a><br>SHA-256 {}<br>{}: {}<br>{}: {}',
            url,
            _("Download the original (logged)"),
            item.sha256,
            _("GPS"),
            gps,
            _("Captured"),
            item.captured_at or "—",
        )

    @admin.display(description=gettext_lazy("in other reports"))
    def resemblance(self, item):
        return resemblance_note(self._request, item)

    def get_formset(self, request, obj=None, **kwargs):
        self._request = request
        return super().get_formset(request, obj, **kwargs)


class ReportAdminForm(forms.ModelForm):
    """Carries the version the moderator saw, so a concurrent edit is refused, not overwritten."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ImpactReport
        fields = [
            "public_title",
            "public_description",
            "public_site_name",
            "public_settlement",
            "public_reporter_name",
            "public_location_kind",
            "public_latitude",
            "public_longitude",
            "public_note",
            "assigned_to",
            "internal_notes",
        ]
        widgets = {"public_location_kind": forms.RadioSelect}
        help_texts = {
            "public_location_kind": gettext_lazy(
                "Where the map shows this report: the centre of the nearest settlement reveals least where few "
                "people live; rounding to about 1 km suits a town. The reporter's exact point is never shown. "
                "The public latitude and longitude below are filled in from this choice when you save."
            ),
            "public_site_name": gettext_lazy(
                "Published instead of the site as typed (shown above): remove names, streets and house numbers."
            ),
            "public_settlement": gettext_lazy(
                "Published instead of the place as typed (shown above): keep the village, town or district only."
            ),
            "public_reporter_name": gettext_lazy(
                "The name or organisation the reporter asked to be shown as; empty means “Anonymous”. "
                "Shorten or remove it if it identifies someone else."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version
        if "public_location_kind" in self.fields and self.is_bound and "public_location_kind" not in self.data:
            # Not sent (a script, an older page): the choice stays as it was and is no change.
            self.fields["public_location_kind"].disabled = True

    def clean(self):
        data = super().clean()
        seen = data.get("seen_version")
        if self.instance.pk and seen is not None and seen != self.instance.version:
            raise forms.ValidationError(
                _(
                    "Someone else changed this report while you were editing it. Nothing was saved: "
                    "open the report again to see their changes."
                )
            )
        self._apply_public_location(data)
        return data

    def _apply_public_location(self, data) -> None:
        """The public point follows the chosen kind (ImpactReport.set_public_location).

        A point typed by hand (a report without a pin, or a misplaced one) becomes the source, rounded
        or moved to its settlement's centre as chosen; emptying both fields takes the report off the map.
        """
        if self.errors or "public_latitude" not in self.fields:
            return
        report = self.instance
        kind = data.get("public_location_kind") or report.public_location_kind
        kind_chosen = "public_location_kind" in self.changed_data and data.get("public_location_kind")
        source = None
        if {"public_latitude", "public_longitude"} & set(self.changed_data):
            typed = (data.get("public_latitude"), data.get("public_longitude"))
            if None in typed:
                kind = kind if kind_chosen else PublicLocationKind.NONE
            else:
                source = typed
                if kind == PublicLocationKind.NONE and not kind_chosen:
                    kind = PublicLocationKind.COARSE
        report.set_public_location(kind, source)
        data["public_location_kind"] = report.public_location_kind
        data["public_latitude"], data["public_longitude"] = report.public_latitude, report.public_longitude


class ReasonActionForm(helpers.ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason (for reject and spam)"),
        required=False,
        widget=forms.TextInput(attrs={"size": 40}),
    )


class HasEvidenceFilter(admin.SimpleListFilter):
    title = gettext_lazy("has evidence")
    parameter_name = "has_evidence"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(evidence_count__gt=0)
        if self.value() == "no":
            return queryset.filter(evidence_count=0)
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    title = gettext_lazy("impact category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return Category.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(categories__category=self.value())
        return queryset


class OpenRequestFilter(admin.SimpleListFilter):
    title = gettext_lazy("reporter's request")
    parameter_name = "open_request"

    def lookups(self, request, model_admin):
        return [("yes", _("Waiting"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(requests__handled_at__isnull=True, requests__isnull=False).distinct()
        return queryset


@admin.register(ImpactReport)
class ImpactReportAdmin(EvidenceIntegrityAdmin, SimpleHistoryAdmin):
    form = ReportAdminForm
    action_form = ReasonActionForm
    change_form_template = "admin/impacts/impactreport/change_form.html"
    change_list_template = "admin/impacts/impactreport/change_list.html"
    list_display = (
        "reference",
        "title",
        "status",
        "waiting",
        "project",
        "category_list",
        "severity",
        "evidence_count",
        "assigned",
    )
    list_filter = (
        "status",
        CategoryFilter,
        "project__sector",
        "project",
        "reporter_type",
        "severity",
        "created",
        HasEvidenceFilter,
        OpenRequestFilter,
        ("assigned_to", ModeratorFilter),
    )
    list_select_related = ("project", "assigned_to")
    search_fields = ("reference", "title", "description", "public_title", "public_description", "site_name")
    ordering = ("created",)
    list_per_page = 50
    inlines = [EvidenceInline, TranslationInline, TransitionInline, MessageInline, RequestInline, NotificationInline]
    actions = ["start_review", "publish", "reject", "mark_spam"]
    history_list_display = ["status"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(evidence_count=Count("evidence", distinct=True))
            .prefetch_related("categories")
        )

    # --- what each role sees ---

    def get_fieldsets(self, request, obj=None):
        submitted = [
            "reference",
            "status",
            "created",
            "project",
            "site_name",
            "region",
            "settlement",
            "primary_category",
            "category_list",
            "severity",
            "observed_on",
            "ongoing",
            "language",
            "title",
            "description",
            "reporter_type",
            "organisation",
            "attribution",
            "consent_publication",
            "consent_privacy",
            "voice_may_be_published",
        ]
        if request.user.has_perm("impacts.view_contact_details"):
            submitted += [*CONTACT_FIELDS, *EXACT_LOCATION_FIELDS]
        return [
            (_("As submitted (never changed)"), {"fields": submitted}),
            (
                _("Public version (redact names, phone numbers, exact addresses)"),
                {
                    "fields": [
                        "public_title",
                        "public_description",
                        "public_site_name",
                        "public_settlement",
                        "public_reporter_name",
                        "public_location_kind",
                        "public_latitude",
                        "public_longitude",
                        "public_note",
                    ],
                },
            ),
            (_("Moderation"), {"fields": ["assigned_to", "internal_notes", "seen_version"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [
            "reference",
            "status",
            "created",
            "project",
            "site_name",
            "region",
            "settlement",
            "primary_category",
            "category_list",
            "severity",
            "observed_on",
            "ongoing",
            "language",
            "title",
            "description",
            "reporter_type",
            "organisation",
            "attribution",
            "consent_publication",
            "consent_privacy",
            "voice_may_be_published",
            *CONTACT_FIELDS,
            *EXACT_LOCATION_FIELDS,
        ]

    def has_add_permission(self, request):
        return False  # reports come from the public form

    def has_delete_permission(self, request, obj=None):
        return False  # take down with "withdraw" or "spam"; the record stays

    # --- list columns ---

    @admin.display(description=gettext_lazy("waiting"), ordering="created")
    def waiting(self, report):
        days = (timezone.now() - report.created).days
        return _("%(days)d d") % {"days": days}

    @admin.display(description=gettext_lazy("impacts"))
    def category_list(self, report):
        return ", ".join(c.get_category_display() for c in report.categories.all())

    @admin.display(description=gettext_lazy("evidence"), ordering="evidence_count")
    def evidence_count(self, report):
        return report.evidence_count

    @admin.display(description=gettext_lazy("assigned moderator"), ordering="assigned_to")
    def assigned(self, report):
        return staff_label(report.assigned_to) if report.assigned_to_id else "—"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs.update(queryset=moderators(), form_class=ModeratorChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changelist_view(self, request, extra_context=None):
        counts = dict(ImpactReport.objects.values_list("status").annotate(n=Count("id")).order_by())
        extra_context = {
            **(extra_context or {}),
            "status_counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        }
        return super().changelist_view(request, extra_context)

    # --- saving edits (optimistic locking) ---

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return  # nothing typed: no new version, no empty history entry (a decision may follow)
        if change:
            with transaction.atomic():
                bumped = ImpactReport.objects.filter(
                    pk=obj.pk, version=form.cleaned_data.get("seen_version", obj.version)
                )
                if not bumped.update(version=F("version") + 1):
                    raise PermissionDenied(_("Someone else changed this report; nothing was saved."))
                obj.version += 1
                super().save_model(request, obj, form, change)
        else:
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for item in instances:
            if isinstance(item, ReportTranslation) and item.translated_by_id is None:
                item.translated_by = request.user
            if isinstance(item, Evidence) and item.visibility == EvidenceVisibility.HIDDEN and not item.hidden_reason:
                item.hidden_reason = _("hidden by a moderator")
            item.save()
        formset.save_m2m()

    # --- workflow on the change page ---

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="impacts_impactreport_transition",
            ),
            path(
                "evidence/<int:pk>/sealed/",
                self.admin_site.admin_view(self.sealed_view),
                name="impacts_evidence_sealed",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["workflow_actions"] = workflow.available_actions(obj, request.user)
            context["report_version"] = obj.version
        if request.method == "POST" and "action" in request.POST:
            # The page comes back with errors: neither the edits nor the decision were applied.
            self.message_user(
                request,
                _(
                    "The decision was not made and nothing was saved: "
                    "correct the errors below, then press the decision again."
                ),
                messages.ERROR,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request, obj):
        """After the edits are saved: a decision button applies its decision to the version just saved."""
        action = request.POST.get("action")
        if action is None:
            return super().response_change(request, obj)
        try:
            workflow.apply(
                obj, action, by=request.user, message=request.POST.get("message", ""), expected_version=obj.version
            )
        except workflow.WorkflowError as error:
            self.message_user(
                request,
                _("Your edits were saved, but the decision was not made: %(reason)s") % {"reason": error.message},
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                _("%(reference)s is now “%(status)s”.")
                % {"reference": obj.reference, "status": obj.get_status_display()},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(request.get_full_path())

    def transition_view(self, request, pk):
        """A decision without the form (kept for scripts): the same checks, and no edits."""
        if request.method != "POST":
            raise Http404
        action = workflow.ACTIONS.get(request.POST.get("action", ""))
        # Permission first, before the report is looked up: whoever may not take this decision gets
        # the same answer for every report, existing or missing, whatever its status.
        if (
            action is None
            or action.permission is None
            or not request.user.has_perm(action.permission)
            or not self.has_view_permission(request)
        ):
            raise PermissionDenied
        report = get_object_or_404(ImpactReport, pk=pk)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            workflow.apply(
                report,
                request.POST.get("action", ""),
                by=request.user,
                message=request.POST.get("message", ""),
                expected_version=version,
            )
        except workflow.WorkflowError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("%(reference)s is now “%(status)s”.")
                % {"reference": report.reference, "status": report.get_status_display()},
            )
        return HttpResponseRedirect(reverse("admin:impacts_impactreport_change", args=[pk]))

    # --- history: shown by role, never restored ---

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history saves a POSTed past version even with reverting disabled, status
        # included: that would move a report around the workflow. Past versions are for reading.
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        hidden = (
            set()
            if request.user.has_perm("impacts.view_contact_details")
            else {*CONTACT_FIELDS, *EXACT_LOCATION_FIELDS}
        )
        return RoleHistoryHelper(self.model, historical_record, hidden=hidden)

    def sealed_view(self, request, pk):
        from .views import send_file

        if not request.user.has_perm("impacts.view_sealed_original"):
            raise PermissionDenied
        item = get_object_or_404(Evidence.objects.select_related("report"), pk=pk)
        SealedAccess.objects.create(evidence=item, user=request.user, action="download")
        return send_file(item.sealed_file, item, download=True, content_type=item.content_type)

    # --- bulk actions ---

    def _bulk(self, request, queryset, action_name):
        reason = request.POST.get("reason", "")
        done, failed = 0, []
        for report in queryset:
            try:
                workflow.apply(report, action_name, by=request.user, message=reason)
                done += 1
            except workflow.WorkflowError as error:
                failed.append(f"{report.reference}: {error.message}")
        if done:
            text = ngettext("%(count)d report changed.", "%(count)d reports changed.", done)
            self.message_user(request, text % {"count": done}, messages.SUCCESS)
        if failed:
            self.message_user(
                request,
                format_html(
                    "{}<ul>{}</ul>", _("Not changed:"), format_html_join("", "<li>{}</li>", ((f,) for f in failed))
                ),
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Start review"), permissions=["moderate"])
    def start_review(self, request, queryset):
        self._bulk(request, queryset, "start_review")

    @admin.action(description=gettext_lazy("Publish"), permissions=["moderate"])
    def publish(self, request, queryset):
        self._bulk(request, queryset, "publish")

    @admin.action(description=gettext_lazy("Reject (give one reason for all)"), permissions=["moderate"])
    def reject(self, request, queryset):
        self._bulk(request, queryset, "reject")

    @admin.action(description=gettext_lazy("Mark as spam (give a reason)"), permissions=["moderate"])
    def mark_spam(self, request, queryset):
        self._bulk(request, queryset, "mark_spam")

    def has_moderate_permission(self, request):
        return request.user.has_perm("impacts.moderate_report")


class RoleHistoryHelper(HistoricalRecordContextHelper):
    """The history page's list of changes, without the fields the viewer may not see."""

    def __init__(self, model, historical_record, *, hidden: set[str]):
        super().__init__(model, historical_record)
        self.hidden = hidden

    def context_for_delta_changes(self, delta):
        delta = dataclasses.replace(
            delta,
            changes=[change for change in delta.changes if change.field not in self.hidden],
            changed_fields=[name for name in delta.changed_fields if name not in self.hidden],
        )
        return super().context_for_delta_changes(delta)


@admin.register(ReporterRequest)
class ReporterRequestAdmin(admin.ModelAdmin):
    list_display = ("report_reference", "kind", "created", "handled_at", "handled_by_name")
    list_filter = ("kind", ("handled_at", admin.EmptyFieldListFilter))
    list_select_related = ("report", "handled_by")
    fields = ("report_reference", "kind", "text", "created", "handled_at", "handled_by_name")
    readonly_fields = fields
    actions = ["hide_names", "mark_handled"]

    @admin.display(description=gettext_lazy("report"), ordering="report")
    def report_reference(self, item):
        return str(item.report)

    @admin.display(description=gettext_lazy("handled by"))
    def handled_by_name(self, item):
        return staff_label(item.handled_by) if item.handled_by_id else "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Hide the reporter's name (for hide-name requests)"), permissions=["change"])
    def hide_names(self, request, queryset):
        waiting = queryset.filter(handled_at__isnull=True, kind=RequestKind.HIDE_NAME).select_related("report")
        for item in waiting:
            item.hide_name(by=request.user)
        text = ngettext(
            "%(count)d report is now shown as anonymous.", "%(count)d reports are now shown as anonymous.", len(waiting)
        )
        self.message_user(request, text % {"count": len(waiting)})

    @admin.action(description=gettext_lazy("Mark as handled"), permissions=["change"])
    def mark_handled(self, request, queryset):
        waiting = queryset.filter(handled_at__isnull=True)
        for item in waiting:
            item.mark_handled(by=request.user)
        text = ngettext("%(count)d request marked as handled.", "%(count)d requests marked as handled.", len(waiting))
        self.message_user(request, text % {"count": len(waiting)})


@admin.register(SealedAccess)
class SealedAccessAdmin(admin.ModelAdmin):
    list_display = ("at", "by", "action", "evidence_item")
    list_select_related = ("user", "evidence__report")
    fields = list_display
    readonly_fields = list_display

    @admin.display(description=gettext_lazy("by"), ordering="user")
    def by(self, item):
        return staff_label(item.user)

    @admin.display(description=gettext_lazy("evidence"), ordering="evidence")
    def evidence_item(self, item):
        return str(item.evidence)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The follow-up after publication: each package registers its own admin pages.
from .alerts import admin as _alerts_admin  # noqa: E402, F401
from .authorities import admin as _authorities_admin  # noqa: E402, F401
from .neighbours import admin as _neighbours_admin  # noqa: E402, F401
from .replies import admin as _replies_admin  # noqa: E402, F401
