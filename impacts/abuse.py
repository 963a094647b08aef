"""Keeping bots and floods out of the report form without third-party CAPTCHAs.

Three checks, each cheap and invisible to an honest person:
- a honeypot field that people never see and bots fill in;
- a signed timestamp: a form sent within seconds of being served, or one forged, is refused;
- rate limits per client address and per contact address, counted in Django's cache by
  django-ratelimit. Only the limit counters are kept, under hashed keys, for the window's length:
  no IP address is stored anywhere else.
"""

import time

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

HONEYPOT_FIELD = "website"
TIMESTAMP_FIELD = "form_started"
_TIMESTAMP_SALT = "impacts.report-form-started"


def client_ip(request) -> str:
    """The client address: REMOTE_ADDR, or the rightmost entry of the proxy header in settings."""
    header = settings.KZCN_CLIENT_IP_HEADER
    value = request.META.get(header) or request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104
    return value.split(",")[-1].strip()


def new_timestamp() -> str:
    return signing.dumps(time.time(), salt=_TIMESTAMP_SALT)


def timestamp_problem(signed_value: str | None, now: float | None = None) -> str | None:
    """None if the form was served long enough ago, by us; else a message for the person."""
    now = time.time() if now is None else now
    try:
        started = float(signing.loads(signed_value or "", salt=_TIMESTAMP_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return _("The form could not be checked. Please send it again.")
    age = now - started
    if age < settings.KZCN_FORM_MIN_SECONDS:
        return _("The form was sent very quickly. Please check it and send it again.")
    if age > settings.KZCN_FORM_MAX_AGE_SECONDS:
        return _("The form was open for a long time. Please check it and send it again.")
    return None


def honeypot_filled(data) -> bool:
    return bool((data.get(HONEYPOT_FIELD) or "").strip())


def _rate(limit: int) -> str:
    return f"{limit}/{settings.KZCN_RATE_LIMIT_WINDOW_SECONDS}s"


def _contact_key(group, request) -> str:
    email = (request.POST.get("contact_email") or "").strip().lower()
    phone = "".join(ch for ch in request.POST.get("contact_phone") or "" if ch.isdigit())
    return email or phone


def _limits(request):
    yield "impacts.report.ip", "ip", settings.KZCN_RATE_LIMIT_REPORTS_PER_IP
    if _contact_key(None, request):
        yield "impacts.report.contact", _contact_key, settings.KZCN_RATE_LIMIT_REPORTS_PER_CONTACT


def rate_limit_problem(request) -> str | None:
    """None if this client may send another report now; else when to try again."""
    for group, key, limit in _limits(request):
        usage = get_usage(request, group=group, key=key, rate=_rate(limit), method="POST")
        if usage and usage["count"] >= usage["limit"]:
            minutes = max(1, round(usage["time_left"] / 60))
            return _(
                "You have sent several reports in a short time. To protect the site from floods, "
                "please try again in about %(minutes)d minutes. What you typed is still here."
            ) % {"minutes": minutes}
    return None


def count_report(request) -> None:
    """Count one accepted report against this client's limits."""
    for group, key, limit in _limits(request):
        get_usage(request, group=group, key=key, rate=_rate(limit), method="POST", increment=True)
