"""Evidence uploads: accept by content, publish nothing that identifies the reporter, seal the original.

A citizen near a plant may be in danger if a photo gives away where they stood or which phone they
own, and an upload may be hostile. So every file goes through `prepare_evidence`:

* the type is decided by the first bytes (magic), never by the name or the browser's content type:
  JPEG, PNG, WebP (and HEIC/HEIF when pillow-heif is installed) photos, PDF documents;
* photos are fully decoded with Pillow restricted to that one format, turned upright, converted to
  RGB, downscaled and re-encoded as a JPEG with no metadata at all: the public copy and its
  thumbnail carry no EXIF/GPS/serial/XMP/ICC/comment, and re-encoding destroys polyglot payloads;
* PDFs must parse, have pages, not be encrypted, and hold no scripts, launch actions, embedded files,
  rich media or XFA forms; they are published as the same bytes, served only as an attachment;
* GPS and capture time are read from the original for moderators only; the original itself is
  returned untouched (rewound) so the caller can seal it.

Every refusal is an `EvidenceRejected` whose `.message` a citizen on a phone can act on.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import ExifTags, Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
SNIFF_BYTES = 256  # enough for every signature we know, HEIF brand lists included
JPEG_QUALITY = 85
MAX_NAME_LENGTH = 100
MAX_PDF_PAGES = 500
# Objects visited when looking for active content; a 500-page report has a few tens of thousands.
MAX_PDF_OBJECTS = 500_000
WHITE = (255, 255, 255)


class EvidenceRejected(Exception):
    """A file we will not accept. `message` is translated, plain, and names the file.

    `code` is a stable machine name ("unsupported_type", "too_large", ...) for forms and tests.
    """

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


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
    public_bytes: bytes  # metadata-free JPEG for photos; the same bytes for PDFs
    public_extension: str  # "jpg" | "pdf"
    public_content_type: str  # "image/jpeg" | "application/pdf"
    original: UploadedFile  # the uploaded file, rewound
    thumbnail_bytes: bytes | None = None  # metadata-free JPEG for photos; None for PDFs
    width: int | None = None
    height: int | None = None
    captured_at: str = ""  # EXIF DateTimeOriginal as written by the camera, or ""
    gps_latitude: Decimal | None = None  # for moderators only, never published
    gps_longitude: Decimal | None = None

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
        }


# --- File names ---------------------------------------------------------------------------------

# Cc control, Cf format (bidi overrides, zero-width, BOM), Cs surrogates, Co private use,
# Cn unassigned, Zl/Zp line and paragraph separators: none belongs in a name we show.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def sanitise_filename(name: str) -> str:
    """A safe display text for an uploaded file's name; never used as a path.

    Keeps only the last path part, drops control and bidi/format characters, collapses spaces,
    drops leading dots, and shortens to about 100 characters keeping the extension.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in _UNSAFE_CATEGORIES
    )
    text = " ".join(text.split()).lstrip(". ").rstrip(". ")
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(extension) - 2].rstrip() + "…." + extension
        else:
            text = text[: MAX_NAME_LENGTH - 1].rstrip() + "…"
    return text or "file"


# --- Types, decided by content ------------------------------------------------------------------


@dataclass(frozen=True)
class _FileType:
    kind: str
    pillow_format: str | None
    content_type: str
    extension: str


JPEG = _FileType("photo", "JPEG", "image/jpeg", "jpg")
PNG = _FileType("photo", "PNG", "image/png", "png")
WEBP = _FileType("photo", "WEBP", "image/webp", "webp")
HEIF = _FileType("photo", "HEIF", "image/heic", "heic")
PDF = _FileType("document", None, "application/pdf", "pdf")

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


def sniff_type(head: bytes) -> _FileType | None:
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


def _allowed_types_text() -> str:
    photo_types = "JPEG, PNG, WebP, HEIC" if heif_supported() else "JPEG, PNG, WebP"
    return _("Allowed: %(photo_types)s photos and PDF documents.") % {"photo_types": photo_types}


