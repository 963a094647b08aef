"""A plant's timeline: its dated, sourced events beside the site's own published reports.

Events come from editors and the import (``ProjectEvent``, each with its source); reports are
the published ones about the project, linked to their public page. Both can be narrowed to one
kind, on the page and in the CSV export.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from impacts.models import ImpactReport

from .models import EventKind, Project, Source

SITE_REPORT = "site_report"
SITE_REPORT_LABEL = _("Report published on this site")
# A plant with many reports: the timeline shows the latest ones and links to the full list.
REPORTS_SHOWN = 50


@dataclass
class Entry:
    date: datetime.date
    date_text: str
    kind: str
    kind_label: str
    summary: str
    place: str = ""
    minutes_url: str = ""
    source: Source | None = None
    report: ImpactReport | None = None


def kind_choices() -> list[tuple[str, str]]:
    return [*EventKind.choices, (SITE_REPORT, SITE_REPORT_LABEL)]


def chosen_kind(value: str | None) -> str:
    """The kind asked for in the query string, or '' for all (an unknown value means all)."""
    return value if value in dict(kind_choices()) else ""


def project_timeline(project: Project, kind: str = "") -> list[Entry]:
    """The project's entries in date order, oldest first; only ``kind`` if given."""
    entries = []
    if kind != SITE_REPORT:
        events = project.events.select_related("source")
        for event in events.filter(kind=kind) if kind else events:
            entries.append(
                Entry(event.date, event.date_text, event.kind, event.get_kind_display(), event.summary,
                      event.place, event.minutes_url, event.source)
            )  # fmt: skip
    if kind in ("", SITE_REPORT):
        reports = ImpactReport.objects.published().filter(project=project).order_by("-observed_on", "-pk")
        for report in reports[:REPORTS_SHOWN]:
            date_text = formats.date_format(report.observed_on, "DATE_FORMAT")
            entries.append(
                Entry(report.observed_on, date_text, SITE_REPORT, str(SITE_REPORT_LABEL), report.public_title,
                      report=report)
            )  # fmt: skip
    return sorted(entries, key=lambda entry: (entry.date, entry.kind != SITE_REPORT))


def kind_counts(project: Project) -> list[tuple[str, str, int]]:
    """(value, label, number of entries) for each kind the project's timeline has."""
    counts = dict(project.events.order_by().values_list("kind").annotate(total=Count("id")))
    reports = ImpactReport.objects.published().filter(project=project).count()
    if reports:
        counts[SITE_REPORT] = reports
    return [(value, str(label), counts[value]) for value, label in kind_choices() if counts.get(value)]
