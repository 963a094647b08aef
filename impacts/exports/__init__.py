"""Open-data exports of published reports: CSV and GeoJSON.

Only public fields ever leave through here: the public (redacted) title and text, the coarsened
public coordinates, and the reporter as they chose to be shown (``public_reporter``). Contact
details, exact coordinates, original text and internal notes are never read.

Attribution: the CSV holds data rows only, so spreadsheets and scripts read it without
surprises; the licence and source travel in the response (a ``Link: rel="license"`` header and
a dated, named file), and every row's ``url`` leads back to the report's page. GeoJSON carries
``attribution`` and ``license`` members at the top level of the FeatureCollection.

Spreadsheets run a cell that starts like a formula. Every tabular export writes its cells through
``spreadsheet_cell`` (see there), so a title such as ``=HYPERLINK(...)`` arrives as text.
"""

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from ..models import ImpactReport, ReportCategory, Severity

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
# Written as numbers when they are numbers (a western longitude is legitimately negative).
CSV_NUMBER_COLUMNS = {"severity", "public_latitude", "public_longitude"}

# The only columns an export reads: public copies only. The reporter appears as the
# moderator-checked public name (ImpactReport.public_name: empty means "Anonymous").
_FIELDS = [
    "id", "reference", "public_title", "public_description", "project__name_en", "project__sector",
    "project__region", "public_site_name", "region", "public_settlement", "severity", "observed_on", "ongoing",
    "public_latitude", "public_longitude", "public_reporter_name", "published_at",
]  # fmt: skip


def categories_of(report: ImpactReport) -> list[str]:
    """Category codes, from the prefetched rows (no query per report)."""
    return sorted(category.category for category in report.categories.all())


def public_chunks(reports: QuerySet) -> Iterator[list[dict]]:
    """The reports as lists of plain dicts of public values, ROWS_PER_CHUNK rows at a time.

    Kept flat at 100,000 rows: values instead of model instances; one server-side cursor read
    ROWS_PER_CHUNK rows at a time, inside a transaction (outside one, Django declares it ``WITH HOLD``
    and PostgreSQL materialises the whole result before the first row); the categories of a whole
    chunk in one query; and "Anonymous" translated once per export, not once per row.
    """
    rows = reports.prefetch_related(None).values(*_FIELDS)  # keeps the list's filters and order
    anonymous = ImpactReport.public_name("")
    with transaction.atomic():
        chunk: list[dict] = []
        for row in rows.iterator(chunk_size=ROWS_PER_CHUNK):
            chunk.append(row)
            if len(chunk) == ROWS_PER_CHUNK:
                yield _with_categories(chunk, anonymous)
                chunk = []
        if chunk:
            yield _with_categories(chunk, anonymous)


def public_rows(reports: QuerySet) -> Iterator[dict]:
    """The rows of ``public_chunks`` one by one."""
    for chunk in public_chunks(reports):
        yield from chunk


def _with_categories(chunk: list[dict], anonymous: str) -> list[dict]:
    categories: dict[int, list[str]] = {}
    links = ReportCategory.objects.filter(report_id__in=[row["id"] for row in chunk]).values_list(
        "report_id", "category"
    )
    for report_id, category in links:
        categories.setdefault(report_id, []).append(category)
    for row in chunk:
        row["categories"] = sorted(categories.get(row["id"], ()))
        row["reporter"] = row.pop("public_reporter_name") or anonymous
    return chunk


def report_url_maker(absolute_url: Callable[[str], str]) -> Callable[[str], str]:
    """reference → absolute report URL, reversing the pattern once rather than per row."""
    placeholder = "KZCN-0000-000000"
    template = absolute_url(reverse("impacts:report_detail", args=[placeholder]))
    return lambda reference: template.replace(placeholder, reference)


def csv_row(row: dict, report_url: Callable[[str], str]) -> list:
    has_project = row["project__name_en"] is not None
    return [
        row["reference"],
        row["public_title"],
        row["public_description"],
        row["project__name_en"] if has_project else row["public_site_name"],
        row["project__sector"] or "",
        row["region"] or row["project__region"] or "",
        row["public_settlement"],
        ";".join(row["categories"]),
        row["severity"],
        row["observed_on"].isoformat(),
        "yes" if row["ongoing"] else "no",
        row["public_latitude"] if row["public_latitude"] is not None else "",
        row["public_longitude"] if row["public_longitude"] is not None else "",
        row["reporter"],
        row["published_at"].isoformat() if row["published_at"] else "",
        report_url(row["reference"]),
    ]


