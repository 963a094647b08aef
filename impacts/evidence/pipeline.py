"""One uploaded file in, one `PreparedEvidence` out (or an `EvidenceRejected`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from . import limits
from .filetypes import PDF, FileType, allowed_types_text, sniff_type
from .names import sanitise_filename
from .pdf import PdfNameScanner, check_pdf, rebuild_public_pdf, removed_from_pdf
from .photo import prepare_photo
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
    public_bytes: bytes  # metadata-free JPEG for photos; a PDF of page pictures for documents
    public_extension: str  # "jpg" | "pdf"
    public_content_type: str  # "image/jpeg" | "application/pdf"
    original: UploadedFile  # the uploaded file, rewound
    thumbnail_bytes: bytes | None = None  # metadata-free JPEG for photos; None for PDFs
    width: int | None = None
    height: int | None = None
    captured_at: str = ""  # EXIF DateTimeOriginal as written by the camera, or ""
    gps_latitude: Decimal | None = None  # for moderators only, never published
    gps_longitude: Decimal | None = None
    removed_metadata: list[str] = field(default_factory=list)  # labels from `removed`, in English

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


def prepare_evidence(uploaded_file: UploadedFile) -> PreparedEvidence:
    """Check one uploaded file and build its public derivative; raise EvidenceRejected if unfit.

    Reads the file once in chunks (hash, size, type, PDF name scan), then decodes it from the same
    file object, so a large upload that Django spooled to disk is never held in memory whole.
    """
    name = sanitise_filename(getattr(uploaded_file, "name", ""))
    if not uploaded_file.size:
        raise limits.empty(name)
    if uploaded_file.size > settings.KZCN_MAX_FILE_BYTES:
        raise limits.too_large(name)

    file_type, size, sha256, pdf_scanner = _read_once(uploaded_file, name)
    fields = {
        "kind": file_type.kind,
        "original_name": name,
        "content_type": file_type.content_type,
        "original_extension": file_type.extension,
        "size": size,
        "sha256": sha256,
    }
    uploaded_file.seek(0)
    if file_type is PDF:
        fields.update(_prepare_document(uploaded_file, name, pdf_scanner))
    else:
        fields.update(prepare_photo(uploaded_file, file_type, name))
    uploaded_file.seek(0)
    return PreparedEvidence(original=uploaded_file, **fields)


def _prepare_document(uploaded_file: UploadedFile, name: str, scanner: PdfNameScanner | None) -> dict[str, Any]:
    reader = check_pdf(uploaded_file, name, scanner)
    removed_metadata = removed_from_pdf(reader)
    uploaded_file.seek(0)
    return {
        "public_bytes": rebuild_public_pdf(uploaded_file.read(), name),
        "public_extension": "pdf",
        "public_content_type": "application/pdf",
        "removed_metadata": removed_metadata,
    }


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
        raise EvidenceRejected(
            _("“%(name)s” is not a photo or PDF we can accept.") % {"name": name} + " " + allowed_types_text(),
            "unsupported_type",
        )
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
