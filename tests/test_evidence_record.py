"""An NGO cites a published photo in a complaint: the public evidence record gives the file's hashes.

The page shows the SHA-256 of the sealed original, when it was received, its size and type, the
public copy's own SHA-256 and what was removed from it, the report, and a line to cite. It exists
only for files the public may see; for any other number it is the same 404 as for a missing one.
And it never shows what the phone wrote into the file, or what the reporter typed privately.
"""

import datetime
import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from impacts import workflow
from impacts.evidence import prepare_evidence
from impacts.models import Evidence, EvidenceWriter
from tests import evidence_files
from tests.reports import make_report
from tests.test_public_place import MARKERS, PUBLIC, TYPED, body

pytestmark = pytest.mark.django_db

# What the phone wrote into the photo, and the name it was sent under: never on the record.
FILE_MARKERS = [
    "Zqfilemarker",
    evidence_files.CAMERA_SERIAL,
    evidence_files.CAMERA_MAKE,
    "2024:05:17",
    "14:03:22",
    evidence_files.XMP_MARKER,
    "43.98765",
    "68.12345",
    "kitchen window",
]


def store(report, content: bytes, name: str = "Zqfilemarker house.jpg", visibility: str = "approved") -> Evidence:
    with EvidenceWriter() as writer:
        item = writer.store(report, prepare_evidence(SimpleUploadedFile(name, content, content_type="image/jpeg")))
    Evidence.objects.filter(pk=item.pk).update(
        visibility=visibility, hidden_reason="shows a face" if visibility == "hidden" else ""
    )
    return Evidence.objects.select_related("report").get(pk=item.pk)


def gps_photo() -> bytes:
    return evidence_files.jpeg_with_gps(lat=43.98765, lon=68.12345)


@pytest.fixture
def published():
    return make_report(
        **TYPED, **PUBLIC, status="published", published_at=timezone.now(), region="kyzylorda", attribution="anonymous"
    )


@pytest.fixture
def photo(published):
    return store(published, gps_photo())


def record_url(item, language="en") -> str:
    with translation.override(language):
        return reverse("impacts:evidence_record", args=[item.pk])


def test_the_record_gives_the_hashes_dates_and_a_citation(client, photo, settings):
    page = body(client.get(record_url(photo)))
    with photo.public_file.open("rb") as public:
        public_sha256 = hashlib.sha256(public.read()).hexdigest()
    assert photo.sha256 in page and public_sha256 in page
    assert photo.content_type in page and f"{photo.size} bytes" in page
    assert f"{photo.created.astimezone(datetime.UTC):%Y-%m-%d %H:%M:%S} UTC" in page
    assert photo.report.reference in page and PUBLIC["public_title"] in page
    assert "embedded GPS" in page and "camera serial" in page  # what the public copy lost, by name
    citation = page.split('id="citation"')[1].split("</p>")[0]
    for part in (
        photo.report.reference,
        f"evidence {photo.pk}",
        photo.sha256,
        public_sha256,
        f"{settings.KZCN_SITE_URL}/en/evidence/{photo.pk}/record/",
    ):
        assert part in citation, part


def test_the_report_page_links_each_public_file_to_its_record(client, photo):
    hidden = store(photo.report, evidence_files.png_bytes(300, 200), "other.png", visibility="hidden")
    page = body(client.get(photo.report.get_absolute_url()))
    assert record_url(photo) in page
    assert record_url(hidden) not in page


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_record_is_there_in_russian_and_kazakh(client, photo, language):
    response = client.get(record_url(photo, language))
    assert response.status_code == 200
    assert f'lang="{language}"' in body(response)
    assert photo.sha256 in body(response)


def test_no_private_word_or_file_metadata_on_the_record_in_any_language(client, photo):
    for language in ("en", "ru", "kk"):
        text = body(client.get(record_url(photo, language)))
        for marker in [*MARKERS, *FILE_MARKERS]:
            assert marker not in text, (language, marker)
        assert str(photo.sealed_file.name) not in text  # not even the sealed file's stored name


def _answers_like_a_missing_file(client, item):
    missing, response = client.get(f"/en/evidence/{10**8}/record/"), client.get(record_url(item))
    assert response.status_code == missing.status_code == 404
    assert same_page(response) == same_page(missing)


def same_page(response) -> str:
    """The page without the addresses of itself (the 404 page links to its other languages)."""
    return re.sub(r"evidence/\d+/record/", "evidence/N/record/", response.content.decode())


def test_unpublished_report_files_have_no_record(client, moderator):
    item = store(make_report(status="in_review"), gps_photo())
    _answers_like_a_missing_file(client, item)
    client.force_login(moderator)  # the record is public or nothing, for staff too
    assert client.get(record_url(item)).status_code == 404


@pytest.mark.parametrize("visibility", ["hidden", "pending"])
def test_a_file_not_approved_has_no_record(client, published, visibility):
    _answers_like_a_missing_file(client, store(published, gps_photo(), visibility=visibility))


def test_a_file_still_processing_has_no_record(client, photo):
    Evidence.objects.filter(pk=photo.pk).update(state="processing")
    _answers_like_a_missing_file(client, photo)


def test_a_withdrawn_report_takes_its_records_down(client, photo, senior_moderator):
    assert client.get(record_url(photo)).status_code == 200
    workflow.apply(photo.report, "withdraw", by=senior_moderator, message="The reporter asked us to.")
    _answers_like_a_missing_file(client, photo)


def test_a_file_stored_before_fingerprints_still_shows_its_public_copy_hash(client, photo):
    Evidence.objects.filter(pk=photo.pk).update(public_sha256="")
    with photo.public_file.open("rb") as public:
        assert hashlib.sha256(public.read()).hexdigest() in body(client.get(record_url(photo)))
