"""Background processing of evidence: make the public copy of a sealed original, in the task worker.

A report form only accepts files (`pipeline.accept_evidence`) and saves them sealed, with the
Evidence row in state PROCESSING and no public copy. After the transaction commits, one task per
file (`impacts.tasks.process_evidence`) runs `process`:

1. **Claim** the row with one conditional UPDATE: state PROCESSING and no lease, or a lease older
   than `lease_seconds()`; the UPDATE stamps `processing_started_at` (the lease) and counts the
   attempt. Two workers, on one machine or several, never both hold a fresh lease on one file:
   the database serialises the UPDATE and the second one matches no row. (The django-tasks database
   backend already claims each task with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; this
   lease also covers a task enqueued twice, by the sweep or by hand.)
2. **Prepare** the public copy from the sealed original (`pipeline.make_public_copy`: photos decoded
   within the decompression-bomb and decode-memory limits, PDFs drawn in a child process under
   memory, CPU and time limits, video and voice by their own modules), in the report's language so
   a refusal reads in the reporter's words.
3. **Write** the public copy and thumbnail under names derived from the row (an HMAC of its id), so
   a second attempt overwrites what a killed first attempt left instead of adding a second file.
4. **Finish** in one transaction, only if our lease still holds: READY with the files and the
   moderators' metadata, or REFUSED with the reason (an `EvidenceRejected` message, translated).

Retries: django-tasks does not retry a task. A worker killed mid-job (or a task that raised, or an
enqueue lost between commit and queue) leaves the row PROCESSING; `manage.py sweep_evidence` (run
every few minutes) enqueues again every file whose lease has run out or which was never claimed
within that time. `process` is idempotent: a file already READY or REFUSED, or held by another
worker's fresh lease, is left alone. After `MAX_ATTEMPTS` claims (a file that kills its worker each
time) the file is refused with a reason that asks for another copy.

Publication: a moderator may approve a file and publish the report while the file is processing;
only READY files are ever public (`EvidenceQuerySet.public`, `Evidence.is_public`), so it appears
once processed, and a file refused late stays hidden, its reason shown to the moderator (admin) and
to the reporter (tracking page).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from impacts.models import Evidence, EvidenceState

from .filetypes import sniff_type
from .fingerprints import fingerprint_evidence
from .pipeline import SNIFF_BYTES, make_public_copy
from .refusals import EvidenceRejected

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
DEFAULT_LEASE_SECONDS = 10 * 60  # far longer than any job may take (a PDF's drawing stops at 30 s)
# The Evidence fields a public copy sets besides its files (video/voice add theirs if the model has them).
METADATA_FIELDS = (
    "kind",
    "width",
    "height",
    "captured_at",
    "gps_latitude",
    "gps_longitude",
    "removed_metadata",
    "duration_seconds",
)


def lease_seconds() -> int:
    return int(getattr(settings, "KZCN_EVIDENCE_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


# --- Queueing --------------------------------------------------------------------------------------


def enqueue_after_commit(evidence_id: int) -> None:
    """Queue the processing of one file once the transaction that saved it commits."""
    transaction.on_commit(lambda: enqueue(evidence_id))


def enqueue(evidence_id: int) -> bool:
    """Queue one file now; a queue failure is logged, never raised (the sweep queues it again)."""
    from impacts.tasks import process_evidence  # the task module imports this one

    try:
        process_evidence.enqueue(evidence_id)
    except Exception as error:  # the report is saved: a lost enqueue must not turn into an error page
        log.error("could not queue evidence %s for processing: %r", evidence_id, error)
        return False
    return True


def stuck(now: datetime | None = None):
    """Files still PROCESSING whose lease ran out, or that nobody claimed within a lease time."""
    stale = (now or timezone.now()) - timedelta(seconds=lease_seconds())
    return Evidence.objects.filter(state=EvidenceState.PROCESSING).filter(
        Q(processing_started_at__lt=stale) | Q(processing_started_at__isnull=True, created__lt=stale)
    )


def sweep(now: datetime | None = None) -> int:
    """Queue again every stuck file; return how many. Safe to run while workers are busy."""
    ids = list(stuck(now).order_by("pk").values_list("pk", flat=True))
    return sum(enqueue(pk) for pk in ids)


# --- One job ---------------------------------------------------------------------------------------


def process(evidence_id: int) -> str:
    """Make the public copy of one file, or refuse it; returns "ready", "refused" or "skipped"."""
    lease = claim(evidence_id)
    if lease is None:
        return "skipped"  # done already, or another worker holds it
    item = Evidence.objects.select_related("report").filter(pk=evidence_id).first()
    if item is None:
        return "skipped"  # its report was deleted meanwhile
    with translation.override(_language_of(item)):
        if item.attempts > MAX_ATTEMPTS:
            return _refuse(item, lease, _gave_up(item.original_name))
        try:
            fields = _prepare(item)
        except EvidenceRejected as refusal:
            return _refuse(item, lease, refusal.message)
    written = _write_files(item, fields)
    _pause_for_tests()
    if _finish(item, lease, fields, written):
        return "ready"
    _remove_unreferenced(item, written)
    return "skipped"


def claim(evidence_id: int) -> datetime | None:
    """Take the lease on a file still to be processed; the lease's timestamp, or None if not ours."""
    now = timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    claimed = (
        Evidence.objects.filter(pk=evidence_id, state=EvidenceState.PROCESSING)
        .filter(Q(processing_started_at__isnull=True) | Q(processing_started_at__lt=stale))
        .update(processing_started_at=now, attempts=F("attempts") + 1)
    )
    return now if claimed else None


