"""Keeping bots, floods and double submissions out of the report form without third-party CAPTCHAs.

The checks, each cheap and invisible to an honest person:
- a honeypot field that people never see and bots fill in;
- a signed form token: a random nonce and the time the form was first served. A form sent within
  seconds of being served, or one forged, is refused. The nonce makes the token single use: its
  digest becomes the report's `submission_key` (unique), so the same form cannot make two reports,
  whether it is a double tap, a retry after a timeout or a replay from another client;
- rate limits per client address and per contact address, counted in Django's cache with one
  atomic increment per check (Redis INCR; the local-memory cache increments under a lock), so
  concurrent posts cannot slip past the limit. Only the counters are kept, under hashed keys, for
  the window's length: no IP address is stored anywhere else.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

HONEYPOT_FIELD = "website"
TIMESTAMP_FIELD = "form_started"
_TIMESTAMP_SALT = "impacts.report-form-started"
# A random value in a cookie set when the form is served: it tells the browser that sent a form
# from another client holding the same form (a replay), without a session row per visitor.
CLIENT_COOKIE = "kzcn_form_client"
_TRACKING_SALT = "impacts.tracking-link-of-form"


def client_ip(request) -> str:
    """The client address: REMOTE_ADDR, or the rightmost entry of the proxy header in settings."""
    header = settings.KZCN_CLIENT_IP_HEADER
    value = request.META.get(header) or request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104
    return value.split(",")[-1].strip()


# --- The form token --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormToken:
    """What the signed hidden field says: which form (nonce), first served when, re-issued when.

    `started` stays the time the form was first served, through every re-rendering after an error,
    so a corrected form can be sent again at once; `issued` is the last rendering, for the maximum age.
    """

    nonce: str
    started: float
    issued: float

    @property
    def submission_key(self) -> str:
        """What the report stores (unique) to mark this form as used: a digest, never the nonce."""
        return hashlib.sha256(self.nonce.encode()).hexdigest()

    def signed(self) -> str:
        return signing.dumps({"n": self.nonce, "s": self.started, "i": self.issued}, salt=_TIMESTAMP_SALT)

    def for_retry(self) -> str:
        """The token for the same form shown again after an error: same nonce and start, issued now."""
        return FormToken(self.nonce, self.started, time.time()).signed()

    def problem(self, now: float | None = None) -> str | None:
        now = time.time() if now is None else now
        if now - self.started < settings.KZCN_FORM_MIN_SECONDS:
            return _("The form was sent very quickly. Please check it and send it again.")
        if now - self.issued > settings.KZCN_FORM_MAX_AGE_SECONDS:
            return _("The form was open for a long time. Please check it and send it again.")
        return None


UNREADABLE_TOKEN = _("The form could not be checked. Please send it again.")


def new_form_token(started: float | None = None) -> str:
    """A signed token for a newly served form (`started` lets tests pretend it was served earlier)."""
    started = time.time() if started is None else started
    return FormToken(secrets.token_urlsafe(16), started, started).signed()


new_timestamp = new_form_token  # the name used before tokens carried a nonce


def read_form_token(signed_value: str | None) -> FormToken | None:
    """The token if we signed it, else None (forged, mangled, or from before tokens had a nonce)."""
    try:
        payload = signing.loads(signed_value or "", salt=_TIMESTAMP_SALT)
        token = FormToken(str(payload["n"]), float(payload["s"]), float(payload["i"]))
    except (signing.BadSignature, TypeError, ValueError, KeyError):
        return None
    return token if len(token.nonce) >= 16 else None


def timestamp_problem(signed_value: str | None, now: float | None = None) -> str | None:
    """None if the form was served long enough ago, by us; else a message for the person."""
    token = read_form_token(signed_value)
    return UNREADABLE_TOKEN if token is None else token.problem(now)


def honeypot_filled(data) -> bool:
    return bool((data.get(HONEYPOT_FIELD) or "").strip())


def client_secret(request) -> str:
    return request.COOKIES.get(CLIENT_COOKIE, "")


def set_client_cookie(request, response) -> None:
    """Give the browser its random form-client value, once (a functional cookie, no tracking)."""
    if len(client_secret(request)) < 16:
        response.set_cookie(
            CLIENT_COOKIE,
            secrets.token_urlsafe(16),
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )


def tracking_token_for(token: FormToken, secret: str) -> str:
    """The tracking token of the report this form makes, when sent by the browser holding `secret`.

    Derived (HMAC with the site's secret key) from the form's nonce and the browser's cookie, so the
    same browser sending the same form again, even while the first request is still running, can be
    shown its tracking link again, and no other client can. Without the cookie: a random token.
    """
    if len(secret) < 16:
        return secrets.token_urlsafe(32)
    return salted_hmac(_TRACKING_SALT, f"{token.nonce}:{secret}", algorithm="sha256").hexdigest()


# --- Rate limits -----------------------------------------------------------------------------------
# Two allowances per window:
# - every POST from an address counts against KZCN_RATE_LIMIT_POSTS_PER_IP, checked before the form
#   is validated (file decoding is the expensive part), so invalid posts are not free. It is larger
#   than the report allowance (by default three times) because honest people make mistakes: a
#   typo or a refused photo must not use up their allowance of reports;
# - accepted reports count against KZCN_RATE_LIMIT_REPORTS_PER_IP and _PER_CONTACT, taken with one
#   atomic increment just before saving, and given back if the save fails.


def current_window() -> tuple[int, int]:
    """The current fixed window's number and the seconds left in it."""
    length = settings.KZCN_RATE_LIMIT_WINDOW_SECONDS
    now = int(time.time())
    return now // length, length - now % length


def limit_key(group: str, value: str, window: int) -> str:
    """A counter's cache key: the group, a SHA-256 of the value (no address is kept), the window."""
    digest = hashlib.sha256(f"{group}:{value}".encode()).hexdigest()
    return f"kzcn.rl:{group}:{digest}:{window}"


def hit(key: str, timeout: int) -> int:
    """Add one to a counter and return its new value, in one atomic cache operation.

    `add` creates the counter only if missing (with its expiry); `incr` is atomic in Redis and
    under a lock in the local-memory cache, so N concurrent callers get N different values.
    """
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)


