"""Videos and voice messages: public copies carry no metadata, originals keep it, limits hold.

Every file here is a real, small video or recording made by the test with PyAV (tests/media_files),
with the tags phones and recorders write. A public copy is checked twice: reopened (its container
and streams hold no tag but FFmpeg's structural ones) and searched byte by byte for the markers and
the values the original carried.
"""

from __future__ import annotations

import io
from decimal import Decimal

import av
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from impacts.evidence import filetypes, media, removed
from impacts.evidence.audio import prepare_audio
from impacts.evidence.refusals import EvidenceRejected
from impacts.evidence.video import prepare_video
from impacts.models import Evidence, EvidenceState
from tests import media_files
from tests.reports import make_report

STRUCTURAL = {"major_brand", "minor_version", "compatible_brands", "language", "handler_name", "vendor_id"}


def reopened_tags(data: bytes) -> tuple[dict, list[dict], list[str]]:
    """Container tags, each stream's tags, and stream types of a public copy, as FFmpeg reads them."""
    with av.open(io.BytesIO(data)) as container:
        return (
            dict(container.metadata),
            [dict(stream.metadata) for stream in container.streams],
            [stream.type for stream in container.streams],
        )


def assert_no_metadata(data: bytes, *values: str) -> None:
    container_tags, stream_tags, stream_types = reopened_tags(data)
    assert set(container_tags) <= STRUCTURAL, container_tags
    for tags in stream_tags:
        assert set(tags) <= STRUCTURAL, tags
    assert set(stream_types) <= {"video", "audio"}
    for marker in (
        b"\xa9xyz",
        b"ISO6709",
        b"com.apple",
        b"\xa9mak",
        b"\xa9mod",
        b"x:xmpmeta",
        b"TPE1",
        b"IART",
        b"Lavf",
    ):
        assert marker not in data, marker
    for value in values:
        assert value.encode() not in data, value


# --- What is accepted, by content ----------------------------------------------------------------


def test_videos_and_voice_messages_are_recognised_by_their_first_bytes(tmp_path):
    made = {
        "mp4": media_files.phone_mp4(tmp_path),
        "mov": media_files.iphone_mov(tmp_path),
        "3gp": media_files.make_video(tmp_path / "clip.3gp", container="3gp", codec="mpeg4", size=(176, 144)),
        "webm": media_files.make_video(tmp_path / "clip.webm", container="webm", codec="libvpx-vp9", sound="libopus"),
        "ogg": media_files.opus_voice(tmp_path),
        "m4a": media_files.m4a_voice(tmp_path),
        "mp3": media_files.mp3_with_id3_artist(tmp_path),
        "wav": media_files.wav_voice(tmp_path),
    }
    kinds = {name: filetypes.sniff_type(path.read_bytes()[:256]) for name, path in made.items()}

    assert {name: (found.kind, found.extension) for name, found in kinds.items()} == {
        "mp4": ("video", "mp4"),
        "mov": ("video", "mov"),
        "3gp": ("video", "3gp"),
        "webm": ("video", "webm"),
        "ogg": ("audio", "ogg"),
        "m4a": ("audio", "m4a"),
        "mp3": ("audio", "mp3"),
        "wav": ("audio", "wav"),
    }


@pytest.mark.parametrize(
    "head",
    [
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",  # an AVIF picture is not a video
        b"\x00\x00\x00\x18ftypzzzz\x00\x00\x00\x00zzzzyyyy",  # an unknown brand
        b"\x1a\x45\xdf\xa3\x93\x42\x82\x88notmkv!!",  # EBML, but not WebM or Matroska
        b"\xff\xd8\xff\xe0\x00\x10JFIF",  # still a JPEG
    ],
)
def test_lookalikes_are_not_taken_for_media(head):
    found = filetypes.sniff_type(head + bytes(64))

    assert found is None or found.kind == "photo"


# --- Video -----------------------------------------------------------------------------------------


def test_phone_video_public_copy_has_no_location_device_time_or_xmp(tmp_path):
    original = media_files.phone_mp4(tmp_path)

    result = prepare_video(str(original), "VID_20250601_102030.mp4")

    assert result.kind == "video"
    assert result.public_content_type == "video/mp4" and result.public_extension == "mp4"
    assert_no_metadata(result.public_bytes, media_files.LOCATION, media_files.DEVICE_MODEL, "2025-06-01")
    _, _, streams = reopened_tags(result.public_bytes)
    assert sorted(streams) == ["audio", "video"]
    assert 1.8 <= result.duration_seconds <= 2.2


