"""How fresh the public side is: one site version, HTTP validators from it, and summaries kept per version.

The site version is a timestamp kept in the cache. It moves whenever something the public can see in
the ``impacts`` or ``projects`` apps is written or deleted (a report published, withdrawn or edited, its categories,
evidence or translations, a project, its sources or parties, a programme figure, ...): right away
and again once the transaction commits, so a page rendered between the write and the commit cannot
keep the new version.

Why a version in the cache rather than the newest timestamp of the rows a page shows: a withdrawal
takes a report *out* of the published set, so ``max(published_at, updated)`` over published reports
can go backwards; a deletion leaves no timestamp at all; and the public pages draw on a dozen
tables, which would be a dozen ``max()`` queries on every request instead of one cache read. The
price: a write that the public sees makes every page render once more; writes the public cannot
see (a new submission, its files, moderation before publication) leave the version alone
(`changes_public_pages`).

Two rules keep a copy from outliving what it shows:
- the version expires after ``KZCN_SITE_VERSION_SECONDS``: if a bump was lost while the cache was
  unreachable, pages and statistics are stale for at most that long;
- a cache outage never fails a page: without a version a page is served without validators and
  summaries are computed live.

`Last-Modified` has whole seconds only; two changes within a second are told apart by the `ETag`,
which clients and caches send (and Django checks) before the date.
"""

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language

from kzcn.middleware import CACHE_ERRORS

log = logging.getLogger(__name__)

VERSION_KEY = "kzcn:site-version"
# The apps whose rows the public pages show.
WATCHED_APPS = frozenset({"impacts", "projects"})


def version_seconds() -> int:
    """How long the site version, and every copy and summary kept with it, may live (KZCN_SITE_VERSION_SECONDS)."""
    return getattr(settings, "KZCN_SITE_VERSION_SECONDS", 900)


def site_version() -> float | None:
    """The time of the last change the public pages know of, or None while the cache is unreachable."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            # Expired, evicted or never set: start a new one (the first worker to get here wins).
            cache.add(VERSION_KEY, time.time(), version_seconds())
            version = cache.get(VERSION_KEY)
        _remember(version)
        return version
    except CACHE_ERRORS:
        log.warning("cache unavailable: public pages served without validators")
        return None


# The version as this process last read or wrote it, and when (time.monotonic()).
_recent: tuple[float | None, float] = (None, 0.0)


def reread_seconds() -> float:
    """How long a process may answer revalidations from the version it saw (KZCN_SITE_VERSION_REREAD_SECONDS)."""
    return getattr(settings, "KZCN_SITE_VERSION_REREAD_SECONDS", 1.0)


def _remember(version: float | None) -> None:
    global _recent
    _recent = (version, time.monotonic())


def forget_recent_version() -> None:
    """Read the version from the cache next time (a test that changes the cache behind the site's back)."""
    _remember(None)


def recent_version() -> float | None:
    """The site version as this process saw it at most `reread_seconds()` ago, else read from the cache now.

    For answering revalidations (kzcn.page_cache), the commonest request of a cached site, without
    a round trip to Redis each time (a quarter of a millisecond here, as much as serving a static
    file). A version moved by this process is seen at once (`_bump` remembers it); one moved by
    another worker at most a second later, well inside the `max-age` (KZCN_PUBLIC_MAX_AGE, 60 s)
    every public page already lets browsers and proxies use a copy without asking. Raises the
    cache's errors; None when no version is kept.
    """
    version, seen = _recent
    if version is not None and time.monotonic() - seen < reread_seconds():
        return version
    version = cache.get(VERSION_KEY)
    _remember(version)
    return version


def site_changed() -> None:
    """Tell every cached page and summary that what the public sees has changed (now and on commit)."""
    _bump()
    connection = transaction.get_connection()
    # Once per transaction: a callback dropped with a rolled-back savepoint is registered again by
    # the next write, as the list no longer holds it.
    if not any(callback is _bump for _, callback, _ in connection.run_on_commit):
        transaction.on_commit(_bump)


def _bump() -> None:
    try:
        previous = cache.get(VERSION_KEY) or 0.0
        # Strictly newer, even if two changes fall on the same clock tick.
        version = max(time.time(), previous + 1e-6)
        cache.set(VERSION_KEY, version, version_seconds())
        _remember(version)
    except CACHE_ERRORS:
        log.warning("cache unavailable: site version not moved; copies may be stale until it expires")


def changes_public_pages(instance) -> bool:
    """Whether writing `instance` can change a public page.

    A row that says so itself (`changes_public_pages()`) is asked; so is the report a row belongs
    to (its evidence, categories, translations, messages, links); anything else in the watched apps
    is assumed to. So a new submission, its files and e-mails, and a moderator's work before
    publication leave every shared copy valid, while publishing, withdrawing and editing what is
    published move the version.
    """
    if hasattr(type(instance), "instance_type"):
        # django-simple-history's record of a row: the row's own write has already been judged.
        return False
    own = getattr(instance, "changes_public_pages", None)
    if own is not None:
        return own()
    report = getattr(type(instance), "report", None) and getattr(instance, "report", None)
    owner = getattr(report, "changes_public_pages", None)
    if owner is not None:
        return owner()
    return True


def _on_write(sender, instance=None, **kwargs) -> None:
    if sender._meta.app_label in WATCHED_APPS and (instance is None or changes_public_pages(instance)):
        site_changed()


def _on_migrate(sender, **kwargs) -> None:
    # A deploy runs migrate: new templates or fields must not be hidden behind a 304.
    _bump()


def connect_signals() -> None:
    """Move the version on every write in the watched apps and on migrate (called from impacts.apps.ready)."""
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_on_write, dispatch_uid="kzcn.freshness")
    post_migrate.connect(_on_migrate, dispatch_uid="kzcn.freshness")


