"""The subscribe form: an address, what to follow (a project, a region or an area) and how often.

Coordinates are read as ASCII digits only: Python's Decimal would take "٤٣" or other scripts'
digits as numbers, and an address typed with them is more likely a mistake than a wish.
"""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.models import Project, Region

from .models import Frequency, Subscription

COORDINATE = re.compile(r"[+-]?[0-9]{1,3}(?:[.,][0-9]{1,10})?", re.ASCII)
PLACES = Decimal("0.00001")
# The four edges of an area, with the range each may take.
EDGES = {"min_latitude": 90, "max_latitude": 90, "min_longitude": 180, "max_longitude": 180}


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Project) -> str:
        return obj.name  # in the visitor's language


def coordinate_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class SubscriptionForm(forms.Form):
    SCOPES = [("project", _("A project")), ("region", _("A region")), ("area", _("An area of the map"))]

    email = forms.EmailField(
        label=_("Your e-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    scope = forms.ChoiceField(label=_("What to follow"), choices=SCOPES, widget=forms.RadioSelect, initial="project")
    project = ProjectChoiceField(
        label=_("Project"),
        queryset=Project.objects.order_by("name_en"),
        required=False,
        empty_label=_("Choose a project"),
    )
    region = forms.ChoiceField(label=_("Region"), choices=[("", _("Choose a region")), *Region.choices], required=False)
    min_latitude = coordinate_field(_("Southern edge (latitude, degrees)"))
    max_latitude = coordinate_field(_("Northern edge (latitude, degrees)"))
    min_longitude = coordinate_field(_("Western edge (longitude, degrees)"))
    max_longitude = coordinate_field(_("Eastern edge (longitude, degrees)"))
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Frequency.choices, widget=forms.RadioSelect, initial=Frequency.IMMEDIATE
    )

    @classmethod
    def initial_from_query(cls, query) -> dict:
        """What the links to this page ask for: `?project=<slug>`, `?region=<code>`, or the map's
        `?scope=area&bbox=west,south,east,north` (kept as given: a wrong value is explained on sending)."""
        if slug := query.get("project"):
            project = Project.objects.filter(slug=slug[:200]).first()
            if project:
                return {"scope": "project", "project": project.pk}
        if (region := query.get("region")) in Region.values:
            return {"scope": "region", "region": region}
        parts = (query.get("bbox") or "")[:200].split(",")
        if len(parts) == 4:
            west, south, east, north = (part.strip()[:20] for part in parts)
            return {
                "scope": "area",
                "min_longitude": west,
                "min_latitude": south,
                "max_longitude": east,
                "max_latitude": north,
            }
        return {"scope": "area"} if query.get("scope") == "area" else {}

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def _coordinate(self, name: str) -> Decimal | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            self.add_error(name, _("Please give this edge of the area."))
            return None
        if not COORDINATE.fullmatch(text):
            self.add_error(name, _("Please write a number of degrees with the digits 0–9, e.g. 43.25."))
            return None
        value = Decimal(text.replace(",", ".")).quantize(PLACES)
        if abs(value) > EDGES[name]:
            self.add_error(name, _("Please give a value between −%(limit)s and %(limit)s.") % {"limit": EDGES[name]})
            return None
        return value

    def _clean_area(self, data: dict) -> None:
        edges = {name: self._coordinate(name) for name in EDGES}
        if None in edges.values():
            return
        if edges["min_latitude"] >= edges["max_latitude"]:
            self.add_error("max_latitude", _("The northern edge must be north of the southern edge."))
        if edges["min_longitude"] >= edges["max_longitude"]:
            self.add_error("max_longitude", _("The eastern edge must be east of the western edge."))
        data.update(edges)

    def clean(self) -> dict:
        data = super().clean()
        scope = data.get("scope")
        if scope == "project" and not data.get("project"):
            self.add_error("project", _("Please choose a project."))
        elif scope == "region" and not data.get("region"):
            self.add_error("region", _("Please choose a region."))
        elif scope == "area":
            self._clean_area(data)
        return data

    def subscription(self, language: str) -> Subscription:
        """The (unsaved) subscription this form describes: one scope only, the others left empty."""
        data, scope = self.cleaned_data, self.cleaned_data["scope"]
        subscription = Subscription(email=data["email"], frequency=data["frequency"], language=language)
        if scope == "project":
            subscription.project = data["project"]
        elif scope == "region":
            subscription.region = data["region"]
        else:
            for name in EDGES:
                setattr(subscription, name, data[name])
        return subscription