def test_phone_video_original_keeps_its_metadata_for_senior_moderators(tmp_path):
    original = media_files.phone_mp4(tmp_path)
    before = original.read_bytes()

    result = prepare_video(str(original))

    assert original.read_bytes() == before  # the original is never touched
    assert b"\xa9xyz" in before and media_files.LOCATION.encode() in before
    assert (result.gps_latitude, result.gps_longitude) == (Decimal("43.256700"), Decimal("76.928600"))
    assert result.captured_at == media_files.CAPTURED
    assert {removed.GPS, removed.DEVICE, removed.CAPTURE_TIME, removed.XMP, removed.COMMENTS} <= set(
        result.removed_metadata
    )


def test_iphone_movie_with_apple_location_key_is_rebuilt_without_it(tmp_path):
    original = media_files.iphone_mov(tmp_path)

    result = prepare_video(str(original), "IMG_0042.MOV")

    assert result.public_content_type == "video/mp4"
    assert_no_metadata(result.public_bytes, media_files.APPLE_LOCATION, media_files.DEVICE_MODEL)
    assert (result.gps_latitude, result.gps_longitude) == (Decimal("43.256700"), Decimal("76.928600"))
    assert result.captured_at == "2025-06-01T15:20:30+0500"  # the phone's local time, not the container's
    assert removed.DEVICE in result.removed_metadata


def test_webm_and_3gp_videos_become_mp4_without_tags(tmp_path):
    webm = media_files.make_video(
        tmp_path / "clip.webm",
        container="webm",
        codec="libvpx-vp9",
        sound="libopus",
        tags={"title": "Dust over Shieli at night"},
    )
    three_gp = media_files.make_video(tmp_path / "clip.3gp", container="3gp", codec="mpeg4", size=(176, 144))

    from_webm, from_3gp = prepare_video(str(webm)), prepare_video(str(three_gp))

    assert_no_metadata(from_webm.public_bytes, "Dust over Shieli")
    assert_no_metadata(from_3gp.public_bytes)
    assert removed.MEDIA_TAGS in from_webm.removed_metadata
    with av.open(io.BytesIO(from_webm.public_bytes)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"


def test_big_video_is_scaled_to_720p_and_its_index_comes_first(tmp_path):
    original = media_files.make_video(tmp_path / "big.mp4", size=(1920, 1080), seconds=1.2, rate=50)

    result = prepare_video(str(original))

    assert (result.width, result.height) == (1280, 720)
    with av.open(io.BytesIO(result.public_bytes)) as container:
        assert float(container.streams.video[0].average_rate) <= 30
    # faststart: the index (moov) is written before the media data, so playback starts at once.
    assert result.public_bytes.index(b"moov") < result.public_bytes.index(b"mdat")


def test_sideways_phone_video_is_published_upright(tmp_path):
    original = media_files.make_video(tmp_path / "portrait.mp4", size=(320, 240), rotation=90)

    result = prepare_video(str(original))

    assert (result.width, result.height) == (240, 320)
    poster = Image.open(io.BytesIO(result.poster_bytes))
    assert poster.size == (240, 320)


def test_poster_is_a_jpeg_without_exif_taken_about_a_second_in(tmp_path):
    original = media_files.phone_mp4(tmp_path)

    result = prepare_video(str(original))

    poster = Image.open(io.BytesIO(result.poster_bytes))
    assert poster.format == "JPEG" and poster.size == (320, 240)
    assert not poster.getexif() and "exif" not in poster.info and "xmp" not in poster.info
    assert media_files.LOCATION.encode() not in result.poster_bytes


def test_video_file_with_sound_only_is_prepared_as_a_voice_message(tmp_path):
    original = media_files.make_sound(
        tmp_path / "recorder.mp4", container="mp4", codec="aac", tags={"artist": media_files.ARTIST}
    )

    result = prepare_video(str(original))

    assert result.kind == "audio" and result.public_extension == "m4a" and result.poster_bytes is None
    assert_no_metadata(result.public_bytes, media_files.ARTIST)


# --- Voice -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make", [media_files.mp3_with_id3_artist, media_files.opus_voice, media_files.wav_voice, media_files.m4a_voice]
)
def test_voice_message_is_re_encoded_mono_without_tags(tmp_path, make):
    original = make(tmp_path)
    assert media_files.ARTIST.encode() in original.read_bytes()

    result = prepare_audio(str(original))

    assert result.kind == "audio" and result.public_content_type == "audio/mp4" and result.poster_bytes is None
    assert_no_metadata(result.public_bytes, media_files.ARTIST)
    assert removed.MEDIA_TAGS in result.removed_metadata
    with av.open(io.BytesIO(result.public_bytes)) as container:
        (stream,) = container.streams
        assert stream.type == "audio" and stream.codec_context.name == "aac"
        assert stream.codec_context.layout.nb_channels == 1
    assert 1.8 <= result.duration_seconds <= 2.3


