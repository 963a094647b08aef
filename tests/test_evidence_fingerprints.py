"""Reused photos are caught: a moderator is told when a photo resembles, or is, one sent with another report.

The photos are made here with Pillow: one scene, a resized copy, a copy cropped by 5%, a copy
recompressed hard, and an unrelated scene. Each goes through the real evidence pipeline.
"""

import hashlib
import io
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter

from impacts.evidence import prepare_evidence
from impacts.evidence.fingerprints import (
    BAND_FIELDS,
    bands,
    candidates_filter,
    distance,
    hash_fields,
    near_duplicate_distance,
    near_duplicates,
    neighbours,
    resemblances,
    to_unsigned,
)
from impacts.models import Evidence, EvidenceWriter
from tests.reports import make_report

pytestmark = pytest.mark.django_db


# --- Photos made by the test ------------------------------------------------------------------------


def scene(seed: int, width: int = 1200, height: int = 900) -> Image.Image:
    """A photo-like picture: overlapping soft shapes, different for each seed."""
    rnd = random.Random(seed)
    image = Image.new("RGB", (width, height), tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = rnd.randrange(width), rnd.randrange(height), rnd.randrange(30, 300)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rnd.randrange(256) for _ in range(3)))
    return image.filter(ImageFilter.GaussianBlur(3))


