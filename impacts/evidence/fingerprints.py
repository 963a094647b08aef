"""Fingerprints of evidence: is this photo one we have already seen?

A photo copied from another report, or from the internet, must not pass unnoticed. Two kinds of
fingerprint are kept on `Evidence`:

* the SHA-256 of the sealed original (computed when the file arrives): the *same file* sent with
  another report is found by an indexed equality;
* a 64-bit perceptual hash (pHash, `imagehash`) of the public picture: a resized, slightly cropped
  or recompressed copy differs from the first in a few of the 64 bits (Hamming distance), where
  unrelated photos differ in about 32.

Finding every hash within distance `d` of a query among 100,000 rows without reading them all uses
multi-index hashing: the 64 bits are stored again as four 16-bit bands, each an indexed column. If
two hashes differ in at most `d` bits, at least one of the four bands differs in at most `d // 4`
bits (pigeonhole). So the lookup asks, for each band, for the band values within `d // 4` bits of
the query's band (an indexed IN list: 1 value for d ≤ 3, 17 for d ≤ 7, 137 for d ≤ 11), ORs the
four, and checks the exact distance of the few candidates in Python. The guarantee matches the
threshold whatever it is set to (`KZCN_NEAR_DUPLICATE_DISTANCE`, default 10): nothing within the
threshold is ever missed. The default is 10 because a copy cropped by 5% measured 4-8 bits away
from its source and one cropped from a corner up to 14; resizing and recompression 0-2.

`fingerprint_evidence(evidence)` computes and saves both the perceptual hash and the public copy's
own SHA-256 (shown on the public evidence record). It must run once the public copy exists.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import imagehash
from django.conf import settings
from django.db.models import Q
from PIL import Image

HASH_BITS = 64
BANDS = 4
BAND_BITS = HASH_BITS // BANDS
BAND_MASK = (1 << BAND_BITS) - 1
DEFAULT_DISTANCE = 10
BAND_FIELDS = tuple(f"phash_band_{number}" for number in range(BANDS))
CHUNK_SIZE = 64 * 1024


def near_duplicate_distance() -> int:
    """The largest Hamming distance (of 64 bits) at which two pictures are shown as resembling."""
    return int(getattr(settings, "KZCN_NEAR_DUPLICATE_DISTANCE", DEFAULT_DISTANCE))


# --- The hash and its bands ---------------------------------------------------------------------


def perceptual_hash(picture: Image.Image | bytes) -> int:
    """The 64-bit pHash of a picture (a PIL image, or the bytes of one), as an unsigned integer.

    Meant for our own derivatives (thumbnails, public copies, video posters), which the evidence
    pipeline has already checked and shrunk; Pillow's decompression-bomb limit still applies.
    """
    if isinstance(picture, bytes | bytearray):
        with Image.open(io.BytesIO(picture)) as image:
            return perceptual_hash(image.convert("RGB"))
    return int(str(imagehash.phash(picture, hash_size=8)), 16)


def to_signed(value: int) -> int:
    """Unsigned 64-bit → the signed value a BigIntegerField can hold (two's complement)."""
    return value - (1 << HASH_BITS) if value >= 1 << (HASH_BITS - 1) else value


def to_unsigned(value: int) -> int:
    return value + (1 << HASH_BITS) if value < 0 else value


def bands(value: int) -> list[int]:
    """The four 16-bit bands of an unsigned hash, most significant first."""
    return [(value >> (BAND_BITS * (BANDS - 1 - number))) & BAND_MASK for number in range(BANDS)]


def hash_fields(value: int) -> dict[str, int]:
    """The Evidence columns for an unsigned hash: the signed whole and its four bands."""
    return {"phash": to_signed(value), **dict(zip(BAND_FIELDS, bands(value), strict=True))}


def distance(first: int, second: int) -> int:
    """Hamming distance: how many of the 64 bits differ (signed or unsigned inputs)."""
    return (to_unsigned(first) ^ to_unsigned(second)).bit_count()


def band_radius(threshold: int) -> int:
    """Within `threshold` bits overall means within this many bits in at least one band."""
    return threshold // BANDS


def neighbours(band: int, radius: int) -> set[int]:
    """Every 16-bit value within `radius` flipped bits of `band`, `band` itself included."""
    values = {band}
    for flips in range(1, radius + 1):
        for positions in combinations(range(BAND_BITS), flips):
            flipped = band
            for position in positions:
                flipped ^= 1 << position
            values.add(flipped)
    return values


def candidates_filter(hashes: Iterable[int], threshold: int) -> Q:
    """A filter that matches every row within `threshold` bits of any of `hashes` (and a few more).

    One indexed IN list per band, ORed: the database reads only rows sharing a near band.
    """
    radius = band_radius(threshold)
    wanted: list[set[int]] = [set() for _ in range(BANDS)]
    for value in hashes:
        for number, band in enumerate(bands(to_unsigned(value))):
            wanted[number] |= neighbours(band, radius)
    condition = Q()
    for field, values in zip(BAND_FIELDS, wanted, strict=True):
        if values:
            condition |= Q(**{f"{field}__in": sorted(values)})
    return condition


# --- Computing and saving -----------------------------------------------------------------------


def _picture_file(evidence):
    """The stored picture to hash: a video's poster, else the photo's thumbnail, else its public copy."""
    for name in ("poster", "thumbnail"):
        file = getattr(evidence, name, None)
        if file:
            return file
    if evidence.kind == "photo" and evidence.public_file:
        return evidence.public_file
    return None


def file_sha256(file) -> str:
    """The SHA-256 of a stored file, read in chunks."""
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_bytes(file) -> bytes:
    with file.open("rb") as handle:
        return handle.read()


def fingerprint_evidence(evidence) -> bool:
    """Compute and save the public copy's SHA-256 and, for pictures, the perceptual hash.

    Call once the public copy (and thumbnail or poster) exist; idempotent. Writes with an UPDATE
    of these columns only, so it never overwrites what a moderator or the worker saved meanwhile.
    Returns False when there is no public copy yet (nothing saved).
    """
    if not evidence.public_file:
        return False
    fields: dict[str, object] = {"public_sha256": file_sha256(evidence.public_file)}
    picture = _picture_file(evidence)
    if picture is not None:
        fields.update(hash_fields(perceptual_hash(_file_bytes(picture))))
    type(evidence).objects.filter(pk=evidence.pk).update(**fields)
    for name, value in fields.items():
        setattr(evidence, name, value)
    return True


# --- Looking up ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resemblance:
    """Another report's file that looks like (distance) or is (same_file) one of ours."""

    evidence: object  # impacts.models.Evidence, with its report loaded
    distance: int | None  # None when only the bytes were compared
    same_file: bool = False


def near_duplicates(items: Sequence, threshold: int | None = None) -> dict[int, list[Resemblance]]:
    """For each of `items` (Evidence), the files of *other* reports within `threshold` bits.

    At most two queries whatever the number of items: the candidates' hashes only (every item's
    band neighbours in one indexed OR; hundreds of rows at 100,000 files), then the few rows that
    are truly within the threshold, with their reports. Closest first.
    """
    threshold = near_duplicate_distance() if threshold is None else threshold
    hashed = [item for item in items if item.phash is not None]
    found: dict[int, list[Resemblance]] = {item.pk: [] for item in items}
    if not hashed:
        return found
    model = type(hashed[0])
    candidates = (
        model.objects.filter(candidates_filter([item.phash for item in hashed], threshold))
        .exclude(report_id__in={item.report_id for item in hashed})
        .order_by()
        .values_list("pk", "phash", "sha256")
    )
    hits = [
        (item, pk, apart, sha256 == item.sha256)
        for pk, value, sha256 in candidates
        for item in hashed
        if (apart := distance(item.phash, value)) <= threshold
    ]
    others = model.objects.select_related("report").in_bulk({pk for _, pk, _, _ in hits}) if hits else {}
    for item, pk, apart, same in hits:
        found[item.pk].append(Resemblance(others[pk], apart, same))
    for matches in found.values():
        matches.sort(key=lambda match: (match.distance, match.evidence.pk))
    return found


def same_files(items: Sequence) -> dict[int, list[Resemblance]]:
    """For each of `items`, the files of other reports with the same original bytes (one query)."""
    found: dict[int, list[Resemblance]] = {item.pk: [] for item in items}
    if not items:
        return found
    by_hash: dict[str, list] = {}
    for item in items:
        by_hash.setdefault(item.sha256, []).append(item)
    others = (
        type(items[0])
        .objects.filter(sha256__in=list(by_hash))
        .exclude(report_id__in={item.report_id for item in items})
        .select_related("report")
    )
    for other in others:
        for item in by_hash[other.sha256]:
            found[item.pk].append(Resemblance(other, None, same_file=True))
    return found


def resemblances(items: Sequence, threshold: int | None = None) -> dict[int, list[Resemblance]]:
    """Same files first, then near-duplicates that are not the same file: at most three queries."""
    exact = same_files(items)
    near = near_duplicates(items, threshold)
    found = {}
    for item in items:
        seen = {match.evidence.pk for match in exact[item.pk]}
        found[item.pk] = exact[item.pk] + [m for m in near[item.pk] if m.evidence.pk not in seen]
    return found
