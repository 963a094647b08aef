"""Evidence is decoded in the task worker, not in the request: states, leases, retries, visibility."""

import importlib.util
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from impacts import workflow
from impacts.evidence import accept_evidence, processing
from impacts.evidence.pipeline import PREPARERS
from impacts.models import Evidence, EvidenceWriter, Status
from tests import evidence_files
from tests.reports import make_report
from tests.test_report_form import form_data, served_a_minute_ago

pytestmark = pytest.mark.django_db


def attach(report, content: bytes, name: str = "dust.jpg") -> Evidence:
    """Save a file the way the report form does: accepted only, left to the worker."""
    with EvidenceWriter() as writer, transaction.atomic():
        return writer.store(report, accept_evidence(evidence_files.uploaded(content, name)))


def media_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def test_the_form_saves_the_report_at_once_and_the_worker_makes_the_public_copy(
    client, django_capture_on_commit_callbacks
):
    photo = evidence_files.uploaded(evidence_files.jpeg_with_gps(), "dust.jpg")
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            reverse("impacts:report_create"), form_data(timestamp=served_a_minute_ago(), files=[photo])
        )
    assert response.status_code == 302
    item = Evidence.objects.get()
    assert item.state == "processing" and not item.public_file and not item.thumbnail
    assert item.sealed_file and item.sha256 and item.gps_latitude is None  # nothing decoded yet

    for callback in queued:  # the transaction committed: the task runs (immediate backend in tests)
        callback()

    item.refresh_from_db()
    assert item.state == "ready" and item.attempts == 1 and item.processing_started_at is None
    with item.public_file.open("rb") as public:
        assert 0x8825 not in Image.open(public).getexif()  # no GPS in the public copy
    assert item.thumbnail and item.gps_latitude is not None and "embedded GPS" in item.removed_metadata


def test_type_and_size_are_still_refused_on_the_form(client, settings):
    settings.KZCN_MAX_IMAGE_PIXELS = 1_000_000
    files = [
        evidence_files.uploaded(evidence_files.svg_bytes(), "map.svg"),
        evidence_files.uploaded(evidence_files.png_declaring(4000, 4000), "huge.png"),
    ]
    page = client.post(
        reverse("impacts:report_create"), form_data(timestamp=served_a_minute_ago(), files=files)
    ).content.decode()
    assert "“map.svg”" in page and "“huge.png”" in page and "megapixels" in page
    assert not Evidence.objects.exists()


def test_a_damaged_photo_is_refused_by_the_worker_and_the_reporter_reads_why(
    client, moderator, django_capture_on_commit_callbacks
):
    report = make_report(language="ru")
    token = report.issue_tracking_token()
    type(report).objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    with django_capture_on_commit_callbacks(execute=True):
        item = attach(report, evidence_files.truncated_jpeg(), "broken.jpg")
    item.refresh_from_db()
    assert item.state == "refused" and not item.public_file
    assert "broken.jpg" in item.refusal_reason and "could not be read" not in item.refusal_reason  # in Russian

    page = client.get(reverse("impacts:track", args=[token])).content.decode()
    assert "broken.jpg" in page and item.refusal_reason in page

    client.force_login(moderator)
    admin_page = client.get(reverse("admin:impacts_impactreport_change", args=[report.pk])).content.decode()
    assert item.refusal_reason in admin_page


def test_an_approved_file_of_a_published_report_stays_hidden_until_it_is_ready(
    client, moderator, django_capture_on_commit_callbacks
):
    report = make_report(status=Status.IN_REVIEW)
    with django_capture_on_commit_callbacks() as queued:
        item = attach(report, evidence_files.jpeg_with_gps())
    Evidence.objects.filter(pk=item.pk).update(visibility="approved")
    workflow.apply(report, "publish", by=moderator)  # moderators may publish while a file is processing
    report.refresh_from_db()
    assert report.status == Status.PUBLISHED

    detail = client.get(report.get_absolute_url()).content.decode()
    public_url = reverse("impacts:evidence_file", args=[item.pk, "public"])
    assert public_url not in detail
    assert client.get(public_url).status_code == 404

    for callback in queued:
        callback()
    assert public_url in client.get(report.get_absolute_url()).content.decode()
    assert client.get(public_url).status_code == 200


def test_a_file_is_processed_once_however_often_it_is_queued(settings, django_capture_on_commit_callbacks):
    report = make_report()
    with django_capture_on_commit_callbacks(execute=True):
        item = attach(report, evidence_files.jpeg_with_gps())
    files = media_files(settings)
    assert len(files) == 2  # the public copy and its thumbnail

    assert processing.process(item.pk) == "skipped"
    assert processing.sweep() == 0
    item.refresh_from_db()
    assert item.attempts == 1 and media_files(settings) == files


