"""The public report form, and the reporter's forms on the tracking page.

The form never offers what a reporter must not set (status, reference, public text, moderation
fields); the view and the workflow set those.
"""

import re
import time

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from projects.models import Project

from . import evidence, pending_uploads
from .models import (
    Attribution,
    Category,
    EvidenceWriter,
    ImpactReport,
    ReportCategory,
    ReporterType,
    RequestKind,
    token_digest,
)

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-]{6,20}$")


# What a phone's file picker offers (the server decides by content: impacts.evidence.filetypes).
# Extensions too, since pickers do not all know the types of WhatsApp's .opus or a recorder's .m4a.
ACCEPTED_TYPES = ",".join(
    [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "application/pdf",
        "video/mp4",
        "video/quicktime",
        "video/3gpp",
        "video/webm",
        "audio/ogg",
        "audio/opus",
        "audio/mp4",
        "audio/x-m4a",
        "audio/mpeg",
        "audio/wav",
        "audio/x-wav",
        "audio/webm",
        ".opus",
        ".ogg",
        ".m4a",
        ".mp3",
        ".wav",
        ".3gp",
        ".mov",
    ]
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several files in one input; each goes through impacts.evidence before anything is saved."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": ACCEPTED_TYPES})

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
                prepared = evidence.accept_evidence(uploaded)
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
                    _(
                        "These files were fine but were not saved, because nothing is saved until every file "
                        "is accepted. Please attach them again: %(names)s"
                    )
                    % {"names": ", ".join(accepted)}
                )
            raise ValidationError(errors)
        return files


# Honest limits, stated beside the fields and counted as the person types (static/js/report-form.js).
# The title is the model's column (200). The description: 10,000 characters is about four pages,
# room for a detailed account with dates and symptoms; longer material (lab results, letters) is
# better attached as a PDF. A bound also keeps a moderator's review and redaction of it possible.
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 10_000
KEPT_FILES_FIELD = "kept_files"
REMOVE_KEPT_FIELD = "remove_kept"


class _LengthLimit(MaxLengthValidator):
    """Django's limit, with a message that gives both numbers as the page shows them ("10,000")."""

    message = _("This is %(show_value)s characters long, but at most %(limit_value)s fit. Please shorten it.")

    def __call__(self, value):
        length = self.clean(value)
        if length > self.limit_value:
            raise ValidationError(
                self.message,
                code=self.code,
                params={
                    "show_value": number_format(length, force_grouping=True),
                    "limit_value": number_format(self.limit_value, force_grouping=True),
                    "value": value,
                },
            )


def _posted_values(data, name: str) -> list[str]:
    """Every value of a field, from a QueryDict or a plain dict (tests, site_pages)."""
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name)
    return list(value) if isinstance(value, list | tuple) else ([] if value is None else [value])


def _deduplicated(values) -> list:
    """The values in their order, each once: a repeated checkbox value must not become two rows."""
    return list(dict.fromkeys(values))