def kept_until_change(name: str, compute: Callable[[], object]):
    """`compute()`'s value, kept in the cache until the site version moves; computed live without a cache."""
    version = site_version()
    if version is None:
        return compute()
    key = f"kzcn:{name}:{version!r}"
    try:
        value = cache.get(key)
    except CACHE_ERRORS:
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, version_seconds())
        except CACHE_ERRORS:
            log.warning("cache unavailable: %s not kept", name)
    return value


# HTTP: validators for public pages, and who may share a copy.


def _signed_in(request) -> bool:
    # Without a session cookie nobody is signed in: do not touch the session, which would add
    # `Vary: Cookie` to every anonymous page and split shared caches per visitor.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    return request.user.is_authenticated


def _etag(request, version: float) -> str:
    # The address already carries the page, its query and its language; the language and the
    # negotiated format go in too so that no two representations ever share a validator. Weak:
    # equal in meaning, not byte for byte.
    return _etag_of(version, get_language(), request.META.get("HTTP_ACCEPT", ""))


@functools.lru_cache(maxsize=256)
def _etag_of(version: float, language: str, accept: str) -> str:
    basis = f"{version!r}|{language}|{accept}"
    return f'W/"{hashlib.sha256(basis.encode()).hexdigest()[:32]}"'


def shared_cache_control() -> dict:
    return {
        "public": True,
        "max_age": getattr(settings, "KZCN_PUBLIC_MAX_AGE", 60),
        "stale_while_revalidate": getattr(settings, "KZCN_PUBLIC_STALE_WHILE_REVALIDATE", 300),
    }


def _validated(response, etag: str, version: float):
    response["ETag"] = etag
    response["Last-Modified"] = http_date(version)
    patch_cache_control(response, **shared_cache_control())
    return response


# The site version an anonymous visitor's public page was drawn for (kzcn.page_cache keeps such pages).
_COPY_VERSION = "_kzcn_copy_version"


def copy_version(response) -> float | None:
    """The site version `response` was drawn for if any anonymous visitor may be given it, else None."""
    return getattr(response, _COPY_VERSION, None)


def public_page(view):
    """For a page anyone may see: answer 304 when nothing changed, let anonymous copies be shared.

    Anonymous visitors get `ETag`/`Last-Modified` from the site version and
    `Cache-Control: public, max-age, stale-while-revalidate`; a conditional request whose validator
    is still current is answered 304 without running the view, and the page may be kept whole
    for the next anonymous visitor (kzcn.page_cache). Signed-in staff get `private, no-cache`:
    their pages may show more than the public's. A response that sets a cookie is never shared
    (`SharedCopyGuard`, `page_cache.keepable`).
    """

    @wraps(view)
    def page(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if _signed_in(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        version = site_version()
        if version is None:
            return view(request, *args, **kwargs)
        if (answer := not_modified(request, version)) is not None:
            return answer
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            _validated(response, _etag(request, version), version)
            setattr(response, _COPY_VERSION, version)
        return response

    page.is_public_page = True  # kzcn.page_cache answers conditional requests for such pages itself
    return page


def not_modified(request, version: float):
    """The 304 (or 412) for an anonymous conditional request to a public page at site `version`, or None.

    The validators depend on the version, the language and the negotiated format only, so this
    answer needs neither the view nor the page: `public_page` gives it before running the view, and
    kzcn.page_cache before the rest of the middleware.
    """
    etag = _etag(request, version)
    answer = get_conditional_response(request, etag=etag, last_modified=int(version))
    return None if answer is None else _validated(answer, etag, version)


class SharedCopyGuard:
    """A response that sets a cookie (session, CSRF token, messages, the report form's) is `private`.

    Placed above the session, CSRF and messages middleware, so it sees the cookies they set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.cookies and not any(d in response.get("Cache-Control", "") for d in ("private", "no-store")):
            patch_cache_control(response, private=True)  # and drops "public"
        return response