def test_two_workers_never_hold_one_file(django_capture_on_commit_callbacks):
    report = make_report()
    with django_capture_on_commit_callbacks():  # not queued: the workers below claim it by hand
        item = attach(report, evidence_files.jpeg_with_gps())
    first = processing.claim(item.pk)
    assert first is not None
    assert processing.claim(item.pk) is None  # the lease is fresh: the second worker gets nothing


def test_the_sweep_finishes_a_job_whose_worker_was_killed(settings, django_capture_on_commit_callbacks):
    settings.KZCN_EVIDENCE_LEASE_SECONDS = 60
    report = make_report()
    with django_capture_on_commit_callbacks():
        item = attach(report, evidence_files.jpeg_with_gps())
    processing.claim(item.pk)  # a worker took the file, then died before finishing
    assert processing.sweep() == 0  # its lease still runs: nobody else may take it yet

    output = io.StringIO()
    later = timezone.now() + timedelta(seconds=61)
    Evidence.objects.filter(pk=item.pk).update(processing_started_at=timezone.now() - timedelta(seconds=61))
    assert processing.stuck(later).filter(pk=item.pk).exists()
    call_command("sweep_evidence", stdout=output)

    item.refresh_from_db()
    assert "Queued 1 evidence file(s) again" in output.getvalue()
    assert item.state == "ready" and item.attempts == 2 and len(media_files(settings)) == 2


def test_a_worker_that_lost_its_lease_leaves_no_second_copy(settings, django_capture_on_commit_callbacks):
    report = make_report()
    with django_capture_on_commit_callbacks():
        item = attach(report, evidence_files.jpeg_with_gps())
    slow_lease = processing.claim(item.pk)
    Evidence.objects.filter(pk=item.pk).update(processing_started_at=timezone.now() - timedelta(hours=1))
    assert processing.process(item.pk) == "ready"  # a second worker took the expired lease and finished

    fields = processing._prepare(item)  # the first worker, late, finishes its own copy
    written = processing._write_files(item, fields)
    assert not processing._finish(item, slow_lease, fields, written)
    processing._remove_unreferenced(item, written)

    item.refresh_from_db()
    assert item.state == "ready" and len(media_files(settings)) == 2
    assert item.public_file.storage.exists(item.public_file.name)


def test_a_file_that_keeps_killing_its_worker_is_refused_in_the_end(django_capture_on_commit_callbacks):
    report = make_report(language="en")
    with django_capture_on_commit_callbacks():
        item = attach(report, evidence_files.jpeg_with_gps(), "crash.jpg")
    Evidence.objects.filter(pk=item.pk).update(attempts=processing.MAX_ATTEMPTS)
    assert processing.process(item.pk) == "refused"
    item.refresh_from_db()
    assert item.state == "refused" and "could not be processed after several tries" in item.refusal_reason


def test_a_pdf_is_drawn_in_the_worker(django_capture_on_commit_callbacks):
    report = make_report()
    with django_capture_on_commit_callbacks(execute=True):
        item = attach(report, evidence_files.pdf_bytes(), "lab.pdf")
    item.refresh_from_db()
    assert item.state == "ready" and item.kind == "document"
    with item.public_file.open("rb") as public:
        assert public.read(5) == b"%PDF-"


def test_a_pdf_with_scripts_hidden_in_an_object_stream_is_refused_late(django_capture_on_commit_callbacks):
    report = make_report(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        item = attach(report, evidence_files.pdf_with_javascript_in_object_stream(), "letter.pdf")
    item.refresh_from_db()
    assert item.state == "refused" and "letter.pdf" in item.refusal_reason and not item.public_file


def test_every_kind_of_evidence_has_a_preparer():
    assert {"photo", "document", "video", "audio"} <= set(PREPARERS)


def _tiny_mp4() -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(12):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), (index * 20, 90, 40)))
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


@pytest.mark.skipif(importlib.util.find_spec("impacts.evidence.video") is None, reason="no video module yet")
def test_a_video_is_dispatched_to_the_video_module_in_the_worker(django_capture_on_commit_callbacks):
    report = make_report()
    with django_capture_on_commit_callbacks(execute=True):
        item = attach(report, _tiny_mp4(), "smoke.mp4")
    item.refresh_from_db()
    assert item.state == "ready", item.refusal_reason
    assert item.kind == "video" and item.public_file and item.duration_seconds
