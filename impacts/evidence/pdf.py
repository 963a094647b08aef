"""PDF documents: refuse active content, list what the original carries, publish only its pictures.

The original must parse, have pages, not be encrypted, and hold no scripts, launch actions, embedded
files, rich media or XFA forms (refused: a reporter who sends those is asked for a plain copy).
What the original carries besides its pages (author, XMP, producer, the EXIF of photos inside it,
actions, links) is listed for the moderator; the public copy is rebuilt from pictures of the pages
by `pdf_pages` in a child process with its own memory, CPU and time limits, so none of it survives.
The original is sealed as it came.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from . import limits, pdf_pages, removed, sandbox
from .photo_metadata import removed_from_photo
from .refusals import EvidenceRejected

logger = logging.getLogger(__name__)

# Objects visited when looking for active content; a 500-page report has a few tens of thousands.
MAX_PDF_OBJECTS = 500_000
# Photos inside a PDF whose EXIF is read for the moderator's list (header only, no decoding).
MAX_EMBEDDED_PHOTOS_READ = 200
JPEG_QUALITY = 80
# Memory the child may use besides the page bitmap: PDFium's caches, fonts, decoded images.
CHILD_OVERHEAD_BYTES = 64 * 1024 * 1024

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


class PdfNameScanner:
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


# --- Refusals ------------------------------------------------------------------------------------


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


def _too_many_pages(name: str, pages: int) -> EvidenceRejected:
    limit = settings.KZCN_MAX_PDF_PAGES
    return EvidenceRejected(
        _("“%(name)s” has %(pages)d pages; the limit is %(limit)d. Please send only the pages that matter.")
        % {"name": name, "pages": pages, "limit": limit},
        "pdf_too_many_pages",
    )


def _too_costly_pdf(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _(
            "“%(name)s” takes too long or too much memory to prepare for publication. Please send only "
            "the pages that matter, or photos of the pages."
        )
        % {"name": name},
        "pdf_too_costly",
    )


def _picture_too_large(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _(
            "“%(name)s” contains a picture too large for us to process. Please send only the pages that "
            "matter, or photos of the pages."
        )
        % {"name": name},
        "pdf_picture_too_large",
    )


def _impossible_page(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” has a page of impossible size. Please save it again as a plain PDF.") % {"name": name},
        "pdf_page_size",
    )


# --- Checking the original -----------------------------------------------------------------------


def check_pdf(fileobj, name: str, scanner: PdfNameScanner | None) -> PdfReader:
    """The parsed original, if it is a PDF we accept; raise EvidenceRejected otherwise."""
    if scanner is not None and scanner.found:
        raise _active_pdf(name)
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted:
            raise EvidenceRejected(
                _("“%(name)s” is protected with a password or encryption. Please send a copy without protection.")
                % {"name": name},
                "pdf_encrypted",
            )
        pages = len(reader.pages)
        if pages < 1:
            raise EvidenceRejected(
                _("“%(name)s” has no pages. Please check the file and send it again.") % {"name": name},
                "pdf_no_pages",
            )
        if pages > settings.KZCN_MAX_PDF_PAGES:
            raise _too_many_pages(name, pages)
        if has_active_content(reader):
            raise _active_pdf(name)
        _check_drawing_costs(reader, name)
    except EvidenceRejected:
        raise
    except Exception as error:
        # pypdf on hostile input: PdfReadError, LimitReachedError (its decompression caps),
        # RecursionError on deep trees, ValueError, KeyError, zlib.error, MemoryError...
        logger.info("Refused unreadable PDF upload: %r", error)
        raise _unreadable_pdf(name) from error
    return reader


def _objects(reader: PdfReader) -> Iterator[Any]:
    """Every dictionary, array and name pypdf knows (trailer, cross-reference table, object
    streams), each indirect object once; stream data is not decoded."""
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
        if isinstance(item, DictionaryObject):  # stream objects too
            pending.extend(value for value in item.values() if _worth_visiting(value))
        elif isinstance(item, ArrayObject):
            pending.extend(value for value in item if _worth_visiting(value))
        yield item


def _worth_visiting(value: Any) -> bool:
    return isinstance(value, (IndirectObject, DictionaryObject, ArrayObject, NameObject))


def has_active_content(reader: PdfReader) -> bool:
    """True if any object is a script, launch action, embedded file, rich media or XFA form."""
    for item in _objects(reader):
        if isinstance(item, DictionaryObject) and any(key in _PDF_ACTIVE_KEYS for key in item):
            return True
        if isinstance(item, NameObject) and item in _PDF_ACTIVE_VALUES:
            return True
    return False


def _check_drawing_costs(reader: PdfReader, name: str) -> None:
    """Refuse, from the objects' dictionaries alone, what would be costly for PDFium to draw:
    pages of impossible size and images whose pixels exceed the photo limits."""
    for page in reader.pages:
        box = page.mediabox
        unit = float(page.get("/UserUnit", 1) or 1)
        width, height = abs(float(box.width)) * unit, abs(float(box.height)) * unit
        if not (1 <= width <= pdf_pages.MAX_PAGE_SIDE_POINTS and 1 <= height <= pdf_pages.MAX_PAGE_SIDE_POINTS):
            raise _impossible_page(name)
    for item in _objects(reader):
        if isinstance(item, StreamObject) and item.get("/Subtype") == "/Image":
            size = (int(item.get("/Width", 0)), int(item.get("/Height", 0)))
            # PDFium decodes an image whole, 32 bits a pixel, before scaling it onto the page.
            try:
                limits.check_decode_budget(size, "RGBX", None, name)
            except EvidenceRejected as refusal:
                raise _picture_too_large(name) from refusal


# --- What the original carries -------------------------------------------------------------------

_INFO_LABELS = {
    "/Author": removed.AUTHOR,
    "/Title": removed.TITLE,
    "/Subject": removed.SUBJECT_AND_KEYWORDS,
    "/Keywords": removed.SUBJECT_AND_KEYWORDS,
    "/Producer": removed.PRODUCER,
    "/Creator": removed.PRODUCER,
    "/CreationDate": removed.DATES,
    "/ModDate": removed.DATES,
    "/Trapped": None,
}
_FORM_ACTIONS = {"/SubmitForm", "/ImportData", "/ResetForm"}
_REMOTE_ACTIONS = {"/GoToR", "/GoToE", "/Launch", "/URI", "/Thread", "/Sound", "/Movie"}
# A path a reader would fetch over the network: \\host\share (Windows sends its credentials),
# //host/share, smb:, file: and the like.
_NETWORK_PATH = re.compile(r"^\s*(\\\\|//|(smb|file|cifs|nfs|ftp|afp|webdav)s?:)", re.IGNORECASE)


def removed_from_pdf(reader: PdfReader) -> list[str]:
    """Labels of everything the original carries that is not a page's picture.

    Only informs the moderator: the public copy is made from pixels whatever this finds, so a
    structure it cannot read ends the list early instead of refusing the file.
    """
    found: set[str] = set()
    try:
        _find_removed(reader, found)
    except Exception as error:
        logger.info("Stopped listing a PDF's metadata: %r", error)
    return removed.in_order(found)


def _find_removed(reader: PdfReader, found: set[str]) -> None:
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else None
    if isinstance(info, DictionaryObject):
        for key, value in info.items():
            if value not in (None, "", b""):
                label = _INFO_LABELS.get(key, removed.COMMENTS)
                if label:
                    found.add(label)
    root = reader.trailer["/Root"].get_object()
    open_action = root.get("/OpenAction")
    if open_action is not None and isinstance(open_action.get_object(), DictionaryObject):
        found.add(removed.OPEN_ACTION)  # an action, not just "open at page 1" (an array)
    if "/AcroForm" in root:
        found.add(removed.ANNOTATIONS)
    photos_read = 0
    for item in _objects(reader):
        if not isinstance(item, DictionaryObject):
            continue
        found |= _labels_of_object(item)
        if photos_read < MAX_EMBEDDED_PHOTOS_READ and _is_jpeg_image(item):
            photos_read += 1
            found |= _embedded_photo_labels(item)


def _labels_of_object(item: DictionaryObject) -> set[str]:
    found = set()
    if item.get("/Type") == "/Metadata" or "/Metadata" in item:
        found.add(removed.XMP)
    if "/AA" in item:
        found.add(removed.OPEN_ACTION)
    if "/JS" in item or item.get("/S") == "/JavaScript":
        found.add(removed.JAVASCRIPT)
    if "/EmbeddedFiles" in item or "/EF" in item:
        found.add(removed.EMBEDDED_FILES)
    action = item.get("/S")
    if action in _FORM_ACTIONS:
        found.add(removed.FORM_SUBMISSION)
    if action in _REMOTE_ACTIONS:
        found.add(removed.NETWORK_SHARE if _names_network_path(item) else removed.WEB_LINKS)
    if item.get("/Type") == "/Annot" and item.get("/Subtype") not in ("/Link", "/Widget"):
        found.add(removed.ANNOTATIONS)
        if item.get("/T"):
            found.add(removed.AUTHOR)  # a comment's /T is the name of the person who wrote it
    return found


def _names_network_path(action: DictionaryObject) -> bool:
    """True if an action's target (/F, a file specification, /URI) is a network path."""
    targets = [action.get("/URI"), action.get("/F"), action.get("/Win")]
    strings = []
    for target in targets:
        target = target.get_object() if target is not None else None
        if isinstance(target, DictionaryObject):
            strings.extend(target.get(key) for key in ("/F", "/UF", "/DOS", "/Unix", "/Mac"))
        else:
            strings.append(target)
    return any(_NETWORK_PATH.match(_text(value)) for value in strings if value is not None)


