"""The public report form, and the reporter's forms on the tracking page.

The form never offers what a reporter must not set (status, reference, public text, moderation
fields); the view and the workflow set those.
"""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from projects.models import Project

from . import evidence
from .models import Attribution, Category, EvidenceWriter, ImpactReport, ReportCategory, ReporterType, RequestKind

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-]{6,20}$")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several files in one input; each goes through impacts.evidence before anything is saved."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/jpeg,image/png,image/webp,image/heic,application/pdf"})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        return files


class EvidenceFormMixin:
    """Runs every uploaded file through the safe pipeline; keeps prepared copies for saving."""

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        self.prepared_evidence = []
        try:
            evidence.check_limits(files)
        except evidence.EvidenceRejected as error:
            raise ValidationError(error.message) from None
        errors, seen = [], set()
        for uploaded in files:
            try:
                prepared = evidence.prepare_evidence(uploaded)
            except evidence.EvidenceRejected as error:
                errors.append(error.message)
                continue
            if prepared.sha256 in seen:
                continue  # the same file twice is stored once
            seen.add(prepared.sha256)
            self.prepared_evidence.append(prepared)
        if errors:
            accepted = [p.original_name for p in self.prepared_evidence]
            if accepted:
                errors.append(
                    _("These files were fine but were not saved, because nothing is saved until every file "
                      "is accepted. Please attach them again: %(names)s") % {"names": ", ".join(accepted)}
                )
            raise ValidationError(errors)
        return files


class ImpactReportForm(EvidenceFormMixin, forms.ModelForm):
    other_categories = forms.MultipleChoiceField(
        label=_("Other impacts (optional)"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    files = EvidenceField(
        label=_("Photos or documents (optional)"),
    )
    consent_publication = forms.BooleanField(
        label=_("I agree that, after a moderator's review, the report (without my contact details) may be "
                "published."),
        required=True,
    )
    consent_privacy = forms.BooleanField(
        label=_("I have read how my data is protected: contact details are never published, and photos "
                "are published only without location data."),
        required=True,
    )

    class Meta:
        model = ImpactReport
        fields = [
            "project", "site_name", "region", "settlement",
            "primary_category", "other_categories", "severity", "title", "description",
            "observed_on", "ongoing", "latitude", "longitude",
            "reporter_type", "organisation", "reporter_name", "contact_email", "contact_phone", "attribution",
            "language", "files", "consent_publication", "consent_privacy",
        ]
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 6}),
            "attribution": forms.RadioSelect,
            "latitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "longitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        }
        help_texts = {
            "project": _("Choose the plant or project. If it is not in the list, name the site below."),
            "title": _("A few words, e.g. “Black dust on houses every night”."),
            "description": _("What did you see, hear, smell? Since when? Who is affected? "
                             "Please do not write other people's names or phone numbers."),
            "contact_email": _("Optional. Never published. Used only to send you your tracking link and news "
                               "about your report."),
            "contact_phone": _("Optional. Never published. Only senior moderators can see it."),
            "reporter_name": _("Optional. Shown only if you choose “Show my name”."),
            "organisation": _("Required for NGOs."),
            "latitude": _("Optional. Published only rounded to about 1 km."),
        }

    def __init__(self, *args, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared_evidence = []
        self.fields["project"].queryset = Project.objects.only("id", "name_en", "name_ru", "name_kk").order_by(
            "name_en"
        )
        self.fields["project"].label_from_instance = lambda p: p.name
        self.fields["project"].empty_label = _("— not in the list —")
        if project is not None:
            self.initial.setdefault("project", project.pk)
        self.fields["observed_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["language"].required = True
        # Formatted per request: in the visitor's language, with the limits in force now.
        self.fields["files"].help_text = _(
            "Up to %(count)d files: JPEG, PNG, WebP or HEIC photos and PDF documents, up to %(mb)d MB "
            "each. Location data is removed from photos before anything is published."
        ) % {"count": settings.KZCN_MAX_FILES_PER_REPORT, "mb": settings.KZCN_MAX_FILE_BYTES // (1024 * 1024)}
        self.initial.setdefault("language", (get_language() or "en")[:2])
        self.fields["title"].widget.attrs["maxlength"] = 200
        self.fields["attribution"].choices = Attribution.choices

    def clean_observed_on(self):
        observed = self.cleaned_data["observed_on"]
        if observed and observed > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return observed

    def clean_contact_phone(self):
        phone = self.cleaned_data.get("contact_phone", "").strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise ValidationError(_("Please write the phone number with digits only, e.g. +7 701 234 5678."))
        return phone

    def clean(self):
        data = super().clean()
        if not data.get("project") and not (data.get("site_name") or "").strip():
            self.add_error("site_name", _("Choose a project from the list, or name the site here."))
        if data.get("reporter_type") == ReporterType.NGO and not (data.get("organisation") or "").strip():
            self.add_error("organisation", _("Please name your organisation."))
        attribution = data.get("attribution")
        if attribution == Attribution.NAME and not (data.get("reporter_name") or "").strip():
            self.add_error("reporter_name", _("Write your name, or choose to stay anonymous."))
        if attribution == Attribution.ORGANISATION and not (data.get("organisation") or "").strip():
            self.add_error("organisation", _("Write your organisation, or choose to stay anonymous."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        primary = data.get("primary_category")
        data["other_categories"] = [c for c in data.get("other_categories") or [] if c != primary]
        return data

    def save(self, commit: bool = True, writer: EvidenceWriter | None = None) -> ImpactReport:
        """Save the report, its categories and its evidence in one transaction.

        Sets `self.tracking_token` (shown to the reporter once; only its digest is stored).
        Pass the caller's `writer` when this runs inside a larger transaction, so that a failure
        after this returns still removes the files written here.
        """
        report = super().save(commit=False)
        self.tracking_token = report.issue_tracking_token()
        categories = [self.cleaned_data["primary_category"], *self.cleaned_data["other_categories"]]
        with writer or EvidenceWriter() as writer, transaction.atomic():
            report.save()
            ReportCategory.objects.bulk_create(ReportCategory(report=report, category=c) for c in categories)
            for prepared in self.prepared_evidence:
                writer.store(report, prepared)
        return report


class ReporterAnswerForm(EvidenceFormMixin, forms.Form):
    answer = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    files = EvidenceField(label=_("Add photos or documents (optional)"))


class ReporterRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What would you like?"), choices=RequestKind.choices,
                             widget=forms.RadioSelect)
    text = forms.CharField(label=_("Anything the moderators should know (optional)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
