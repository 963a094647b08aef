"""Small real videos and voice messages, made by the tests with PyAV, carrying the metadata phones write.

Each maker writes a file into a folder and returns its path. The tags are the ones phones and
recorders really leave behind: an MP4 `©xyz` location atom and Apple's ISO 6709 key, creation
time, device make and model, an ID3 artist, a Vorbis comment, a RIFF INFO artist.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

LOCATION = "+43.2567+076.9286/"
APPLE_LOCATION = "+43.2567+076.9286+012.000/"
CAPTURED = "2025-06-01T10:20:30.000000Z"
DEVICE_MAKE, DEVICE_MODEL = "Apple", "iPhone 12 Pro Max"
ARTIST = "Aigerim Nurlanovna Seitkali"
SAMPLE_RATE = 48_000


def _picture(index: int, width: int, height: int) -> np.ndarray:
    """A moving frame: a coloured band sliding down, so every frame differs."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:, :, 0] = (index * 9) % 256
    frame[(index * 4) % height :, : width // 2, 1] = 200
    frame[:, width // 2 :, 2] = 120
    return frame


def _tone(seconds: float) -> np.ndarray:
    samples = int(SAMPLE_RATE * seconds)
    return (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE)).astype(np.float32)


def _add_sound(output, codec: str, seconds: float, layout: str = "mono") -> None:
    stream = output.add_stream(codec, rate=SAMPLE_RATE)
    stream.layout = layout
    return stream


def _encode_sound(output, stream, seconds: float) -> None:
    """The tone as float frames; PyAV converts them to the encoder's own sample format and frame size."""
    tone = _tone(seconds)
    channels = stream.codec_context.layout.nb_channels
    step = 1024
    for start in range(0, len(tone), step):
        chunk = np.ascontiguousarray(np.repeat(tone[None, start : start + step], channels, axis=0))
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=stream.layout.name)
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, start, Fraction(1, SAMPLE_RATE)
        output.mux(stream.encode(frame))
    output.mux(stream.encode(None))


def make_video(
    path: Path,
    *,
    container: str = "mp4",
    codec: str = "h264",
    sound: str | None = "aac",
    seconds: float = 2.0,
    size: tuple[int, int] = (320, 240),
    rate: int = 25,
    tags: dict | None = None,
    options: dict | None = None,
    rotation: int | None = None,
) -> Path:
    """A short video with moving pictures and a tone, with `tags` on the container."""
    with av.open(str(path), "w", format=container, options=options or {}) as output:
        output.metadata.update(tags or {})
        video = output.add_stream(codec, rate=rate)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        if rotation is not None:
            video.set_display_rotation(rotation)
        audio = _add_sound(output, sound, seconds) if sound else None
        for index in range(int(seconds * rate)):
            frame = av.VideoFrame.from_ndarray(_picture(index, *size), format="rgb24")
            frame.pts = index
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if audio is not None:
            _encode_sound(output, audio, seconds)
    return path


def make_sound(
    path: Path,
    *,
    container: str,
    codec: str,
    seconds: float = 2.0,
    tags: dict | None = None,
    stream_tags: dict | None = None,
    layout: str = "mono",
) -> Path:
    """A short tone in `container`, with `tags` on the container and `stream_tags` on its stream."""
    with av.open(str(path), "w", format=container) as output:
        output.metadata.update(tags or {})
        stream = _add_sound(output, codec, seconds, layout)
        stream.metadata.update(stream_tags or {})
        _encode_sound(output, stream, seconds)
    return path


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def add_udta_atoms(path: Path, atoms: dict[bytes, str]) -> Path:
    """Append a `udta` box of QuickTime text atoms (such as `©xyz`, the location Android phones
    write) to the `moov` box, which FFmpeg writes last, so that no offset in the file moves."""
    data = path.read_bytes()
    position = 0
    while position < len(data):
        size, kind = int.from_bytes(data[position : position + 4], "big"), data[position + 4 : position + 8]
        if kind == b"moov":
            assert position + size == len(data), "moov must be the last box"
            break
        position += size
    udta = _box(
        b"udta",
        b"".join(
            _box(name, len(text.encode()).to_bytes(2, "big") + b"\x15\xc7" + text.encode())  # language "eng"
            for name, text in atoms.items()
        ),
    )
    moov = data[position:]
    path.write_bytes(data[:position] + (len(moov) + len(udta)).to_bytes(4, "big") + moov[4:] + udta)
    return path


def phone_mp4(folder: Path) -> Path:
    """What an Android phone writes: location atom ©xyz, creation time, make and model (©mak, ©mod),
    and a comment holding an XMP packet."""
    path = make_video(
        folder / "VID_20250601_102030.mp4",
        tags={
            "creation_time": CAPTURED,
            "comment": '<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>43,15.4N</exif:GPSLatitude></x:xmpmeta>',
        },
    )
    return add_udta_atoms(path, {b"\xa9xyz": LOCATION, b"\xa9mak": DEVICE_MAKE, b"\xa9mod": DEVICE_MODEL})


def iphone_mov(folder: Path) -> Path:
    """An iPhone QuickTime movie with Apple's keys: ISO 6709 location, make, model, creation date."""
    return make_video(
        folder / "IMG_0042.MOV",
        container="mov",
        tags={
            "com.apple.quicktime.location.ISO6709": APPLE_LOCATION,
            "com.apple.quicktime.make": DEVICE_MAKE,
            "com.apple.quicktime.model": DEVICE_MODEL,
            "com.apple.quicktime.creationdate": "2025-06-01T15:20:30+0500",
        },
        options={"movflags": "use_metadata_tags"},
    )


def mp3_with_id3_artist(folder: Path) -> Path:
    return make_sound(
        folder / "voice.mp3",
        container="mp3",
        codec="libmp3lame",
        tags={"artist": ARTIST, "title": "Plant at night", "comment": "recorded at home"},
    )


def opus_voice(folder: Path) -> Path:
    return make_sound(folder / "voice.ogg", container="ogg", codec="libopus", stream_tags={"artist": ARTIST})


def wav_voice(folder: Path) -> Path:
    return make_sound(folder / "voice.wav", container="wav", codec="pcm_s16le", tags={"artist": ARTIST})


def m4a_voice(folder: Path) -> Path:
    return make_sound(folder / "voice.m4a", container="ipod", codec="aac", tags={"artist": ARTIST})
