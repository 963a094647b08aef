"""Photos: decode within a memory budget, re-encode from pixels alone, never publish metadata.

The picture is opened with Pillow restricted to the one format its bytes announced; its size and
mode are checked on the header (`limits.check_decode_budget`) before anything is decoded; JPEGs are
decoded at a reduced scale (`draft`) when the public copy is smaller anyway. The picture is then
shrunk before any other full-size copy is made (rotation, colour conversion), so peak memory is
what the decoder needs and no more. The public copy and thumbnail are JPEGs carrying no
EXIF/GPS/serial/XMP/ICC/comment; re-encoding also destroys polyglot payloads.
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, PngImagePlugin

from . import limits
from .filetypes import FileType
from .photo_metadata import read_metadata, removed_from_photo
from .refusals import EvidenceRejected

logger = logging.getLogger(__name__)

JPEG_QUALITY = 85
WHITE = (255, 255, 255)

# Pillow inflates PNG text chunks up to 64 MB per image by default; we never publish them and only
# list their keywords, so a megabyte is plenty and a zTXt/iTXt bomb costs no more than that.
PngImagePlugin.MAX_TEXT_MEMORY = min(PngImagePlugin.MAX_TEXT_MEMORY, 1024 * 1024)


def _unreadable_photo(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” looks like a photo but could not be read: it may be damaged or incomplete. Please send it again.")
        % {"name": name},
        "unreadable",
    )


def prepare_photo(fileobj: UploadedFile, file_type: FileType, name: str) -> dict[str, Any]:
    """PreparedEvidence fields for a photo: public JPEG, thumbnail, moderators' metadata."""
    # catch_warnings is process-wide state (not thread-safe before Python 3.14); a race only loses
    # the warning-as-error, and our own pixel and memory caps below still apply.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(fileobj, formats=[file_type.pillow_format]) as image:
                return _process_photo(image, name)
        except EvidenceRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise limits.too_many_pixels(name) from error
        except Exception as error:
            # Hostile bytes can make a decoder raise anything (OSError on truncation, SyntaxError,
            # ValueError, struct.error, zlib.error, MemoryError...): all of it means "not a photo".
            logger.info("Refused undecodable %s upload: %r", file_type.pillow_format, error)
            raise _unreadable_photo(name) from error


def _process_photo(image: Image.Image, name: str) -> dict[str, Any]:
    width, height = image.size  # header only: nothing decoded yet
    if width * height > settings.KZCN_MAX_IMAGE_PIXELS:
        raise limits.too_many_pixels(name)
    max_side = settings.KZCN_PUBLIC_IMAGE_MAX_SIDE
    decode_reduced(image, max_side)
    limits.check_decode_budget(image.size, image.mode, image.format, name)  # what will be decoded
    image.load()  # every byte decoded: truncated or garbage data fails here
    captured_at, latitude, longitude = read_metadata(image)
    removed_metadata = removed_from_photo(image)
    public = _shrinkable(image)
    public.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    shrunk_size = public.size
    public = _upright(public)
    if public.size != shrunk_size:
        width, height = height, width
    public = _to_rgb(public)
    thumbnail = public.copy()
    thumbnail.thumbnail((settings.KZCN_THUMBNAIL_SIDE, settings.KZCN_THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return {
        "width": width,
        "height": height,
        "captured_at": captured_at,
        "gps_latitude": latitude,
        "gps_longitude": longitude,
        "removed_metadata": removed_metadata,
        "public_bytes": clean_jpeg(public),
        "public_extension": "jpg",
        "public_content_type": "image/jpeg",
        "thumbnail_bytes": clean_jpeg(thumbnail),
    }


def decode_reduced(image: Image.Image, max_side: int) -> None:
    """Let libjpeg decode a big JPEG at 1/2, 1/4 or 1/8 scale, never below the public size.

    Every byte is still decoded (so damage is still detected); a 24 MP photo then takes about a
    quarter of the memory (measured: +47 MB instead of +185 MB) and two thirds of the time.
    After this, `image.size` and `image.mode` are what will be decoded.
    """
    width, height = image.size
    longest = max(width, height)
    if image.format in ("JPEG", "MPO") and longest > max_side:
        target = (math.ceil(width * max_side / longest), math.ceil(height * max_side / longest))
        image.draft(None, target)


_SIXTEEN_BIT_GREY = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


def _shrinkable(image: Image.Image) -> Image.Image:
    """The decoded picture in a mode Pillow resizes well, converting only when it must.

    1-bit and palette pictures would be resized by nearest neighbour, and 16-bit grey not at all,
    so they are converted first; everything else is shrunk as decoded, before any copy is made.
    """
    if image.mode in _SIXTEEN_BIT_GREY:
        # convert("L") would clip every value above 255 to white.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("1", "F"):
        return image.convert("L")
    if image.mode in ("P", "PA"):
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    return image


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (to the already small copy); a broken tag is ignored."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception as error:  # broken EXIF must not refuse an otherwise good photo
        logger.info("Ignored unusable EXIF orientation: %r", error)
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency laid on white, CMYK/L/LA converted."""
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def clean_jpeg(image: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    """Encode with no EXIF, ICC, XMP or comment: JPEG save copies `info["comment"]`, so clear info."""
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