# --- Limits -------------------------------------------------------------------------------------


def _empty(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” is empty (0 bytes). Please choose the file again.") % {"name": name}, "empty"
    )


def _too_large(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” is too large. Each file can be at most %(limit)s.")
        % {"name": name, "limit": filesizeformat(settings.KZCN_MAX_FILE_BYTES)},
        "too_large",
    )


def check_limits(files: Iterable[UploadedFile]) -> None:
    """Refuse a set of uploads that is too many, too big in total, or has an empty or oversize file.

    Cheap: uses only the sizes Django counted while receiving. The per-file limit is enforced
    again, on the bytes actually read, by `prepare_evidence`.
    """
    files = list(files)
    limit = settings.KZCN_MAX_FILES_PER_REPORT
    if len(files) > limit:
        message = ngettext(
            "You chose %(count)d files, but a report can have at most %(limit)d file.",
            "You chose %(count)d files, but a report can have at most %(limit)d files.",
            limit,
        ) % {"count": len(files), "limit": limit}
        raise EvidenceRejected(message, "too_many_files")
    for uploaded_file in files:
        name = sanitise_filename(getattr(uploaded_file, "name", ""))
        if not uploaded_file.size:
            raise _empty(name)
        if uploaded_file.size > settings.KZCN_MAX_FILE_BYTES:
            raise _too_large(name)
    total = sum(uploaded_file.size for uploaded_file in files)
    if total > settings.KZCN_MAX_REPORT_BYTES:
        message = _(
            "Your files add up to %(total)s, but a report can have at most %(limit)s. "
            "Please send fewer or smaller files."
        ) % {"total": filesizeformat(total), "limit": filesizeformat(settings.KZCN_MAX_REPORT_BYTES)}
        raise EvidenceRejected(message, "report_too_large")


# --- The pipeline -------------------------------------------------------------------------------


def prepare_evidence(uploaded_file: UploadedFile) -> PreparedEvidence:
    """Check one uploaded file and build its public derivative; raise EvidenceRejected if unfit.

    Reads the file once in chunks (hash, size, type, PDF name scan), then decodes it from the same
    file object, so a large upload that Django spooled to disk is never held in memory whole.
    """
    name = sanitise_filename(getattr(uploaded_file, "name", ""))
    if not uploaded_file.size:
        raise _empty(name)
    if uploaded_file.size > settings.KZCN_MAX_FILE_BYTES:
        raise _too_large(name)

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
        _check_pdf(uploaded_file, name, pdf_scanner)
        uploaded_file.seek(0)
        fields.update(
            public_bytes=uploaded_file.read(),
            public_extension="pdf",
            public_content_type="application/pdf",
        )
    else:
        fields.update(_prepare_photo(uploaded_file, file_type, name))
    uploaded_file.seek(0)
    return PreparedEvidence(original=uploaded_file, **fields)


def _read_once(uploaded_file: UploadedFile, name: str) -> tuple[_FileType, int, str, _PdfNameScanner | None]:
    """One pass over the bytes: sniff the type, hash, count (the declared size may lie), scan PDFs."""
    uploaded_file.seek(0)
    head = b""
    while len(head) < SNIFF_BYTES and (more := uploaded_file.read(SNIFF_BYTES - len(head))):
        head += more
    if not head:
        raise _empty(name)
    file_type = sniff_type(head)
    if file_type is None:
        raise EvidenceRejected(
            _("“%(name)s” is not a photo or PDF we can accept.") % {"name": name}
            + " "
            + _allowed_types_text(),
            "unsupported_type",
        )
    scanner = _PdfNameScanner() if file_type is PDF else None
    digest = hashlib.sha256()
    size = 0
    chunk = head
    while chunk:
        size += len(chunk)
        if size > settings.KZCN_MAX_FILE_BYTES:
            raise _too_large(name)
        digest.update(chunk)
        if scanner is not None:
            scanner.feed(chunk)
        chunk = uploaded_file.read(CHUNK_SIZE)
    if scanner is not None:
        scanner.feed(b"", final=True)
    return file_type, size, digest.hexdigest(), scanner


