"""The public form for suggesting a missing project or a correction (no account needed)."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Project, Suggestion, SuggestionKind


class SuggestionForm(forms.ModelForm):
    source_url = forms.URLField(
        label=Suggestion._meta.get_field("source_url").verbose_name,
        max_length=1000,
        assume_scheme="https",
        help_text=_("Required: a public page or document that says it."),
    )

    # Not a model field: the view checks the bytes (impacts.evidence) and seals what it accepts.
    document = forms.FileField(
        label=_("A document (optional)"),
        required=False,
        allow_empty_file=True,  # the evidence pipeline refuses an empty file with its own message
        widget=forms.FileInput(
            attrs={
                "accept": "application/pdf,image/jpeg,image/png,image/webp,"
                "image/heic,image/heif,.pdf,.jpg,.jpeg,.png,.webp,.heic"
            }
        ),
    )

    class Meta:
        model = Suggestion
        fields = ["kind", "project", "project_name", "details", "source_url", "source_title", "name", "email",
                  "credit"]  # fmt: skip
        widgets = {
            "kind": forms.RadioSelect,
            "details": forms.Textarea(attrs={"rows": 5, "maxlength": 3000}),
        }
        help_texts = {
            "details": _("The fact as the source states it, and what should change. Up to 3,000 characters."),
            "email": _("Optional. Never published; only editors see it, to ask you a question."),
            "credit": _("Your name is shown on the project page only if you tick this and an editor accepts."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = ("id", "name_en", "name_ru", "name_kk", "name_zh")
        self.fields["project"].queryset = Project.objects.only(*names).ordered_for()  # as the visitor reads
        self.fields["project"].label_from_instance = lambda project: project.name
        self.fields["project"].empty_label = _("— choose the project —")
        self.fields["document"].help_text = gettext(
            "A PDF or a photo of the source, if it is not online. Only the editors see it; it is never "
            "published. One file, up to %(limit)s."
        ) % {"limit": filesizeformat(settings.KZCN_MAX_FILE_BYTES)}

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == SuggestionKind.CORRECTION and not cleaned.get("project"):
            self.add_error("project", _("Choose the project the correction is about."))
        if kind == SuggestionKind.NEW_PROJECT and not cleaned.get("project_name"):
            self.add_error("project_name", _("Give the missing project's name."))
        if cleaned.get("credit") and not cleaned.get("name"):
            self.add_error("name", _("Give the name to credit, or untick the box."))
        return cleaned