# OWASP "CSV Injection": a cell starting with = + - @ (or tab, carriage return) is a formula to
# Excel, LibreOffice and Google Sheets. Their fullwidth forms count too (some spreadsheets fold them
# when a CSV is imported), and so do these characters behind leading spaces, which spreadsheets skip.
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# Spaces (any Unicode space) and zero-width characters that may stand before a formula character.
LEADING_BLANKS = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]*")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def spreadsheet_cell(value, *, number: bool = False):
    """``value`` as a cell a spreadsheet shows as data and never runs.

    In a number column a plain decimal number (``-61.5``) is returned as a number, which the writer
    leaves unquoted. Anything else becomes text; text that could start a formula (or starts with a
    control character such as tab or carriage return) gets a leading apostrophe, the mark
    spreadsheets read as "this is text". ``spreadsheet_lines`` quotes every text cell, as OWASP
    also recommends.
    """
    if value is None:
        return ""
    text = str(value)
    if number and PLAIN_NUMBER.fullmatch(text):
        return value if isinstance(value, int | Decimal) else Decimal(text)
    if not text or text[0].isalnum():  # most cells: nothing a spreadsheet could run
        return text
    if text[0] < " " or text[LEADING_BLANKS.match(text).end() :][:1] in FORMULA_STARTS:
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def spreadsheet_lines(columns: list[str], rows: Iterable[list], number_columns: set[str]) -> Iterator[str]:
    """CSV lines of a header and rows, every cell through ``spreadsheet_cell``: the one way a
    tabular export of this site writes its cells."""
    writer = _spreadsheet_writer()
    numbers = [column in number_columns for column in columns]
    yield writer.writerow([spreadsheet_cell(column) for column in columns])
    for row in rows:
        yield _spreadsheet_line(writer, row, numbers)


def _spreadsheet_writer():
    # QUOTE_NONNUMERIC quotes every cell that is not a number, i.e. every text cell.
    return csv.writer(_Echo(), quoting=csv.QUOTE_NONNUMERIC)


def _spreadsheet_line(writer, row: list, numbers: list[bool]) -> str:
    return writer.writerow([spreadsheet_cell(value, number=number) for value, number in zip(row, numbers, strict=True)])


def csv_lines(reports: QuerySet, absolute_url: Callable[[str], str]) -> Iterator[str]:
    """The CSV export: a header line, then one string per chunk of ROWS_PER_CHUNK rows (a few hundred
    kilobytes: few, large writes instead of one per row)."""
    report_url = report_url_maker(absolute_url)
    writer = _spreadsheet_writer()
    numbers = [column in CSV_NUMBER_COLUMNS for column in CSV_COLUMNS]
    yield writer.writerow([spreadsheet_cell(column) for column in CSV_COLUMNS])
    for chunk in public_chunks(reports):
        yield "".join(_spreadsheet_line(writer, csv_row(row, report_url), numbers) for row in chunk)


def feature(row: dict, report_url: Callable[[str], str], severity_labels: dict) -> dict:
    return {
        "type": "Feature",
        # GeoJSON order is longitude, latitude.
        "geometry": {"type": "Point", "coordinates": [float(row["public_longitude"]), float(row["public_latitude"])]},
        "properties": {
            "reference": row["reference"],
            "title": row["public_title"],
            "site": row["project__name_en"] if row["project__name_en"] is not None else row["public_site_name"],
            "categories": row["categories"],
            "severity": row["severity"],
            "severity_label": severity_labels.get(row["severity"], ""),
            "observed_on": row["observed_on"].isoformat(),
            "ongoing": row["ongoing"],
            "url": report_url(row["reference"]),
        },
    }


def geojson_chunks(reports: QuerySet, absolute_url: Callable[[str], str]) -> Iterator[str]:
    """A FeatureCollection, streamed feature by feature. Reports without public coordinates are
    left out (they cannot be placed on a map)."""
    mapped = reports.filter(public_latitude__isnull=False, public_longitude__isnull=False)
    header = {
        "type": "FeatureCollection",
        "attribution": attribution(),
        "license": {"name": license_name(), "url": license_url()},
        "note": _("Locations are rounded to about 1 km to protect the people who report."),
    }
    severity_labels = {value: str(label) for value, label in Severity.choices}
    report_url = report_url_maker(absolute_url)
    yield json.dumps(header, ensure_ascii=False)[:-1] + ', "features": ['
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    separator = ""
    for chunk in public_chunks(mapped):  # one string per chunk of features
        features = ",".join(encoder.encode(feature(row, report_url, severity_labels)) for row in chunk)
        yield separator + features
        separator = ","
    yield "]}"
