"""Exports: the unfiltered dumps are prebuilt files, served only while current; everything else streams.

And the streamed export reads its rows inside a transaction (no WITH HOLD cursor), a chunk of rows per
piece, with one category query per chunk.
"""

import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from impacts import exports, workflow
from impacts.exports import prebuilt
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db


def published(**kw):
    return make_report(status="published", published_at=timezone.now(), **kw)


@pytest.fixture
def site(settings, tmp_path):
    settings.KZCN_SITE_URL = "http://testserver"  # the dumps' links, as the live export writes them
    settings.KZCN_EXPORTS_ROOT = tmp_path / "exports"
    project = make_site_project()
    published(
        project=project,
        public_title="Cement dust",
        categories=["air", "water"],
        public_latitude="43.12000",
        public_longitude="68.54000",
    )
    published(public_title="Unmapped noise", primary_category="noise", public_reporter_name="Aigerim")
    make_report(public_title="Still in review")
    return project


def content(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize(("name", "kind"), [("report_export_csv", "csv"), ("report_export_geojson", "geojson")])
def test_a_current_dump_is_sent_as_a_file_with_the_same_content_as_the_live_export(client, site, name, kind):
    live = client.get(reverse(f"impacts:{name}"))
    assert isinstance(live, StreamingHttpResponse) and not isinstance(live, FileResponse)
    live_text = content(live)

    prebuilt.build()
    dumped = client.get(reverse(f"impacts:{name}"))
    assert isinstance(dumped, FileResponse)
    assert dumped.status_code == 200
    assert dumped["Content-Type"] == prebuilt.FORMATS[kind][0]
    assert 'rel="license"' in dumped["Link"]
    assert dumped["ETag"] and dumped["Last-Modified"]
    assert content(dumped) == live_text
    if kind == "csv":
        assert dumped["Content-Disposition"].startswith('attachment; filename="kzcn-watch-reports-')
    # A conditional request for the same version is answered 304 without a body.
    again = client.get(reverse(f"impacts:{name}"), headers={"if-none-match": dumped["ETag"]})
    assert again.status_code == 304


def test_the_dumps_exist_in_each_language_with_its_words(client, site):
    prebuilt.build()
    for language, anonymous in [("en", "Anonymous"), ("ru", None), ("kk", None)]:
        text = prebuilt._path("csv", language).read_text()
        assert "Cement dust" in text and "Still in review" not in text
        if anonymous:
            assert anonymous in text
        assert f"/{language}/reports/" in text
        collection = json.loads(prebuilt._path("geojson", language).read_text())
        assert [f["properties"]["title"] for f in collection["features"]] == ["Cement dust"]


def test_a_filtered_export_is_always_streamed_live(client, site):
    prebuilt.build()
    response = client.get(reverse("impacts:report_export_csv"), {"category": "noise"})
    assert not isinstance(response, FileResponse)
    text = content(response)
    assert "Unmapped noise" in text and "Cement dust" not in text


def test_a_stale_dump_is_never_served_and_the_export_streams_the_current_reports(client, site):
    prebuilt.build()
    published(public_title="Published after the build")
    response = client.get(reverse("impacts:report_export_csv"))
    assert not isinstance(response, FileResponse)
    assert "Published after the build" in content(response)


def test_a_withdrawal_makes_the_dump_stale(client, site, django_user_model):
    prebuilt.build()
    from tests.conftest import _staff

    senior = _staff(django_user_model, "senior", "Senior moderators")
    report = site.reports.get(public_title="Cement dust")
    workflow.apply(report, "withdraw", by=senior, message="Asked by the reporter")
    response = client.get(reverse("impacts:report_export_csv"))
    assert not isinstance(response, FileResponse)
    assert "Cement dust" not in content(response)


def test_missing_or_broken_dumps_stream_live_and_never_fail(client, site):
    prebuilt.build()
    prebuilt._path("csv", "en").unlink()
    response = client.get(reverse("impacts:report_export_csv"))
    assert response.status_code == 200 and not isinstance(response, FileResponse)
    assert "Cement dust" in content(response)
    prebuilt._manifest_path().write_text("{not json")
    response = client.get(reverse("impacts:report_export_geojson"))
    assert response.status_code == 200 and not isinstance(response, FileResponse)


def test_publishing_and_withdrawing_ask_the_worker_to_rebuild(
    site, moderator, monkeypatch, django_capture_on_commit_callbacks
):
    asked = []
    monkeypatch.setattr(prebuilt, "_worker_runs_tasks", lambda: True)
    monkeypatch.setattr(prebuilt, "rebuild_dumps", SimpleNamespace(enqueue=lambda: asked.append(True)))
    report = make_report(public_title="Under review", status="in_review")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.apply(report, "publish", by=moderator)
    assert asked == [True]
    other = make_report(public_title="Another", status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.apply(other, "start_review", by=moderator)
    assert asked == [True]  # not a change of what is published


def test_the_rebuild_task_skips_work_when_the_dumps_are_current(site):
    prebuilt.build()
    assert prebuilt.rebuild_dumps.call() == "current"
    published(public_title="New")
    assert prebuilt.rebuild_dumps.call() == prebuilt.fingerprint()


def test_without_a_worker_nothing_is_built_in_a_request(client, site):
    # The tests run tasks immediately, as a site without a worker does: exports stream, no file appears.
    client.get(reverse("impacts:report_export_csv"))
    assert not prebuilt.root().exists()


def test_the_streamed_export_reads_in_a_transaction_in_chunks_with_one_category_query_per_chunk(site, monkeypatch):
    monkeypatch.setattr(exports, "ROWS_PER_CHUNK", 2)
    for number in range(5):
        published(public_title=f"Dust {number}", categories=["air", "noise"])
    reports = exports.ImpactReport.objects.published().select_related("project").order_by("-observed_on", "-pk")
    with CaptureQueriesContext(connection) as queries:
        pieces = list(exports.csv_lines(reports, lambda path: f"http://testserver{path}"))
    assert len(pieces) == 1 + 4  # the header, then 7 reports in chunks of 2
    assert sum(piece.count("\n") for piece in pieces) == 8
    category_queries = [q for q in queries.captured_queries if "reportcategory" in q["sql"]]
    assert len(category_queries) == 4
    if connection.vendor == "postgresql":
        assert not any("WITH HOLD" in q["sql"].upper() for q in queries.captured_queries)