def _text(value: Any) -> str:
    value = value.get_object() if hasattr(value, "get_object") else value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _is_jpeg_image(item: DictionaryObject) -> bool:
    if not isinstance(item, StreamObject) or item.get("/Subtype") != "/Image":
        return False
    filters = item.get("/Filter")
    filters = list(filters) if isinstance(filters, ArrayObject) else [filters]
    return filters == ["/DCTDecode"]


def _embedded_photo_labels(stream: StreamObject) -> set[str]:
    """The EXIF/XMP of a JPEG drawn on a page, read from its header (its pixels are not decoded)."""
    try:
        with Image.open(io.BytesIO(stream.get_data()), formats=["JPEG"]) as image:
            return set(removed_from_photo(image))
    except Exception as error:
        logger.info("Ignored an unreadable photo inside a PDF: %r", error)
        return set()


# --- The public copy -----------------------------------------------------------------------------


def rebuild_public_pdf(original: bytes, name: str) -> bytes:
    """The public copy: a new PDF made of pictures of the original's pages (see `pdf_pages`)."""
    seconds = settings.KZCN_PDF_RENDER_SECONDS
    parameters = {
        "dpi": settings.KZCN_PDF_RENDER_DPI,
        "max_page_pixels": settings.KZCN_MAX_PDF_PAGE_PIXELS,
        "max_pages": settings.KZCN_MAX_PDF_PAGES,
        "quality": JPEG_QUALITY,
        "max_output_bytes": 4 * settings.KZCN_MAX_FILE_BYTES,
        "seconds": seconds,
        "memory_bytes": settings.KZCN_MAX_DECODE_BYTES + CHILD_OVERHEAD_BYTES,
    }
    try:
        child = sandbox.run(pdf_pages.__file__, parameters, seconds=seconds, stdin=original)
    except subprocess.TimeoutExpired as error:
        raise _too_costly_pdf(name) from error
    except OSError as error:  # no process could be started (out of memory or process slots)
        logger.warning("Could not start the PDF page renderer: %r", error)
        raise _too_costly_pdf(name) from error
    if child.returncode == 0 and child.stdout.startswith(b"%PDF-"):
        return child.stdout
    logger.info("PDF page rendering refused or failed: exit %s, %r", child.returncode, child.stderr[-500:])
    if child.returncode == pdf_pages.EXIT_PAGE_SIZE:
        raise _impossible_page(name)
    if child.returncode == pdf_pages.EXIT_UNREADABLE:
        raise _unreadable_pdf(name)
    # Too slow, too big, out of memory, killed by its CPU limit (a negative signal number), or more
    # pages than pypdf counted (a file that reads differently in two parsers).
    raise _too_costly_pdf(name)
