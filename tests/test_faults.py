"""Faults: the database goes away, the task worker stops, a worker dies mid-upload.

How the outage is simulated: `connection.execute_wrapper` makes every data statement (or only
those touching one table) raise OperationalError, as psycopg and sqlite3 do when the server goes
away or the connection drops mid-request. Transaction control (SAVEPOINT/ROLLBACK) still goes
through, as it would on a fresh connection, so the test can then look at what was written. A real
outage (stopping PostgreSQL) is not used in CI: it would take the test database down with it,
cannot be aimed at one statement of one request, and would make the suite depend on privileges
to stop a server. The errors raised are the same classes Django raises for a real outage.
"""

import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection
from django.urls import reverse

from impacts import abuse, workflow
from impacts.models import Evidence, EvidenceWriter, ImpactReport, Notification, ReportCategory, Status
from tests import evidence_files
from tests.reports import make_report
from tests.test_report_form import files_on_disk, form_data

pytestmark = pytest.mark.django_db

REPORT_URL = reverse("impacts:report_create")
DATA_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def outage(table: str | None = None, error=OperationalError):
    """An execute wrapper: data statements (touching `table`, if given) fail as if the server were gone."""

    def wrapper(execute, sql, params, many, context):
        if DATA_STATEMENT.match(sql) and (table is None or f'"{table}"' in sql or f" {table} " in sql):
            raise error("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


@pytest.fixture
def timestamp():
    return abuse.new_form_token(started=time.time() - 60)


def _report_with_files(timestamp, **overrides):
    files = [
        SimpleUploadedFile("dust.jpg", evidence_files.jpeg_with_gps(), content_type="image/jpeg"),
        SimpleUploadedFile("lab.pdf", evidence_files.pdf_bytes(), content_type="application/pdf"),
    ]
    return form_data(
        timestamp=timestamp,
        title="Grey dust «every night»",
        description="Since September the dust <covers> our roofs.\nThe children cough.",
        contact_email="resident@example.org",
        files=files,
        **overrides,
    )


def _assert_nothing_written(settings):
    assert ImpactReport.objects.count() == 0
    assert ReportCategory.objects.count() == 0
    assert Evidence.objects.count() == 0
    assert Notification.objects.count() == 0
    assert files_on_disk(settings) == []


# --- (a) The database goes away during a submission ---------------------------------------------------


@pytest.mark.parametrize(
    ("table", "error"),
    [
        (None, OperationalError),  # down from the first statement
        ("impacts_impactreport", OperationalError),  # the report's own INSERT
        ("impacts_evidence", OperationalError),  # after the report row and the files were written
        ("impacts_notification", InterfaceError),  # the very last write, the connection object broken
    ],
    ids=["whole-database", "at-report-insert", "at-evidence-insert-after-files-written", "at-notification"],
)
def test_database_outage_during_submission_gives_a_friendly_503_and_writes_nothing(
    client, settings, timestamp, table, error
):
    with connection.execute_wrapper(outage(table, error)):
        response = client.post(REPORT_URL, _report_with_files(timestamp))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"].startswith("no-store")
    page = response.content.decode()
    assert "The site is briefly unavailable" in page and "Nothing was saved" in page
    # What the person typed is given back, escaped.
    assert "Grey dust «every night»" in page
    assert "Since September the dust &lt;covers&gt; our roofs." in page
    _assert_nothing_written(settings)


def test_the_same_form_can_be_resubmitted_when_the_database_is_back(
    client, settings, timestamp, django_capture_on_commit_callbacks
):
    with connection.execute_wrapper(outage("impacts_evidence")):
        assert client.post(REPORT_URL, _report_with_files(timestamp)).status_code == 503
    with django_capture_on_commit_callbacks(execute=True):  # the task worker makes the public copies
        response = client.post(REPORT_URL, _report_with_files(timestamp))  # the browser's "send again"
    assert response.status_code == 302
    report = ImpactReport.objects.get()
    assert report.title == "Grey dust «every night»" and report.evidence.count() == 2
    assert len(files_on_disk(settings)) == 5  # 2 sealed originals, 2 public copies, 1 thumbnail
    # The failed attempt did not count against the person's rate limit.
    assert abuse.rate_limit_problem(response.wsgi_request) is None


def test_database_outage_while_reading_a_page_is_a_503_not_a_500(client):
    with connection.execute_wrapper(outage()):
        response = client.get(reverse("impacts:report_list"))
    assert response.status_code == 503
    assert "The site is briefly unavailable" in response.content.decode()


def test_database_outage_during_a_tracking_answer_keeps_the_report_waiting(client, settings, moderator):
    from impacts.models import ReportMessage, new_tracking_token, token_digest

    report = make_report(status=Status.IN_REVIEW)
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night?")
    token = new_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=token_digest(token))
    url = reverse("impacts:track", args=[token])
    upload = SimpleUploadedFile("night.png", evidence_files.png_bytes(), content_type="image/png")
    with connection.execute_wrapper(outage("impacts_reporttransition")):
        response = client.post(url, {"form": "answer", "answer": "Tuesday, 14 October", "files": [upload]})
    assert response.status_code == 503
    assert "Tuesday, 14 October" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO
    assert not report.evidence.exists() and files_on_disk(settings) == []
    assert not ReportMessage.objects.filter(direction="from_reporter").exists()


def test_other_errors_are_still_500s(client, monkeypatch):
    """The middleware only turns database outages into 503s; a bug must stay visible as a 500."""
    from impacts import views

    def broken(request):
        raise ValueError("a bug")

    monkeypatch.setattr(views, "_project_from_query", broken)
    client.raise_request_exception = False
    assert client.get(REPORT_URL).status_code == 500


# --- (b) The task worker is stopped --------------------------------------------------------------------


