"""Whole public pages kept in the cache, shared by every web worker, until the site version moves.

An anonymous visitor's public page (one `kzcn.freshness.public_page` serves) is the same for every
anonymous visitor of that address, in that language, until something the public can see changes.
So the first request draws it and keeps the answer; the next identical request is answered with one
cache read and no SQL, template or form. The copy is tied to the site version it was drawn for:
once a publication moves the version, the copy is not served again (and expires by itself).

A copy is kept only when all of these hold, so nothing personal or single-use is ever shared:
- the view is a public page and the visitor anonymous (`public_page` marks such a response);
- GET, status 200, a body in memory (not a streamed export) under KZCN_PAGE_CACHE_MAX_BYTES;
- the request had no session or messages cookie, the view did not touch the session, did not ask
  for a CSRF token, and the response sets no cookie, varies on Cookie or is private or no-store;
- the API (DRF) answers are left out: each request counts against its per-address throttle;
- an address with a query is kept only when asked for a second time, and for a minute
  (`PageCacheMiddleware.lifetime`), so nobody can fill the cache with one-off searches.
A request with a session cookie (staff, a reporter who just sent a form) is never answered from a
copy. When a revalidating visitor's copy is outdated, they get the kept page if there is one (after
a publication every revalidating visitor needs the new page; it is drawn once).

`PageCacheMiddleware` is placed after LocaleMiddleware, which has chosen the language, and above the
middleware that adds the security headers, so a copy carries exactly the headers the drawn page had.

`RevalidationMiddleware`, near the top of the stack, answers a conditional request (a browser or a
shared proxy revalidating its own copy) to any public page with 304 when that copy is current, as
`public_page` would, before the session, language and page-cache middleware run: the validators
depend on the site version, the language and the negotiated format only, so the version decides it
(also for pages never kept: the API, streamed CSV, pages with a query), read from the cache at most
once a second per process (`freshness.recent_version`). That makes a revalidation cost about what a
static file does (issue 16).
"""

import functools
import hashlib
import logging
import zlib

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import has_vary_header, patch_vary_headers

from kzcn.freshness import VERSION_KEY, copy_version, not_modified, recent_version, version_seconds
from kzcn.middleware import CACHE_ERRORS

log = logging.getLogger(__name__)

PAGE_PREFIX = "kzcn:page:"
SEEN = ":seen"  # an address with a query asked for once (kept when asked again)
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")


def enabled() -> bool:
    return getattr(settings, "KZCN_PAGE_CACHE", False)


def _personal_cookies() -> tuple[str, ...]:
    # The session (staff, a reporter mid-way) and pending messages make a visitor's pages their own.
    return (settings.SESSION_COOKIE_NAME, getattr(settings, "MESSAGE_COOKIE_NAME", "messages"))


def may_answer(request) -> bool:
    """Whether `request` is one a shared copy may answer (and whose answer may become one)."""
    if request.method not in ("GET", "HEAD") or not enabled():
        return False
    return not any(name in request.COOKIES for name in _personal_cookies())


def page_key(request) -> str:
    """The address, its query, the language, the host and scheme (absolute links) and the negotiated format."""
    basis = "|".join(
        (
            request.scheme,
            request.get_host(),
            getattr(request, "LANGUAGE_CODE", ""),
            request.get_full_path(),
            request.headers.get("Accept", ""),
        )
    )
    return PAGE_PREFIX + hashlib.sha256(basis.encode()).hexdigest()


def keepable(request, response) -> bool:
    """Whether `response` may be shared with every anonymous visitor of the same address."""
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    if copy_version(response) is None or getattr(response, "accepted_renderer", None) is not None:
        return False  # not a public page for an anonymous visitor; or the throttled API
    if response.cookies or has_vary_header(response, "Cookie"):
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or getattr(getattr(request, "session", None), "accessed", False):
        return False  # the page holds a CSRF token or depends on the session
    control = response.get("Cache-Control", "")
    if "private" in control or "no-store" in control:
        return False
    return len(response.content) <= getattr(settings, "KZCN_PAGE_CACHE_MAX_BYTES", 2 * 1024 * 1024)


def _current(found: dict, key: str):
    """The entry under `key` if it was kept for the site version now in force, else None."""
    stored, version = found.get(key), found.get(VERSION_KEY)
    return stored if stored is not None and version is not None and stored[0] == version else None


