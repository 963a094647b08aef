"""Display names for uploaded files: the name a browser sends is text typed by a stranger."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_LENGTH = 100

# Cc control, Cf format (bidi overrides, zero-width, BOM), Cs surrogates, Co private use,
# Cn unassigned, Zl/Zp line and paragraph separators: none belongs in a name we show.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def sanitise_filename(name: str) -> str:
    """A safe display text for an uploaded file's name; never used as a path.

    Keeps only the last path part, drops control and bidi/format characters, collapses spaces,
    drops leading dots, and shortens to about 100 characters keeping the extension.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in _UNSAFE_CATEGORIES
    )
    text = " ".join(text.split()).lstrip(". ").rstrip(". ")
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(extension) - 2].rstrip() + "…." + extension
        else:
            text = text[: MAX_NAME_LENGTH - 1].rstrip() + "…"
    return text or "file"
