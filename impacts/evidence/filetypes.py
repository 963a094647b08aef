"""Which kinds of file we accept, decided by their first bytes (magic), never by name or browser.

A new kind of evidence (video, voice) adds its `FileType`s and signatures here and a module that
makes its public copy; `pipeline.prepare_evidence` dispatches on `FileType.kind`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileType:
    kind: str  # "photo" | "document"
    pillow_format: str | None
    content_type: str
    extension: str


JPEG = FileType("photo", "JPEG", "image/jpeg", "jpg")
PNG = FileType("photo", "PNG", "image/png", "png")
WEBP = FileType("photo", "WEBP", "image/webp", "webp")
HEIF = FileType("photo", "HEIF", "image/heic", "heic")
PDF = FileType("document", None, "application/pdf", "pdf")

# ISO-BMFF brands of HEVC-coded HEIF (what phones write). AVIF ("avif") is not accepted.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}

_heif_state: dict[str, bool] = {}


def heif_supported() -> bool:
    """True when pillow-heif is installed; its Pillow opener is registered on first use."""
    if "supported" not in _heif_state:
        try:
            import pillow_heif
        except ImportError:
            _heif_state["supported"] = False
        else:
            # Only the primary image: thumbnails, depth maps and auxiliary images are never used.
            pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
            _heif_state["supported"] = True
    return _heif_state["supported"]


def _is_heif(head: bytes) -> bool:
    if head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[:4], "big")
    box = head[8 : min(max(box_size, 16), 256)]
    brands = {box[0:4]} | {box[i : i + 4] for i in range(8, len(box) - 3, 4)}
    return bool(brands & _HEIF_BRANDS)


def sniff_type(head: bytes) -> FileType | None:
    """The accepted type these first bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if _is_heif(head) and heif_supported():
        return HEIF
    return None


def allowed_types_text() -> str:
    photo_types = "JPEG, PNG, WebP, HEIC" if heif_supported() else "JPEG, PNG, WebP"
    return _("Allowed: %(photo_types)s photos and PDF documents.") % {"photo_types": photo_types}
