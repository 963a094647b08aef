"""One uploaded file in, one `PreparedEvidence` out (or an `EvidenceRejected`).

Two halves, so that a report form answers in well under a second while decoding runs elsewhere:

* `accept_evidence` is what a request does: one streamed pass over the bytes (sniff the type by
  content, hash, count, scan a PDF's names) and, for photos, a look at the header (pixels and decode
  memory). Nothing is decoded. The report is saved with the file "processing" (see
  `impacts.evidence.processing`, run by the task worker).
* `make_public_copy` is what the worker does with the sealed original: decode, re-encode, thumbnail,
  read the metadata for moderators. It dispatches on the kind of file (`PREPARERS`).

`prepare_evidence` does both at once, for the callers that still want the public copy in hand (a
suggested document on a project page, the rebuild command, the memory bench, unit tests).
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from . import limits
from .filetypes import PDF, FileType, allowed_types_text, sniff_type
from .names import sanitise_filename
from .pdf import PdfNameScanner, _active_pdf, check_pdf, rebuild_public_pdf, removed_from_pdf
from .photo import _unreadable_photo, decode_reduced, prepare_photo
from .refusals import EvidenceRejected

CHUNK_SIZE = 64 * 1024
SNIFF_BYTES = 256  # enough for every signature we know, HEIF brand lists included


@dataclass
class PreparedEvidence:
    """Everything needed to store one accepted file (see `evidence_fields` for the Evidence model).

    `original` is the uploaded file object itself, rewound to the start: save it to the sealed
    storage as it is (`Evidence.sealed_file.save(f"x.{original_extension}", prepared.original)`).
    For a TemporaryUploadedFile it is still on disk; nothing has been loaded into memory twice.
    `width`/`height` are the original photo's as seen upright (EXIF orientation applied).
    """

    kind: str  # "photo" | "document"
    original_name: str  # sanitised, for display only
    content_type: str  # sniffed from the bytes
    original_extension: str  # from the sniffed type: "jpg", "png", "webp", "heic", "pdf"
    size: int
    sha256: str  # hex digest of the original bytes
    original: UploadedFile  # the uploaded file, rewound
    # The public copy, None when only accepted (`accept_evidence`): the worker makes it later.
    public_bytes: bytes | None = None  # metadata-free JPEG for photos; a PDF of page pictures for documents
    public_extension: str = ""  # "jpg" | "pdf" | what video/audio make
    public_content_type: str = ""  # "image/jpeg" | "application/pdf" | ...
    thumbnail_bytes: bytes | None = None  # metadata-free JPEG for photos; None for PDFs
    width: int | None = None
    height: int | None = None
    captured_at: str = ""  # EXIF DateTimeOriginal as written by the camera, or ""
    gps_latitude: Decimal | None = None  # for moderators only, never published
    gps_longitude: Decimal | None = None
    removed_metadata: list[str] = field(default_factory=list)  # labels from `removed`, in English
    duration_seconds: float | None = None  # video and voice only
    poster_bytes: bytes | None = None  # a video's poster frame (metadata-free JPEG), stored as Evidence.poster

    @property
    def is_processed(self) -> bool:
        return self.public_bytes is not None

    def evidence_fields(self) -> dict[str, Any]:
        """Keyword arguments for `impacts.models.Evidence` (files are saved by the caller)."""
        return {
            "kind": self.kind,
            "original_name": self.original_name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "captured_at": self.captured_at,
            "gps_latitude": self.gps_latitude,
            "gps_longitude": self.gps_longitude,
            "removed_metadata": self.removed_metadata,
        }


def accept_evidence(uploaded_file: UploadedFile) -> PreparedEvidence:
    """The request's checks only: type by content, size on the bytes, a photo's header; no decoding.

    Raises EvidenceRejected for what is cheap to know (wrong type, empty, too large, a picture with
    too many pixels or too costly to decode, a photo whose header cannot be read). What only decoding
    can find (a truncated photo, a PDF with scripts or too many pages) is found by the worker and
    shown as a refused file. Reads the file once in chunks, so nothing is held in memory whole.
    """
    name, file_type, size, sha256, scanner = _read_checked(uploaded_file)
    if scanner is not None and scanner.found:  # scripts or launch actions in plain sight: found for free
        raise _active_pdf(name)
    if file_type.kind == "photo":
        uploaded_file.seek(0)
        check_photo_header(uploaded_file, file_type, name)
    uploaded_file.seek(0)
    return PreparedEvidence(
        kind=file_type.kind,
        original_name=name,
        content_type=file_type.content_type,
        original_extension=file_type.extension,
        size=size,
        sha256=sha256,
        original=uploaded_file,
    )


PHOTOS_AND_DOCUMENTS = frozenset({"photo", "document"})


def prepare_evidence(uploaded_file: UploadedFile, kinds: frozenset[str] = PHOTOS_AND_DOCUMENTS) -> PreparedEvidence:
    """Check one uploaded file and build its public derivative now; raise EvidenceRejected if unfit.

    Reads the file once in chunks (hash, size, type, PDF name scan), then decodes it from the same
    file object, so a large upload that Django spooled to disk is never held in memory whole.
    Only `kinds` are accepted: by default photos and PDFs, whose work in a request is bounded in
    seconds; video and voice take minutes and are made only by the task worker.
    """
    name, file_type, size, sha256, pdf_scanner = _read_checked(uploaded_file)
    if file_type.kind not in kinds:
        raise _unsupported(name, allowed_types_text(kinds))
    fields = {
        "kind": file_type.kind,
        "original_name": name,
        "content_type": file_type.content_type,
        "original_extension": file_type.extension,
        "size": size,
        "sha256": sha256,
    }
    uploaded_file.seek(0)
    fields.update(make_public_copy(uploaded_file, file_type, name, pdf_scanner))
    uploaded_file.seek(0)
    return PreparedEvidence(original=uploaded_file, **fields)


def check_photo_header(fileobj, file_type: FileType, name: str) -> None:
    """Refuse, from the header alone, a photo too big to decode (what `prepare_photo` would refuse first).

    Pillow's `open` reads only the header; the pixels and the memory their decoding would take are
    judged as `photo.prepare_photo` judges them, so the worker never gets a picture it must refuse
    for its size.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(fileobj, formats=[file_type.pillow_format]) as image:
            if image.size[0] * image.size[1] > settings.KZCN_MAX_IMAGE_PIXELS:
                raise limits.too_many_pixels(name)
            decode_reduced(image, settings.KZCN_PUBLIC_IMAGE_MAX_SIDE)
            limits.check_decode_budget(image.size, image.mode, image.format, name)
    except EvidenceRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise limits.too_many_pixels(name) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise _unreadable_photo(name) from error


