"""Videos from phones (MP4, MOV, 3GP, WebM): published as a new H.264/AAC MP4 of at most 720p.

The original is sealed as it came; the public copy is rebuilt from decoded pictures and sound in a
sandboxed child (`media`, `media_transcode`), upright, at most 30 frames a second, with no tag, no
location atom (`©xyz`, Apple's ISO 6709 key), no XMP, no subtitle or data track, and `faststart`
so it plays as it downloads. A poster JPEG (about one second in) is made for the lists and the
player. Location and capture time are read from the original's tags for senior moderators only.
"""

from __future__ import annotations

from .media import MediaResult, prepare_media


def prepare_video(path: str, name: str | None = None) -> MediaResult:
    """The public copy and moderators' facts of the video at `path`; raise EvidenceRejected if unfit.

    `name` is the sanitised name the reporter gave the file, used in messages. A "video" with no
    picture (some phones record voice into MP4 or WebM) comes back as `kind == "audio"`, prepared
    as a voice message: store it as one.
    """
    return prepare_media(path, name, "video")
