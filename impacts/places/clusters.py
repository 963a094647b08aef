"""Published reports on the map, grouped on a grid by the database so a view costs the same at any size.

The map asks for one view (a zoom level and the bounds it shows). The reports inside are counted per
grid cell in one `GROUP BY` query; a cell holding a single report is then read in a second query and
sent with its public fields, so it can be opened from the map. Whatever the number of reports, the
answer holds at most `MAX_CELLS_ACROSS`² cells: its size and the work behind it are bounded.

Privacy: the caller passes a queryset that starts from `published()`; only `public_latitude` and
`public_longitude` are read, never the reporter's own point.
"""

import math
import re
from dataclasses import dataclass

from django.db.models import Avg, Count, FloatField, Min, QuerySet
from django.db.models.expressions import ExpressionWrapper
from django.db.models.functions import Cast, Floor
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kzcn.freshness import kept_until_change

MIN_ZOOM = 0
MAX_ZOOM = 18
# A cell is about a quarter of a map tile (64 px) at the zoom asked for...
CELLS_PER_TILE = 4
# ...but never more than this many cells across the bounds, whatever bounds a client sends.
MAX_CELLS_ACROSS = 24
# A single report's title is cut to this length on the map (its page has the whole title).
TITLE_LENGTH = 80
# Grids at least this coarse (zoom 8 and below) are counted once per change of the site when no filter
# is chosen: over Kazakhstan they hold at most a few thousand cells.
KEPT_GRID_MIN_DEGREES = 0.35
# Where the map opens (Kazakhstan) and the view the bench measures: /<lang>/map/points.json?zoom=5&bbox=...
KAZAKHSTAN_BBOX = (46.0, 40.0, 88.0, 56.0)


class MapViewError(ValueError):
    """A zoom or bounds the map cannot answer for; the message is shown to the client as is."""


@dataclass(frozen=True)
class MapView:
    """What the map shows: a zoom level and its bounds in degrees (west, south, east, north)."""

    zoom: int
    west: float
    south: float
    east: float
    north: float

    @property
    def cell_degrees(self) -> float:
        """The side of a grid cell: a power-of-two fraction of the world, so cells stay put when the map pans."""
        cell = 360.0 / (2**self.zoom * CELLS_PER_TILE)
        while (self.east - self.west) / cell > MAX_CELLS_ACROSS or (self.north - self.south) / cell > MAX_CELLS_ACROSS:
            cell *= 2
        return cell


def parse_view(params) -> MapView:
    """The view from `zoom` and `bbox=west,south,east,north` in a query string, or MapViewError."""
    zoom_text = (params.get("zoom") or "").strip()
    if not re.fullmatch(r"-?[0-9]+", zoom_text) or not MIN_ZOOM <= int(zoom_text) <= MAX_ZOOM:
        message = _("zoom must be a whole number from %(min)s to %(max)s.")
        raise MapViewError(message % {"min": MIN_ZOOM, "max": MAX_ZOOM})
    parts = (params.get("bbox") or "").split(",")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise MapViewError(_("bbox must be four numbers: west,south,east,north (degrees).")) from None
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise MapViewError(_("bbox must be four numbers: west,south,east,north (degrees)."))
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise MapViewError(_("bbox must have west < east within ±180 and south < north within ±90."))
    return MapView(int(zoom_text), west, south, east, north)


def _in_view(reports: QuerySet, view: MapView) -> QuerySet:
    return reports.filter(
        public_latitude__isnull=False,
        public_longitude__isnull=False,
        public_latitude__gte=view.south,
        public_latitude__lte=view.north,
        public_longitude__gte=view.west,
        public_longitude__lte=view.east,
    )


def _degrees(field: str):
    # Floating point: PostgreSQL's numeric division and floor cost several times more per row.
    return Cast(field, FloatField())


def _cell_index(field: str, cell: float):
    return Floor(ExpressionWrapper(_degrees(field) / cell, output_field=FloatField()))