# --- Photos -------------------------------------------------------------------------------------


def _too_many_pixels(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _(
            "“%(name)s” is a picture of more than %(limit)s megapixels, which we cannot process. "
            "Please send a smaller photo."
        )
        % {"name": name, "limit": settings.KZCN_MAX_IMAGE_PIXELS // 1_000_000},
        "too_many_pixels",
    )


def _unreadable_photo(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _(
            "“%(name)s” looks like a photo but could not be read: it may be damaged or incomplete. "
            "Please send it again."
        )
        % {"name": name},
        "unreadable",
    )


def _prepare_photo(fileobj: UploadedFile, file_type: _FileType, name: str) -> dict[str, Any]:
    # catch_warnings is process-wide state (not thread-safe before Python 3.14); a race only loses
    # the warning-as-error, and our own pixel cap below still applies.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(fileobj, formats=[file_type.pillow_format]) as image:
                return _process_photo(image, name)
        except EvidenceRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_many_pixels(name) from error
        except Exception as error:
            # Hostile bytes can make a decoder raise anything (OSError on truncation, SyntaxError,
            # ValueError, struct.error, zlib.error, MemoryError...): all of it means "not a photo".
            logger.info("Refused undecodable %s upload: %r", file_type.pillow_format, error)
            raise _unreadable_photo(name) from error


def _process_photo(image: Image.Image, name: str) -> dict[str, Any]:
    width, height = image.size  # header only: nothing decoded yet
    if width * height > settings.KZCN_MAX_IMAGE_PIXELS:
        raise _too_many_pixels(name)
    max_side = settings.KZCN_PUBLIC_IMAGE_MAX_SIDE
    _decode_reduced(image, max_side)
    image.load()  # every byte decoded: truncated or garbage data fails here
    captured_at, latitude, longitude = _read_metadata(image)
    decoded_size = image.size
    upright = _upright(image)
    if upright.size != decoded_size:
        width, height = height, width
    public = _to_rgb(upright)
    public.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    thumbnail = public.copy()
    thumbnail.thumbnail(
        (settings.KZCN_THUMBNAIL_SIDE, settings.KZCN_THUMBNAIL_SIDE), Image.Resampling.LANCZOS
    )
    return {
        "width": width,
        "height": height,
        "captured_at": captured_at,
        "gps_latitude": latitude,
        "gps_longitude": longitude,
        "public_bytes": _clean_jpeg(public),
        "public_extension": "jpg",
        "public_content_type": "image/jpeg",
        "thumbnail_bytes": _clean_jpeg(thumbnail),
    }


def _decode_reduced(image: Image.Image, max_side: int) -> None:
    """Let libjpeg decode a big JPEG at 1/2, 1/4 or 1/8 scale, never below the public size.

    Every byte is still decoded (so damage is still detected); a 24 MP photo then takes about a
    quarter of the memory (measured: +47 MB instead of +185 MB) and two thirds of the time.
    """
    width, height = image.size
    longest = max(width, height)
    if image.format in ("JPEG", "MPO") and longest > max_side:
        target = (math.ceil(width * max_side / longest), math.ceil(height * max_side / longest))
        image.draft(None, target)


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation in place (no copy of a big bitmap); a broken tag is ignored."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception as error:  # broken EXIF must not refuse an otherwise good photo
        logger.info("Ignored unusable EXIF orientation: %r", error)
    return image


_SIXTEEN_BIT_GREY = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: 16-bit grey scaled down, transparency laid on white, CMYK/P/L converted."""
    if image.mode in _SIXTEEN_BIT_GREY:
        # convert("L") would clip every value above 255 to white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def _clean_jpeg(image: Image.Image) -> bytes:
    """Encode with no EXIF, ICC, XMP or comment: JPEG save copies `info["comment"]`, so clear info."""
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


# --- Photo metadata, for moderators only ---------------------------------------------------------

_CAPTURE_TIME = re.compile(r"[0-9][0-9: .+\-T/]{7,39}")


def _read_metadata(image: Image.Image) -> tuple[str, Decimal | None, Decimal | None]:
    """Capture time and GPS position from EXIF; anything broken or absent gives "" / None."""
    try:
        exif = image.getexif()
    except Exception as error:
        logger.info("Ignored unreadable EXIF: %r", error)
        return "", None, None
    return _capture_time(exif), *_gps_position(exif)


def _capture_time(exif: Image.Exif) -> str:
    try:
        value = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    except Exception as error:
        logger.info("Ignored unreadable EXIF capture time: %r", error)
        return ""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    text = str(value or "").strip("\x00 \t\r\n")
    if not _CAPTURE_TIME.fullmatch(text) or not any(digit in text for digit in "123456789"):
        return ""
    return text


def _gps_position(exif: Image.Exif) -> tuple[Decimal | None, Decimal | None]:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        latitude = _gps_degrees(
            gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S", 90
        )
        longitude = _gps_degrees(
            gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W", 180
        )
    except Exception as error:
        logger.info("Ignored unreadable EXIF GPS: %r", error)
        return None, None
    if latitude is None or longitude is None:
        return None, None
    return latitude, longitude


def _gps_degrees(value, ref, positive: str, negative: str, limit: int) -> Decimal | None:
    """EXIF degrees/minutes/seconds rationals and an N/S or E/W ref to signed decimal degrees."""
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = str(ref or "").strip("\x00 ").upper()
    if ref not in (positive, negative) or value is None:
        return None
    parts = [float(part) for part in (value if isinstance(value, (tuple, list)) else [value])]
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    degrees = sum(part / 60**index for index, part in enumerate(parts))
    if degrees > limit:
        return None
    if ref == negative:
        degrees = -degrees
    return Decimal(f"{degrees:.6f}")


# --- PDF ----------------------------------------------------------------------------------------

# Names that mean active content. Raw scan (outside stream bodies) and pypdf walk both use them.
_PDF_ACTIVE_NAMES = {
    "JS",
    "JavaScript",
    "Launch",
    "EmbeddedFile",
    "EmbeddedFiles",
    "RichMedia",
    "XFA",
    "GoToE",
}
# In the parsed objects also: /EF (a file specification's embedded file) and rich-media keys.
_PDF_ACTIVE_KEYS = {f"/{name}" for name in _PDF_ACTIVE_NAMES} | {"/EF", "/RichMediaContent"}
_PDF_ACTIVE_VALUES = {f"/{name}" for name in _PDF_ACTIVE_NAMES}

# A name token, or the `stream` keyword that opens a stream body (not the end of `endstream`).
_PDF_TOKEN = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\]()%{}]*)|\bstream(?:\r\n|\r|\n)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_ENDSTREAM = b"endstream"
_LONGEST_ACTIVE_NAME = 3 * max(len(name) for name in _PDF_ACTIVE_NAMES) + 1  # every byte as #xx
_LOOKBEHIND = 16


class _PdfNameScanner:
    """Finds active-content names in a PDF's object syntax, fed chunk by chunk.

    Stream bodies are skipped: compressed or image data is random bytes, in which "/JS" followed by
    a delimiter turns up by chance about once in 270 MB, so one honest 15 MB scan in twenty would be
    refused. Names hidden in compressed object streams are found by the pypdf walk instead.
    Names may be written with #xx escapes (/J#53 is /JS); they are decoded before comparing.
    """

    def __init__(self) -> None:
        self.found: set[str] = set()
        self._carry = b""
        self._start = 0  # where scanning resumes in carry; bytes before it are lookbehind context
        self._in_stream = False

    def feed(self, chunk: bytes, final: bool = False) -> None:
        data = self._carry + chunk
        position = self._scan(data, self._start, final)
        keep_from = max(0, position - _LOOKBEHIND)
        self._carry = data[keep_from:]
        self._start = position - keep_from

    def _scan(self, data: bytes, position: int, final: bool) -> int:
        end = len(data)
        while position < end:
            if self._in_stream:
                stop = data.find(_ENDSTREAM, position)
                if stop < 0:
                    return max(position, end - len(_ENDSTREAM) + 1)
                position = stop + len(_ENDSTREAM)
                self._in_stream = False
                continue
            match = _PDF_TOKEN.search(data, position)
            if match is None:
                return max(position, end - len(b"stream\r\n"))
            if match.end() == end and not final and match.end() - match.start() <= _LONGEST_ACTIVE_NAME:
                return match.start()  # may go on in the next chunk
            if match.group(1) is None:
                self._in_stream = True
            else:
                name = _PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), match.group(1))
                if name.decode("latin-1") in _PDF_ACTIVE_NAMES:
                    self.found.add(name.decode("latin-1"))
            position = match.end()
        return position


def _unreadable_pdf(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” looks like a PDF but could not be read: it may be damaged. Please send it again.")
        % {"name": name},
        "unreadable",
    )


def _active_pdf(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _(
            "“%(name)s” contains scripts or embedded files. PDFs with scripts or embedded files are not "
            "accepted; please save it again as a plain PDF (for example with “Print to PDF”) or send "
            "photos of the pages."
        )
        % {"name": name},
        "pdf_active_content",
    )


def _check_pdf(fileobj: UploadedFile, name: str, scanner: _PdfNameScanner | None) -> None:
    if scanner is not None and scanner.found:
        raise _active_pdf(name)
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted:
            raise EvidenceRejected(
                _(
                    "“%(name)s” is protected with a password or encryption. Please send a copy "
                    "without protection."
                )
                % {"name": name},
                "pdf_encrypted",
            )
        pages = len(reader.pages)
        if pages < 1:
            raise EvidenceRejected(
                _("“%(name)s” has no pages. Please check the file and send it again.") % {"name": name},
                "pdf_no_pages",
            )
        if pages > MAX_PDF_PAGES:
            raise EvidenceRejected(
                _(
                    "“%(name)s” has %(pages)d pages; the limit is %(limit)d. "
                    "Please send only the pages that matter."
                )
                % {"name": name, "pages": pages, "limit": MAX_PDF_PAGES},
                "pdf_too_many_pages",
            )
        if _has_active_content(reader):
            raise _active_pdf(name)
    except EvidenceRejected:
        raise
    except Exception as error:
        # pypdf on hostile input: PdfReadError, LimitReachedError (its decompression caps),
        # RecursionError on deep trees, ValueError, KeyError, zlib.error, MemoryError...
        logger.info("Refused unreadable PDF upload: %r", error)
        raise _unreadable_pdf(name) from error


def _has_active_content(reader: PdfReader) -> bool:
    """Walk every object pypdf knows (trailer, cross-reference table, object streams) once."""
    pending: list[Any] = [reader.trailer]
    for generation, entries in reader.xref.items():
        pending.extend(IndirectObject(number, generation, reader) for number in entries)
    pending.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    visited = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise ValueError("too many PDF objects")
        if isinstance(item, DictionaryObject):  # stream objects too; their data is not decoded
            if any(key in _PDF_ACTIVE_KEYS for key in item):
                return True
            pending.extend(value for value in item.values() if _worth_visiting(value))
        elif isinstance(item, ArrayObject):
            pending.extend(value for value in item if _worth_visiting(value))
        elif isinstance(item, NameObject) and item in _PDF_ACTIVE_VALUES:
            return True
    return False


def _worth_visiting(value: Any) -> bool:
    return isinstance(value, (IndirectObject, DictionaryObject, ArrayObject, NameObject))
