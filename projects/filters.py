"""The catalogue's filters: every choice lives in the query string, so a filtered list can be shared."""

import hashlib

import django_filters
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kzcn.casefold import contains_text
from kzcn.freshness import kept_until_change

from .models import Financing, ProgrammeTie, Project, ProjectParty, Region, Sector, Status

# Visitor-facing ordering value → fields. Missing costs and years go last either way, so
# "most expensive first" does not open with projects whose cost no source states.
ORDERINGS = {
    # display_name: the name the visitor sees (Project.objects.ordered_for annotates it).
    "name": [Lower("display_name").asc()],
    "-name": [Lower("display_name").desc()],
    "cost": [F("cost_usd_million").asc(nulls_last=True)],
    "-cost": [F("cost_usd_million").desc(nulls_last=True)],
    "start_year": [F("start_year").asc(nulls_last=True)],
    "-start_year": [F("start_year").desc(nulls_last=True)],
}
ORDERING_CHOICES = [
    ("name", _("Name (A–Z)")),
    ("-name", _("Name (Z–A)")),
    ("-cost", _("Cost (highest first)")),
    ("cost", _("Cost (lowest first)")),
    ("start_year", _("Start year (earliest first)")),
    ("-start_year", _("Start year (latest first)")),
]


def company_named(text: str) -> Q:
    """Projects where a company or lender's name contains ``text``."""
    parties = ProjectParty.objects.filter(contains_text("company__name", text), project=OuterRef("pk"))
    lenders = Financing.objects.filter(contains_text("lender", text), project=OuterRef("pk"))
    return Q(Exists(parties)) | Q(Exists(lenders))


class FormDrawnOnce:
    """A FilterSet whose form is drawn once per language, choices made and site version.

    Drawing the filter form (a dozen fields, a select of every project) was half the CPU time of a
    list page (issue 16). What it draws depends only on the language, the choices in the query
    string (which also decide its error messages) and the rows its choices come from, which move
    the site version; so the HTML is kept with kzcn.freshness and drawn again after a change.
    """

    @property
    def form_html(self) -> SafeString:
        form = self.form
        chosen = [
            (name, form.data.getlist(name) if hasattr(form.data, "getlist") else [form.data.get(name)])
            for name in form.fields
            if name in form.data
        ]
        digest = hashlib.sha256(repr(chosen).encode()).hexdigest()[:32]
        name = f"filter-form:{type(self).__name__}:{get_language()}:{digest}"
        # Marked safe once it comes back from the cache: the crispy-forms templates escaped it.
        return mark_safe(str(kept_until_change(name, lambda: str(as_crispy_form(form)))))  # noqa: S308


class ProjectFilter(FormDrawnOnce, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Sector.choices, empty_label=_("Any sector"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices, empty_label=_("Any status"))
    region = django_filters.ChoiceFilter(label=_("Region"), choices=Region.choices, empty_label=_("Any region"))
    tie = django_filters.ChoiceFilter(
        label=_("Tie to the programme"),
        field_name="programme_tie",
        choices=ProgrammeTie.choices,
        empty_label=_("Any tie"),
    )
    company = django_filters.CharFilter(label=_("Company or lender"), method="filter_company")
    cost_min = django_filters.NumberFilter(
        label=_("Cost from (USD million)"), field_name="cost_usd_million", lookup_expr="gte", min_value=0
    )
    cost_max = django_filters.NumberFilter(
        label=_("Cost up to (USD million)"), field_name="cost_usd_million", lookup_expr="lte", min_value=0
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=ORDERING_CHOICES, method="order", empty_label=None
    )

    class Meta:
        model = Project
        fields = []  # all declared above, in the order the form shows them

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Names in every language, companies, overview, settlement and the partner texts."""
        text_fields = [
            "name_en", "name_ru", "name_kk", "name_zh", "overview", "settlement",
            "chinese_partners_as_stated", "kazakh_partners_as_stated",
        ]  # fmt: skip
        matches = company_named(value)
        for field in text_fields:
            matches |= contains_text(field, value)
        return queryset.filter(matches)

    def filter_company(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(company_named(value))

    def order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if "display_name" not in queryset.query.annotations:
            queryset = queryset.with_display_name()
        return queryset.order_by(*ORDERINGS.get(value, ORDERINGS["name"]), Lower("display_name"), "pk")
