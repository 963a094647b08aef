"""Filters of the public report list: every choice lives in the query string, so a list can be shared.

The querysets given to these filters must start from ``ImpactReport.objects.published()``.
"""

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kzcn.casefold import contains_text
from kzcn.freshness import kept_until_change
from projects.filters import FormDrawnOnce
from projects.models import Project, Region, Sector

from . import search as full_text
from .models import (
    Category,
    Evidence,
    EvidenceKind,
    EvidenceState,
    EvidenceVisibility,
    ImpactReport,
    ReportCategory,
    ReporterType,
    Severity,
)

# Visitor-facing ordering value → fields; the reference breaks ties so pages never overlap.
ORDERINGS = {
    "newest": [F("observed_on").desc(), F("pk").desc()],
    "oldest": [F("observed_on").asc(), F("pk").asc()],
    "severity": [F("severity").desc(), F("observed_on").desc(), F("pk").desc()],
}
ORDERING_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("severity", _("Most serious first")),
]


def approved_photos() -> Exists:
    return Exists(
        Evidence.objects.filter(
            report=OuterRef("pk"),
            kind=EvidenceKind.PHOTO,
            visibility=EvidenceVisibility.APPROVED,
            state=EvidenceState.READY,
        )
    )


def project_choices() -> list[tuple[int, str]]:
    """Names and order in the visitor's language, read once per language until the catalogue changes."""
    return kept_until_change(f"project-choices:{get_language()}", _project_choices)


def _project_choices() -> list[tuple[int, str]]:
    # Fewer than 60 projects: a plain choice list avoids rendering a ModelChoice queryset per page.
    projects = Project.objects.only("pk", "name_en", "name_ru", "name_kk", "name_zh").ordered_for()
    return [(project.pk, project.name) for project in projects]


class ImpactReportFilter(FormDrawnOnce, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    project = django_filters.ChoiceFilter(label=_("Project"), choices=project_choices, empty_label=_("Any project"))
    sector = django_filters.ChoiceFilter(
        label=_("Sector"), field_name="project__sector", choices=Sector.choices, empty_label=_("Any sector")
    )
    region = django_filters.ChoiceFilter(label=_("Region"), choices=Region.choices, empty_label=_("Any region"))
    category = django_filters.ChoiceFilter(
        label=_("Impact"), method="filter_category", choices=Category.choices, empty_label=_("Any impact")
    )
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices, empty_label=_("Any severity"))
    reporter_type = django_filters.ChoiceFilter(
        label=_("Reported by"), choices=ReporterType.choices, empty_label=_("Anyone")
    )
    observed_from = django_filters.DateFilter(
        label=_("Observed from"),
        field_name="observed_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    observed_to = django_filters.DateFilter(
        label=_("Observed until"),
        field_name="observed_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    has_photos = django_filters.BooleanFilter(label=_("With photos"), method="filter_has_photos")
    ongoing = django_filters.BooleanFilter(label=_("Still going on"))
    # The default (empty) order ranks a search by relevance when it has at most 1,000 matches
    # (impacts.search.ranked), and lists newest first otherwise: offered first, so that a search
    # typed into the form is ranked unless the visitor chooses an order.
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=ORDERING_CHOICES, method="order", empty_label=_("Best match, then newest")
    )

    class Meta:
        model = ImpactReport
        fields = []  # all declared above, in the order the form shows them

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Newest first unless a search ranks by relevance; an explicit "sort by" wins.
        queryset = super().filter_queryset(queryset.order_by(*ORDERINGS["newest"]))
        words = self.form.cleaned_data.get("q") or ""
        if not words.split():
            return queryset
        # After every filter, so how many match is about what the visitor asked for.
        if self.searches_all_published():
            queryset = full_text.with_known_count(queryset, words)
        if not self.form.cleaned_data.get("ordering"):  # "Best match, then newest"
            queryset = full_text.ranked(queryset, words)
        return queryset

    def searches_all_published(self) -> bool:
        """Whether the list is every published report matching the words, with no other filter."""
        others = (value for name, value in self.form.cleaned_data.items() if name not in ("q", "ordering"))
        unfiltered = all(value in (None, "", [], ()) for value in others)
        return unfiltered and self.queryset.query.where == ImpactReport.objects.published().query.where

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Words of the public title and text (never the original, unredacted ones)."""
        words = value.split()
        if not words:
            return queryset
        if connection.vendor == "postgresql":
            return full_text.matching(queryset, value)  # ranked in filter_queryset, once all filters apply
        # SQLite (development): every word must appear in the public title or text.
        for word in words:
            in_public_text = contains_text("public_title", word) | contains_text("public_description", word)
            queryset = queryset.filter(in_public_text)
        return queryset

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Exists rather than a join, so a report never shows twice.
        return queryset.filter(Exists(ReportCategory.objects.filter(report=OuterRef("pk"), category=value)))

    def filter_has_photos(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(approved_photos()) if value else queryset.filter(~approved_photos())

    def order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*ORDERINGS.get(value, ORDERINGS["newest"]))
