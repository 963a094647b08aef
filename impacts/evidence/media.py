"""Videos and voice messages: rebuilt in a sandboxed child, published with nothing but picture and sound.

`video.prepare_video` and `audio.prepare_audio` both come here: the original (a file on disk) is
decoded and re-encoded by `media_transcode` in a child process under memory, CPU and time limits
(`sandbox`), which reports the tags the original carried. From those this module lists what the
public copy lost (`removed`) and reads the location and capture time for senior moderators, then
checks the public copy twice before anyone sees it: its reopened container and streams must carry
no tag but the structural ones FFmpeg always writes, and its raw bytes must contain none of the
markers of a location, device, XMP or ID3 tag, nor any identifying value the original carried.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import limits, media_transcode, removed, sandbox
from .filetypes import FileType, sniff_type
from .refusals import EvidenceRejected

logger = logging.getLogger(__name__)

SNIFF_BYTES = 256
GPS_PLACES = Decimal("0.000001")  # Evidence.gps_latitude has six decimal places
MAX_CAPTURED_AT_CHARS = 40

# Tags FFmpeg writes into every MP4/M4A it makes; none says anything about the reporter.
STRUCTURAL_TAGS = {
    "major_brand",
    "minor_version",
    "compatible_brands",
    "language",
    "handler_name",
    "vendor_id",
    "duration",
}
PUBLIC_HANDLER_NAMES = {"VideoHandler", "SoundHandler"}
# Bytes that must never appear in the boxes of a public copy (everything but the coded picture
# and sound, where four bytes turn up by chance): Apple's key list, vendor boxes, location, device
# and text atoms, XMP, ID3, FFmpeg's own version string (a sign that bitexact was not applied).
# FFmpeg's MP4 muxer always writes an `udta`/`meta` box holding an empty item list (`ilst`); an
# item list with anything in it is refused.
EMPTY_ITEM_LIST = b"\x00\x00\x00\x08ilst"
FORBIDDEN_IN_BOXES = (
    b"keys",
    b"uuid",
    b"\xa9xyz",
    b"\xa9mak",
    b"\xa9mod",
    b"\xa9day",
    b"\xa9too",
    b"\xa9ART",
    b"\xa9nam",
    b"\xa9cmt",
    b"XMP_",
    b"ID3",
    b"Lavf",
)
# Long enough never to turn up by chance, so searched in every byte.
FORBIDDEN_ANYWHERE = (b"ISO6709", b"com.apple.quicktime", b"com.android", b"x:xmpmeta", b"OpusTags", b"Lavc")

_LANGUAGE_SUFFIX = re.compile(r"-[a-z]{3}$")
_LABELS_BY_TAG = {
    removed.GPS: {
        "location",
        "com.apple.quicktime.location.iso6709",
        "\xa9xyz",
        "xyz",
        "gps",
        "location_name",
        "com.apple.quicktime.location.name",
    },
    removed.CAPTURE_TIME: {
        "creation_time",
        "com.apple.quicktime.creationdate",
        "date",
        "date_recorded",
        "creation_date",
        "date_released",
        "year",
        "timecode",
    },
    removed.DEVICE: {
        "make",
        "model",
        "com.apple.quicktime.make",
        "com.apple.quicktime.model",
        "com.android.manufacturer",
        "com.android.model",
        "manufacturer",
        "device",
    },
    removed.SOFTWARE: {
        "encoder",
        "encoded_by",
        "software",
        "com.apple.quicktime.software",
        "com.android.version",
        "writing_application",
        "muxing_application",
        "tool",
        "encoder_options",
    },
    removed.MEDIA_TAGS: {
        "artist",
        "album",
        "album_artist",
        "title",
        "composer",
        "performer",
        "author",
        "copyright",
        "publisher",
        "genre",
        "track",
        "disc",
        "show",
        "network",
        "grouping",
        "com.apple.quicktime.author",
        "com.apple.quicktime.artist",
    },
    removed.COMMENTS: {
        "comment",
        "description",
        "synopsis",
        "lyrics",
        "keywords",
        "subtitle",
        "com.apple.quicktime.description",
        "com.apple.quicktime.comment",
    },
    removed.XMP: {"xmp", "xmp_metadata"},
}
_LABEL_OF_TAG = {tag: label for label, tags in _LABELS_BY_TAG.items() for tag in tags}
# Tags whose values identify the reporter: the public copy's bytes are searched for each of them.
_IDENTIFYING = {removed.GPS, removed.CAPTURE_TIME, removed.DEVICE, removed.MEDIA_TAGS, removed.COMMENTS}
_CAPTURE_TIME_PREFERENCE = ("com.apple.quicktime.creationdate", "creation_time", "date_recorded", "date")
_MEANINGLESS_TIMES = ("1904-01-01", "1970-01-01", "0000")
# ISO 6709: ±DD.D±DDD.D, ±DDMM.M±DDDMM.M or ±DDMMSS.S±DDDMMSS.S, then optional altitude and "/".
_ISO6709 = re.compile(r"^\s*([+-])(\d+(?:\.\d*)?)([+-])(\d+(?:\.\d*)?)")


@dataclass
class MediaResult:
    """What `prepare_video`/`prepare_audio` made of one original (see `pipeline` for storing it).

    `kind` is "video", or "audio" when a video file held sound only (a phone's voice recorder may
    write an MP4 or WebM without a picture). `gps_latitude`/`gps_longitude` and `captured_at` are
    read from the original's tags, for senior moderators only; they are never in the public copy.
    """

    kind: str
    public_bytes: bytes
    public_extension: str  # "mp4" | "m4a"
    public_content_type: str  # "video/mp4" | "audio/mp4"
    poster_bytes: bytes | None  # a JPEG without EXIF, about one second in; None for sound
    duration_seconds: float
    width: int | None = None  # of the public copy
    height: int | None = None
    removed_metadata: list[str] = field(default_factory=list)
    captured_at: str = ""
    gps_latitude: Decimal | None = None
    gps_longitude: Decimal | None = None


# --- Refusals ------------------------------------------------------------------------------------


def unreadable(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _(
            "“%(name)s” looks like a video or voice message but could not be played: it may be damaged or "
            "incomplete. Please send it again."
        )
        % {"name": name},
        "unreadable",
    )


def too_long(name: str, kind: str) -> EvidenceRejected:
    if kind == "video":
        minutes = settings.KZCN_VIDEO_MAX_SECONDS // 60
        message = ngettext(
            "“%(name)s” is too long: a video can be at most %(minutes)d minute. Please send a shorter one, "
            "or cut it into parts.",
            "“%(name)s” is too long: a video can be at most %(minutes)d minutes. Please send a shorter one, "
            "or cut it into parts.",
            minutes,
        )
    else:
        minutes = settings.KZCN_AUDIO_MAX_SECONDS // 60
        message = ngettext(
            "“%(name)s” is too long: a voice message can be at most %(minutes)d minute. Please send a shorter one.",
            "“%(name)s” is too long: a voice message can be at most %(minutes)d minutes. Please send a shorter one.",
            minutes,
        )
    return EvidenceRejected(message % {"name": name, "minutes": minutes}, "too_long")


def too_many_pixels(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” is a video of a higher resolution than we can process. Please record or send it at 4K or lower.")
        % {"name": name},
        "too_many_pixels",
    )


def too_costly(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” is a video or sound file too heavy for us to process. Please send a shorter or smaller one.")
        % {"name": name},
        "too_costly",
    )


def no_sound(name: str) -> EvidenceRejected:
    return EvidenceRejected(
        _("“%(name)s” has no picture or sound we can play. Please check the file and send it again.") % {"name": name},
        "no_sound",
    )


def refusal_for_exit(code: int, name: str, kind: str) -> EvidenceRejected:
    """The message for a child's exit code; a crash or a kill by a limit counts as too costly."""
    if code == media_transcode.EXIT_UNREADABLE:
        return unreadable(name)
    if code == media_transcode.EXIT_TOO_LONG:
        return too_long(name, kind)
    if code == media_transcode.EXIT_TOO_MANY_PIXELS:
        return too_many_pixels(name)
    if code == media_transcode.EXIT_NO_SOUND:
        return no_sound(name)
    return too_costly(name)


