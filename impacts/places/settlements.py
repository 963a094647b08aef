"""The nearest settlement to a point, offline, from a GeoNames extract bundled with the site.

A reporter knows their village, not their coordinates; a pin on the map becomes a suggested
name ("near Ekibastuz, 2 km"), and the same lookup protects them: a report's public point can be
the centre of that settlement instead of a square kilometre around their pin.

The extract (`data/settlements_kz.json`, built by `manage.py build_settlements` from GeoNames'
cities500, CC BY 4.0) holds Kazakhstan's places of 500 people or more, about 350 of them: a
plain scan of every place answers in about 2 ms, so no spatial index is needed.
"""

import json
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

DATA_FILE = Path(__file__).resolve().parent / "data" / "settlements_kz.json"
EARTH_RADIUS_KM = 6371.0088

# Beyond this the "nearest settlement" says little about where the pin is (outside the country,
# or in empty steppe): no suggestion is made and no report is moved to it.
MAX_DISTANCE_KM = 50.0
# A suggested name fills the form's empty settlement field only when the pin is this close to it;
# farther away it is shown as "the nearest town in our list", for the reporter to judge.
FILL_DISTANCE_KM = 10.0
# A place this populous hides one person among many, so a square kilometre inside it reveals little.
TOWN_POPULATION = 10_000
# The built-up radius of a town of TOWN_POPULATION people, growing with the square root of its size
# (Ekibastuz, 120,000 people: about 5 km; Almaty, 2 million: about 21 km).
TOWN_RADIUS_KM = 1.5


@dataclass(frozen=True)
class Settlement:
    geonameid: int
    name: str  # GeoNames' own (Latin) name
    name_ru: str
    name_kk: str
    latitude: float
    longitude: float
    population: int
    admin1code: str

    def name_in(self, language: str | None) -> str:
        """The name in the reader's language where the data has it, else GeoNames' Latin name."""
        language = (language or "en")[:2]
        if language == "kk":
            return self.name_kk or self.name_ru or self.name
        if language == "ru":
            return self.name_ru or self.name
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the language of the request being answered."""
        return self.name_in(get_language())

    @property
    def is_town(self) -> bool:
        return self.population >= TOWN_POPULATION

    @property
    def town_radius_km(self) -> float:
        """How far from its centre a point is still inside the town (0 for villages)."""
        if not self.is_town:
            return 0.0
        return TOWN_RADIUS_KM * math.sqrt(self.population / TOWN_POPULATION)

    def public_point(self) -> tuple[Decimal, Decimal]:
        """The settlement's centre as stored for a report (5 decimals, like the report's fields)."""
        return _five_decimals(self.latitude), _five_decimals(self.longitude)


@dataclass(frozen=True)
class Nearest:
    settlement: Settlement
    distance_km: float

    @property
    def fills_form(self) -> bool:
        return self.distance_km <= FILL_DISTANCE_KM

    @property
    def inside_town(self) -> bool:
        return self.settlement.is_town and self.distance_km <= self.settlement.town_radius_km


def _five_decimals(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)


@cache
def all_settlements() -> tuple[Settlement, ...]:
    """The bundled extract, read once per process."""
    rows = json.loads(DATA_FILE.read_text(encoding="utf-8"))["settlements"]
    return tuple(Settlement(*row) for row in rows)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest(latitude: float, longitude: float, *, max_km: float = MAX_DISTANCE_KM) -> Nearest | None:
    """The settlement closest to the point, or None when none is within `max_km`."""
    latitude, longitude = float(latitude), float(longitude)
    best, best_km = None, math.inf
    for settlement in all_settlements():
        km = distance_km(latitude, longitude, settlement.latitude, settlement.longitude)
        if km < best_km:
            best, best_km = settlement, km
    if best is None or best_km > max_km:
        return None
    return Nearest(best, best_km)


def at_centre(latitude, longitude) -> Settlement | None:
    """The settlement whose centre this (public) point is, if it is one: names "centre of X" on a page."""
    found = nearest(latitude, longitude, max_km=0.05)
    return found.settlement if found else None


def default_public_location_kind(latitude, longitude) -> str:
    """Which public point reveals less about the reporter, before a moderator decides.

    The rule: a pin inside a town of 10,000 people or more (within 1.5·√(population / 10,000) km
    of its centre) is published rounded to about 1 km — one square among thousands of neighbours,
    and the town's centre would misplace the report. Anywhere else — a village, the steppe
    around a town, a plant's fence far from houses — few people live in that square kilometre, so
    the centre of the nearest settlement (within 50 km) is published instead. With no settlement
    that near, the rounded point is the only meaningful one. No pin: nothing is shown.

    Returns a value of `impacts.models.PublicLocationKind`.
    """
    if latitude is None or longitude is None:
        return "none"
    found = nearest(latitude, longitude)
    if found is None or found.inside_town:
        return "coarse"
    return "settlement"


class BadPoint(ValueError):
    """A point that cannot be understood; `message` says why, for the person or script that sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_point(params, *, required: bool = True) -> tuple[float, float] | None:
    """`lat` and `lon` from a query string, checked: numbers, in range, both or neither.

    Rounded to 2 decimals (about 1 km) at once: the form sends them so rounded (access logs
    must never hold a reporter's exact pin), and nothing here needs more.
    """
    from django.utils.translation import gettext as _

    raw = (params.get("lat", "").strip(), params.get("lon", "").strip())
    if not any(raw):
        if required:
            raise BadPoint(_("Give a latitude (lat) and a longitude (lon)."))
        return None
    if not all(raw):
        raise BadPoint(_("Give both a latitude (lat) and a longitude (lon), or neither."))
    try:
        latitude, longitude = float(raw[0]), float(raw[1])
    except ValueError:
        raise BadPoint(_("Latitude and longitude must be numbers, e.g. lat=51.72&lon=75.32.")) from None
    if not (math.isfinite(latitude) and math.isfinite(longitude)) or abs(latitude) > 90 or abs(longitude) > 180:
        raise BadPoint(_("Latitude must be between -90 and 90, and longitude between -180 and 180."))
    return round(latitude, 2), round(longitude, 2)
