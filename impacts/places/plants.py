"""The catalogue's plants on the map: a point only where a source states the coordinates, a place in words otherwise.

No coordinate is ever made up for a plant: a project without sourced coordinates is listed beside
the map as "located in <town, region>" instead.
"""

from dataclasses import dataclass

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from projects.models import Project, Status

from ..filters import ImpactReportFilter


class MapFilter(ImpactReportFilter):
    """The report filters, plus the status of the plants (a choice about the plant layer only).

    `project`, `sector` and `region` choose both layers: the reports by their project (its sector)
    or region, and the plants by theirs. The other filters choose reports only.
    """

    status = django_filters.ChoiceFilter(
        label=_("Status of the plants"), choices=Status.choices, empty_label=_("Any status"), method="plants_only"
    )

    def plants_only(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # read by plants_in(); reports have no status of their own on the map

    def chooses_reports(self) -> bool:
        """Whether any understood choice narrows the reports (the sort order and the plants' status do not)."""
        self.is_valid()
        return any(
            value not in (None, "", [])
            for name, value in self.form.cleaned_data.items()
            if name not in ("ordering", "status")
        )


@dataclass(frozen=True)
class PlantLayer:
    """The plants the map can draw, and those whose place is known only in words."""

    mapped: list[Project]
    unmapped: list[Project]


def plants_in(filterset: MapFilter) -> PlantLayer:
    """The catalogue's projects matching the map's choices of project, sector, status and region, split by
    whether they have a point.

    A choice that could not be understood is left out, as the report list does.
    """
    filterset.is_valid()
    choices = filterset.form.cleaned_data
    projects = Project.objects.only(
        "pk",
        "slug",
        "name_en",
        "name_ru",
        "name_kk",
        "name_zh",
        "sector",
        "status",
        "region",
        "settlement",
        "latitude",
        "longitude",
        "coordinates_source_url",
    ).ordered_for()
    for field in ("sector", "status", "region"):
        if value := choices.get(field):
            projects = projects.filter(**{field: value})
    if project := choices.get("project"):
        projects = projects.filter(pk=project)
    projects = list(projects)
    for project in projects:
        project.place_words = place_in_words(project)
    return PlantLayer(
        mapped=[project for project in projects if project.has_coordinates],
        unmapped=[project for project in projects if not project.has_coordinates],
    )


def place_in_words(project: Project) -> str:
    """Where the sources put a plant that has no coordinates: "Temirtau, Karaganda region", or ""."""
    return ", ".join(part for part in (project.settlement, str(project.get_region_display() or "")) if part)