class ImpactReportForm(EvidenceFormMixin, forms.ModelForm):
    other_categories = forms.MultipleChoiceField(
        label=_("Other impacts (optional)"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    files = EvidenceField(
        label=_("Photos, documents, videos or voice messages (optional)"),
    )
    consent_publication = forms.BooleanField(
        label=_("I agree that, after a moderator's review, the report (without my contact details) may be published."),
        required=True,
    )
    consent_privacy = forms.BooleanField(
        label=_(
            "I have read how my data is protected: contact details are never published, and photos "
            "are published only without location data."
        ),
        required=True,
    )
    voice_may_be_published = forms.BooleanField(
        label=_(
            "My voice messages may be published after a moderator's review. If not, only a written "
            "summary of what I said is shown."
        ),
        required=False,
    )

    class Meta:
        model = ImpactReport
        fields = [
            "project",
            "site_name",
            "region",
            "settlement",
            "primary_category",
            "other_categories",
            "severity",
            "title",
            "description",
            "observed_on",
            "ongoing",
            "latitude",
            "longitude",
            "reporter_type",
            "organisation",
            "reporter_name",
            "contact_email",
            "contact_phone",
            "attribution",
            "language",
            "files",
            "consent_publication",
            "consent_privacy",
            "voice_may_be_published",
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
            "description": _(
                "What did you see, hear, smell? Since when? Who is affected? "
                "Please do not write other people's names or phone numbers."
            ),
            "contact_email": _(
                "Optional. Never published. Used only to send you your tracking link and news about your report."
            ),
            "contact_phone": _("Optional. Never published. Only senior moderators can see it."),
            "reporter_name": _("Optional. Shown only if you choose “Show my name”."),
            "organisation": _("Required for NGOs."),
            "latitude": _(
                "Optional. Never published as it is: the public sees the centre of the nearest village "
                "or a point rounded to about 1 km."
            ),
        }

    def __init__(
        self, *args, project: Project | None = None, form_key: str | None = None, check_files: bool = True, **kwargs
    ):
        """`form_key` is the form token's submission key: it marks the saved report (one report per
        form) and binds the files kept for a retry to this form. `check_files=False`: a post refused
        before validation, shown again without decoding any file (kept files are carried over)."""
        super().__init__(*args, **kwargs)
        self.form_key = form_key
        self.check_files = check_files
        self.prepared_evidence = []
        self.kept_files: list[pending_uploads.KeptFile] = []  # shown as "already attached"
        self._new_prepared: list[evidence.PreparedEvidence] = []  # accepted in this post, not yet kept
        self._opened_kept: list = []
        self._files_checked = False
        names = ("id", "name_en", "name_ru", "name_kk", "name_zh")
        self.fields["project"].queryset = Project.objects.only(*names).ordered_for()  # as the visitor reads them
        self.fields["project"].label_from_instance = lambda p: p.name
        self.fields["project"].empty_label = _("— not in the list —")
        if project is not None:
            self.initial.setdefault("project", project.pk)
        self.fields["observed_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["language"].required = True
        # Formatted per request: in the visitor's language, with the limits in force now.
        self.fields["files"].help_text = _(
            "Up to %(count)d files, up to %(mb)d MB each: JPEG, PNG, WebP or HEIC photos, PDF documents, "
            "videos (MP4, MOV, 3GP, WebM; up to %(minutes)d minutes) and voice messages (OGG, M4A, MP3, WAV). "
            "Location data is removed from photos before anything is published. Videos and voice messages "
            "are re-encoded without location or device data; a voice message is only published if you allow "
            "it and a moderator approves; otherwise a written summary is shown."
        ) % {
            "count": settings.KZCN_MAX_FILES_PER_REPORT,
            "mb": settings.KZCN_MAX_FILE_BYTES // (1024 * 1024),
            "minutes": settings.KZCN_VIDEO_MAX_SECONDS // 60,
        }
        self.initial.setdefault("language", (get_language() or "en")[:2])
        self.fields["attribution"].choices = Attribution.choices
        self._set_length_limits()

    def _set_length_limits(self) -> None:
        """Limits the person is told about, never text cut off without a word.

        Browsers silently cut pasted text at a `maxlength` attribute, so none is rendered: the
        server refuses what is too long with a message saying by how much, the help text states
        the limit (without JavaScript) and the script shows a live counter.
        """
        self.fields["description"].max_length = DESCRIPTION_MAX_LENGTH
        for field in self.fields.values():
            if getattr(field, "max_length", None):
                field.widget.attrs.pop("maxlength", None)
                field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
                field.validators.append(_LengthLimit(field.max_length))
        for name in ("title", "description"):
            field = self.fields[name]
            limit = number_format(field.max_length, force_grouping=True)
            field.help_text = format_lazy(
                "{} {}", field.help_text, _("At most %(limit)s characters.") % {"limit": limit}
            )
            field.widget.attrs.update(
                {
                    "data-max-chars": field.max_length,
                    "data-counter": _("%(count)s / %(limit)s characters"),
                    "data-counter-over": _("%(over)s characters too many"),
                }
            )

    def clean_other_categories(self):
        return _deduplicated(self.cleaned_data.get("other_categories") or [])

    def clean_files(self):
        """New uploads and the files kept from an earlier try, through the evidence pipeline together."""
        uploads = self.cleaned_data.get("files") or []
        if not self.check_files:
            return []
        self._files_checked = True
        self.prepared_evidence, self._new_prepared, self.kept_files = [], [], []
        errors = []
        opened = []
        for kept in self._posted_kept_files():
            fileobj = pending_uploads.open_kept(kept)
            if fileobj is None:
                errors.append(self._kept_file_gone(kept))
            else:
                opened.append((kept, fileobj))
                self.kept_files.append(kept)
        self._opened_kept = [fileobj for _kept, fileobj in opened]
        try:
            evidence.check_limits([fileobj for _kept, fileobj in opened] + list(uploads))
        except evidence.EvidenceRejected as error:
            raise ValidationError(error.message) from None
        seen = set()
        for kept, fileobj in opened:
            prepared = self._prepare_kept(kept, fileobj)
            if prepared is None:
                self.kept_files.remove(kept)
                errors.append(self._kept_file_gone(kept))
            elif prepared.sha256 not in seen:
                seen.add(prepared.sha256)
                self.prepared_evidence.append(prepared)
        for uploaded in uploads:
            try:
                prepared = evidence.accept_evidence(uploaded)
            except evidence.EvidenceRejected as error:
                errors.append(error.message)
                continue
            if prepared.sha256 not in seen:  # the same file twice is stored once
                seen.add(prepared.sha256)
                self.prepared_evidence.append(prepared)
                self._new_prepared.append(prepared)
        if errors:
            if self._new_prepared and self.form_key:
                errors.append(
                    _(
                        "These files were accepted and are kept for your next try, so you do not need to attach "
                        "them again: %(names)s"
                    )
                    % {"names": ", ".join(p.original_name for p in self._new_prepared)}
                )
            raise ValidationError(errors)
        return uploads

    @staticmethod
    def _prepare_kept(kept, fileobj):
        try:
            prepared = evidence.accept_evidence(fileobj)
        except evidence.EvidenceRejected:
            return None  # the limits changed meanwhile: ask for the file again
        return prepared if prepared.sha256 == kept.sha256 else None

    @staticmethod
    def _kept_file_gone(kept) -> str:
        return _(
            "“%(name)s”, attached earlier, was kept for a limited time only and is no longer here. "
            "Please attach it again."
        ) % {"name": kept.name}

    def _posted_kept_files(self) -> list:
        """The kept files this post refers to, if we signed them for this form; removed ones are deleted."""
        if not self.is_bound or not self.form_key:
            return []
        remove = set(_posted_values(self.data, REMOVE_KEPT_FIELD))
        kept, removed = {}, []
        for reference in _posted_values(self.data, KEPT_FILES_FIELD)[: settings.KZCN_MAX_FILES_PER_REPORT]:
            item = pending_uploads.read(reference, self.form_key)
            if item is None or item.storage_name in kept:
                continue  # not signed by us, or not for this form: ignored, never trusted
            if item.sha256 in remove:
                removed.append(item)
            else:
                kept[item.storage_name] = item
        pending_uploads.discard(removed)
        return list(kept.values())

    def keep_accepted_files(self) -> None:
        """The post failed: keep the files accepted so far for the next try (shown as already attached)."""
        if not self.form_key:
            return
        if not self._files_checked:  # refused before validation: carry the earlier references over
            self.kept_files = [kept for kept in self._posted_kept_files() if kept.expires > time.time()]
        for prepared in self._new_prepared:
            self.kept_files.append(pending_uploads.keep(prepared, self.form_key))
        self._new_prepared = []
        self.close_kept_files()

    def close_kept_files(self) -> None:
        for fileobj in self._opened_kept:
            fileobj.close()
        self._opened_kept = []

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

    def save(
        self, commit: bool = True, writer: EvidenceWriter | None = None, tracking_token: str | None = None
    ) -> ImpactReport:
        """Save the report, its categories and its evidence in one transaction.

        Sets `self.tracking_token` (shown to the reporter; only its digest is stored): the one
        given (see abuse.tracking_token_for), or a random one. The report carries the form's
        submission key, unique: a second save of the same form raises IntegrityError.
        Pass the caller's `writer` when this runs inside a larger transaction, so that a failure
        after this returns still removes the files written here.
        """
        report = super().save(commit=False)
        if tracking_token:
            self.tracking_token = tracking_token
            report.tracking_digest = token_digest(tracking_token)
        else:
            self.tracking_token = report.issue_tracking_token()
        report.submission_key = self.form_key
        categories = _deduplicated([self.cleaned_data["primary_category"], *self.cleaned_data["other_categories"]])
        kept = list(self.kept_files)
        with writer or EvidenceWriter() as writer, transaction.atomic():
            report.save()
            ReportCategory.objects.bulk_create(ReportCategory(report=report, category=c) for c in categories)
            for prepared in self.prepared_evidence:
                writer.store(report, prepared)
            # The kept copies are now sealed evidence: remove them once that is certain (single use).
            transaction.on_commit(lambda: pending_uploads.discard(kept))
        self.close_kept_files()
        return report


ANSWER_MAX_LENGTH = 5000
REQUEST_TEXT_MAX_LENGTH = 1000
# Requests a report may ever have: enough for a person to change their mind once or twice, not a flood.
MAX_REQUESTS_PER_REPORT = 4


def _too_long_message() -> str:
    return _("Please keep this to %(limit_value)d characters or fewer (now: %(show_value)d).")


class ReporterAnswerForm(EvidenceFormMixin, forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=ANSWER_MAX_LENGTH,
        error_messages={"max_length": _too_long_message()},
    )
    files = EvidenceField(label=_("Add photos or documents (optional)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].help_text = _("Up to %(limit)d characters.") % {"limit": ANSWER_MAX_LENGTH}


class ReporterRequestForm(forms.Form):
    """Withdraw / hide-my-name: one open request of each kind, and a small total, per report."""

    kind = forms.ChoiceField(label=_("What would you like?"), choices=RequestKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Anything the moderators should know (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REQUEST_TEXT_MAX_LENGTH,
        error_messages={"max_length": _too_long_message()},
    )

    def __init__(self, *args, report: ImpactReport, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        self.fields["text"].help_text = _("Up to %(limit)d characters.") % {"limit": REQUEST_TEXT_MAX_LENGTH}

    @property
    def accepts_more(self) -> bool:
        """False when every kind is already waiting or the report has had all the requests it may."""
        requests = self.report.requests.all()
        waiting = set(requests.filter(handled_at__isnull=True).values_list("kind", flat=True))
        return len(waiting) < len(RequestKind.values) and requests.count() < MAX_REQUESTS_PER_REPORT

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        requests = self.report.requests.all()
        if requests.filter(kind=kind, handled_at__isnull=True).exists():
            raise ValidationError(
                _("You have already asked for this. A moderator will handle it; there is no need to ask again.")
            )
        if requests.count() >= MAX_REQUESTS_PER_REPORT:
            raise ValidationError(
                _(
                    "This report has had as many requests as it can have (%(limit)d). "
                    "A moderator will read the ones you sent."
                )
                % {"limit": MAX_REQUESTS_PER_REPORT}
            )
        return kind


class LostLinkForm(forms.Form):
    email = forms.EmailField(label=_("The e-mail address you gave with your report"), max_length=254)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
