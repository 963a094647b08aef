"""Publish the PDFs received before PDFs were rebuilt from page pictures the way new ones are.

    manage.py rebuild_pdf_public_copies [--dry-run]

Until then a PDF's public copy was the uploaded file itself, with its author, XMP, producer, the
EXIF of photos inside it and its actions. For each such PDF (its public copy still has the
original's SHA-256) this makes the public copy again from the sealed original, as an upload is
made today, and records what was removed. A file today's limits refuse loses its public copy and is
hidden, with the refusal as the reason, for a moderator to look at. Running it again changes nothing.
"""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand

from impacts.evidence import EvidenceRejected, prepare_evidence
from impacts.models import Evidence, EvidenceKind, EvidenceVisibility


def published_as_sent(item: Evidence) -> bool:
    """True if the public copy is the original, byte for byte."""
    if not item.public_file:
        return False
    with item.public_file.open("rb") as public:
        return hashlib.sha256(public.read()).hexdigest() == item.sha256


class Command(BaseCommand):
    help = "Rebuild the public copy of every PDF still published byte for byte."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count them")

    def handle(self, *args, dry_run=False, **options):
        due = [
            item
            for item in Evidence.objects.filter(kind=EvidenceKind.DOCUMENT).order_by("pk")
            if published_as_sent(item)
        ]
        if not dry_run:
            for item in due:
                self._rebuild(item)
        self.stdout.write(f"{len(due)} PDF(s) {'to rebuild' if dry_run else 'rebuilt'}.")

    def _rebuild(self, item: Evidence) -> None:
        with item.sealed_file.open("rb") as sealed:
            upload = SimpleUploadedFile(item.original_name or "document.pdf", sealed.read())
        old_public = item.public_file.name
        try:
            prepared = prepare_evidence(upload)
        except EvidenceRejected as refusal:
            item.public_file = ""
            item.visibility = EvidenceVisibility.HIDDEN
            item.hidden_reason = refusal.message[:300]
            self.stderr.write(f"Evidence {item.pk}: hidden, {refusal.code}.")
        else:
            item.public_file.save("public.pdf", ContentFile(prepared.public_bytes), save=False)
            item.removed_metadata = prepared.removed_metadata
        item.save(update_fields=["public_file", "visibility", "hidden_reason", "removed_metadata"])
        item.public_file.storage.delete(old_public)