def test_mp3_id3_tags_are_gone_from_the_public_copy(tmp_path):
    original = media_files.mp3_with_id3_artist(tmp_path)
    assert original.read_bytes().startswith(b"ID3") and b"TPE1" in original.read_bytes()

    result = prepare_audio(str(original))

    assert b"ID3" not in result.public_bytes[:1024] and b"TPE1" not in result.public_bytes
    assert b"Plant at night" not in result.public_bytes and b"recorded at home" not in result.public_bytes
    assert {removed.MEDIA_TAGS, removed.COMMENTS} <= set(result.removed_metadata)


# --- Limits and damaged files --------------------------------------------------------------------------


def test_video_longer_than_the_limit_is_refused_with_the_limit_named(tmp_path, settings):
    settings.KZCN_VIDEO_MAX_SECONDS = 60
    original = media_files.make_video(tmp_path / "long.mp4", size=(64, 48), seconds=63, rate=5, sound=None)

    with pytest.raises(EvidenceRejected) as refused:
        prepare_video(str(original), "long.mp4")

    assert refused.value.code == "too_long"
    assert "“long.mp4” is too long: a video can be at most 1 minute." in refused.value.message


def test_voice_message_longer_than_the_limit_is_refused(tmp_path, settings):
    settings.KZCN_AUDIO_MAX_SECONDS = 1
    original = media_files.opus_voice(tmp_path)

    with pytest.raises(EvidenceRejected) as refused:
        prepare_audio(str(original), "voice.ogg")

    assert refused.value.code == "too_long" and "voice message" in refused.value.message


def test_video_of_too_many_pixels_is_refused_before_decoding(tmp_path, settings):
    settings.KZCN_VIDEO_MAX_PIXELS = 320 * 200
    original = media_files.make_video(tmp_path / "wide.mp4", size=(320, 240), seconds=0.4, sound=None)

    with pytest.raises(EvidenceRejected) as refused:
        prepare_video(str(original), "wide.mp4")

    assert refused.value.code == "too_many_pixels"


def test_file_larger_than_the_size_limit_is_refused(tmp_path, settings):
    original = media_files.phone_mp4(tmp_path)
    settings.KZCN_MAX_FILE_BYTES = original.stat().st_size - 1

    with pytest.raises(EvidenceRejected) as refused:
        prepare_video(str(original), "VID.mp4")

    assert refused.value.code == "too_large" and "“VID.mp4” is too large" in refused.value.message


@pytest.mark.parametrize("damage", ["truncated", "garbage_after_header", "empty_mp3_frames"])
def test_damaged_media_is_refused_with_a_message_not_a_crash(tmp_path, damage):
    whole = media_files.phone_mp4(tmp_path).read_bytes()
    broken = tmp_path / "broken.bin"
    if damage == "truncated":  # the index (written last) is lost: nothing can be played
        broken.write_bytes(whole[: len(whole) // 2])
    elif damage == "garbage_after_header":
        broken.write_bytes(whole[:32] + bytes(range(256)) * 64)
    else:
        broken.write_bytes(b"\xff\xfb\x90\x64" + bytes(4000))

    with pytest.raises(EvidenceRejected) as refused:
        (prepare_audio if damage == "empty_mp3_frames" else prepare_video)(str(broken), "clip.mp4")

    assert refused.value.code in {"unreadable", "no_sound"}
    assert "“clip.mp4”" in refused.value.message


def test_a_killed_transcoder_is_a_refusal_not_an_error(tmp_path, settings):
    settings.KZCN_MEDIA_MEMORY_BYTES = 8 * 1024 * 1024  # far too little for FFmpeg to decode anything
    original = media_files.phone_mp4(tmp_path)

    with pytest.raises(EvidenceRejected) as refused:
        prepare_video(str(original), "clip.mp4")

    assert refused.value.code in {"too_costly", "unreadable"}


def test_a_public_copy_that_kept_a_tag_is_never_published():
    facts = {
        "public_tags": {"location": ["+43.2567+076.9286/"]},
        "public_streams": ["video"],
        "tags": {"location": ["+43.2567+076.9286/"]},
    }

    assert media.leftover_metadata(facts, b"\x00\x00\x00\x08free+43.2567+076.9286/")

    with pytest.raises(EvidenceRejected):
        media.check_public_copy(facts, b"", "clip.mp4")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+43.2567+076.9286/", ("43.256700", "76.928600")),
        ("-33.8688+151.2093+010.000/", ("-33.868800", "151.209300")),
        ("+4315.402+07655.716/", ("43.256700", "76.928600")),  # degrees and minutes
        ("garbage", (None, None)),
        ("+95.0+076.0/", (None, None)),
    ],
)
def test_iso6709_locations_are_read(text, expected):
    latitude, longitude = media.parse_iso6709(text)

    assert (
        str(latitude) if latitude is not None else None,
        str(longitude) if longitude is not None else None,
    ) == expected


