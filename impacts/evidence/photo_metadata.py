"""What a photo's metadata says: GPS and capture time for moderators, and what the public copy lost.

Nothing read here is published. The public copy is re-encoded from pixels alone (`photo.py`); this
module only tells moderators where and when a photo was taken, and which identifying fields the
sanitising removed, so they know what the reporter's phone gave away.
"""

from __future__ import annotations

import logging
import math
import re
from decimal import Decimal

from PIL import ExifTags, Image

from . import removed

logger = logging.getLogger(__name__)

_CAPTURE_TIME = re.compile(r"[0-9][0-9: .+\-T/]{7,39}")

# EXIF tags (0th IFD and Exif IFD share one number space) and the label each one is reported as.
_EXIF_LABELS = {
    ExifTags.Base.Make: removed.CAMERA,
    ExifTags.Base.Model: removed.CAMERA,
    ExifTags.Base.LensMake: removed.CAMERA,
    ExifTags.Base.LensModel: removed.CAMERA,
    ExifTags.Base.BodySerialNumber: removed.CAMERA_SERIAL,
    ExifTags.Base.LensSerialNumber: removed.CAMERA_SERIAL,
    ExifTags.Base.CameraSerialNumber: removed.CAMERA_SERIAL,
    ExifTags.Base.ImageUniqueID: removed.CAMERA_SERIAL,
    ExifTags.Base.CameraOwnerName: removed.AUTHOR,
    ExifTags.Base.Artist: removed.AUTHOR,
    ExifTags.Base.Copyright: removed.AUTHOR,
    ExifTags.Base.DateTimeOriginal: removed.CAPTURE_TIME,
    ExifTags.Base.DateTimeDigitized: removed.CAPTURE_TIME,
    ExifTags.Base.DateTime: removed.CAPTURE_TIME,
    ExifTags.Base.Software: removed.SOFTWARE,
    ExifTags.Base.HostComputer: removed.SOFTWARE,
    ExifTags.Base.ImageDescription: removed.COMMENTS,
    ExifTags.Base.UserComment: removed.COMMENTS,
    ExifTags.Base.XPComment: removed.COMMENTS,
    ExifTags.Base.XPAuthor: removed.AUTHOR,
    ExifTags.Base.XPTitle: removed.TITLE,
    ExifTags.Base.XPSubject: removed.SUBJECT_AND_KEYWORDS,
    ExifTags.Base.XPKeywords: removed.SUBJECT_AND_KEYWORDS,
    ExifTags.Base.MakerNote: removed.OTHER_EXIF,
}
# PNG text chunks (tEXt, zTXt, iTXt) by their keyword; any other keyword is a comment.
_PNG_TEXT_LABELS = {
    "author": removed.AUTHOR,
    "title": removed.TITLE,
    "software": removed.SOFTWARE,
    "creation time": removed.DATES,
    "xml:com.adobe.xmp": removed.XMP,
    "raw profile type exif": removed.OTHER_EXIF,
}
_XMP_KEYS = {"xmp", "XML:com.adobe.xmp"}


def read_metadata(image: Image.Image) -> tuple[str, Decimal | None, Decimal | None]:
    """Capture time and GPS position from EXIF; anything broken or absent gives "" / None."""
    try:
        exif = image.getexif()
    except Exception as error:
        logger.info("Ignored unreadable EXIF: %r", error)
        return "", None, None
    return _capture_time(exif), *_gps_position(exif)


def removed_from_photo(image: Image.Image) -> list[str]:
    """Labels of the identifying metadata the original carries (and the public copy does not)."""
    found: set[str] = set()
    try:
        found |= _exif_labels(image.getexif())
    except Exception as error:
        logger.info("Ignored unreadable EXIF while listing metadata: %r", error)
        found.add(removed.OTHER_EXIF)
    info = image.info
    if _XMP_KEYS & set(info):
        found.add(removed.XMP)
    if info.get("comment"):
        found.add(removed.COMMENTS)
    if info.get("photoshop"):  # JPEG APP13: IPTC by-line, city, caption
        found.add(removed.IPTC)
    if info.get("icc_profile"):
        found.add(removed.COLOUR_PROFILE)
    for keyword in getattr(image, "text", None) or {}:
        found.add(_PNG_TEXT_LABELS.get(str(keyword).lower(), removed.COMMENTS))
    return removed.in_order(found)


def _exif_labels(exif: Image.Exif) -> set[str]:
    tags = set(exif) | set(exif.get_ifd(ExifTags.IFD.Exif))
    found = {_EXIF_LABELS[tag] for tag in tags if tag in _EXIF_LABELS}
    if exif.get_ifd(ExifTags.IFD.GPSInfo):
        found.add(removed.GPS)
    return found


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
        latitude = _gps_degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S", 90)
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