def _unsupported(name: str, allowed: str | None = None) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” is not a kind of file we can accept.") % {"name": name} + " " + (allowed or allowed_types_text()),
        "unsupported_type",
    )


# --- The public copy, by kind of file --------------------------------------------------------------

# What makes the public copy of each kind: (fileobj, file type, display name, PDF scanner) -> fields.
Preparer = Callable[[Any, FileType, str, "PdfNameScanner | None"], dict[str, Any]]


def make_public_copy(fileobj, file_type: FileType, name: str, scanner: PdfNameScanner | None = None) -> dict[str, Any]:
    """PreparedEvidence fields of the public copy (and the moderators' metadata) of one original.

    `fileobj` is positioned at the start. Raises EvidenceRejected when the file cannot be made safe.
    """
    preparer = PREPARERS.get(file_type.kind)
    if preparer is None:  # a kind sniffed by filetypes but whose module is not installed
        raise _unsupported(name)
    return preparer(fileobj, file_type, name, scanner)


def _prepare_photo(fileobj, file_type: FileType, name: str, _scanner) -> dict[str, Any]:
    return prepare_photo(fileobj, file_type, name)


def _prepare_document(fileobj, _file_type: FileType, name: str, scanner: PdfNameScanner | None) -> dict[str, Any]:
    if scanner is None:  # the worker reads the sealed original afresh: scan its names again
        scanner = _scan_pdf_names(fileobj)
    reader = check_pdf(fileobj, name, scanner)
    removed_metadata = removed_from_pdf(reader)
    fileobj.seek(0)
    return {
        "public_bytes": rebuild_public_pdf(fileobj.read(), name),
        "public_extension": "pdf",
        "public_content_type": "application/pdf",
        "removed_metadata": removed_metadata,
    }


