"""The places' own addresses: the settlement nearest a pin, reports near it, and the map's clusters.

JSON for the scripts of the report form and the map; each says what was wrong with a bad question
(400 with a message), never 500. The pages that use them are in impacts.views.
"""

from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kzcn.freshness import public_page

from ..models import Category, ImpactReport
from . import clusters, nearby, settlements
from .plants import MapFilter


def _bad_request(error: settlements.BadPoint | str) -> JsonResponse:
    return JsonResponse({"error": getattr(error, "message", error)}, status=400)


@require_http_methods(["GET", "HEAD"])
def report_place(request):
    """The settlement nearest to a pin, named in the page's language (impacts.places.settlements)."""
    try:
        latitude, longitude = settlements.read_point(request.GET)
    except settlements.BadPoint as error:
        return _bad_request(error)
    found = settlements.nearest(latitude, longitude)
    if found is None:
        return JsonResponse({"settlement": None, "message": _("No village or town in our list lies near this point.")})
    name = found.settlement.display_name
    distance = number_format(round(found.distance_km, 1), decimal_pos=1)
    message = (
        _("Near %(settlement)s (%(distance)s km from its centre).")
        if found.fills_form
        else _("The nearest village or town in our list is %(settlement)s, %(distance)s km away.")
    )
    response = JsonResponse(
        {
            "settlement": name,
            "centre": [found.settlement.latitude, found.settlement.longitude],  # GeoNames' public point, for the map
            "distance_km": round(found.distance_km, 1),
            "fills_form": found.fills_form,
            "message": message % {"settlement": name, "distance": distance},
        }
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_http_methods(["GET", "HEAD"])
def report_nearby(request):
    """Recent published reports of the same kind near a pin or about a project, as an HTML fragment in JSON."""
    try:
        point = settlements.read_point(request.GET, required=False)
    except settlements.BadPoint as error:
        return _bad_request(error)
    category = request.GET.get("category", "").strip()
    project = request.GET.get("project", "").strip()
    if category and category not in Category.values:
        return _bad_request(_("Unknown category: choose one of the form's impacts."))
    if project and not (project.isascii() and project.isdigit()):
        return _bad_request(_("The project must be given by its number."))
    if point:
        found = nearby.near_point(*point, category=category or None)
    elif project:
        found = nearby.of_project(int(project), category=category or None)
    else:
        return _bad_request(_("Give a point (lat and lon) or a project."))
    html = render_to_string("impacts/includes/nearby_reports.html", {"nearby": found}, request=request)
    return JsonResponse({"count": len(found), "html": html if found else ""})


@public_page
def map_points(request):
    """The published reports of one map view, clustered per grid cell (impacts.places.clusters).

    `?zoom=Z&bbox=west,south,east,north` plus the map page's filters; a filter that cannot be
    understood is left out (and named in `ignored_filters`), as on the page. Bad zoom or bounds: 400.
    """
    try:
        view = clusters.parse_view(request.GET)
    except clusters.MapViewError as error:
        return JsonResponse({"error": str(error)}, status=400)
    filterset = MapFilter(request.GET, queryset=ImpactReport.objects.published())
    answer = clusters.clustered(filterset.qs, view, filtered=filterset.chooses_reports())
    answer["ignored_filters"] = sorted(filterset.errors)
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
