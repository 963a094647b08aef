"""Labels for what sanitising took out of a public copy, stored in `Evidence.removed_metadata`.

They are stored in English, as msgids, and translated where they are shown (the moderator's page
calls gettext on each), so a moderator reading in Kazakh sees Kazakh whatever the upload's language.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

AUTHOR = gettext_noop("author")
TITLE = gettext_noop("document title")
SUBJECT_AND_KEYWORDS = gettext_noop("subject and keywords")
PRODUCER = gettext_noop("producer")
DATES = gettext_noop("creation and modification dates")
XMP = gettext_noop("XMP metadata")
GPS = gettext_noop("embedded GPS")
CAMERA = gettext_noop("camera make and model")
CAMERA_SERIAL = gettext_noop("camera serial")
CAPTURE_TIME = gettext_noop("capture time")
SOFTWARE = gettext_noop("software")
COMMENTS = gettext_noop("comments")
IPTC = gettext_noop("IPTC captions and credits")
COLOUR_PROFILE = gettext_noop("colour profile")
OTHER_EXIF = gettext_noop("other camera data")
OPEN_ACTION = gettext_noop("auto-action on open")
NETWORK_SHARE = gettext_noop("link to a network share")
FORM_SUBMISSION = gettext_noop("form submission action")
JAVASCRIPT = gettext_noop("JavaScript")
EMBEDDED_FILES = gettext_noop("embedded files")
WEB_LINKS = gettext_noop("web links")
ANNOTATIONS = gettext_noop("annotations and form fields")
# Videos and voice messages (MP4/MOV atoms such as ©xyz, Matroska tags, ID3, Vorbis comments).
DEVICE = gettext_noop("device make and model")
MEDIA_TAGS = gettext_noop("artist, album and title tags")
COVER_PICTURE = gettext_noop("cover picture")
EXTRA_TRACKS = gettext_noop("subtitle, data and extra tracks")
OTHER_TAGS = gettext_noop("other tags")

# The order a moderator reads them in: who and where first, then the rest.
ORDER = [
    AUTHOR, GPS, CAMERA_SERIAL, CAMERA, DEVICE, CAPTURE_TIME, TITLE, MEDIA_TAGS, SUBJECT_AND_KEYWORDS, COMMENTS,
    IPTC, XMP, COVER_PICTURE, EXTRA_TRACKS, PRODUCER, SOFTWARE, DATES, COLOUR_PROFILE, OTHER_EXIF, OTHER_TAGS,
    OPEN_ACTION, NETWORK_SHARE, FORM_SUBMISSION, JAVASCRIPT, EMBEDDED_FILES, WEB_LINKS, ANNOTATIONS,
]  # fmt: skip


def in_order(labels: set[str]) -> list[str]:
    """The labels found, each once, in reading order (a JSON list for the model)."""
    return [label for label in ORDER if label in labels]