def _replayed(stored) -> HttpResponse:
    _, content, headers = stored
    response = HttpResponse(zlib.decompress(content))
    for name, value in headers:
        response[name] = value
    return response


@functools.lru_cache(maxsize=4096)
def _is_public_path(path: str) -> bool:
    try:
        return getattr(resolve(path).func, "is_public_page", False)
    except Resolver404:
        return False


def _is_public_page(request) -> bool:
    """Whether the address is served by a `kzcn.freshness.public_page` view (remembered per path:
    the URLs do not change while the process runs)."""
    return _is_public_path(request.path_info)


@receiver(setting_changed)
def _forget_paths(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _is_public_path.cache_clear()


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not may_answer(request):
            return self.get_response(request)
        key = page_key(request)
        try:
            answer = self.kept_answer(request, key)
        except CACHE_ERRORS:
            return self.get_response(request)  # the view copes with the outage (freshness, outages)
        if answer is not None:
            return answer
        response = self.get_response(request)
        if keepable(request, response) and (seconds := self.lifetime(request, key)):
            self.keep(key, response, seconds)
        return response

    @staticmethod
    def lifetime(request, key: str) -> int:
        """How long to keep this page, or 0 for not now.

        An address without a query is kept until the version expires. One with a query (a search,
        filters, a position in a list) only once it is asked for a second time, and for
        KZCN_PAGE_CACHE_QUERY_SECONDS: otherwise anyone could fill the cache, which also holds the
        rate limits and login lockouts, with pages no one else will ask for.
        """
        if not request.META.get("QUERY_STRING"):
            return version_seconds()
        seconds = getattr(settings, "KZCN_PAGE_CACHE_QUERY_SECONDS", 60)
        try:
            first_time = cache.add(key + SEEN, True, seconds)
        except CACHE_ERRORS:
            return 0
        return 0 if first_time else seconds

    @staticmethod
    def kept_answer(request, key: str):
        """From the cache: the kept page (also for a revalidating visitor whose copy is outdated), else None."""
        stored = _current(cache.get_many([VERSION_KEY, key]), key)
        return _replayed(stored) if stored else None

    @staticmethod
    def keep(key: str, response, seconds: int) -> None:
        version = copy_version(response)
        # Compressed: a page takes a tenth of the memory, for a fraction of a millisecond.
        page = (version, zlib.compress(response.content, 1), list(response.items()))
        try:
            cache.set(key, page, seconds)
        except CACHE_ERRORS:
            log.warning("cache unavailable: page not kept")


def _language(request) -> tuple[str, bool]:
    """The language LocaleMiddleware will choose for `request`, and whether the address names it."""
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    patterns_used, prefixed_default = is_language_prefix_patterns_used(urlconf)
    language = translation.get_language_from_request(request, check_path=patterns_used)
    from_path = translation.get_language_from_path(request.path_info)
    if not from_path and patterns_used and not prefixed_default:
        language = settings.LANGUAGE_CODE
    return language, bool(patterns_used and from_path)


class RevalidationMiddleware:
    """304 for an anonymous visitor revalidating a current copy of a public page, before the
    session, language and page-cache middleware (see the module's docstring).

    The answer carries what the full stack's 304 carries: ETag, Last-Modified and Cache-Control from
    `freshness.not_modified`, and LocaleMiddleware's Content-Language and, for an address without a
    language, `Vary: Accept-Language`. Anything else (no validator, a session, a page that is not
    public, an outdated copy, a cache outage) goes down the stack as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in ("GET", "HEAD")
            and any(header in request.META for header in CONDITIONAL_HEADERS)
            and not any(name in request.COOKIES for name in _personal_cookies())
        ):
            try:
                answer = self.not_modified(request)
            except CACHE_ERRORS:
                answer = None  # the view copes with the outage
            if answer is not None:
                return answer
        return self.get_response(request)

    @staticmethod
    def not_modified(request):
        language, named = _language(request)
        with translation.override(language):
            if not _is_public_page(request):
                return None
            version = recent_version()
            answer = None if version is None else not_modified(request, version)
        if answer is None:
            return None
        if not named:
            patch_vary_headers(answer, ("Accept-Language",))
        answer.headers.setdefault("Content-Language", language)
        return answer
