"""The company's answer (public form behind its private link) and the moderator's invitation (admin)."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from projects.models import Company

from .models import INVITATION_LANGUAGES, CompanyReply

TEXT_MAX_LENGTH = 5000
DOCUMENT_TYPES = (
    "application/pdf,image/jpeg,image/png,image/webp,image/heic,image/heif,.pdf,.jpg,.jpeg,.png,.webp,.heic"
)


class CompanyReplyForm(forms.ModelForm):
    """What the company may set: who answers, the answer, a document. State and moderation are ours."""

    text = forms.CharField(
        label=_("Your response"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": _("Please write your response."),
            "max_length": _("Please keep this to %(limit_value)d characters or fewer (now: %(show_value)d)."),
        },
    )
    # Not a model field: the view checks the bytes (impacts.evidence) and seals what it accepts.
    document = forms.FileField(
        label=_("A document (optional)"),
        required=False,
        allow_empty_file=True,  # the evidence pipeline refuses an empty file with its own message
        widget=forms.FileInput(attrs={"accept": DOCUMENT_TYPES}),
    )

    class Meta:
        model = CompanyReply
        fields = ["responder", "text"]
        labels = {"responder": _("Name and position of the person answering (optional)")}
        help_texts = {"responder": _("Shown with the published response.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = gettext(
            "Up to %(limit)d characters. Published after a moderator checks it."
        ) % {"limit": TEXT_MAX_LENGTH}
        self.fields["document"].help_text = gettext(
            "A PDF or a photo, up to %(limit)s. What is published is a safe copy: a PDF is re-drawn as "
            "pictures of its pages and a photo re-encoded, without any hidden data."
        ) % {"limit": filesizeformat(settings.KZCN_MAX_FILE_BYTES)}


class InvitationForm(forms.Form):
    """The moderator's choice: which of the project's companies, in which language, by when."""

    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.none())
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=INVITATION_LANGUAGES, initial="ru")
    days = forms.IntegerField(label=_("Days to answer"), min_value=1, max_value=90)

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        self.fields["company"].queryset = Company.objects.filter(parties__project=report.project_id).distinct()
        self.fields["company"].label_from_instance = self.company_label
        self.fields["days"].initial = settings.KZCN_REPLY_DAYS

    @staticmethod
    def company_label(company: Company) -> str:
        if company.contact_email:
            return company.name
        return gettext("%(company)s (no contact e-mail)") % {"company": company.name}

    def clean_company(self):
        company = self.cleaned_data["company"]
        if not company.contact_email:
            raise forms.ValidationError(
                _(
                    "%(company)s has no contact e-mail, so it cannot be invited. An editor can add one on the "
                    "company's page in the catalogue."
                ),
                params={"company": company.name},
            )
        return company
