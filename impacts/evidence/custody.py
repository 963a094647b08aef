"""The custody log of a report: what happened to it and its files, in a chain nobody can quietly edit.

For a court or a regulator, a senior moderator exports, from the admin, one JSON Lines file per
report. Each line is one event, oldest first, built from the records the site already keeps:

* the report received and every edit of it (django-simple-history: which fields changed, never
  their values, so no contact detail or private text is copied into the file);
* every workflow step (impacts.workflow: who, from which status to which; the reason text stays
  in the admin);
* every evidence file received, with the SHA-256 of its sealed original and of its public copy;
* every download of a sealed original (SealedAccess);
* the export itself, last.

Each entry names its actor by role and display name (kzcn.admin_site.staff_name, never a login),
and carries `previous` (the hash of the entry before; 64 zeros for the first) and
`hash = sha256(previous + canonical JSON of the entry)`, the canonical JSON being the entry without
`hash` and `signature`, keys sorted, no spaces, UTF-8. Changing, removing, inserting or reordering
any line breaks every hash after it: `manage.py verify_custody_log FILE` finds where.

`signature` is an HMAC-SHA256 of the entry's hash under KZCN_CUSTODY_KEY (by default derived from
SECRET_KEY through django.core.signing, salted for this use). What it proves: the file was made by
this site (whoever holds the key) and not changed since, *to someone who holds the key*, e.g. the
site's operators verifying before a court. What it does not prove: anything to a third party
without the key (it is not a public-key signature); that the records were true when exported (an
operator with database access could have altered history before); or when the export was made
(anchor the last hash with a trusted timestamp or by sending it to the recipient for that). The
chain alone, without the key, still lets anyone check that the file is internally consistent.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from kzcn.admin_site import staff_name

GENESIS = "0" * 64
EXPORTED = "custody_log_exported"  # the last entry: a log cut short no longer ends with it
SIGNING_SALT = "kzcn.custody-log"
# Moved by impacts.workflow with an UPDATE (no history row of its own): each step is logged from its
# ReportTransition, so an edit's diff must not claim them.
WORKFLOW_FIELDS = {"status", "published_at"}
FORMAT = "kzcn-custody-log/1"
UNSIGNED_KEYS = ("hash", "signature")


class CustodyLogError(Exception):
    """The log does not verify; `.line` is the 1-based line number where it first fails."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


# --- Hashing and signing ------------------------------------------------------------------------


