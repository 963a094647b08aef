"""What a visitor sees when a service behind the site fails, or when a request is too large.

OutageMiddleware: a citizen who typed a long report on a phone must not lose it because the
database restarted, Redis went away or a disk filled up. When a view fails because a service is
unavailable, the transaction it was in is rolled back (nothing half-written: EvidenceWriter removes
files it wrote) and this middleware answers 503 with Retry-After and the text the person typed, so
they can copy it or go back and send the same form again. Which failures count as an outage is
decided by `unavailable_service` below; anything else stays a 500, so bugs stay visible.

RequestSizeMiddleware (first in MIDDLEWARE): a body larger than any report the site accepts is
refused with the 400 page before a byte of it is read, and a body that turns out longer than it
said is cut off at the same limit.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, UnreadablePostError
from django.template import loader
from django.utils import translation

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# Text a person wrote, shown back to them; never files, secrets, the timestamp or the honeypot.
# The suggestion form's claim and source are typed text too (projects.forms.SuggestionForm).
PRESERVED_FIELDS = (
    "title",
    "description",
    "site_name",
    "settlement",
    "answer",
    "text",
    "project_name",
    "details",
    "source_url",
    "source_title",
)


def _cache_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (RedisConnectionError, RedisTimeoutError)


def _object_storage_errors() -> tuple[type[BaseException], ...]:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - django-storages[s3] brings botocore
        return ()
    return (BotoCoreError, ClientError)


CACHE_ERRORS = _cache_errors()
STORAGE_ERRORS = (OSError, *_object_storage_errors())


def unavailable_service(exception: BaseException) -> str | None:
    """The service whose failure raised `exception` ("database", "cache", "storage"), or None for a bug.

    Storage is any OSError (disk full, permission denied, a missing mount; the redis and database
    drivers wrap theirs in their own classes, matched first) and S3 errors. A body the client
    stopped sending (UnreadablePostError, also an OSError) is the client's failure, not ours.
    """
    if isinstance(exception, OperationalError | InterfaceError):
        return "database"
    if isinstance(exception, CACHE_ERRORS):
        return "cache"
    if isinstance(exception, UnreadablePostError):
        return None
    if isinstance(exception, STORAGE_ERRORS):
        return "storage"
    return None


class OutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        service = unavailable_service(exception)
        if service is None:
            return None
        # With the traceback: a 503 must not hide a bug that merely looks like an outage.
        log.error("%s unavailable during %s %s", service, request.method, request.path, exc_info=exception)
        return service_unavailable(request)


# The name this middleware had when it knew only the database.
DatabaseUnavailableMiddleware = OutageMiddleware


def service_unavailable(request) -> HttpResponse:
    """Rendered without the request context: no session, user, cache or anything else that may be down."""
    typed = []
    if request.method == "POST":
        try:
            data = request.POST
        except (OSError, RequestDataTooBig):  # the body itself could not be read
            data = {}
        typed = [(name, data.get(name, "")) for name in PRESERVED_FIELDS if data.get(name, "").strip()]
    body = loader.get_template("503.html").render({"typed": typed, "retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store, private"  # the page may hold what the person typed
    return response


database_unavailable = service_unavailable  # projects.views.server_error calls it by this name


# --- Request bodies -----------------------------------------------------------------------------------


def max_request_bytes() -> int:
    """The largest body accepted: a full report's files plus its form fields and multipart framing."""
    return settings.KZCN_MAX_REPORT_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + settings.KZCN_REQUEST_OVERHEAD_BYTES


class BoundedStream:
    """Reads through to `stream`, raising RequestDataTooBig once more than `limit` bytes came in."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.count = stream, limit, 0

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count > self.limit:
            raise RequestDataTooBig("The request body is larger than the site accepts.")
        return data

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.limit + 1 - self.count  # never more than one byte past the limit at once
        return self._counted(self.stream.read(min(size, self.limit + 1 - self.count)))

    def readline(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.limit + 1 - self.count
        return self._counted(self.stream.readline(min(size, self.limit + 1 - self.count)))

    def __getattr__(self, name):
        return getattr(self.stream, name)


class RequestSizeMiddleware:
    """First in MIDDLEWARE: too large a body gets the 400 page before anything reads it.

    The declared Content-Length is checked first; the body stream is then bounded too, so a body
    that is longer than declared (or a server that passes an unterminated stream) is cut off at
    the same limit instead of being spooled to disk.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = max_request_bytes()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            log.warning("refused a %d-byte %s %s before reading it", declared, request.method, request.path)
            return request_too_large(request)
        stream = getattr(request, "_stream", None)  # django.core.handlers.wsgi.WSGIRequest's body
        if stream is not None:
            request._stream = BoundedStream(stream, limit)
        return self.get_response(request)


def request_too_large(request) -> HttpResponse:
    """The site's 400 page, in the visitor's language (LocaleMiddleware has not run yet)."""
    with translation.override(translation.get_language_from_request(request)):
        body = loader.get_template("400.html").render()
    response = HttpResponse(body, status=400)
    response["Cache-Control"] = "no-store"
    # Answered before the middlewares that add the site's security headers: the ones this page needs.
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    return response