def _give_back(key: str) -> None:
    try:
        cache.decr(key)
    except ValueError:  # the window ended meanwhile: nothing to give back
        pass


def _contact(request) -> str:
    email = (request.POST.get("contact_email") or "").strip().lower()
    phone = "".join(ch for ch in request.POST.get("contact_phone") or "" if ch.isdigit())
    return email or phone


def _report_limits(request):
    yield "report.ip", client_ip(request), settings.KZCN_RATE_LIMIT_REPORTS_PER_IP
    if contact := _contact(request):
        yield "report.contact", contact, settings.KZCN_RATE_LIMIT_REPORTS_PER_CONTACT


def posts_per_ip() -> int:
    return settings.KZCN_RATE_LIMIT_POSTS_PER_IP or 3 * settings.KZCN_RATE_LIMIT_REPORTS_PER_IP


def _too_many(seconds_left: int) -> str:
    minutes = max(1, round(seconds_left / 60))
    return _(
        "You have sent several reports in a short time. To protect the site from floods, "
        "please try again in about %(minutes)d minutes. What you typed is still here."
    ) % {"minutes": minutes}


def count_post(request) -> str | None:
    """Count this POST against the address's allowance of posts; a message if it is over."""
    window, left = current_window()
    if hit(limit_key("post.ip", client_ip(request), window), left + 1) > posts_per_ip():
        return _too_many(left)
    return None


def rate_limit_problem(request) -> str | None:
    """None if this client may still send a report now (a look only: nothing is counted)."""
    window, left = current_window()
    for group, value, limit in _report_limits(request):
        if (cache.get(limit_key(group, value, window)) or 0) >= limit:
            return _too_many(left)
    return None


def take_report_allowance(request) -> str | None:
    """Count one report against this client's limits, atomically; a message (and nothing counted) if over."""
    window, left = current_window()
    taken = []
    for group, value, limit in _report_limits(request):
        key = limit_key(group, value, window)
        taken.append(key)
        if hit(key, left + 1) > limit:
            for key in taken:
                _give_back(key)
            return _too_many(left)
    request._kzcn_report_allowance = taken
    return None


def give_back_report_allowance(request) -> None:
    """The report could not be saved after all: it does not count."""
    for key in getattr(request, "_kzcn_report_allowance", []):
        _give_back(key)
    request._kzcn_report_allowance = []


# --- "I lost my tracking link" (the tracking page's helper form) --------------------------------------
# Each request may send e-mails to the address typed, so it is limited per address (no mailbox
# flooded) and per client (no probing of many addresses), with the same atomic counters.
LOST_LINK_PER_ADDRESS = 3
LOST_LINK_PER_CLIENT = 6


def lost_link_problem(request, email: str) -> str | None:
    """Count one lost-link request; a message if this address or this client has asked too often."""
    window, left = current_window()
    for group, value, limit in (
        ("lost.email", email.strip().lower(), LOST_LINK_PER_ADDRESS),
        ("lost.ip", client_ip(request), LOST_LINK_PER_CLIENT),
    ):
        if hit(limit_key(group, value, window), left + 1) > limit:
            return _too_many_requests(left)
    return None


def _too_many_requests(seconds_left: int) -> str:
    minutes = max(1, round(seconds_left / 60))
    return _("There have been several requests in a short time. Please try again in about %(minutes)d minutes.") % {
        "minutes": minutes
    }


# --- The same report sent again from a form served anew ------------------------------------------------
# A person whose answer timed out goes back and sends again; the browser restores what they typed but
# the page, fetched again, carries a new form token. The same browser sending the same report text
# within the hour is the same submission: remembered by a digest of its cookie and text, pointing to
# the first form's nonce (nothing typed is kept).
_SENT_FIELDS = (
    "project",
    "site_name",
    "region",
    "settlement",
    "primary_category",
    "severity",
    "title",
    "description",
    "observed_on",
)
SAME_REPORT_SECONDS = 3600


def _sent_key(request) -> str | None:
    secret = client_secret(request)
    if len(secret) < 16:
        return None
    text = "\x1f".join(" ".join((request.POST.get(name) or "").split()) for name in _SENT_FIELDS)
    return "kzcn.sent:" + hashlib.sha256(f"{secret}\x1e{text}".encode()).hexdigest()


def remember_sent(request, token: FormToken) -> None:
    if key := _sent_key(request):
        # Runs after the report is committed: Redis failing here must not turn a saved report into
        # the outage page that says nothing was saved (the submission key still stops a second copy).
        from kzcn.middleware import CACHE_ERRORS

        try:
            cache.set(key, token.nonce, timeout=SAME_REPORT_SECONDS)
        except CACHE_ERRORS:
            pass


def token_of_same_report(request, token: FormToken) -> FormToken:
    """The first form's token if this browser already sent this very report, else `token`."""
    key = _sent_key(request)
    nonce = cache.get(key) if key else None
    return FormToken(nonce, token.started, token.issued) if nonce and nonce != token.nonce else token
