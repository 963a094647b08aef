"""Fingerprint evidence stored before fingerprints existed (impacts.evidence.fingerprints)."""

from django.core.management.base import BaseCommand
from django.db.models import Q

from impacts.evidence.fingerprints import fingerprint_evidence
from impacts.models import Evidence

PICTURE_KINDS = ["photo", "video"]  # a video is hashed by its poster frame


class Command(BaseCommand):
    help = "Compute the perceptual hash and public-copy SHA-256 of evidence that has none yet."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recompute every file, not only missing ones")

    def handle(self, *args, **options):
        items = Evidence.objects.exclude(public_file="").order_by("pk")
        if not options["all"]:
            items = items.filter(Q(public_sha256="") | Q(phash__isnull=True, kind__in=PICTURE_KINDS))
        done = failed = 0
        for item in items.iterator(chunk_size=200):
            try:
                done += fingerprint_evidence(item)
            except (OSError, ValueError) as error:  # a missing or unreadable file: say which, go on
                failed += 1
                self.stderr.write(f"evidence {item.pk}: {error}")
        self.stdout.write(f"{done} file(s) fingerprinted, {failed} failed.")
