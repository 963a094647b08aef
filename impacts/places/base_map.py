"""What a page needs to draw a map: where its points come from, the offline base layer, and tiles if configured.

The map page, the home page and each project page draw the same map (static/js/map.js) through
`impacts/includes/place_map.html`; this builds its settings in one place.
"""

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

from projects.models import Sector

# Shown only when a tile server is configured without its own credit line.
DEFAULT_TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"


def place_map(query: str = "", bounds: tuple[float, float, float, float] | None = None, plants=()) -> dict:
    """The settings of one map: its clustered reports (with the page's filters) and what lies beneath them.

    `bounds` (west, south, east, north) is where the map opens; Kazakhstan when None. `plants` are
    the projects it draws, whose sectors the legend names.
    """
    points_url = reverse("impacts:map_points")
    tile_url = getattr(settings, "KZCN_MAP_TILE_URL", "")
    tile_attribution = getattr(settings, "KZCN_MAP_TILE_ATTRIBUTION", DEFAULT_TILE_ATTRIBUTION)
    return {
        "points_url": f"{points_url}?{query}" if query else points_url,
        "outline_url": static("vendor/naturalearth/kazakhstan.geojson"),
        "towns_url": static("vendor/geonames/kz-towns.json"),
        "tile_url": tile_url,
        "tile_attribution": tile_attribution if tile_url else "",
        "sectors": [sector for sector in Sector if sector.value in {plant.sector for plant in plants}],
        "bounds": ",".join(f"{value:.4f}" for value in bounds) if bounds else "",
    }


def around(latitude, longitude, degrees: float = 1.5) -> tuple[float, float, float, float]:
    """Bounds of about 120 km each way around a point (a plant): wide enough to show the nearest large towns."""
    latitude, longitude = float(latitude), float(longitude)
    return (longitude - degrees, latitude - degrees / 2, longitude + degrees, latitude + degrees / 2)