# --- Running the child ---------------------------------------------------------------------------


def sniff_media(path: str, name: str, kinds: set[str]) -> FileType:
    """The file's type by its first bytes; refused unless it is a video or voice message."""
    with open(path, "rb") as original:
        head = original.read(SNIFF_BYTES)
    if not head:
        raise limits.empty(name)
    file_type = sniff_type(head)
    if file_type is None or file_type.kind not in kinds:
        raise unreadable(name)
    return file_type


def prepare_media(path: str, name: str | None, mode: str) -> MediaResult:
    """Check, read and rebuild one video ("video") or voice message ("audio") stored at `path`."""
    name = name or os.path.basename(path)
    size = os.path.getsize(path)
    if not size:
        raise limits.empty(name)
    if size > settings.KZCN_MAX_FILE_BYTES:
        raise limits.too_large(name)
    file_type = sniff_media(path, name, {"video", "audio"})
    with tempfile.TemporaryDirectory(prefix="kzcn-media-") as workdir:
        facts = _run_child(path, file_type, mode, workdir, name)
        extension = "mp4" if facts["kind"] == "video" else "m4a"
        with open(os.path.join(workdir, f"public.{extension}"), "rb") as public:
            public_bytes = public.read()
        poster_bytes = None
        if facts.get("poster"):
            with open(os.path.join(workdir, "poster.jpg"), "rb") as poster:
                poster_bytes = poster.read()
    check_public_copy(facts, public_bytes, name)
    captured_at, latitude, longitude = moderator_facts(facts["tags"])
    return MediaResult(
        kind=facts["kind"],
        public_bytes=public_bytes,
        public_extension=extension,
        public_content_type="video/mp4" if facts["kind"] == "video" else "audio/mp4",
        poster_bytes=poster_bytes,
        duration_seconds=round(float(facts["duration"]), 3),
        width=facts.get("width"),
        height=facts.get("height"),
        removed_metadata=removed_labels(facts),
        captured_at=captured_at,
        gps_latitude=latitude,
        gps_longitude=longitude,
    )


