"""What an upload may cost us: file counts and sizes, and the memory a picture takes to decode.

Sizes are checked on the bytes; pixels and decode memory on the header alone, before a single
pixel is decoded, so a 0.15 MB PNG that declares 40 megapixels costs a header read, not 500 MB.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .names import sanitise_filename
from .refusals import EvidenceRejected

MEGABYTE = 1024 * 1024


def empty(name: str) -> EvidenceRejected:
    return EvidenceRejected(_("“%(name)s” is empty (0 bytes). Please choose the file again.") % {"name": name}, "empty")


def too_large(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” is too large. Each file can be at most %(limit)s.")
        % {"name": name, "limit": filesizeformat(settings.KZCN_MAX_FILE_BYTES)},
        "too_large",
    )


def too_many_pixels(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _(
            "“%(name)s” is a picture of more than %(limit)s megapixels, which we cannot process. "
            "Please send a smaller photo."
        )
        % {"name": name, "limit": settings.KZCN_MAX_IMAGE_PIXELS // 1_000_000},
        "too_many_pixels",
    )


def too_costly(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _(
            "“%(name)s” is a picture too large for us to process in this format. "
            "Please send it as a JPEG photo, or a smaller picture."
        )
        % {"name": name},
        "too_costly",
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
            raise empty(name)
        if uploaded_file.size > settings.KZCN_MAX_FILE_BYTES:
            raise too_large(name)
    total = sum(uploaded_file.size for uploaded_file in files)
    if total > settings.KZCN_MAX_REPORT_BYTES:
        message = _(
            "Your files add up to %(total)s, but a report can have at most %(limit)s. "
            "Please send fewer or smaller files."
        ) % {"total": filesizeformat(total), "limit": filesizeformat(settings.KZCN_MAX_REPORT_BYTES)}
        raise EvidenceRejected(message, "report_too_large")


# --- Decode memory -------------------------------------------------------------------------------

# Peak bytes per pixel of each Pillow mode, from decoding to the shrunk public copy (measured with
# bench/evidence_memory.py). Pillow stores RGB, CMYK and LA in 4 bytes a pixel; our processing adds
# at most one full-size working copy before it shrinks the picture (see photo._shrinkable: 1-bit
# and palette pictures are expanded first, 16-bit grey goes through 32-bit integers, transparency
# is resized through a premultiplied copy), plus the resize's half-done intermediate.
_PEAK_BYTES_PER_PIXEL = {
    "1": 3,
    "L": 2,
    "P": 10,
    "PA": 10,
    "LA": 10,
    "La": 10,
    "RGB": 6,
    "YCbCr": 6,
    "LAB": 6,
    "HSV": 6,
    "RGBX": 6,
    "CMYK": 6,
    "RGBA": 11,
    "RGBa": 11,
    "I": 9,
    "F": 6,
    "I;16": 11,
    "I;16L": 11,
    "I;16B": 11,
    "I;16N": 11,
}
# Decoders that hold more full-size buffers of their own: libwebp decodes to RGBA and Pillow reads
# it from a copy (measured 188 MB for 12 MP, against 72 MB for the same PNG); libheif keeps its
# YCbCr planes while converting.
_DECODER_FACTOR = {"WEBP": 3.0, "HEIF": 1.5}


def decode_bytes(size: tuple[int, int], mode: str, pillow_format: str | None) -> int:
    """Memory, in bytes, that decoding and preparing a picture of this header will take at peak."""
    width, height = size
    per_pixel = _PEAK_BYTES_PER_PIXEL.get(mode, 12)  # an unknown mode: assume the worst we know
    return int(width * height * per_pixel * _DECODER_FACTOR.get(pillow_format or "", 1.0))


def check_decode_budget(size: tuple[int, int], mode: str, pillow_format: str | None, name: str) -> None:
    """Refuse, from the header alone, a picture whose decoding would exceed KZCN_MAX_DECODE_BYTES."""
    width, height = size
    if width * height > settings.KZCN_MAX_IMAGE_PIXELS:
        raise too_many_pixels(name)
    if decode_bytes(size, mode, pillow_format) > settings.KZCN_MAX_DECODE_BYTES:
        raise too_costly(name)
