"""Published reports near a place, shown on the report form before sending: "is this the same problem?"

People living by the same plant often report the same dust; seeing a recent report of it lets a
reporter add their voice there (or file anyway: this never blocks the form). Only public data is
used: published reports and their public points (rounded, or a settlement's centre), so the list
shows nothing the map does not.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from ..models import ImpactReport
from .settlements import distance_km

RADIUS_KM = 5.0
RECENT_DAYS = 183  # about six months
LIMIT = 5
# Reports read from the bounding box before measuring distances (newest first): a town may hold many.
BOX_CANDIDATES = 200
KM_PER_DEGREE = 111.2


@dataclass(frozen=True)
class NearbyReport:
    report: ImpactReport
    distance_km: float | None  # None when found by project only


def _recent(category: str | None, today: date | None = None):
    today = today or timezone.localdate()
    reports = (
        ImpactReport.objects.published()
        .filter(observed_on__gte=today - timedelta(days=RECENT_DAYS))
        .select_related("project")
        .order_by("-observed_on", "-id")
    )
    if category:
        reports = reports.filter(categories__category=category)
    return reports


def _box(latitude: float, longitude: float, km: float) -> dict:
    """A latitude/longitude box around the point, at least `km` each way (then distances decide)."""
    dlat = km / KM_PER_DEGREE
    dlon = km / (KM_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    return {
        "public_latitude__gte": latitude - dlat,
        "public_latitude__lte": latitude + dlat,
        "public_longitude__gte": longitude - dlon,
        "public_longitude__lte": longitude + dlon,
    }


def near_point(
    latitude: float, longitude: float, *, category: str | None = None, km: float = RADIUS_KM, today: date | None = None
) -> list[NearbyReport]:
    """Recent published reports whose public point is within `km`, newest first, at most LIMIT."""
    candidates = _recent(category, today).filter(**_box(latitude, longitude, km)).distinct()[:BOX_CANDIDATES]
    found = []
    for report in candidates:
        km_away = distance_km(latitude, longitude, float(report.public_latitude), float(report.public_longitude))
        if km_away <= km:
            found.append(NearbyReport(report, km_away))
            if len(found) == LIMIT:
                break
    return found


def of_project(project_id: int, *, category: str | None = None, today: date | None = None) -> list[NearbyReport]:
    """Recent published reports about the same catalogue project, newest first, at most LIMIT."""
    reports = _recent(category, today).filter(project_id=project_id).distinct()[:LIMIT]
    return [NearbyReport(report, None) for report in reports]
