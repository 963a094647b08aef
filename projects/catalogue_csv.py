"""Reading the catalogue's CSV files: turning the dataset's words into the site's values.

Plain functions with no database access, used by ``manage.py import_projects``. Each raises
``RowError`` with a reason a person can act on; nothing is guessed: a value that does not
match is refused, and an empty cell stays empty.
"""

import csv
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.text import slugify

from .models import DatePrecision, ProgrammeTie, Region, Sector, Status

SLUG_MAX_LENGTH = 80

# The dataset's sector words (its README lists the programme's nine sectors this way).
SECTOR_TEXTS = {
    "metallurgy": Sector.METALLURGY,
    "oil and gas processing": Sector.OIL_GAS,
    "chemical industry": Sector.CHEMICALS,
    "mechanical engineering": Sector.MACHINERY,
    "electric power": Sector.POWER,
    "transport": Sector.TRANSPORT,
    "construction materials": Sector.CONSTRUCTION_MATERIALS,
    "healthcare": Sector.HEALTHCARE,
    "agriculture": Sector.AGRICULTURE,
    "other": Sector.OTHER,
}

# A bare city name means the city of republican significance, not the region around it:
# "Almaty" is the city, "Almaty region" the region.
CITY_TEXTS = {
    "astana": Region.ASTANA,
    "nur-sultan": Region.ASTANA,
    "almaty": Region.ALMATY_CITY,
    "shymkent": Region.SHYMKENT,
}

# "also: URL" fragments at the end of environmental notes; a ";" may separate them.
ALSO_URL = re.compile(r"\s*;?\s*\balso:\s*(https?://\S+)", re.IGNORECASE)


class RowError(ValueError):
    """A row that cannot be imported; the message says why."""


def read_rows(path: Path, required_columns: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number where the row starts, row) for each data row of a UTF-8 CSV file.

    Cells are stripped. Raises ``RowError`` for a file without the required columns; a row
    with the wrong number of cells is yielded with ``None`` values, for the caller to refuse.
    """
    with path.open(newline="", encoding="utf-8-sig") as csv_file:
        reader = csv.DictReader(csv_file)
        missing = required_columns - set(reader.fieldnames or [])
        if missing:
            raise RowError(f"missing columns: {', '.join(sorted(missing))}")
        line_number = reader.line_num + 1
        for row in reader:
            yield line_number, row
            line_number = reader.line_num + 1


def clean_cells(row: dict) -> dict[str, str]:
    """The row's cells, stripped; refuses a row with too many or too few cells."""
    if None in row or None in row.values():
        raise RowError("wrong number of cells (check the quoting of commas)")
    return {key: value.strip() for key, value in row.items()}


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def parse_sector(text: str) -> str:
    words = normalise(text)
    if words in SECTOR_TEXTS:
        return SECTOR_TEXTS[words]
    if words in Sector.values:
        return words
    raise RowError(f"unknown sector {text!r}")


def parse_region(text: str) -> str:
    """The Region value for the dataset's region text; '' for an empty cell."""
    words = normalise(text)
    if not words:
        return ""
    city = words.removesuffix(" city")
    if city in CITY_TEXTS:
        return CITY_TEXTS[city]
    key = words.removesuffix(" region").replace(" ", "_").replace("-", "_")
    if words.endswith(" region") and key in Region.values and key not in CITY_TEXTS.values():
        return key
    raise RowError(f"unknown region {text!r}")


def parse_status(text: str) -> str:
    key = normalise(text).replace(" ", "_")
    if key in Status.values:
        return key
    raise RowError(f"unknown status {text!r}")


def parse_decimal(text: str, column: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RowError(f"{column} is not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise RowError(f"{column} must be a number of zero or more: {text!r}")
    return value


def parse_integer(text: str, column: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise RowError(f"{column} is not a whole number: {text!r}")
    return int(text)


PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(text: str, column: str) -> tuple[date | None, str]:
    """'2025' / '2022-07' / '2021-06-23' → (the first day it covers, its precision); ('', '') if empty."""
    if not text:
        return None, ""
    match = PARTIAL_DATE.match(text)
    if not match:
        raise RowError(f"{column} must be YYYY, YYYY-MM or YYYY-MM-DD, not {text!r}")
    year, month, day = match.groups()
    try:
        value = date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise RowError(f"{column} is not a real date: {text!r}") from None
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    return value, precision


def parse_tie(text: str) -> str:
    if text in ProgrammeTie.values:
        return text
    raise RowError(f"unknown programme_tie {text!r} (use one of {', '.join(ProgrammeTie.values)})")


def parse_coordinates(cells: dict[str, str]) -> tuple[Decimal | None, Decimal | None, str]:
    """Latitude, longitude and the page that states them: all three or none."""
    latitude, longitude, url = cells["latitude"], cells["longitude"], cells["coord_source_url"]
    if not (latitude or longitude or url):
        return None, None, ""
    if not (latitude and longitude and url):
        raise RowError("latitude, longitude and coord_source_url go together: all three or none")
    try:
        return Decimal(latitude), Decimal(longitude), url
    except InvalidOperation:
        raise RowError(f"coordinates are not numbers: {latitude!r}, {longitude!r}") from None


def split_notes(text: str) -> tuple[str, list[str]]:
    """Environmental notes without their 'also: URL' fragments, and those URLs in order."""
    urls = [url.rstrip(";,") for url in ALSO_URL.findall(text)]
    notes = ALSO_URL.sub("", text).strip().rstrip(";").strip()
    return notes, list(dict.fromkeys(urls))


def project_slug(name_en: str) -> str:
    """A slug from the English name, cut at a word boundary to stay readable."""
    slug = slugify(name_en)
    if len(slug) > SLUG_MAX_LENGTH:
        slug = slug[: SLUG_MAX_LENGTH + 1].rsplit("-", 1)[0]
    if not slug:
        raise RowError(f"cannot make an address (slug) from the name {name_en!r}")
    return slug


def host_name(url: str) -> str:
    """The host of a URL without 'www.', used as the publisher of a source."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
