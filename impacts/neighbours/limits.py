"""Abuse limits for neighbours' voices, counted like the report form's (impacts.abuse).

Only counters live in the cache, under keys that are SHA-256 digests of the client address (and
the report), and they expire with the window: no address is kept anywhere, and a NeighbourMark row
holds nothing but its report and time.

- "This affects me too": one per client per report per window (a repeat is told "You have already
  said so." and not counted), and at most MARKS_PER_IP per client per window across reports.
- Updates: every POST counts against POSTS_PER_IP (before any file is read), accepted updates
  against UPDATES_PER_IP.
"""

from django.core.cache import cache
from django.utils.translation import gettext as _

from .. import abuse

MARKS_PER_IP = 30
UPDATES_PER_IP = 5
POSTS_PER_IP = 15


def _window() -> tuple[int, int]:
    return abuse.current_window()


def _key(group: str, *values) -> str:
    """The counters of the report form's kind (impacts.abuse), in the current window."""
    return abuse.limit_key(group, ":".join(map(str, values)), abuse.current_window()[0])


def _minutes_left() -> int:
    return max(1, round(_window()[1] / 60))


def _too_many() -> str:
    return _(
        "There have been many requests from your connection in a short time. "
        "Please try again in about %(minutes)d minutes."
    ) % {"minutes": _minutes_left()}


def mark_problem(request, report) -> tuple[str, str | None]:
    """Count one "affects me too": ("counted", None), ("already", None) or ("refused", message)."""
    ip = abuse.client_ip(request)
    left = _window()[1] + 1
    if abuse.hit(_key("mark.ip", ip), left) > MARKS_PER_IP:
        return "refused", _too_many()
    # `add` is atomic: of two presses at once from one client, one counts.
    if not cache.add(_key("mark.report", ip, report.pk), 1, timeout=left):
        return "already", None
    return "counted", None


def update_post_problem(request) -> str | None:
    """Count this POST of the update form (before its files are read); a message if over."""
    if abuse.hit(_key("update.post", abuse.client_ip(request)), _window()[1] + 1) > POSTS_PER_IP:
        return _too_many()
    return None


def take_update_allowance(request) -> str | None:
    """Count one accepted update; a message (and nothing counted) if this client sent too many."""
    key = _key("update.ip", abuse.client_ip(request))
    if abuse.hit(key, _window()[1] + 1) > UPDATES_PER_IP:
        give_back(key)
        return _(
            "You have sent several updates in a short time. To protect the site from floods, please try "
            "again in about %(minutes)d minutes. What you typed is still here."
        ) % {"minutes": _minutes_left()}
    request._kzcn_update_allowance = key
    return None


def give_back(key: str | None) -> None:
    if key:
        try:
            cache.decr(key)
        except ValueError:  # the window ended meanwhile
            pass


def give_back_update_allowance(request) -> None:
    give_back(getattr(request, "_kzcn_update_allowance", None))
    request._kzcn_update_allowance = None
