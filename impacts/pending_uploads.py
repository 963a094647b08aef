"""Files accepted on a report form that failed for another reason, kept for the person's next try.

A resident on a slow phone connection should not have to pick and upload their photos again because
the date was missing. Accepted files are written, as uploaded, to the sealed storage (never public)
under a random name in `pending/`, whose name starts with its expiry time. The form carries a signed
reference to each: storage name, sha256, original name, size, expiry and the form it belongs to. On
the next try a reference is honoured only if we signed it, it has not expired, it belongs to the same
form (whose token is single use) and the file still has the signed hash; the file then goes through
the request's evidence checks again like a new upload (`evidence.accept_evidence`: type, size, a
photo's header; the decoding happens later, in the task worker, once the report is saved).
Once the report is saved the pending files are deleted, so a reference works once.
`manage.py purge_pending_uploads` (run hourly) deletes the expired ones that nobody came back for.
"""

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import storages

from .evidence import PreparedEvidence, sanitise_filename

FOLDER = "pending"
_SALT = "impacts.pending-upload"


@dataclass(frozen=True)
class KeptFile:
    """One file kept for the next try, as the form shows it and sends it back."""

    reference: str  # signed; the only thing the browser holds
    storage_name: str
    name: str
    size: int
    sha256: str
    expires: int


def _storage():
    return storages["sealed"]


def _lifetime() -> int:
    return settings.KZCN_PENDING_UPLOAD_MINUTES * 60


def keep(prepared: PreparedEvidence, form_key: str) -> KeptFile:
    """Write an accepted upload to the pending area and return its signed reference."""
    expires = int(time.time()) + _lifetime()
    prepared.original.seek(0)
    name = _storage().save(
        f"{FOLDER}/{expires}-{secrets.token_hex(16)}.{prepared.original_extension}", File(prepared.original)
    )
    payload = {
        "p": name,
        "h": prepared.sha256,
        "n": prepared.original_name,
        "s": prepared.size,
        "e": expires,
        "f": form_key,
    }
    return KeptFile(
        signing.dumps(payload, salt=_SALT), name, prepared.original_name, prepared.size, prepared.sha256, expires
    )


def read(reference: str, form_key: str) -> KeptFile | None:
    """The kept file a reference names, if we signed it for this form; None for anything else."""
    try:
        payload = signing.loads(reference, salt=_SALT)
        kept = KeptFile(
            reference,
            str(payload["p"]),
            sanitise_filename(str(payload["n"])),
            int(payload["s"]),
            str(payload["h"]),
            int(payload["e"]),
        )
        belongs = payload["f"] == form_key
    except (signing.BadSignature, TypeError, ValueError, KeyError):
        return None
    if not belongs or not kept.storage_name.startswith(f"{FOLDER}/") or ".." in kept.storage_name:
        return None
    return kept


def open_kept(kept: KeptFile) -> File | None:
    """The kept file, opened for the evidence pipeline under its original name; None if gone or expired.

    The caller checks the pipeline's sha256 against `kept.sha256` (the bytes may not be trusted
    more than a new upload, but a swapped file must not slip in under a signed name).
    """
    if kept.expires < time.time():
        return None
    try:
        stored = _storage().open(kept.storage_name, "rb")
    except (FileNotFoundError, OSError):
        return None
    return File(stored, name=kept.name)


def discard(kept_files) -> None:
    """Delete kept files (used by a saved report, or removed by the person)."""
    for kept in kept_files:
        _storage().delete(kept.storage_name)


def purge_expired(now: float | None = None) -> int:
    """Delete pending files whose expiry (the start of their name) has passed; return how many."""
    now = time.time() if now is None else now
    storage = _storage()
    try:
        _folders, names = storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        expiry = name.split("-", 1)[0]
        if not (expiry.isascii() and expiry.isdigit()) or int(expiry) < now:
            storage.delete(f"{FOLDER}/{name}")
            removed += 1
    return removed
