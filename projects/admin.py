from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ForeignKey, URLField
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kzcn.admin_site import staff_name

from . import provenance
from .catalogue_csv import host_name
from .models import (
    Company,
    ConflictState,
    Financing,
    ImportConflict,
    ImportDeletion,
    ImportedFacts,
    ProgrammeFigure,
    Project,
    ProjectEvent,
    ProjectParty,
    Source,
    Suggestion,
    SuggestionKind,
    SuggestionState,
)

# An address typed without a scheme is taken as https (Django 6's default, chosen now).
HTTPS_URLS = {URLField: {"assume_scheme": "https"}}
NEW_SOURCE_FIELDS = ["new_source_title", "new_source_publisher", "new_source_published", "new_source_url"]
# Changing these is not a fact about the project, so it needs no source.
NOT_FACTS = {"slug", "change_source", *NEW_SOURCE_FIELDS}


def staff_by_login(login: str) -> str:
    """A login name stored in a record (edits, deletions), shown as that person's display name."""
    user = get_user_model().objects.filter(username=login).first() if login else None
    return staff_name(user) if user is not None else "—"


def model_field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def attnames(model_form: forms.ModelForm, names) -> list[str]:
    """Model attribute names for form field names ('source' → 'source_id'), as the importer records them."""
    fields = (model_field(model_form._meta.model, name) for name in names)
    return [field.attname for field in fields if field is not None and field.concrete]


class ProjectForm(forms.ModelForm):
    """The project form: a changed fact cannot be saved without its source, chosen or added."""

    change_source = forms.ModelChoiceField(
        queryset=Source.objects.none(),
        required=False,
        label=_("Source of this change"),
        help_text=_("Every new or changed fact needs a source: choose one of this project's, or add one below."),
    )
    new_source_title = forms.CharField(label=_("New source: title"), max_length=500, required=False)
    new_source_publisher = forms.CharField(label=_("New source: publisher"), max_length=200, required=False)
    new_source_published = forms.DateField(
        label=_("New source: publication date"), required=False, widget=AdminDateWidget
    )
    new_source_url = forms.URLField(
        label=_("New source: address (URL)"), max_length=1000, required=False, assume_scheme="https"
    )

    class Meta:
        model = Project
        fields = []  # ProjectAdmin.fieldsets choose them

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["change_source"].queryset = self.instance.sources.all()

    def changed_facts(self) -> list[str]:
        return [name for name in self.changed_data if name not in NOT_FACTS]

    def clean(self):
        cleaned = super().clean()
        adding = any(cleaned.get(name) for name in NEW_SOURCE_FIELDS)
        if adding:
            if not (cleaned.get("new_source_title") and cleaned.get("new_source_url")):
                raise ValidationError(_("A new source needs at least its title and its address (URL)."))
            if cleaned.get("change_source"):
                raise ValidationError(_("Choose an existing source or add a new one, not both."))
            if self.instance.pk and self.instance.sources.filter(url=cleaned["new_source_url"]).exists():
                self.add_error("new_source_url", _("This project already has this source: choose it above."))
        if self.changed_facts() and not (adding or cleaned.get("change_source")):
            raise ValidationError(
                _("Choose the source of this change, or add a new one (title, publisher, date, URL).")
            )
        return cleaned

    def save_source(self, project: Project) -> Source | None:
        """The source chosen or added for this change (added now that the project has an id)."""
        if not self.cleaned_data.get("new_source_url"):
            return self.cleaned_data.get("change_source")
        facts = [str(Project._meta.get_field(name).verbose_name) for name in self.changed_facts()]
        return Source.objects.create(
            project=project,
            title=self.cleaned_data["new_source_title"],
            publisher=self.cleaned_data["new_source_publisher"],
            published=self.cleaned_data["new_source_published"],
            url=self.cleaned_data["new_source_url"],
            supports=", ".join(facts)[:300],
            is_primary=not project.sources.filter(is_primary=True).exists(),
        )


class SourcedRowForm(forms.ModelForm):
    """A company or financing row: a new or changed row must cite one of the project's sources."""

    def clean(self):
        cleaned = super().clean()
        if self.has_changed() and not cleaned.get("DELETE") and not cleaned.get("source"):
            self.add_error(
                "source", _("Choose the source of this fact (a new source can be added under Sources and saved first).")
            )
        return cleaned


class SourceForm(forms.ModelForm):
    """A source added by an editor has a title, so public pages never show a bare address."""

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and self.has_changed() and not cleaned.get("title"):
            self.add_error("title", _("Give the source's title."))
        if cleaned.get("DELETE") and self.instance.pk and self.instance.events.exists():
            raise ValidationError(_("Timeline events cite this source: give them another source or delete them first."))
        return cleaned


