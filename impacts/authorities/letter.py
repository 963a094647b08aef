"""The letter itself: a complaint or a request for environmental information about a published report,
in Russian or Kazakh, as a PDF to print, sign and send through the official channels.

The letter says only what the public page says (the public title and text, the place as published,
the public copies of the evidence with their SHA-256), so a letter cannot reveal more than the site
already does. The sender's name and address appear only when the reporter typed them into the letter
form (`Sender`); otherwise the letter leaves lines to fill in by hand.

The PDF carries no person's name in its metadata: the title names the report, the creator names the
site. The font (DejaVu Sans, with every Kazakh letter) is shipped in static/vendor/fonts and embedded,
so the letter reads the same on a machine without Cyrillic fonts.
"""

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from ..evidence.fingerprints import file_sha256
from .models import Authority, RequestKind

LANGUAGES = ("ru", "kk")
# WeasyPrint logs every step of every letter at INFO; the site's log is for what went wrong.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
FONT_FOLDER = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts" / "dejavu"


@dataclass(frozen=True)
class Sender:
    """What the reporter chose to put in the letter; empty fields become blank lines."""

    name: str = ""
    address: str = ""
    contact: str = ""  # phone or e-mail, as typed


@dataclass(frozen=True)
class CitedFile:
    record_url: str
    file_url: str
    sha256: str
    public_sha256: str


def _site_url(path: str) -> str:
    return settings.KZCN_SITE_URL + path


def cited_files(report, language: str) -> list[CitedFile]:
    """The report's public evidence files as its page lists them (a voice kept private is not cited)."""
    items = report.evidence.public().filter(update__isnull=True).exclude(public_file="").order_by("pk")
    with translation.override(language):
        return [
            CitedFile(
                record_url=_site_url(reverse("impacts:evidence_record", args=[item.pk])),
                file_url=_site_url(reverse("impacts:evidence_file", args=[item.pk, "public"])),
                sha256=item.sha256,
                public_sha256=item.public_sha256 or file_sha256(item.public_file),
            )
            for item in items
            if item.is_public
        ]


def letter_context(
    report, authority: Authority, kind: str, language: str, sender: Sender | None, today: datetime.date | None = None
) -> dict:
    with translation.override(language):
        place = [
            report.project.name if report.project_id else report.public_site_name,
            report.public_settlement,
            report.get_region_display(),
        ]
        return {
            "report": report,
            "authority_name": authority.name_in(language),
            "authority": authority,
            "complaint": kind == RequestKind.COMPLAINT,
            "sender": sender or Sender(),
            "place": ", ".join(str(part) for part in place if part),
            "report_url": _site_url(report.get_absolute_url()),
            "files": cited_files(report, language),
            "today": today or timezone.localdate(),
            "font_folder": FONT_FOLDER.as_uri(),
        }


def _weasyprint():
    """WeasyPrint, imported on first use: it needs Pango from the system (`make pdf-libs`), and the
    rest of the site runs without it.

    Importing it sets Pillow's process-wide `ImageFile.LOAD_TRUNCATED_IMAGES = True`, which would make
    every later photo check in this process accept truncated and damaged files (the evidence
    pipeline refuses them). The letters hold no pictures, so the setting is put back at once.
    """
    import weasyprint
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def render_letter(
    report,
    authority: Authority,
    kind: str,
    language: str,
    sender: Sender | None = None,
    today: datetime.date | None = None,
) -> bytes:
    """The letter as PDF bytes. `language` is "ru" or "kk"; `kind` a RequestKind value."""
    if language not in LANGUAGES or kind not in RequestKind.values:
        raise ValueError(f"no letter in {language!r} of kind {kind!r}")
    weasyprint = _weasyprint()
    html = render_to_string(
        f"impacts/authorities/letter_{language}.html", letter_context(report, authority, kind, language, sender, today)
    )
    return weasyprint.HTML(string=html, base_url=str(FONT_FOLDER)).write_pdf()


def file_name(report, kind: str, language: str) -> str:
    return f"{report.reference}-{kind}-{language}.pdf"
