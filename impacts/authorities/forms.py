"""The letter forms: what a moderator (admin) or the reporter (tracking page) chooses, and the
moderator's record of sending and of the answer."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..evidence import EvidenceRejected, accept_evidence
from .letter import LANGUAGES, Sender
from .models import Authority, AuthorityRequest, RequestKind

LETTER_LANGUAGES = [("ru", "Русский"), ("kk", "Қазақша")]
NAME_LENGTH, ADDRESS_LENGTH, CONTACT_LENGTH = 200, 400, 200


def strip_nul(value: str) -> str:
    """NUL bytes cannot be stored by PostgreSQL nor printed; a hostile client may send them."""
    return value.replace("\x00", "")


class AuthorityChoiceField(forms.ModelChoiceField):
    """An authority by its id: plain ASCII digits only ("²" or "١" are not ids, whatever int() says)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (
            isinstance(value, str | int) and str(value).isascii() and str(value).isdigit() and len(str(value)) <= 12
        ):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def label_from_instance(self, obj):
        from django.utils.translation import get_language

        return obj.name_in(get_language())


class LetterForm(forms.Form):
    """Which body, which kind of letter, which language; the bodies offered are the report's region's
    and the national ones (Authority.objects.for_region)."""

    authority = AuthorityChoiceField(label=_("Addressed to"), queryset=Authority.objects.none(), empty_label=None)
    kind = forms.ChoiceField(
        label=_("Kind of letter"), choices=RequestKind.choices, widget=forms.RadioSelect, initial=RequestKind.COMPLAINT
    )
    language = forms.ChoiceField(
        label=_("Language of the letter"), choices=LETTER_LANGUAGES, widget=forms.RadioSelect, initial="ru"
    )

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        self.fields["authority"].queryset = Authority.objects.for_region(report.region)

    @property
    def has_authorities(self) -> bool:
        return self.fields["authority"].queryset.exists()

    def clean_language(self):
        language = self.cleaned_data["language"]
        if language not in LANGUAGES:
            raise ValidationError(_("Choose Russian or Kazakh."))
        return language


class ReporterLetterForm(LetterForm):
    """The reporter's letter: their name and address go in only if they tick the box and type them."""

    include_contact = forms.BooleanField(
        label=_("Put my name and address in the letter"),
        required=False,
        help_text=_("Only in the letter you download: we do not keep it. Leave it unticked to write them by hand."),
    )
    sender_name = forms.CharField(label=_("Your full name"), max_length=NAME_LENGTH, required=False)
    sender_address = forms.CharField(
        label=_("Your postal address"),
        max_length=ADDRESS_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    sender_contact = forms.CharField(label=_("Phone or e-mail (optional)"), max_length=CONTACT_LENGTH, required=False)

    def clean(self):
        data = super().clean()
        for name in ("sender_name", "sender_address", "sender_contact"):
            data[name] = strip_nul(data.get(name) or "").strip()
        if data.get("include_contact"):
            if not data["sender_name"]:
                self.add_error("sender_name", _("Type your name, or untick the box to write it by hand."))
            if not data["sender_address"]:
                self.add_error("sender_address", _("Type your address, or untick the box to write it by hand."))
        return data

    def sender(self) -> Sender | None:
        data = self.cleaned_data
        if not data.get("include_contact"):
            return None
        return Sender(name=data["sender_name"], address=data["sender_address"], contact=data["sender_contact"])


class GenerateLetterForm(forms.ModelForm):
    """The admin's add page: a letter about a published report (`?report=<id>` preselects it)."""

    language = forms.ChoiceField(label=_("Language of the letter"), choices=LETTER_LANGUAGES)

    class Meta:
        model = AuthorityRequest
        fields = ["report", "authority", "kind", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models import ImpactReport

        self.fields["report"].queryset = ImpactReport.objects.published()
        self.fields["authority"].queryset = Authority.objects.filter(active=True)

    def clean(self):
        data = super().clean()
        report, authority = data.get("report"), data.get("authority")
        if report and authority and authority.region not in ("", report.region):
            self.add_error(
                "authority",
                _("This body is not for the report's region. Choose one of that region or a national body."),
            )
        return data


class RecordForm(forms.ModelForm):
    """The admin's change page: sending and the answer, checked so the record stays consistent."""

    answer_upload = forms.FileField(
        label=_("answer (document)"),
        required=False,
        help_text=_("A PDF or a photo of the answer. Checked by its content."),
    )
    mark_action_reported = forms.BooleanField(
        label=_("Also record that action was reported"),
        required=False,
        help_text=_("When the answer says what was done (written above)."),
    )

    class Meta:
        model = AuthorityRequest
        fields = ["sent_on", "channel", "incoming_number", "answered_on", "answer_summary", "action_stated"]

    def clean_answer_upload(self):
        upload = self.cleaned_data.get("answer_upload")
        if upload is None:
            return None
        try:
            prepared = accept_evidence(upload)
        except EvidenceRejected as error:
            raise ValidationError(error.message) from None
        if prepared.kind not in ("photo", "document"):
            raise ValidationError(_("Send the answer as a PDF or a photo."))
        upload.name = f"answer.{prepared.original_extension}"
        return upload

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        sent_on, answered_on = data.get("sent_on"), data.get("answered_on")
        for name in ("incoming_number", "answer_summary", "action_stated"):
            if data.get(name):
                data[name] = strip_nul(data[name]).strip()
        for name, day in (("sent_on", sent_on), ("answered_on", answered_on)):
            if day and day > today:
                self.add_error(name, _("This date is in the future."))
        if sent_on and not data.get("channel"):
            self.add_error("channel", _("Say how the letter was sent."))
        if answered_on:
            if not sent_on:
                self.add_error("answered_on", _("Record the sending first."))
            elif answered_on < sent_on:
                self.add_error("answered_on", _("The answer cannot come before the letter was sent."))
            if not data.get("answer_summary"):
                self.add_error("answer_summary", _("Summarise the answer: it is shown on the report's page."))
        if self.instance.answered_on and answered_on != self.instance.answered_on:
            self.add_error("answered_on", _("The answer is already recorded."))
        if self.instance.sent_on and sent_on != self.instance.sent_on:
            self.add_error("sent_on", _("The sending is already recorded."))
        if data.get("mark_action_reported") and not data.get("action_stated"):
            self.add_error("action_stated", _("Write what the authority says was done."))
        return data