def _grid(reports: QuerySet, cell: float) -> list[dict]:
    """Reports counted per grid cell (one query): count, mean public position, one report's key."""
    return list(
        reports.order_by()
        .annotate(cell_y=_cell_index("public_latitude", cell), cell_x=_cell_index("public_longitude", cell))
        .values("cell_y", "cell_x")
        .annotate(
            count=Count("pk"),
            lat=Avg(_degrees("public_latitude")),
            lon=Avg(_degrees("public_longitude")),
            first=Min("pk"),
        )
        .order_by()
    )


def cells(reports: QuerySet, view: MapView) -> list[dict]:
    """The reports in view per grid cell, counted by the database."""
    return _grid(_in_view(reports, view), view.cell_degrees)


def _whole_grid(reports: QuerySet, cell: float) -> list[dict]:
    located = reports.filter(public_latitude__isnull=False, public_longitude__isnull=False)
    return [{key: cell[key] for key in ("count", "lat", "lon", "first")} for cell in _grid(located, cell)]


def kept_cells(reports: QuerySet, view: MapView) -> list[dict]:
    """`cells()` for a view with no filter, from a grid of every published report kept until the site changes.

    The grid of a coarse zoom is the costly one (it counts every report) and the same for every
    visitor: counted once per change of the site, each view then only picks the cells whose
    (mean) position it shows. Finer grids are not kept: their views are small, and so is their work.
    """
    cell = view.cell_degrees
    if cell < KEPT_GRID_MIN_DEGREES:
        return cells(reports, view)
    grid = kept_until_change(f"map-grid:{cell!r}", lambda: _whole_grid(reports, cell))
    return [c for c in grid if view.south <= c["lat"] <= view.north and view.west <= c["lon"] <= view.east]


def _single(report, language_url) -> dict:
    title = report.public_title
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1].rstrip() + "…"
    return {
        "count": 1,
        "lat": float(report.public_latitude),
        "lon": float(report.public_longitude),
        "reference": report.reference,
        "title": title,
        "url": language_url(report),
        "severity": report.severity,
        "observed_on": report.observed_on.isoformat(),
    }


def clustered(
    reports: QuerySet, view: MapView, *, filtered: bool = True, language_url=lambda report: report.get_absolute_url()
) -> dict:
    """The view's clusters and single reports (two queries at most), ready for JSON.

    `reports` must start from `ImpactReport.objects.published()`; it may carry the page's filters
    (`filtered`); without any, coarse grids come from a copy kept until the site changes.
    """
    grid = cells(reports, view) if filtered else kept_cells(reports, view)
    single_keys = [cell["first"] for cell in grid if cell["count"] == 1]
    singles = {}
    if single_keys:
        fields = ("pk", "reference", "public_title", "public_latitude", "public_longitude", "severity", "observed_on")
        # From the same published, filtered queryset: a report withdrawn meanwhile is left out.
        singles = {report.pk: report for report in reports.order_by().filter(pk__in=single_keys).only(*fields)}
    points = []
    for cell in grid:
        if cell["count"] == 1 and cell["first"] in singles:
            points.append(_single(singles[cell["first"]], language_url))
        else:
            points.append(
                {"count": cell["count"], "lat": round(float(cell["lat"]), 4), "lon": round(float(cell["lon"]), 4)}
            )
    return {
        "zoom": view.zoom,
        "bbox": [view.west, view.south, view.east, view.north],
        "cell_degrees": view.cell_degrees,
        "total": sum(cell["count"] for cell in grid),
        "points": points,
    }


def kazakhstan_view_url(language: str = "en") -> str:
    """The address `make bench` measures: every published report in Kazakhstan, at the zoom the map opens with."""
    with translation.override(language):
        path = reverse("impacts:map_points")
    return f"{path}?zoom=5&bbox={','.join(str(value) for value in KAZAKHSTAN_BBOX)}"