def _run_child(path: str, file_type: FileType, mode: str, workdir: str, name: str) -> dict:
    import json

    seconds = settings.KZCN_MEDIA_PROCESS_SECONDS
    parameters = {
        "mode": mode,
        "source": os.path.abspath(path),
        "demuxer": file_type.demuxer,
        # The child picks the extension from what it finds; both names are ready for it.
        "public": os.path.join(workdir, "public.mp4" if mode == "video" else "public.m4a"),
        "poster": os.path.join(workdir, "poster.jpg"),
        "max_seconds": {"video": settings.KZCN_VIDEO_MAX_SECONDS, "audio": settings.KZCN_AUDIO_MAX_SECONDS},
        "max_pixels": settings.KZCN_VIDEO_MAX_PIXELS,
        "max_output_bytes": 2 * settings.KZCN_MAX_FILE_BYTES,
        "seconds": seconds,
        "memory_bytes": settings.KZCN_MEDIA_MEMORY_BYTES,
    }
    try:
        child = sandbox.run(media_transcode.__file__, parameters, seconds=seconds)
    except subprocess.TimeoutExpired as error:
        raise too_costly(name) from error
    except OSError as error:  # no process could be started (out of memory or process slots)
        logger.warning("Could not start the media transcoder: %r", error)
        raise too_costly(name) from error
    if child.returncode != 0:
        logger.info("Media transcoding refused or failed: exit %s, %r", child.returncode, child.stderr[-500:])
        raise refusal_for_exit(child.returncode, name, mode)
    facts = json.loads(child.stdout)
    if facts["kind"] == "audio" and parameters["public"].endswith(".mp4"):
        os.replace(parameters["public"], os.path.join(workdir, "public.m4a"))  # a video file with sound only
    return facts


# --- Checking the public copy --------------------------------------------------------------------


def check_public_copy(facts: dict, public_bytes: bytes, name: str) -> None:
    """Refuse (and log loudly) a public copy that still carries a tag or a value of the original.

    This cannot happen with the transcoder as written; it guards against a PyAV or FFmpeg upgrade
    that starts copying tags, which would otherwise publish a reporter's location.
    """
    problems = leftover_metadata(facts, public_bytes)
    if problems:
        logger.error("Public copy of %s still carries metadata %s; refused", name, problems)
        raise too_costly(name)


def leftover_metadata(facts: dict, public_bytes: bytes) -> list[str]:
    """What identifying metadata a public copy still holds (an empty list when it is clean)."""
    problems = [f"tag {key}" for key, values in facts["public_tags"].items() if not _structural(key, values)]
    problems += [f"stream {kind}" for kind in facts["public_streams"] if kind not in ("video", "audio")]
    boxes = boxes_outside_media_data(public_bytes)
    problems += [f"box bytes {marker!r}" for marker in FORBIDDEN_IN_BOXES if marker in boxes]
    if boxes.count(b"ilst") != boxes.count(EMPTY_ITEM_LIST):
        problems.append("a tag item list")
    problems += [f"bytes {marker!r}" for marker in FORBIDDEN_ANYWHERE if marker in public_bytes]
    problems += [
        f"value of {key}"
        for key, value in _identifying_values(facts["tags"])
        if value.encode("utf-8", "replace") in public_bytes
    ]
    return problems