class ProjectSourceInline(admin.TabularInline):
    """Lets a party or financing row cite only the sources of its own project."""

    extra = 0
    form = SourcedRowForm

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs):
        if db_field.name == "source":
            project_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Source.objects.filter(project_id=project_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProjectPartyInline(ProjectSourceInline):
    model = ProjectParty
    fields = ["company", "role", "note", "source"]
    autocomplete_fields = ["company"]


class FinancingInline(ProjectSourceInline):
    model = Financing
    fields = ["lender", "country", "amount_usd_million", "stage", "note", "source"]


class ProjectEventInline(ProjectSourceInline):
    """The timeline: each event is dated and cites one of the project's sources."""

    model = ProjectEvent
    fields = ["kind", "date", "date_precision", "summary", "place", "minutes_url", "source"]
    formfield_overrides = HTTPS_URLS


class SourceInline(admin.StackedInline):
    model = Source
    form = SourceForm
    extra = 0
    formfield_overrides = HTTPS_URLS
    fields = [("title", "publisher"), "url", ("published", "is_primary"), "supports"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    list_display = ["name_en", "sector", "status", "status_as_of", "region", "cost_usd_million", "programme_tie"]
    list_filter = ["sector", "status", "region", "programme_tie"]
    search_fields = ["name_en", "name_ru", "name_kk", "name_zh", "settlement", "parties__company__name"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["created", "updated", "edit_record"]
    inlines = [ProjectPartyInline, FinancingInline, ProjectEventInline, SourceInline]
    formfield_overrides = HTTPS_URLS
    fieldsets = [
        (
            _("Source of this change"),
            {
                "fields": ["change_source", ("new_source_title", "new_source_publisher"), "new_source_published",
                           "new_source_url"],
            },
        ),
        (
            _("Names"),
            {
                "fields": ["name_en", ("name_ru", "name_ru_origin"), ("name_kk", "name_kk_origin"),
                           ("name_zh", "name_zh_origin"), "slug"],
            },
        ),
        (None, {"fields": ["sector", ("status", "status_as_of", "status_as_of_precision"), "cost_usd_million",
                           "capacity", "start_year"]}),
        (None, {"fields": ["region", "settlement", ("latitude", "longitude"), "coordinates_source_url"]}),
        (None, {"fields": ["programme_tie", "programme_tie_url", "programme_tie_quote", "programme_tie_basis"]}),
        (
            _("Texts"),
            {
                "fields": ["overview", ("overview_ru", "overview_ru_origin"), ("overview_kk", "overview_kk_origin"),
                           "environmental_notes"],
            },
        ),
        (None, {"fields": ["chinese_partners_as_stated", "kazakh_partners_as_stated"]}),
        (_("Record"), {"fields": ["edit_record", "created", "updated"]}),
    ]  # fmt: skip

    @admin.display(description=_("changed by editors"))
    def edit_record(self, project: Project) -> str:
        """Which fields editors changed (the import leaves them alone), by whom, when, with which source."""
        if not project.edited_fields:
            return _("Nothing yet: every fact is as imported.")
        sources = {source.pk: source for source in project.sources.all()}
        # Stored by login name; shown by display name (kzcn.admin_site.staff_name), as everywhere in the admin.
        logins = {edit.get("by", "") for edit in project.edited_fields.values()}
        editors = {user.get_username(): user for user in get_user_model().objects.filter(username__in=logins)}
        rows = []
        for field, edit in sorted(project.edited_fields.items()):
            source = sources.get(edit.get("source"))
            at = parse_datetime(edit.get("at", "")) if edit.get("at") else None
            described = model_field(Project, field)
            rows.append(
                (
                    described.verbose_name if described else field,
                    staff_name(editors.get(edit.get("by", ""))),
                    at.strftime("%Y-%m-%d %H:%M UTC") if at else "",
                    source or "—",
                )
            )
        return format_html_join("", "<div>{} — {}, {} ({})</div>", rows)

    def delete_model(self, request, obj: Project) -> None:
        provenance.record_deletion(obj, request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for project in queryset:
            provenance.record_deletion(project, request.user)
        super().delete_queryset(request, queryset)

    @transaction.atomic
    def save_model(self, request, obj: Project, form: ProjectForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        source = form.save_source(obj)
        facts = attnames(form, form.changed_facts())
        if facts:
            provenance.mark_edited(obj, facts, request.user, source)
            obj.save(update_fields=["edited_fields"])

    def save_formset(self, request, form, formset, change) -> None:
        """Inline rows an editor changed are marked edited too, so the import keeps them; rows an
        editor deleted are remembered, so the import does not bring them back."""
        super().save_formset(request, form, formset, change)
        for deleted in getattr(formset, "deleted_objects", []):
            if isinstance(deleted, ImportedFacts):
                provenance.record_deletion(deleted, request.user)
        for row_form in formset.forms:
            instance = row_form.instance
            if not isinstance(instance, ImportedFacts) or instance.pk is None or not row_form.changed_data:
                continue
            if row_form in getattr(formset, "deleted_forms", []):
                continue
            fields = attnames(row_form, [name for name in row_form.changed_data if name != "DELETE"])
            if fields:
                provenance.mark_edited(instance, fields, request.user, getattr(instance, "source", None))
                type(instance).objects.filter(pk=instance.pk).update(edited_fields=instance.edited_fields)


@admin.register(ImportConflict)
class ImportConflictAdmin(admin.ModelAdmin):
    """Facts where the import file and an editor disagree; the editor's value stays until settled."""

    list_display = ["record_label", "field", "file_value", "editor_value", "edited_by_name", "edited_at", "detected",
                    "state"]  # fmt: skip
    list_filter = ["state", "model"]
    search_fields = ["record_label", "field"]
    # Every field, read-only; the staff in it by display name, never by login (kzcn.admin_site.staff_name).
    readonly_fields = [{"edited_by": "edited_by_name", "settled_by": "settled_by_name"}.get(field.name, field.name)
                       for field in ImportConflict._meta.fields]  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("edited by"))
    def edited_by_name(self, conflict: ImportConflict) -> str:
        return staff_by_login(conflict.edited_by)

    @admin.display(description=_("settled by"))
    def settled_by_name(self, conflict: ImportConflict) -> str:
        return staff_name(conflict.settled_by) if conflict.settled_by_id else "—"

    actions = ["keep_editors_value", "take_files_value"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _settle(self, request: HttpRequest, queryset, take_file: bool) -> None:
        settled = 0
        for conflict in queryset.filter(state=ConflictState.OPEN):
            try:
                with transaction.atomic():
                    provenance.settle(conflict, request.user, take_file)
            except ValidationError as error:
                self.message_user(request, f"{conflict}: {'; '.join(error.messages)}", messages.ERROR)
            else:
                settled += 1
        text = ngettext("%(count)d conflict settled.", "%(count)d conflicts settled.", settled)
        self.message_user(request, text % {"count": settled})

    @admin.action(description=_("Keep the editor's value"), permissions=["change"])
    def keep_editors_value(self, request: HttpRequest, queryset) -> None:
        self._settle(request, queryset, take_file=False)

    @admin.action(description=_("Take the file's value"), permissions=["change"])
    def take_files_value(self, request: HttpRequest, queryset) -> None:
        self._settle(request, queryset, take_file=True)


@admin.register(ImportDeletion)
class ImportDeletionAdmin(admin.ModelAdmin):
    """Imported records editors deleted; deleting an entry here lets the next import restore the record."""

    list_display = ["label", "model", "deleted_by_name", "deleted_at"]
    list_filter = ["model"]
    readonly_fields = ["model", "lookup", "label", "deleted_by_name", "deleted_at"]
    fields = readonly_fields

    @admin.display(description=_("deleted by"))
    def deleted_by_name(self, deletion: ImportDeletion) -> str:
        return staff_by_login(deletion.deleted_by)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """Visitors' suggestions: private until accepted. Accepting a correction adds its source to the
    project, so the editor can then change the fact citing it."""

    list_display = ["created", "kind", "project", "project_name", "source_url", "attached_document", "state"]
    list_filter = ["state", "kind"]
    search_fields = ["project_name", "details", "source_url", "project__name_en"]
    readonly_fields = ["kind", "project", "project_name", "details", "source_url", "source_title",
                       "document_download", "email", "credit", "created", "reviewed_by_name", "reviewed_at",
                       "state"]  # fmt: skip
    # The name is published as typed when credit is asked for: the editor may correct or shorten it
    # (a phone number typed as a name, a full name where initials will do) before accepting.
    fields = [*readonly_fields[:7], "name", *readonly_fields[7:], "editor_note"]
    actions = ["accept", "decline"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("reviewed by"))
    def reviewed_by_name(self, suggestion: Suggestion) -> str:
        return staff_name(suggestion.reviewed_by) if suggestion.reviewed_by_id else "—"

    @admin.display(description=_("document"))
    def attached_document(self, suggestion: Suggestion) -> str:
        return suggestion.document_name or ("—" if not suggestion.document else _("(no name)"))

    @admin.display(description=_("document (private)"))
    def document_download(self, suggestion: Suggestion) -> str:
        """Links to the sealed file and its safe copy; the help says it is never published."""
        if not suggestion.document:
            return _("No document was attached.")
        url = reverse("admin:projects_suggestion_document", args=[suggestion.pk, "original"])
        copy_url = reverse("admin:projects_suggestion_document", args=[suggestion.pk, "copy"])
        return format_html(
            '<a href="{}">{}</a> ({}, {}) · <a href="{}">{}</a><br><span class="help">SHA-256 {}</span>'
            '<div class="help">{}</div>',
            url, suggestion.document_name or _("(no name)"), suggestion.document_content_type,
            filesizeformat(suggestion.document_size or 0), copy_url,
            _("safe copy (re-drawn, without metadata)") if suggestion.document_copy else "",
            suggestion.document_sha256,
            _("Kept private: its metadata may name the sender. Accepting the suggestion does not publish "
              "it; cite a public source for the fact instead."),
        )  # fmt: skip

    def get_urls(self):
        return [
            path("<int:pk>/document/<str:which>/", self.admin_site.admin_view(self.document_view),
                 name="projects_suggestion_document"),
            *super().get_urls(),
        ]  # fmt: skip

    def document_view(self, request: HttpRequest, pk: int, which: str) -> FileResponse:
        """The sealed document (or its safe copy), as an attachment, to editors and superusers only."""
        if not request.user.has_perm("projects.change_suggestion"):
            raise PermissionDenied
        suggestion = get_object_or_404(Suggestion, pk=pk)
        stored = {"original": suggestion.document, "copy": suggestion.document_copy}.get(which)
        if not stored:
            raise Http404
        if which == "original":
            content_type = suggestion.document_content_type or "application/octet-stream"
        else:
            content_type = "application/pdf" if stored.name.endswith(".pdf") else "image/jpeg"
        extension = stored.name.rsplit(".", 1)[-1]
        response = FileResponse(
            stored.open("rb"),
            content_type=content_type,
            as_attachment=True,
            filename=f"suggestion-{suggestion.pk}-{which}.{extension}",
        )
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response

    def _review(self, request: HttpRequest, queryset, state: str) -> int:
        done = 0
        for suggestion in queryset.filter(state=SuggestionState.NEW):
            with transaction.atomic():
                if state == SuggestionState.ACCEPTED and suggestion.kind == SuggestionKind.CORRECTION:
                    self._add_source(suggestion)
                suggestion.state = state
                suggestion.reviewed_by = request.user
                suggestion.reviewed_at = timezone.now()
                suggestion.save(update_fields=["state", "reviewed_by", "reviewed_at"])
            done += 1
        return done

    @staticmethod
    def _add_source(suggestion: Suggestion) -> None:
        if suggestion.project is None:
            return
        suggestion.project.sources.get_or_create(
            url=suggestion.source_url,
            defaults={
                "title": suggestion.source_title,
                # A valid host name may be longer (253) than the publisher column: cut, never fail.
                "publisher": host_name(suggestion.source_url)[: Source._meta.get_field("publisher").max_length],
                "supports": str(_("suggested correction")),
            },
        )

    @admin.action(description=_("Accept (a correction's source is added to its project)"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset) -> None:
        done = self._review(request, queryset, SuggestionState.ACCEPTED)
        text = ngettext("%(count)d suggestion accepted.", "%(count)d suggestions accepted.", done)
        self.message_user(request, text % {"count": done})

    @admin.action(description=_("Decline"), permissions=["change"])
    def decline(self, request: HttpRequest, queryset) -> None:
        done = self._review(request, queryset, SuggestionState.DECLINED)
        text = ngettext("%(count)d suggestion declined.", "%(count)d suggestions declined.", done)
        self.message_user(request, text % {"count": done})


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    list_filter = ["country"]
    search_fields = ["name"]
    # The address is where moderators' invitations to answer reports go (impacts.replies); never public.
    fieldsets = [
        (None, {"fields": ["name", "country"]}),
        (_("Contact for invitations to answer reports (never public)"), {"fields": ["contact_email", "contact_note"]}),
    ]


@admin.register(ProgrammeFigure)
class ProgrammeFigureAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "value", "unit", "as_of_year", "as_of_month", "position"]
    list_editable = ["position"]
    formfield_overrides = HTTPS_URLS
    search_fields = ["key", "label", "source_title"]

    def delete_model(self, request, obj: ProgrammeFigure) -> None:
        provenance.record_deletion(obj, request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for figure in queryset:
            provenance.record_deletion(figure, request.user)
        super().delete_queryset(request, queryset)

    def save_model(self, request, obj: ProgrammeFigure, form, change: bool) -> None:
        """A figure an editor changed is kept by the next import (a conflict is listed instead)."""
        fields = attnames(form, form.changed_data)
        if change and fields:
            provenance.mark_edited(obj, fields, request.user)
        super().save_model(request, obj, form, change)
