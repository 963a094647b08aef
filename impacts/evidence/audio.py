"""Voice messages (OGG/Opus, M4A/AAC, MP3, WAV): published, if ever, as a new mono AAC in M4A.

A voice identifies the speaker, so the public copy is served only when the reporter allowed it in
the form and a moderator approved it (`Evidence.voice_is_public`); otherwise the moderator's written
summary stands in for it. The copy itself carries no ID3, Vorbis comment or MP4 tag, no cover
picture and no second track; it is rebuilt from the decoded sound in a sandboxed child (`media`).
AAC in M4A rather than Opus in OGG because every phone's browser plays it.
"""

from __future__ import annotations

from .media import MediaResult, prepare_media


def prepare_audio(path: str, name: str | None = None) -> MediaResult:
    """The public copy and moderators' facts of the voice message at `path` (a video file's sound
    only, if given one); raise EvidenceRejected if unfit. `name` is used in messages."""
    return prepare_media(path, name, "audio")