def _language_of(item: Evidence) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    return item.report.language if item.report.language in languages else settings.LANGUAGE_CODE


def _gave_up(name: str) -> str:
    return _(
        "“%(name)s” could not be processed after several tries. Please send another copy of it, "
        "for example as a JPEG photo or a smaller file."
    ) % {"name": name}


def _prepare(item: Evidence) -> dict[str, Any]:
    """The public copy's fields, made from the sealed original (read again: its type by content)."""
    with item.sealed_file.open("rb") as original:
        file_type = sniff_type(original.read(SNIFF_BYTES))
        if file_type is None or file_type.content_type != item.content_type:
            log.error("sealed original of evidence %s no longer has its type %s", item.pk, item.content_type)
            raise EvidenceRejected(_gave_up(item.original_name), "unreadable")
        original.seek(0)
        return make_public_copy(original, file_type, item.original_name)


def _pause_for_tests() -> None:
    """Only tests set this: a slow job, to kill its worker in the middle (tests/test_worker_killed.py)."""
    delay = float(getattr(settings, "KZCN_EVIDENCE_TEST_DELAY_SECONDS", 0) or 0)
    if delay:
        time.sleep(delay)


# --- Files -----------------------------------------------------------------------------------------


def derived_name(item: Evidence, variant: str, extension: str) -> str:
    """The same name on every attempt, unguessable without the secret key: no duplicates, no probing."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"evidence:{item.pk}:{variant}".encode(), hashlib.sha256)
    return f"{item.created:%Y/%m}/{digest.hexdigest()[:32]}.{extension}"


def _write_files(item: Evidence, fields: dict[str, Any]) -> dict[str, str]:
    """Write the public copy, thumbnail and poster; if the storage fails half-way (disk full, S3
    refusing), remove what was written and raise: the row stays PROCESSING and the sweep retries."""
    written: dict[str, str] = {}
    try:
        public_name = derived_name(item, "public", fields["public_extension"])
        written["public_file"] = _overwrite(item.public_file.storage, public_name, fields["public_bytes"])
        for field, variant, key in (("thumbnail", "thumb", "thumbnail_bytes"), ("poster", "poster", "poster_bytes")):
            content = fields.get(key)
            if content and hasattr(item, field):
                written[field] = _overwrite(getattr(item, field).storage, derived_name(item, variant, "jpg"), content)
    except Exception:
        for field, name in written.items():
            try:
                getattr(item, field).storage.delete(name)
            except Exception:  # the storage is failing: the next attempt overwrites this name anyway
                log.warning("evidence %s: could not remove %s after a failed write", item.pk, name)
        raise
    return written


def _overwrite(storage, name: str, content: bytes) -> str:
    if storage.exists(name):  # left by an attempt that was killed before it finished
        storage.delete(name)
    return storage.save(name, ContentFile(content))


def _remove_unreferenced(item: Evidence, written: dict[str, str]) -> None:
    """We lost the lease: delete what we wrote unless the row that won points at the same names."""
    current = Evidence.objects.filter(pk=item.pk).values(*written).first() or {}
    for field, name in written.items():
        if current.get(field) != name:
            getattr(item, field).storage.delete(name)


# --- Finishing -------------------------------------------------------------------------------------


def _held(item: Evidence, lease: datetime) -> Evidence | None:
    """The row, locked, if our lease still holds (nobody took it over, nothing finished it)."""
    return (
        Evidence.objects.select_for_update()
        .filter(pk=item.pk, state=EvidenceState.PROCESSING, processing_started_at=lease)
        .first()
    )


def _finish(item: Evidence, lease: datetime, fields: dict[str, Any], written: dict[str, str]) -> bool:
    with transaction.atomic():
        row = _held(item, lease)
        if row is None:
            return False
        for field, name in written.items():
            getattr(row, field).name = name
        for name in METADATA_FIELDS:
            if name in fields and hasattr(row, name):
                value = fields[name]
                setattr(row, name, "" if value is None and name == "captured_at" else value)
        row.state = EvidenceState.READY
        row.processing_started_at = None
        row.refusal_reason = ""
        row.save()  # a save, not an update: the public pages' version moves (kzcn.freshness)
    fingerprint_evidence(row)  # the duplicate check's hashes, now that the public copy exists
    log.info("evidence %s processed", item.pk)
    return True


def _refuse(item: Evidence, lease: datetime, reason: str) -> str:
    with transaction.atomic():
        row = _held(item, lease)
        if row is None:
            return "skipped"
        row.state = EvidenceState.REFUSED
        row.refusal_reason = reason[: Evidence._meta.get_field("refusal_reason").max_length]
        row.processing_started_at = None
        row.save()
    log.info("evidence %s refused after processing", item.pk)
    return "refused"
