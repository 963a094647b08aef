"""Rebuild a video or voice recording from its decoded pictures and sound: nothing else survives.

Runs as a child process (`python -I media_transcode.py PARAMETERS`, started by `video`/`audio`
through `sandbox.run`) under memory, CPU and time limits, because FFmpeg's demuxers and decoders
(in PyAV's wheel: no system binary) parse what a stranger uploaded. It imports nothing from Django
or the project but `sandbox`.

What it does, in one pass over the original:
* opens it with the one demuxer its first bytes announced (never FFmpeg's guess: a playlist or
  concat script would make FFmpeg open other files or URLs), file protocol only;
* checks stream count, duration and picture size before decoding;
* reports every tag of the container and streams, and whether XMP is in the bytes, so the parent
  can list what was removed and read the location and capture time for senior moderators;
* decodes the first real video stream (attached cover pictures are skipped) and the first audio
  stream, turns the picture upright, caps it at 720p and 30 frames a second, and encodes new
  streams (H.264/AAC in MP4 for video, AAC mono in M4A for voice) into a new container with no
  tag, no subtitle or data track, `+bitexact` so FFmpeg writes no version strings of its own,
  and `+faststart` so a browser can start playing before the whole file has arrived;
* keeps the picture shown about one second in as the poster (a JPEG drawn by Pillow, no EXIF);
* reopens what it wrote and reports its tags, so the parent can check that none is left.

Exit codes are read by `media.refusal_for_exit`.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import time
from fractions import Fraction

EXIT_UNREADABLE = 3
EXIT_TOO_LONG = 4
EXIT_TOO_MANY_PIXELS = 5
EXIT_TOO_SLOW = 6
EXIT_TOO_BIG = 7
EXIT_OUT_OF_MEMORY = 8
EXIT_NO_SOUND = 9  # a voice message without sound, or a video with neither picture nor sound
EXIT_TOO_MANY_STREAMS = 10

MAX_STREAMS = 16
MAX_TAGS = 200
MAX_TAG_CHARS = 300
MAX_DECODE_ERRORS = 20  # damaged packets tolerated before the file counts as unreadable
MAX_FPS = 30
PUBLIC_LONG_SIDE, PUBLIC_SHORT_SIDE = 1280, 720
POSTER_SECONDS = 1.0
POSTER_QUALITY = 80
# "superfast": a 3-minute 1080p phone video is re-encoded in about a minute on 2 CPUs; slower presets
# save a tenth of the bytes for twice the time.
VIDEO_OPTIONS = {"crf": "28", "preset": "superfast", "maxrate": "2000k", "bufsize": "4000k"}
VIDEO_AUDIO_BITRATE = 96_000
VOICE_BITRATE = 64_000
SAMPLE_RATE = 48_000
XMP_MARKERS = (b"<x:xmpmeta", b"XMP_", b"http://ns.adobe.com/xap/")


class Refused(Exception):
    def __init__(self, exit_code: int):
        super().__init__(exit_code)
        self.exit_code = exit_code


# --- Reading the original ------------------------------------------------------------------------


def tags_of(container) -> dict:
    """Every tag of the container and of each stream, as text, bounded in number and length."""
    found: dict[str, list[str]] = {}

    def add(where: str, metadata) -> None:
        for key, value in list(metadata.items())[:MAX_TAGS]:
            found.setdefault(str(key)[:100], []).append(str(value)[:MAX_TAG_CHARS])

    add("container", container.metadata)
    for stream in container.streams:
        add(f"stream {stream.index}", stream.metadata)
    return found


def has_xmp(path: str) -> bool:
    """XMP packets are found in the bytes: FFmpeg exposes them only for some containers."""
    with open(path, "rb") as original:
        carry = b""
        while chunk := original.read(1024 * 1024):
            window = carry + chunk
            if any(marker in window for marker in XMP_MARKERS):
                return True
            carry = window[-32:]
    return False


def stream_kinds(container) -> dict:
    """What tracks the original carries besides the ones we rebuild (listed as removed)."""
    cover = [s for s in container.streams.video if s.disposition & 0x0400]  # AV_DISPOSITION_ATTACHED_PIC
    return {
        "cover_pictures": len(cover),
        "video": len(container.streams.video) - len(cover),
        "audio": len(container.streams.audio),
        "other": len(container.streams) - len(container.streams.video) - len(container.streams.audio),
    }


def main_video_stream(container):
    for stream in container.streams.video:
        if not stream.disposition & 0x0400:
            return stream
    return None


def seconds_into(frame, stream) -> float:
    """How far into its stream this frame is (0 when it carries no time)."""
    if frame.time is None:
        return 0.0
    start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
    return frame.time - start


def declared_seconds(container) -> float | None:
    if container.duration and container.duration > 0:
        return container.duration / 1_000_000
    durations = [float(s.duration * s.time_base) for s in container.streams if s.duration and s.time_base]
    return max(durations) if durations else None


# --- Building the public copy --------------------------------------------------------------------


def public_size(width: int, height: int) -> tuple[int, int]:
    """At most 1280×720 (or 720×1280 upright), never enlarged, even numbers for 4:2:0 colour."""
    long_side, short_side = max(width, height), min(width, height)
    scale = min(1.0, PUBLIC_LONG_SIDE / long_side, PUBLIC_SHORT_SIDE / short_side)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def upright_filters(rotation: int) -> list[tuple[str, str]]:
    """Filters that turn a frame upright; `rotation` is counterclockwise, as PyAV reports it."""
    turn = (-round(rotation / 90) * 90) % 360  # clockwise degrees to apply
    return {90: [("transpose", "clock")], 180: [("hflip", ""), ("vflip", "")], 270: [("transpose", "cclock")]}.get(
        turn, []
    )


def output_rate(stream) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0 or rate > MAX_FPS:
        return Fraction(MAX_FPS)
    return Fraction(rate).limit_denominator(1001)


class VideoTrack:
    """Decoded frames in, upright ≤720p frames at ≤30 fps out to the encoder; keeps the poster."""

    def __init__(self, output, stream):
        self.output, self.stream = output, stream
        self.rate = output_rate(stream)
        self.graph = self.encoder = None
        self.shape = None
        self.count = 0
        self.first = self.poster = None

    def start(self, frame) -> None:
        import av
        from av.codec.context import Flags

        self.shape = (frame.width, frame.height, frame.format.name)
        turned = upright_filters(frame.rotation or 0)
        upright = (frame.height, frame.width) if turned and turned[0][0] == "transpose" else self.shape[:2]
        width, height = public_size(*upright)
        graph = av.filter.Graph()
        nodes = [
            graph.add_buffer(
                width=frame.width, height=frame.height, format=frame.format.name, time_base=self.stream.time_base
            )
        ]
        nodes.append(graph.add("fps", f"fps={self.rate}"))
        nodes += [graph.add(name, arguments) for name, arguments in turned]
        nodes.append(graph.add("scale", f"{width}:{height}:flags=bilinear"))
        nodes.append(graph.add("format", "yuv420p"))
        nodes.append(graph.add("buffersink"))
        graph.link_nodes(*nodes).configure()
        self.graph = graph
        encoder = self.output.add_stream("libx264", rate=self.rate, options=dict(VIDEO_OPTIONS))
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
        encoder.codec_context.flags |= Flags.bitexact
        encoder.codec_context.thread_count = 2
        self.encoder = encoder

    def push(self, frame) -> None:
        import av

        if (frame.width, frame.height, frame.format.name) != self.shape:  # changed mid-stream: keep the first
            frame = frame.reformat(width=self.shape[0], height=self.shape[1], format=self.shape[2])
        self.graph.push(frame)
        while True:
            try:
                filtered = self.graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            self._encode(filtered)

    def finish(self) -> None:
        import av

        if self.graph is None:
            return
        self.graph.push(None)
        while True:
            try:
                self._encode(self.graph.pull())
            except (av.BlockingIOError, av.EOFError):
                break
        self.output.mux(self.encoder.encode(None))

    def _encode(self, frame) -> None:
        if self.poster is None and self.count >= POSTER_SECONDS * self.rate:
            self.poster = frame.to_image()
        elif self.count == 0:
            self.first = frame.to_image()
        frame.pts, frame.time_base = self.count, 1 / self.rate
        self.count += 1
        self.output.mux(self.encoder.encode(frame))

    def poster_jpeg(self) -> bytes | None:
        image = self.poster or self.first
        if image is None:
            return None
        image.info = {}
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=POSTER_QUALITY, optimize=True)
        return buffer.getvalue()


class AudioTrack:
    """Decoded sound in, resampled to 48 kHz (mono for voice) and encoded as AAC."""

    def __init__(self, output, *, mono: bool):
        import av
        from av.codec.context import Flags

        layout = "mono" if mono else "stereo"
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
        self.encoder = output.add_stream("aac", rate=SAMPLE_RATE)
        self.encoder.layout = layout
        self.encoder.bit_rate = VOICE_BITRATE if mono else VIDEO_AUDIO_BITRATE
        self.encoder.codec_context.flags |= Flags.bitexact
        self.output = output
        self.samples = 0

    def push(self, frame) -> None:
        frame.pts = None
        for resampled in self.resampler.resample(frame):
            self._encode(resampled)

    def finish(self) -> None:
        for resampled in self.resampler.resample(None):
            self._encode(resampled)
        self.output.mux(self.encoder.encode(None))

    def _encode(self, frame) -> None:
        frame.pts, frame.time_base = self.samples, Fraction(1, SAMPLE_RATE)
        self.samples += frame.samples
        self.output.mux(self.encoder.encode(frame))


class Tracks:
    """The public copy's tracks, added to the output before its first packet is written.

    The video encoder's settings depend on the first decoded frame (its rotation), so sound that
    arrives before it waits (a few seconds at most), and both tracks are added together.
    """

    MAX_HELD_FRAMES = 2000

    def __init__(self, output, video_stream, audio_stream):
        self.output, self.video_stream, self.audio_stream = output, video_stream, audio_stream
        self.video = VideoTrack(output, video_stream) if video_stream is not None else None
        self.audio = None
        if self.video is None and audio_stream is not None:
            self.audio = AudioTrack(output, mono=True)
        self.held: list = []

    def push(self, stream, frame) -> None:
        if stream is self.video_stream:
            if self.video.graph is None:
                self.video.start(frame)
                if self.audio_stream is not None:
                    self.audio = AudioTrack(self.output, mono=False)
                    for held in self.held:
                        self.audio.push(held)
                    self.held = []
            self.video.push(frame)
        elif self.audio is not None:
            self.audio.push(frame)
        elif len(self.held) < self.MAX_HELD_FRAMES:
            self.held.append(frame)
        else:
            raise Refused(EXIT_UNREADABLE)  # minutes of sound and no picture in a "video"

    def finish(self) -> None:
        if self.video is not None:
            self.video.finish()
        if self.audio is not None:
            self.audio.finish()


def decoded(source, streams: list, deadline: float):
    """(packet, frame) pairs of these streams in file order; a few damaged packets are skipped."""
    import av

    errors = 0
    for packet in source.demux(streams):
        if time.monotonic() > deadline:
            raise Refused(EXIT_TOO_SLOW)
        try:
            frames = packet.decode()
        except av.FFmpegError:
            errors += 1
            if errors > MAX_DECODE_ERRORS:
                raise Refused(EXIT_UNREADABLE) from None
            continue
        for frame in frames:
            yield packet, frame


def transcode(parameters: dict) -> dict:
    """Check, read and rebuild the original; the facts the parent needs, as JSON-ready data."""
    import av

    deadline = time.monotonic() + parameters["seconds"]
    try:
        source = av.open(
            parameters["source"],
            format=parameters["demuxer"],
            metadata_errors="ignore",
            options={"protocol_whitelist": "file", "export_xmp": "1"},
        )
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise Refused(EXIT_UNREADABLE) from error
    with source:
        return _transcode_open(source, parameters, deadline)


def _transcode_open(source, parameters: dict, deadline: float) -> dict:
    import av

    if len(source.streams) > MAX_STREAMS:
        raise Refused(EXIT_TOO_MANY_STREAMS)
    video_stream = main_video_stream(source) if parameters["mode"] == "video" else None
    audio_stream = source.streams.audio[0] if source.streams.audio else None
    kind = "video" if video_stream is not None else "audio"
    if video_stream is None and audio_stream is None:
        raise Refused(EXIT_NO_SOUND)
    max_seconds = parameters["max_seconds"][kind]
    declared = declared_seconds(source)
    if declared is not None and declared > max_seconds + 1:
        raise Refused(EXIT_TOO_LONG)
    if video_stream is not None:
        context = video_stream.codec_context
        if not context.width or not context.height:
            raise Refused(EXIT_UNREADABLE)
        if context.width * context.height > parameters["max_pixels"]:
            raise Refused(EXIT_TOO_MANY_PIXELS)
        context.thread_count = 2
    facts = {
        "kind": kind,
        "tags": tags_of(source),
        "streams": stream_kinds(source),
        "xmp": has_xmp(parameters["source"]),
    }

    muxer = "mp4" if kind == "video" else "ipod"
    output = av.open(parameters["public"], "w", format=muxer, options={"movflags": "+faststart", "fflags": "+bitexact"})
    tracks = Tracks(output, video_stream, audio_stream)
    try:
        for packet, frame in decoded(source, [s for s in (video_stream, audio_stream) if s is not None], deadline):
            if seconds_into(frame, packet.stream) > max_seconds + 1:  # a duration not declared, or a lie
                raise Refused(EXIT_TOO_LONG)
            tracks.push(packet.stream, frame)
            if written_bytes(parameters["public"]) > parameters["max_output_bytes"]:
                raise Refused(EXIT_TOO_BIG)
        tracks.finish()
    finally:
        output.close()
    video, audio = tracks.video, tracks.audio
    if video.count == 0 if video is not None else audio is None or audio.samples == 0:
        raise Refused(EXIT_UNREADABLE)
    if written_bytes(parameters["public"]) > parameters["max_output_bytes"]:
        raise Refused(EXIT_TOO_BIG)
    poster = video.poster_jpeg() if video is not None else None
    if poster is not None:
        with open(parameters["poster"], "wb") as poster_file:
            poster_file.write(poster)
    facts["poster"] = poster is not None
    facts.update(written_facts(parameters["public"]))
    return facts


def written_bytes(path: str) -> int:
    """Bytes written so far (the muxer creates the file only with its first packet)."""
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def written_facts(path: str) -> dict:
    """Reopen the public copy: its duration, picture size, streams and tags (which must be none)."""
    import av

    with av.open(path, metadata_errors="ignore") as written:
        video = written.streams.video[0] if written.streams.video else None
        return {
            "duration": (written.duration or 0) / 1_000_000,
            "width": video.codec_context.width if video is not None else None,
            "height": video.codec_context.height if video is not None else None,
            "public_tags": tags_of(written),
            "public_streams": [stream.type for stream in written.streams],
        }


def main() -> int:
    parameters = json.loads(sys.argv[1])
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))
    import av  # noqa: F401  (loaded before the memory cap is measured)
    import av.filter  # noqa: F401
    from PIL import Image  # noqa: F401
    from sandbox import limit_self

    limit_self(parameters.pop("memory_bytes"), math.ceil(parameters["seconds"]) + 1)
    try:
        facts = transcode(parameters)
    except Refused as refusal:
        return refusal.exit_code
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except Exception as error:  # noqa: BLE001 (hostile bytes can make a decoder raise anything)
        print(repr(error)[:500], file=sys.stderr)
        return EXIT_UNREADABLE
    sys.stdout.write(json.dumps(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