def canonical(entry: dict) -> str:
    """The bytes that are hashed: the entry without its hash and signature, in one fixed form."""
    body = {key: value for key, value in entry.items() if key not in UNSIGNED_KEYS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(previous: str, entry: dict) -> str:
    return hashlib.sha256((previous + canonical(entry)).encode("utf-8")).hexdigest()


def _signer() -> signing.Signer:
    key = getattr(settings, "KZCN_CUSTODY_KEY", "") or settings.SECRET_KEY
    return signing.Signer(key=key, salt=SIGNING_SALT, algorithm="sha256")


def sign(digest: str) -> str:
    return _signer().signature(digest)


def chain(entries: Iterable[dict]) -> Iterator[dict]:
    """The entries with `previous`, `hash` and `signature` filled in, in order."""
    previous = GENESIS
    for entry in entries:
        linked = {**entry, "previous": previous}
        linked["hash"] = entry_hash(previous, linked)
        linked["signature"] = sign(linked["hash"])
        previous = linked["hash"]
        yield linked


# --- Building a report's log --------------------------------------------------------------------


def _time(value) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def actor_role(user) -> str:
    """The actor's role in words a court reads: the role group, not the account's permissions."""
    from impacts.roles import EDITORS, MODERATORS, SENIOR_MODERATORS

    if user is None:
        return "system"
    groups = {group.name for group in user.groups.all()}
    for name, role in ((SENIOR_MODERATORS, "senior moderator"), (MODERATORS, "moderator"), (EDITORS, "editor")):
        if name in groups:
            return role
    return "administrator" if user.is_superuser else "staff"


@dataclass(frozen=True)
class Event:
    """One thing that happened, before it is put in the chain."""

    time: object  # an aware datetime
    order: int  # ties at the same instant: received before edited before decided
    action: str
    user: object = None  # a staff user, or None
    role: str = ""  # when not a user: "reporter", "system"
    evidence_sha256: str = ""
    detail: dict | None = None


def _history_events(report) -> list[Event]:
    records = list(report.history.order_by("history_date", "history_id").select_related("history_user"))
    events, previous = [], None
    for record in records:
        if record.history_type == "+":
            events.append(
                Event(
                    record.history_date,
                    0,
                    "report_received",
                    record.history_user,
                    "" if record.history_user else "reporter",
                )
            )
        elif record.history_type == "~" and previous is not None:
            changed = sorted(set(record.diff_against(previous).changed_fields) - WORKFLOW_FIELDS)
            if changed:
                events.append(
                    Event(
                        record.history_date,
                        2,
                        "report_edited",
                        record.history_user,
                        "system",
                        detail={"fields": changed},
                    )
                )
        previous = record
    if not any(event.action == "report_received" for event in events):
        events.append(Event(report.created, 0, "report_received", None, "reporter"))
    return events


def _evidence_events(report) -> list[Event]:
    events = []
    for item in report.evidence.order_by("created", "id"):
        detail = {
            "evidence": item.pk,
            "kind": item.kind,
            "content_type": item.content_type,
            "size": item.size,
            "public_copy_sha256": item.public_sha256 or None,
        }
        events.append(Event(item.created, 1, "evidence_received", None, "reporter", item.sha256, detail))
        for access in item.sealed_accesses.select_related("user").order_by("at", "id"):
            events.append(
                Event(access.at, 3, f"original_{access.action}", access.user, "", item.sha256, {"evidence": item.pk})
            )
    return events


def _transition_events(report) -> list[Event]:
    return [
        Event(
            step.created,
            2,
            step.action,
            step.actor,
            "" if step.actor_id else (step.actor_label or "reporter"),
            detail={"from": step.from_status, "to": step.to_status},
        )
        for step in report.transitions.select_related("actor").order_by("created", "id")
    ]


def _entry(report, event: Event, sequence: int) -> dict:
    return {
        "format": FORMAT,
        "seq": sequence,
        "time": _time(event.time),
        "report": report.reference,
        "actor_role": actor_role(event.user) if event.user is not None else event.role,
        "actor": staff_name(event.user) if event.user is not None else "",
        "action": event.action,
        "evidence_sha256": event.evidence_sha256,
        "detail": event.detail or {},
    }


def report_events(report, *, exported_by) -> list[Event]:
    """Everything the site recorded about `report` and its files, oldest first, then the export."""
    events = _history_events(report) + _evidence_events(report) + _transition_events(report)
    events.sort(key=lambda event: (event.time, event.order))
    events.append(
        Event(timezone.now(), 9, EXPORTED, exported_by, detail={"entries_before": len(events), "status": report.status})
    )
    return events


def custody_log(report, *, exported_by) -> list[dict]:
    """The chained, signed entries of the report's custody log."""
    events = report_events(report, exported_by=exported_by)
    return list(chain(_entry(report, event, number) for number, event in enumerate(events, start=1)))


def to_json_lines(entries: Iterable[dict]) -> str:
    return "".join(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n" for entry in entries)


# --- Verifying ----------------------------------------------------------------------------------


def _parse(number: int, line: str) -> dict:
    try:
        entry = json.loads(line)
    except ValueError as error:
        raise CustodyLogError(number, f"not JSON ({error.msg})") from None
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("previous", "hash")):
        raise CustodyLogError(number, "not a custody log entry (no previous/hash)")
    return entry


def verify(lines: Iterable[str], *, check_signatures: bool = True) -> tuple[int, str]:
    """Check every link and hash (and signature); return (entries, last hash) or raise CustodyLogError."""
    previous, count, last = GENESIS, 0, None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        entry = _parse(number, line)
        if entry["previous"] != previous:
            raise CustodyLogError(number, "does not follow the entry before it (previous hash differs)")
        if not constant_time_compare(entry_hash(previous, entry), entry["hash"]):
            raise CustodyLogError(number, "its content does not match its hash (changed after export)")
        if check_signatures and not constant_time_compare(sign(entry["hash"]), str(entry.get("signature", ""))):
            raise CustodyLogError(number, "signature does not match (not made with this site's key)")
        previous, count, last = entry["hash"], count + 1, (number, entry)
    if last is None:
        raise CustodyLogError(1, "the file holds no entries")
    _check_complete(*last, count)
    return count, previous


def _check_complete(number: int, entry: dict, count: int) -> None:
    """The last entry must be the export, counting every entry before it: lines cut off the end show."""
    detail = entry.get("detail") if isinstance(entry.get("detail"), dict) else {}
    if entry.get("action") != EXPORTED or detail.get("entries_before") != count - 1:
        raise CustodyLogError(number, "the log is incomplete (it does not end with its export entry)")
