"""Open-data exports of published reports: CSV and GeoJSON.

Only public fields ever leave through here: the public (redacted) title and text, the coarsened
public coordinates, and the reporter as they chose to be shown (``public_reporter``). Contact
details, exact coordinates, original text and internal notes are never read.

Attribution: the CSV holds data rows only, so spreadsheets and scripts read it without
surprises; the licence and source travel in the response (a ``Link: rel="license"`` header and
a dated, named file), and every row's ``url`` leads back to the report's page. GeoJSON carries
``attribution`` and ``license`` members at the top level of the FeatureCollection.
"""

import csv
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.utils.translation import gettext as _

from .models import ImpactReport

ROWS_PER_CHUNK = 2000


def attribution() -> str:
    return getattr(
        settings,
        "KZCN_DATA_ATTRIBUTION",
        "KZCN Watch: residents' reports on Kazakhstan–China industrial projects, reviewed by moderators",
    )


def license_url() -> str:
    return getattr(settings, "KZCN_DATA_LICENSE_URL", "https://creativecommons.org/licenses/by/4.0/")


def license_name() -> str:
    return getattr(settings, "KZCN_DATA_LICENSE", "CC BY 4.0")


CSV_COLUMNS = [
    "reference", "public_title", "public_text", "project", "sector", "region", "settlement", "categories",
    "severity", "observed_on", "ongoing", "public_latitude", "public_longitude", "reporter", "published_at",
    "url",
]  # fmt: skip


def categories_of(report: ImpactReport) -> list[str]:
    """Category codes, from the prefetched rows (no query per report)."""
    return sorted(category.category for category in report.categories.all())


def csv_row(report: ImpactReport, absolute_url: Callable[[str], str]) -> list:
    project = report.project
    return [
        report.reference,
        report.public_title,
        report.public_description,
        project.name_en if project else report.site_name,
        project.sector if project else "",
        report.region or (project.region if project else ""),
        report.settlement,
        ";".join(categories_of(report)),
        report.severity,
        report.observed_on.isoformat(),
        "yes" if report.ongoing else "no",
        report.public_latitude if report.public_latitude is not None else "",
        report.public_longitude if report.public_longitude is not None else "",
        report.public_reporter,
        report.published_at.isoformat() if report.published_at else "",
        absolute_url(report.get_absolute_url()),
    ]


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(reports: Iterable[ImpactReport], absolute_url: Callable[[str], str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for report in reports:
        yield writer.writerow(csv_row(report, absolute_url))


def feature(report: ImpactReport, absolute_url: Callable[[str], str]) -> dict:
    project = report.project
    return {
        "type": "Feature",
        # GeoJSON order is longitude, latitude.
        "geometry": {"type": "Point", "coordinates": [float(report.public_longitude),
                                                      float(report.public_latitude)]},
        "properties": {
            "reference": report.reference,
            "title": report.public_title,
            "site": project.name_en if project else report.site_name,
            "categories": categories_of(report),
            "severity": report.severity,
            "severity_label": str(report.get_severity_display()),
            "observed_on": report.observed_on.isoformat(),
            "ongoing": report.ongoing,
            "url": absolute_url(report.get_absolute_url()),
        },
    }


def feature_collection(reports: Iterable[ImpactReport], absolute_url: Callable[[str], str]) -> dict:
    """Reports without public coordinates are left out (they cannot be placed on a map)."""
    return {
        "type": "FeatureCollection",
        "attribution": attribution(),
        "license": {"name": license_name(), "url": license_url()},
        "note": _("Locations are rounded to about 1 km to protect the people who report."),
        "features": [
            feature(report, absolute_url)
            for report in reports
            if report.public_latitude is not None and report.public_longitude is not None
        ],
    }
