"""The neighbour's update form: what they see now, the date, and a few photos.

It offers nothing a visitor must not set (state, public text, moderation); the view sets those.
Photos go through the same pipeline as a report's (impacts.evidence) and are saved with the
update, hidden until a moderator publishes it.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..forms import EvidenceField, EvidenceFormMixin, _too_long_message
from .models import ReportUpdate

UPDATE_TEXT_MAX_LENGTH = 3000
UPDATE_MAX_PHOTOS = 5


class ReportUpdateForm(EvidenceFormMixin, forms.ModelForm):
    files = EvidenceField(label=_("Photos (optional)"))

    class Meta:
        model = ReportUpdate
        fields = ["observed_on", "text"]
        labels = {"observed_on": _("Still happening on"), "text": _("What you see now")}
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        self.prepared_evidence = []
        # Browsers cut pasted text at `maxlength` without a word: the limit is checked and explained instead.
        self.fields["text"].widget.attrs.pop("maxlength", None)
        self.fields["text"].error_messages["max_length"] = _too_long_message()
        self.fields["observed_on"].help_text = _("The day you saw it. Not in the future.")
        self.fields["text"].help_text = _(
            "Up to %(limit)d characters. Please do not write names, phone numbers or exact addresses: "
            "this text is published after a moderator checks it."
        ) % {"limit": UPDATE_TEXT_MAX_LENGTH}
        self.fields["files"].help_text = _(
            "Up to %(count)d photos (JPEG, PNG, WebP or HEIC). "
            "Location and camera details are removed before anything is shown."
        ) % {"count": UPDATE_MAX_PHOTOS}
        self.fields["files"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp,image/heic"

    def clean_observed_on(self):
        observed = self.cleaned_data["observed_on"]
        if observed > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        if observed < self.report.observed_on:
            raise ValidationError(
                _("The date cannot be before the report's own date (%(date)s).")
                % {"date": self.report.observed_on.isoformat()}
            )
        return observed

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError(_("Please say in a few words what you see now."))
        return text

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > UPDATE_MAX_PHOTOS:
            raise ValidationError(
                _("You chose %(count)d photos, but an update can have at most %(limit)d.")
                % {"count": len(files), "limit": UPDATE_MAX_PHOTOS}
            )
        files = super().clean_files()
        not_photos = [p.original_name for p in self.prepared_evidence if p.kind != "photo"]
        if not_photos:
            self.prepared_evidence = []
            raise ValidationError(
                _("Only photos can be sent with an update: %(names)s") % {"names": ", ".join(not_photos)}
            )
        return files

    def save_update(self, *, writer, submission_key: str) -> ReportUpdate:
        """Save the update and its photos (hidden until published); call inside a transaction."""
        update = self.save(commit=False)
        update.report = self.report
        update.submission_key = submission_key
        update.save()
        for prepared in self.prepared_evidence:
            if self.report.evidence.filter(sha256=prepared.sha256).exists():
                continue  # the same photo is already on the report: stored once
            item = writer.store(self.report, prepared)
            item.update = update
            item.save(update_fields=["update"])
        return update


FOLLOWUP_TEXT_MAX_LENGTH = 1000


class ReporterFollowUpForm(forms.Form):
    """The reporter's word after publication, from the tracking page: "it continues" or "resolved".

    `version` is the report's version when the page was shown: a replay of an old form (or a press
    after the report changed) is refused by the workflow instead of moving it again.
    """

    action = forms.ChoiceField(
        choices=[("reporter_continues", "reporter_continues"), ("reporter_resolved", "reporter_resolved")],
        widget=forms.HiddenInput,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    message = forms.CharField(
        label=_("In a few words, what you see now"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=FOLLOWUP_TEXT_MAX_LENGTH,
        error_messages={"max_length": _too_long_message()},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].help_text = _("For the moderators: it is not published. Up to %(limit)d characters.") % {
            "limit": FOLLOWUP_TEXT_MAX_LENGTH
        }