def jpeg(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def resized(image):
    return image.resize((image.width // 3, image.height // 3))


def cropped_by_5_percent(image):
    dx, dy = int(image.width * 0.025), int(image.height * 0.025)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def published_report(**kw):
    return make_report(status="published", published_at=timezone.now(), **kw)


def add_photo(report, content: bytes, name: str = "photo.jpg") -> Evidence:
    """The photo stored as the report form stores it (the fingerprint is taken on the way)."""
    with EvidenceWriter() as writer:
        item = writer.store(report, prepare_evidence(SimpleUploadedFile(name, content, content_type="image/jpeg")))
    return Evidence.objects.get(pk=item.pk)


@pytest.fixture
def original():
    return scene(1)


@pytest.fixture
def first(original):
    return add_photo(published_report(), jpeg(original))


# --- Fingerprints ---------------------------------------------------------------------------------


def test_a_stored_photo_gets_its_perceptual_hash_and_public_copy_hash(first):
    assert first.phash is not None
    assert [getattr(first, field) for field in BAND_FIELDS] == bands(to_unsigned(first.phash))
    with first.public_file.open("rb") as public:
        assert first.public_sha256 == hashlib.sha256(public.read()).hexdigest()
    assert first.public_sha256 != first.sha256  # the public copy is a new file


@pytest.mark.parametrize("copy", [
    lambda image: jpeg(resized(image)),
    lambda image: jpeg(cropped_by_5_percent(image)),
    lambda image: jpeg(image, quality=25),
], ids=["resized", "cropped-5%", "recompressed"])  # fmt: skip
def test_a_resized_cropped_or_recompressed_copy_in_another_report_is_flagged(first, original, copy):
    second = add_photo(make_report(), copy(original))
    found = resemblances([second])[second.pk]
    assert [match.evidence.pk for match in found] == [first.pk]
    assert found[0].distance <= near_duplicate_distance()
    assert not found[0].same_file


def test_an_unrelated_photo_is_not_flagged(first):
    other = add_photo(make_report(), jpeg(scene(2)))
    assert resemblances([other])[other.pk] == []
    assert distance(first.phash, other.phash) > 16


def test_the_same_file_sent_with_two_reports_is_flagged(first, original):
    again = add_photo(make_report(), jpeg(original))
    assert again.sha256 == first.sha256
    found = resemblances([again])[again.pk]
    assert [(match.evidence.pk, match.same_file) for match in found] == [(first.pk, True)]


def test_photos_of_the_same_report_are_not_compared_with_each_other(first, original):
    second = add_photo(first.report, jpeg(resized(original)), "second.jpg")
    assert resemblances([first, second]) == {first.pk: [], second.pk: []}


def test_backfill_fingerprints_fills_in_files_stored_before(first):
    Evidence.objects.filter(pk=first.pk).update(phash=None, public_sha256="", **dict.fromkeys(BAND_FIELDS))
    call_command("backfill_fingerprints", stdout=io.StringIO())
    refreshed = Evidence.objects.get(pk=first.pk)
    assert (refreshed.phash, refreshed.public_sha256) == (first.phash, first.public_sha256)


# --- The band index: nothing within the threshold is missed, in one query ------------------------


def synthetic(report, value: int, number: int) -> Evidence:
    return Evidence(
        report=report,
        kind="photo",
        sha256=f"{number:064x}",
        content_type="image/jpeg",
        size=1,
        sealed_file=f"synthetic/{number}.jpg",
        **hash_fields(value),
    )


def flip(value: int, count: int, rnd) -> int:
    for position in rnd.sample(range(64), count):
        value ^= 1 << position
    return value


@pytest.mark.parametrize("threshold", [3, 7, 10])
def test_every_hash_within_the_threshold_is_found_and_none_beyond(settings, threshold):
    settings.KZCN_NEAR_DUPLICATE_DISTANCE = threshold
    rnd = random.Random(threshold)
    query_value = rnd.getrandbits(64)
    query = Evidence.objects.bulk_create([synthetic(make_report(), query_value, 0)])[0]
    others = make_report()
    rows = [synthetic(others, flip(query_value, bits, rnd), n) for n, bits in enumerate(range(0, 21), start=1)]
    rows += [synthetic(others, rnd.getrandbits(64), n) for n in range(100, 300)]
    Evidence.objects.bulk_create(rows)
    expected = {row.sha256 for row in rows if distance(row.phash, query_value) <= threshold}
    found = near_duplicates([query])[query.pk]
    assert {match.evidence.sha256 for match in found} == expected
    assert len(expected) >= threshold + 1


def test_the_band_radius_follows_the_threshold():
    # Within 3 bits overall: one band is equal (pigeonhole); within 7, one band is within 1 bit.
    assert len(neighbours(0xABCD, 0)) == 1
    assert len(neighbours(0xABCD, 1)) == 17
    assert len(neighbours(0xABCD, 2)) == 137
    three = candidates_filter([0x0123456789ABCDEF], 3)
    assert [child[1] for child in three.children] == [[0x0123], [0x4567], [0x89AB], [0xCDEF]]


def test_the_lookup_takes_the_same_number_of_queries_for_one_file_or_many(first, original, django_assert_num_queries):
    report = make_report()
    items = [add_photo(report, jpeg(scene(seed)), f"{seed}.jpg") for seed in range(3, 8)]
    copies = [add_photo(make_report(), jpeg(resized(scene(seed))), f"c{seed}.jpg") for seed in range(3, 8)]
    # The same files, the candidates' hashes, the rows that truly resemble: three, for one or five.
    with django_assert_num_queries(3):
        assert len(resemblances(items[:1])[items[0].pk]) == 1
    with django_assert_num_queries(3):
        found = resemblances(items)
    assert {match.evidence.pk for item in items for match in found[item.pk]} == {copy.pk for copy in copies}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the query plan is PostgreSQL's")
def test_postgresql_reads_the_band_indexes_not_the_whole_table(first):
    rnd = random.Random(5)
    report = make_report()
    Evidence.objects.bulk_create([synthetic(report, rnd.getrandbits(64), n) for n in range(1, 3001)])
    candidates = Evidence.objects.filter(candidates_filter([to_unsigned(first.phash)], near_duplicate_distance()))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE impacts_evidence")
        # On a table this small a full read is cheaper and PostgreSQL would choose it; forbid it to
        # see that the indexes serve the query (bench/fingerprints.py shows the choice at 100,000).
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = candidates.order_by().explain()
    assert "Seq Scan" not in plan, plan
    for field in BAND_FIELDS:
        assert re.search(rf"Bitmap Index Scan on \S*{field}", plan), plan


# --- What the moderator sees ----------------------------------------------------------------------


def test_the_moderator_sees_the_resemblance_and_opens_the_side_by_side_page(client, moderator, first, original):
    second = add_photo(make_report(), jpeg(resized(original)))
    reused = add_photo(make_report(), jpeg(original))
    client.force_login(moderator)
    page = client.get(reverse("admin:impacts_impactreport_change", args=[second.report.pk])).content.decode()
    apart = distance(first.phash, second.phash)
    assert (
        f"This photo resembles evidence {first.pk} of report {first.report.reference} (published), distance {apart}."
    ) in page
    compare = reverse("admin:impacts_evidence_compare", args=[second.pk, first.pk])
    assert compare in page
    side_by_side = client.get(compare)
    assert side_by_side.status_code == 200
    text = side_by_side.content.decode()
    for item in (first, second):
        assert reverse("impacts:evidence_file", args=[item.pk, "thumb"]) in text
    assert "sealed" not in text.split('id="content-main"')[1].lower()
    assert f"differ in {apart} of 64 bits" in text
    reused_page = client.get(reverse("admin:impacts_impactreport_change", args=[reused.report.pk])).content.decode()
    assert (
        f"The same file was also sent with report {first.report.reference} (evidence {first.pk}, published)."
    ) in reused_page


def test_the_change_page_asks_the_same_number_of_queries_however_many_files(client, moderator, original):
    def queries_for(report) -> int:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:impacts_impactreport_change", args=[report.pk])).status_code == 200
        return sum('phash_band_0" IN' in query["sql"] for query in captured.captured_queries)

    client.force_login(moderator)
    one, many = make_report(), make_report()
    add_photo(one, jpeg(scene(20)))
    for seed in range(21, 25):
        add_photo(many, jpeg(scene(seed)), f"{seed}.jpg")
    assert queries_for(one) == queries_for(many) == 1


def test_staff_who_cannot_moderate_cannot_compare(client, editor, first, original):
    second = add_photo(make_report(), jpeg(resized(original)))
    client.force_login(editor)
    assert client.get(reverse("admin:impacts_evidence_compare", args=[second.pk, first.pk])).status_code == 403
    assert client.get(reverse("admin:impacts_impactreport_change", args=[second.report.pk])).status_code == 403


def test_a_missing_file_to_compare_is_a_404_for_a_moderator(client, moderator, first):
    client.force_login(moderator)
    assert client.get(reverse("admin:impacts_evidence_compare", args=[first.pk, 10**8])).status_code == 404
