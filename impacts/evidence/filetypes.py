"""Which kinds of file we accept, decided by their first bytes (magic), never by name or browser.

A new kind of evidence adds its `FileType`s and signatures here and a module that makes its public
copy; `pipeline.prepare_evidence` dispatches on `FileType.kind`. Videos and voice messages also
name the one FFmpeg demuxer allowed to read them (`demuxer`), so FFmpeg never guesses a format
(some of its formats, such as playlists, open other files).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileType:
    kind: str  # "photo" | "document" | "video" | "audio"
    pillow_format: str | None
    content_type: str
    extension: str
    demuxer: str | None = None  # FFmpeg's name for the container, videos and voice only


JPEG = FileType("photo", "JPEG", "image/jpeg", "jpg")
PNG = FileType("photo", "PNG", "image/png", "png")
WEBP = FileType("photo", "WEBP", "image/webp", "webp")
HEIF = FileType("photo", "HEIF", "image/heic", "heic")
PDF = FileType("document", None, "application/pdf", "pdf")
MP4 = FileType("video", None, "video/mp4", "mp4", "mov")
MOV = FileType("video", None, "video/quicktime", "mov", "mov")
THREE_GP = FileType("video", None, "video/3gpp", "3gp", "mov")
WEBM = FileType("video", None, "video/webm", "webm", "matroska")
MATROSKA = FileType("video", None, "video/x-matroska", "mkv", "matroska")
OGG = FileType("audio", None, "audio/ogg", "ogg", "ogg")
M4A = FileType("audio", None, "audio/mp4", "m4a", "mov")
MP3 = FileType("audio", None, "audio/mpeg", "mp3", "mp3")
WAV = FileType("audio", None, "audio/wav", "wav", "wav")

# ISO-BMFF brands of HEVC-coded HEIF (what phones write). AVIF ("avif") is not accepted.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}

# Brands that mean a still image (HEIF, AVIF), never a video, whatever else the box lists.
_IMAGE_BRANDS = _HEIF_BRANDS | {b"mif1", b"msf1", b"miaf", b"avif", b"avis", b"avci", b"heif"}
_SOUND_BRANDS = {b"M4A ", b"M4B "}
_THREE_GP_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gs7", b"3ge6", b"3ge7", b"3gg6", b"3g2a", b"3g2b", b"3g2c"}
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"mmp4",
    b"MSNV",
    b"dash",
    b"f4v ",
    b"hvc1",
    b"XAVC",
    b"NDAS",
}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
# MPEG audio frame header: 11 sync bits, then version (not "reserved") and layer (not "reserved").
_MP3_VERSIONS = {0b00, 0b10, 0b11}
_MP3_LAYERS = {0b01, 0b10, 0b11}

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


def _brands(head: bytes) -> tuple[bytes, set[bytes]]:
    """The major brand and every brand of an ISO-BMFF `ftyp` box (empty when there is none)."""
    if head[4:8] != b"ftyp":
        return b"", set()
    box_size = int.from_bytes(head[:4], "big")
    box = head[8 : min(max(box_size, 16), 256)]
    return box[0:4], {box[0:4]} | {box[i : i + 4] for i in range(8, len(box) - 3, 4)}


def _is_heif(head: bytes) -> bool:
    return bool(_brands(head)[1] & _HEIF_BRANDS)


def _iso_media_type(head: bytes) -> FileType | None:
    """MP4, MOV, 3GP or M4A by the `ftyp` box; still images (HEIF, AVIF) are not media."""
    major, brands = _brands(head)
    if not brands or brands & _IMAGE_BRANDS:
        return None
    if major in _SOUND_BRANDS:
        return M4A
    if major == b"qt  ":
        return MOV
    if major in _THREE_GP_BRANDS:
        return THREE_GP
    if brands & (_MP4_BRANDS | _THREE_GP_BRANDS | _SOUND_BRANDS | {b"qt  "}):
        return MP4
    return None


def _is_quicktime_without_ftyp(head: bytes) -> bool:
    """Old QuickTime files start with a `moov`, `mdat`, `wide` or `free` atom and no `ftyp`."""
    size = int.from_bytes(head[:4], "big")
    return head[4:8] in (b"moov", b"mdat", b"wide", b"free") and (size == 1 or size >= 8)


def _matroska_type(head: bytes) -> FileType | None:
    """WebM or Matroska by the DocType in the EBML header that opens the file."""
    if not head.startswith(_EBML_MAGIC):
        return None
    if b"\x42\x82\x84webm" in head[:64]:
        return WEBM
    if b"\x42\x82\x88matroska" in head[:64]:
        return MATROSKA
    return None


def _is_mp3(head: bytes) -> bool:
    """An ID3v2 tag, or an MPEG audio frame header right at the start."""
    if head.startswith(b"ID3") and len(head) >= 10 and head[3] in (2, 3, 4):
        return True
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version in _MP3_VERSIONS and layer in _MP3_LAYERS and bitrate != 0b1111 and sample_rate != 0b11


def _media_type(head: bytes) -> FileType | None:
    if head.startswith(b"OggS"):
        return OGG
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if _is_mp3(head):
        return MP3
    return _matroska_type(head) or _iso_media_type(head) or (MOV if _is_quicktime_without_ftyp(head) else None)


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
    if _is_heif(head):
        return HEIF if heif_supported() else None
    return _media_type(head)


def allowed_types_text(kinds=None) -> str:
    """What the person may send, in words: every kind, or only `kinds` (e.g. photos and documents)."""
    photo_types = "JPEG, PNG, WebP, HEIC" if heif_supported() else "JPEG, PNG, WebP"
    if kinds is not None and not kinds & {"video", "audio"}:
        return _("Allowed: %(photo_types)s photos and PDF documents.") % {"photo_types": photo_types}
    return _(
        "Allowed: %(photo_types)s photos, PDF documents, MP4, MOV, 3GP or WebM videos, and OGG, M4A, "
        "MP3 or WAV voice messages."
    ) % {"photo_types": photo_types}