def _scan_pdf_names(fileobj) -> PdfNameScanner:
    scanner = PdfNameScanner()
    fileobj.seek(0)
    while chunk := fileobj.read(CHUNK_SIZE):
        scanner.feed(chunk)
    scanner.feed(b"", final=True)
    fileobj.seek(0)
    return scanner


def _media_preparer(module_name: str, function_name: str) -> Preparer:
    """Video and voice (helper modules `video` and `audio`), imported on first use.

    Their preparers take a path (PyAV opens files) and return a `media.MediaResult`; the file is
    copied to a temporary file in chunks, since the sealed original may live in object storage.
    """

    def prepare(fileobj, _file_type: FileType, name: str, _scanner) -> dict[str, Any]:
        module = importlib.import_module(f"{__package__}.{module_name}")
        with tempfile.NamedTemporaryFile(prefix="kzcn-evidence-") as copy:
            fileobj.seek(0)
            shutil.copyfileobj(fileobj, copy, CHUNK_SIZE)
            copy.flush()
            result = getattr(module, function_name)(copy.name, name)
        return media_fields(result)

    return prepare


def media_fields(result) -> dict[str, Any]:
    """PreparedEvidence fields from a `media.MediaResult`."""
    return {
        "kind": result.kind,  # a "video" holding sound only is stored as a voice message
        "width": result.width,
        "height": result.height,
        "public_bytes": result.public_bytes,
        "public_extension": result.public_extension,
        "public_content_type": result.public_content_type,
        "poster_bytes": result.poster_bytes,
        "duration_seconds": result.duration_seconds,
        "removed_metadata": list(result.removed_metadata),
        "captured_at": result.captured_at or "",
        "gps_latitude": result.gps_latitude,
        "gps_longitude": result.gps_longitude,
    }


PREPARERS: dict[str, Preparer] = {
    "photo": _prepare_photo,
    "document": _prepare_document,
    "video": _media_preparer("video", "prepare_video"),
    "audio": _media_preparer("audio", "prepare_audio"),
}


def _read_checked(uploaded_file: UploadedFile) -> tuple[str, FileType, int, str, PdfNameScanner | None]:
    """The display name, then the declared size and one pass over the bytes (`_read_once`)."""
    name = sanitise_filename(getattr(uploaded_file, "name", ""))
    if not uploaded_file.size:
        raise limits.empty(name)
    if uploaded_file.size > settings.KZCN_MAX_FILE_BYTES:
        raise limits.too_large(name)
    return (name, *_read_once(uploaded_file, name))


def _read_once(uploaded_file: UploadedFile, name: str) -> tuple[FileType, int, str, PdfNameScanner | None]:
    """One pass over the bytes: sniff the type, hash, count (the declared size may lie), scan PDFs."""
    uploaded_file.seek(0)
    head = b""
    while len(head) < SNIFF_BYTES and (more := uploaded_file.read(SNIFF_BYTES - len(head))):
        head += more
    if not head:
        raise limits.empty(name)
    file_type = sniff_type(head)
    if file_type is None:
        raise _unsupported(name)
    scanner = PdfNameScanner() if file_type is PDF else None
    digest = hashlib.sha256()
    size = 0
    chunk = head
    while chunk:
        size += len(chunk)
        if size > settings.KZCN_MAX_FILE_BYTES:
            raise limits.too_large(name)
        digest.update(chunk)
        if scanner is not None:
            scanner.feed(chunk)
        chunk = uploaded_file.read(CHUNK_SIZE)
    if scanner is not None:
        scanner.feed(b"", final=True)
    return file_type, size, digest.hexdigest(), scanner
