"""GET /api/: what the open-data API offers, so the address people guess first is not a dead end."""

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from impacts import exports


@require_safe
def api_index(request: HttpRequest) -> JsonResponse:
    def absolute(name: str) -> str:
        return request.build_absolute_uri(reverse(name))

    response = JsonResponse(
        {
            "name": "KZCN Watch open data API",
            "description": "Published, moderated reports on Kazakhstan–China industrial projects, and the project "
            "catalogue. Read-only; the report list takes the same query parameters as the /reports/ page.",
            "endpoints": {
                "reports": absolute("api:report-list"),
                "report": absolute("api:report-list") + "{reference}/",
                "projects": absolute("api:project-list"),
                "project": absolute("api:project-list") + "{slug}/",
                "schema": absolute("api:schema"),
            },
            "license": {"name": exports.license_name(), "url": exports.license_url()},
            "attribution": exports.attribution(),
        },
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Link"] = f'<{exports.license_url()}>; rel="license"'
    return response