# --- Who sees what -----------------------------------------------------------------------------------


def _evidence(report, kind: str, public_name: str, data: bytes, **fields) -> Evidence:
    item = Evidence(
        report=report,
        kind=kind,
        original_name=public_name,
        sha256=f"{kind}{report.pk}".ljust(64, "0"),
        content_type="video/mp4" if kind == "video" else "audio/ogg",
        size=len(data),
        visibility="approved",
        state=EvidenceState.READY,
        **fields,
    )
    item.public_file.save(public_name, ContentFile(data), save=False)
    item.sealed_file.save("original.bin", ContentFile(b"original"), save=False)
    item.save()
    return item


def _published(**fields):
    return make_report(status="published", **fields)


@pytest.mark.django_db
def test_voice_is_public_only_with_the_reporters_consent_and_a_moderators_approval(client):
    cases = {(False, False): False, (True, False): False, (False, True): False, (True, True): True}
    for (reporter_agreed, moderator_approved), public in cases.items():
        report = _published(voice_may_be_published=reporter_agreed)
        item = _evidence(
            report,
            "audio",
            "voice.m4a",
            b"sound",
            voice_publication_approved=moderator_approved,
            summary="A man describes black smoke at night.",
        )

        response = client.get(reverse("impacts:evidence_file", args=[item.pk, "public"]))

        assert (response.status_code == 200) is public, (reporter_agreed, moderator_approved)
        page = client.get(report.get_absolute_url()).content.decode()
        assert "A man describes black smoke at night." in page
        assert ("<audio" in page) is public


@pytest.mark.django_db
def test_video_is_served_as_mp4_with_byte_ranges(client):
    data = bytes(range(256)) * 40
    item = _evidence(_published(), "video", "clip.mp4", data)
    url = reverse("impacts:evidence_file", args=[item.pk, "public"])

    whole = client.get(url)
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")

    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    assert whole["Accept-Ranges"] == "bytes"
    assert part.status_code == 206 and b"".join(part.streaming_content) == data[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}" and part["Content-Type"] == "video/mp4"
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == data[-10:]
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.django_db
def test_report_page_plays_video_with_its_poster_without_javascript(client):
    report = _published()
    item = _evidence(report, "video", "clip.mp4", b"video", duration_seconds=12.0)
    item.poster.save("poster.jpg", ContentFile(b"\xff\xd8\xff"), save=True)

    page = client.get(report.get_absolute_url()).content.decode()

    assert f'src="{reverse("impacts:evidence_file", args=[item.pk, "public"])}"' in page
    assert f'poster="{reverse("impacts:evidence_file", args=[item.pk, "poster"])}"' in page
    assert '<video controls preload="none"' in page
    assert client.get(reverse("impacts:evidence_file", args=[item.pk, "poster"]))["Content-Type"] == "image/jpeg"


# --- The moderators' side ------------------------------------------------------------------------------


def _change_page(client, report) -> str:
    return client.get(reverse("admin:impacts_impactreport_change", args=[report.pk])).content.decode()


@pytest.mark.django_db
def test_video_location_and_capture_time_are_shown_to_senior_moderators_only(client, moderator, senior_moderator):
    report = make_report(status="in_review")
    _evidence(
        report,
        "video",
        "clip.mp4",
        b"video",
        gps_latitude=Decimal("43.256700"),
        gps_longitude=Decimal("76.928600"),
        captured_at=media_files.CAPTURED,
        duration_seconds=125.4,
        removed_metadata=[removed.GPS, removed.DEVICE],
    )

    client.force_login(moderator)
    page = _change_page(client, report)
    assert "43.256700" not in page and media_files.CAPTURED not in page
    assert "embedded GPS, device make and model" in page and "2:05" in page
    assert '<video controls preload="none"' in page

    client.force_login(senior_moderator)
    page = _change_page(client, report)
    assert "43.256700, 76.928600" in page and media_files.CAPTURED in page


@pytest.mark.django_db
def test_moderator_cannot_approve_a_voice_the_reporter_did_not_allow(client, moderator):
    report = make_report(status="in_review", voice_may_be_published=False)
    _evidence(report, "audio", "voice.m4a", b"sound")

    client.force_login(moderator)
    page = _change_page(client, report)

    assert "The reporter did not allow their voice to be published" in page
    assert 'name="evidence-0-voice_publication_approved"' in page
    assert "disabled" in page.split('name="evidence-0-voice_publication_approved"', 1)[1].split(">", 1)[0]
    assert '<audio controls preload="none"' in page  # the moderator listens, to write the summary