def run_worker_once(monkeypatch) -> None:
    """`manage.py db_worker --batch`, in this process. Its close_old_connections() would close the
    test's connection inside its transaction (PostgreSQL), and its signal handlers would outlive it."""
    import signal

    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def test_reports_are_accepted_while_the_worker_is_stopped_and_mail_goes_out_when_it_returns(
    client, settings, timestamp, django_capture_on_commit_callbacks, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the production backend
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REPORT_URL, _report_with_files(timestamp))
    assert response.status_code == 302
    notification = Notification.objects.get()
    assert notification.status == "queued"
    mail_tasks = DBTaskResult.objects.filter(task_path="impacts.tasks.send_notification")
    assert mail_tasks.filter(status="READY").count() == 1
    # The files wait for the worker too, saved sealed but not yet public.
    assert set(Evidence.objects.values_list("state", flat=True)) == {"processing"}
    assert mail.outbox == []

    run_worker_once(monkeypatch)

    notification.refresh_from_db()
    assert notification.status == "sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["resident@example.org"]
    report = ImpactReport.objects.get()
    assert report.reference in mail.outbox[0].body
    assert mail_tasks.filter(status="SUCCESSFUL").count() == 1
    assert set(Evidence.objects.values_list("state", flat=True)) == {"ready"}


def test_a_queue_that_cannot_be_written_does_not_lose_the_report(
    client, timestamp, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from impacts import tasks

    class QueueDown:
        def enqueue(self, *args, **kwargs):
            raise OperationalError("task table unavailable")

    monkeypatch.setattr(tasks, "send_notification", QueueDown())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REPORT_URL, _report_with_files(timestamp))
    assert response.status_code == 302
    assert ImpactReport.objects.count() == 1
    notification = Notification.objects.get()
    assert notification.status == "failed" and "not queued" in notification.error


# --- (c) A worker killed mid-upload ---------------------------------------------------------------------


class Killed(BaseException):
    """Like SystemExit from gunicorn's worker timeout: not an Exception, so nothing catches it by accident."""


def test_worker_killed_while_storing_evidence_leaves_no_rows_and_no_files(client, settings, timestamp, monkeypatch):
    stored = []
    real_store = EvidenceWriter.store

    def store_then_die(self, report, prepared):
        item = real_store(self, report, prepared)
        stored.append(item)
        if len(stored) == 2:  # the second file: the first is fully written, the second's files too
            raise Killed
        return item

    monkeypatch.setattr(EvidenceWriter, "store", store_then_die)
    with pytest.raises(Killed):
        client.post(REPORT_URL, _report_with_files(timestamp))
    assert len(stored) == 2
    _assert_nothing_written(settings)


def test_large_uploads_spooled_to_temporary_files_are_removed(client, settings, timestamp, tmp_path, monkeypatch):
    """Django spools uploads above FILE_UPLOAD_MAX_MEMORY_SIZE to disk; none may outlive the request,
    whether it fails while storing, is refused, or succeeds.

    A worker killed outright (SIGKILL, OOM) cannot clean up: its spooled files stay in
    FILE_UPLOAD_TEMP_DIR until something sweeps it: a deployment should keep that folder on a
    tmpfs or a systemd PrivateTmp, or clean it by age (left for the deployment documentation).
    """
    upload_dir = tmp_path / "upload-tmp"
    upload_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(upload_dir)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # every file goes to disk
    client.raise_request_exception = False  # as in production: the crash becomes a 500 page

    seen_during_request = []
    real_store = EvidenceWriter.store

    def store_then_crash(self, report, prepared):
        seen_during_request.extend(Path(upload_dir).iterdir())
        real_store(self, report, prepared)
        raise RuntimeError("storage backend crashed")

    monkeypatch.setattr(EvidenceWriter, "store", store_then_crash)
    assert client.post(REPORT_URL, _report_with_files(timestamp)).status_code == 500
    assert seen_during_request, "the upload was spooled to the temporary folder"
    assert list(upload_dir.iterdir()) == []  # closed and deleted when the request ended
    _assert_nothing_written(settings)

    monkeypatch.setattr(EvidenceWriter, "store", real_store)
    hostile = SimpleUploadedFile("x.pdf", evidence_files.pdf_with_javascript(), content_type="application/pdf")
    assert client.post(REPORT_URL, form_data(timestamp=timestamp, files=[hostile])).status_code == 400
    assert client.post(REPORT_URL, _report_with_files(timestamp)).status_code == 302
    assert list(upload_dir.iterdir()) == []


def test_spooled_files_of_a_killed_request_go_when_the_request_is_gone(
    client, settings, timestamp, tmp_path, monkeypatch
):
    """Even when the view dies with a BaseException (no response, no request.close()), the
    temporary files are deleted once the request object is released."""
    import gc

    upload_dir = tmp_path / "upload-tmp"
    upload_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(upload_dir)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024

    def die(self, report, prepared):
        raise Killed

    monkeypatch.setattr(EvidenceWriter, "store", die)
    try:
        client.post(REPORT_URL, _report_with_files(timestamp))
    except Killed:
        pass
    gc.collect()
    assert list(upload_dir.iterdir()) == []
    _assert_nothing_written(settings)


def test_database_outage_before_any_view_runs_is_a_503_not_a_500(rf):
    from django.db import OperationalError

    from projects.views import server_error

    request = rf.post("/report/", {"title": "Dust at night", "description": "Grey dust on the roofs"})
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert "Grey dust on the roofs" in response.content.decode()


@pytest.mark.django_db
def test_a_request_too_large_gets_a_clear_400_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post("/en/report/", {"description": "x" * 1000})
    assert response.status_code == 400
    assert "too large" in response.content.decode()
