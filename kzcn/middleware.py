"""A friendly 503 when the database goes away, instead of a 500 and a lost report.

A citizen who typed a long report on a phone must not lose it because the database restarted. When
a view fails with django.db.OperationalError or InterfaceError (connection refused or lost, server
shutting down, pool exhausted), the transaction it was in is rolled back (nothing half-written:
EvidenceWriter removes files it wrote), and this middleware answers 503 with Retry-After and the
text the person typed, so they can copy it or go back and send the same form again.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# Text a person wrote, shown back to them; never files, secrets, the timestamp or the honeypot.
PRESERVED_FIELDS = ("title", "description", "site_name", "settlement", "answer", "text")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.error("database unavailable during %s %s: %s", request.method, request.path, exception)
        return database_unavailable(request)


def database_unavailable(request) -> HttpResponse:
    """Rendered without the request context: no session, user or anything else from the database."""
    typed = []
    if request.method == "POST":
        typed = [(name, request.POST.get(name, "")) for name in PRESERVED_FIELDS if request.POST.get(name, "").strip()]
    body = loader.get_template("503.html").render({"typed": typed, "retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store, private"  # the page may hold what the person typed
    return response