def boxes_outside_media_data(data: bytes) -> bytes:
    """An MP4's top-level boxes except the coded media (`mdat`): where tags and atoms would be."""
    kept, position = bytearray(), 0
    while position + 8 <= len(data):
        size, kind = int.from_bytes(data[position : position + 4], "big"), data[position + 4 : position + 8]
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[position + 8 : position + 16], "big"), 16
        elif size == 0:
            size = len(data) - position
        if size < header:  # not a box structure we wrote: search all of it
            return data
        if kind != b"mdat":
            kept += data[position : position + size]
        position += size
    return bytes(kept)


def _structural(key: str, values: list[str]) -> bool:
    if key not in STRUCTURAL_TAGS:
        return False
    return key != "handler_name" or set(values) <= PUBLIC_HANDLER_NAMES


def _identifying_values(tags: dict[str, list[str]]):
    for key, values in tags.items():
        if _label_of(key) in _IDENTIFYING:
            for value in values:
                if len(value.strip()) >= 5:
                    yield key, value.strip()


# --- What the original carried -------------------------------------------------------------------


def _normalised(key: str) -> str:
    return _LANGUAGE_SUFFIX.sub("", key.strip().lower())


def _label_of(key: str) -> str | None:
    """The `removed` label of a tag; None for the structural ones FFmpeg writes everywhere."""
    key = _normalised(key)
    if key in STRUCTURAL_TAGS:
        return None
    if "location" in key or "gps" in key:
        return removed.GPS
    return _LABEL_OF_TAG.get(key, removed.OTHER_TAGS)


def removed_labels(facts: dict) -> list[str]:
    """Labels of what the original carried and the public copy does not, in reading order."""
    found = {label for key in facts["tags"] if (label := _label_of(key))}
    if facts.get("xmp"):
        found.add(removed.XMP)
    streams = facts["streams"]
    if streams["cover_pictures"]:
        found.add(removed.COVER_PICTURE)
    wanted_video = 1 if facts["kind"] == "video" else 0
    if streams["other"] or streams["video"] > wanted_video or streams["audio"] > 1:
        found.add(removed.EXTRA_TRACKS)
    return removed.in_order(found)


def moderator_facts(tags: dict[str, list[str]]) -> tuple[str, Decimal | None, Decimal | None]:
    """Capture time and GPS position from the original's tags; "" / None when absent or broken."""
    by_key: dict[str, list[str]] = {}
    for key, values in tags.items():
        by_key.setdefault(_normalised(key), []).extend(values)
    latitude = longitude = None
    for key, values in by_key.items():
        if _label_of(key) == removed.GPS:
            for value in values:
                latitude, longitude = parse_iso6709(value)
                if latitude is not None:
                    break
        if latitude is not None:
            break
    return capture_time(by_key), latitude, longitude


def capture_time(by_key: dict[str, list[str]]) -> str:
    """The phone's own capture time if it wrote one (local time with offset), else the container's."""
    for key in _CAPTURE_TIME_PREFERENCE:
        for value in by_key.get(key, []):
            value = value.strip()
            if value and not value.startswith(_MEANINGLESS_TIMES):
                return value[:MAX_CAPTURED_AT_CHARS]
    return ""


def parse_iso6709(text: str) -> tuple[Decimal | None, Decimal | None]:
    """Latitude and longitude of an ISO 6709 string such as "+43.2567+076.9286+000.000/"."""
    match = _ISO6709.match(text or "")
    if not match:
        return None, None
    try:
        latitude = _degrees(match.group(1), match.group(2), degree_digits=2)
        longitude = _degrees(match.group(3), match.group(4), degree_digits=3)
    except (InvalidOperation, ValueError):
        return None, None
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None, None
    return latitude.quantize(GPS_PLACES), longitude.quantize(GPS_PLACES)


def _degrees(sign: str, number: str, *, degree_digits: int) -> Decimal | None:
    """±DD(D).D, ±DD(D)MM.M or ±DD(D)MMSS.S, told apart by the digits before the point."""
    whole, _point, fraction = number.partition(".")
    fraction = f".{fraction}" if fraction else ""
    extra = len(whole) - degree_digits
    if extra == 0:
        value = Decimal(whole + fraction)
    elif extra == 2:
        value = Decimal(whole[:degree_digits]) + Decimal(whole[degree_digits:] + fraction) / 60
    elif extra == 4:
        value = (
            Decimal(whole[:degree_digits])
            + Decimal(whole[degree_digits : degree_digits + 2]) / 60
            + Decimal(whole[degree_digits + 2 :] + fraction) / 3600
        )
    else:
        return None
    return -value if sign == "-" else value
