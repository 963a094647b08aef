"""Redis or the file storage goes away while people use the site.

Redis is made really unreachable: the cache points at a loopback port where nothing listens (the
driver gets "connection refused", as when Redis is stopped), or at a socket that accepts and never
answers (as when Redis hangs or a firewall drops packets). Storage failures are raised by the
storages themselves: the errors a full disk (OSError), a wrong permission (PermissionError) and S3
(botocore ClientError) raise.

What each surface does while Redis is down (see README, Production):
- report form and the lost-link form: their rate limits fail closed, with the 503 page that gives
  the typed text back; nothing is saved;
- admin login: fails closed (503): the login lockout is counted in Redis, and an outage must never
  switch off brute-force protection;
- tracking page answers and requests: need no cache, keep working;
- JSON API and public pages: keep working (the API throttle fails open: it guards only published data);
- /healthz: 503 naming the cache.
"""

import socket
import threading
import time
from contextlib import contextmanager

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from impacts import workflow
from impacts.models import Evidence, ImpactReport, ReporterRequest, ReportMessage, Status
from tests import evidence_files
from tests.reports import make_report
from tests.test_faults import _assert_nothing_written
from tests.test_report_form import files_on_disk, form_data

pytestmark = pytest.mark.django_db

REPORT_URL = reverse("impacts:report_create")
TYPED_TITLE = "Grey dust «every night»"
TYPED_TEXT = "Since September the dust &lt;covers&gt; our roofs."


def served_form(client) -> dict[str, str]:
    """The hidden fields of the report form as the site serves it (its signed form token among them)."""
    import re

    page = client.get(REPORT_URL).content.decode()
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: value for name, value in hidden if name != "csrfmiddlewaretoken"}


@pytest.fixture
def timestamp(client, settings):
    """A freshly served form's token; the minimum time to fill the form in is waived for tests."""
    settings.KZCN_FORM_MIN_SECONDS = 0
    return served_form(client)


def _report_with_files(form, **overrides):
    """A report with a photo and a PDF, sent from the served `form`."""
    files = [
        SimpleUploadedFile("dust.jpg", evidence_files.jpeg_with_gps(), content_type="image/jpeg"),
        SimpleUploadedFile("lab.pdf", evidence_files.pdf_bytes(), content_type="application/pdf"),
    ]
    fields = {
        "title": TYPED_TITLE,
        "description": "Since September the dust <covers> our roofs.\nThe children cough.",
        "contact_email": "resident@example.org",
        "files": files,
        **form,
        **overrides,
    }
    return form_data(**fields)


def closed_port() -> int:
    """A loopback port where nothing listens: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_cache_at(port: int) -> dict:
    from django.conf import settings

    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/13"}
    # The same connection options settings.py gives a Redis CACHE_URL (checked in test_settings_*).
    cache["OPTIONS"] = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
    return {**settings.CACHES, "default": cache}


@pytest.fixture(autouse=True)
def _fresh_axes_handler():
    """django-axes keeps the cache it first saw for the life of the process; each test here changes it."""
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.implementation = None
    yield
    AxesProxyHandler.implementation = None


@pytest.fixture
def redis_down(settings):
    """The cache is Redis on a port where nothing listens."""
    settings.CACHES = redis_cache_at(closed_port())


@contextmanager
def silent_server():
    """A socket that accepts connections and never answers: a hung Redis."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        accepted = []
        stop = threading.Event()

        def accept():
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    accepted.append(server.accept()[0])
                except TimeoutError:
                    pass

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield server.getsockname()[1]
        finally:
            stop.set()
            thread.join(5)
            for connection in accepted:
                connection.close()


def assert_503_keeps_the_text(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"].startswith("no-store")
    page = response.content.decode()
    assert "The site is briefly unavailable" in page and "Nothing was saved" in page
    assert TYPED_TITLE in page and TYPED_TEXT in page


# --- Redis down -----------------------------------------------------------------------------------------


def test_resident_sending_a_report_while_redis_is_down_gets_the_503_page_with_their_text(
    client, settings, timestamp, redis_down
):
    response = client.post(REPORT_URL, _report_with_files(timestamp))

    assert_503_keeps_the_text(response)
    _assert_nothing_written(settings)


def test_the_same_report_goes_through_once_redis_is_back(client, settings, timestamp):
    settings.CACHES = redis_cache_at(closed_port())
    assert client.post(REPORT_URL, _report_with_files(timestamp)).status_code == 503
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    response = client.post(REPORT_URL, _report_with_files(timestamp))  # the browser's "send again"

    assert response.status_code == 302
    assert ImpactReport.objects.get().title == TYPED_TITLE


def test_a_hung_redis_costs_a_report_seconds_not_a_worker(client, settings, timestamp):
    """Redis that accepts and never answers: the socket timeouts turn it into the same 503 quickly."""
    with silent_server() as port:
        settings.CACHES = redis_cache_at(port)
        started = time.monotonic()
        response = client.post(REPORT_URL, _report_with_files(timestamp))
        elapsed = time.monotonic() - started
    assert_503_keeps_the_text(response)
    assert elapsed < 8, f"took {elapsed:.1f} s"
    _assert_nothing_written(settings)


class CacheDiesAfter:
    """Patches the cache so that its first `calls` operations work and every later one raises
    redis' ConnectionError, as when Redis stops in the middle of a request."""

    OPERATIONS = ("get", "set", "add", "incr", "decr", "delete", "get_many", "set_many", "has_key", "touch")

    def __init__(self, monkeypatch, calls: int | None):
        from django.core.cache import caches
        from redis.exceptions import ConnectionError as RedisConnectionError

        self.used = 0
        backend = type(caches["default"])
        for name in self.OPERATIONS:
            real = getattr(backend, name)

            def operation(*args, _real=real, **kwargs):
                self.used += 1
                if calls is not None and self.used > calls:
                    raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
                return _real(*args, **kwargs)

            monkeypatch.setattr(backend, name, operation)


def test_redis_stopping_at_any_point_of_a_submission_never_gives_a_500(client, settings, timestamp, monkeypatch):
    """Whichever cache operation fails first: a 503 with the text and nothing saved, or (once the report is
    committed) the report saved exactly once. Never a 500, never half a report."""
    from django.core.cache import cache

    counting_form = served_form(client)
    counter = CacheDiesAfter(monkeypatch, calls=None)
    cache.clear()
    assert client.post(REPORT_URL, _report_with_files(counting_form, title="Counting run")).status_code == 302
    operations = counter.used
    assert operations >= 1, "a submission uses the cache (its rate limits)"
    ImpactReport.objects.all().delete()
    for path in files_on_disk(settings):
        path.unlink()

    client.raise_request_exception = False
    for working in range(operations):
        monkeypatch.undo()
        cache.clear()
        form = served_form(client)  # a new form each time: a form makes one report at most
        CacheDiesAfter(monkeypatch, calls=working)
        response = client.post(REPORT_URL, _report_with_files(form))
        if response.status_code == 503:
            assert_503_keeps_the_text(response)
            _assert_nothing_written(settings)
        else:
            assert response.status_code == 302, f"cache failing after {working} operations: {response.status_code}"
            assert ImpactReport.objects.filter(title=TYPED_TITLE).count() == 1
            ImpactReport.objects.all().delete()
            for path in files_on_disk(settings):
                path.unlink()


def test_lost_link_form_while_redis_is_down_is_a_503_not_a_500(client, redis_down):
    response = client.post(reverse("impacts:track_lost"), {"email": "resident@example.org"})

    assert response.status_code == 503
    assert "The site is briefly unavailable" in response.content.decode()


@pytest.fixture
def waiting_report(moderator):
    report = make_report(status=Status.IN_REVIEW, contact_email="resident@example.org")
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night?")
    return report


def test_reporter_answering_on_the_tracking_page_while_redis_is_down_is_heard(client, waiting_report, redis_down):
    token = waiting_report.issue_tracking_token()
    waiting_report.save()
    upload = SimpleUploadedFile("night.png", evidence_files.png_bytes(), content_type="image/png")

    response = client.post(
        reverse("impacts:track", args=[token]), {"form": "answer", "answer": "Tuesday, 14 October", "files": [upload]}
    )

    assert response.status_code == 302
    waiting_report.refresh_from_db()
    assert waiting_report.status == Status.IN_REVIEW
    assert ReportMessage.objects.filter(direction="from_reporter", text__contains="Tuesday").exists()
    assert waiting_report.evidence.count() == 1


def test_reporter_asking_to_withdraw_while_redis_is_down_is_heard(client, waiting_report, redis_down):
    token = waiting_report.issue_tracking_token()
    waiting_report.save()

    response = client.post(
        reverse("impacts:track", args=[token]), {"form": "request", "kind": "withdraw", "text": "Please take it down."}
    )

    assert response.status_code in (200, 302)
    assert response.status_code < 500
    assert ReporterRequest.objects.filter(report=waiting_report, kind="withdraw").count() == 1


@pytest.mark.parametrize("password", ["a-long-password-1", "a-wrong-password"], ids=["right", "wrong"])
def test_moderator_cannot_sign_in_while_redis_is_down_because_the_lockout_cannot_be_checked(
    client, moderator, redis_down, password
):
    response = client.post(reverse("admin:login"), {"username": "moderator", "password": password})

    assert response.status_code == 503
    page = response.content.decode()
    assert "The site is briefly unavailable" in page and "try again in a minute" in page
    assert password not in page
    assert "_auth_user_id" not in client.session


def test_signed_in_moderator_keeps_working_while_redis_is_down(client, settings, moderator):
    from axes.handlers.proxy import AxesProxyHandler

    settings.KZCN_REQUIRE_2FA = False
    client.force_login(moderator)  # before the outage: sessions live in the database
    settings.CACHES = redis_cache_at(closed_port())
    AxesProxyHandler.implementation = None

    response = client.get(reverse("admin:impacts_impactreport_changelist"))

    assert response.status_code == 200


def test_open_data_api_keeps_answering_while_redis_is_down(client, redis_down, caplog):
    make_report(status=Status.PUBLISHED)

    response = client.get("/api/reports/")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert "not throttled" in caplog.text


def test_the_api_is_still_throttled_when_redis_works(client, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF reads the rates once, at import: set them on the class for this test only.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})

    codes = [client.get("/api/projects/").status_code for _ in range(5)]

    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.parametrize(
    "url_name",
    [
        "projects:home",
        "projects:project_list",
        "impacts:report_list",
        "impacts:map",
        "impacts:stats",
        "impacts:feed",
        "impacts:report_export_csv",
        "impacts:report_create",
    ],
)
def test_public_pages_keep_working_while_redis_is_down(client, redis_down, url_name):
    make_report(status=Status.PUBLISHED)

    assert client.get(reverse(url_name)).status_code == 200


def test_a_search_is_counted_live_while_redis_is_down(client, redis_down):
    """A search reads no kept copy or summary it cannot do without: its matches and count are live."""
    make_report(status=Status.PUBLISHED, public_title="Dust at night", public_description="Dust again.")
    make_report(status=Status.PUBLISHED, public_title="Noise", public_description="Trucks.")

    for _ in range(2):
        response = client.get(reverse("impacts:report_list"), {"q": "dust"})
        assert response.status_code == 200 and "1 report matches" in response.content.decode()


def test_published_report_page_keeps_working_while_redis_is_down(client, redis_down):
    report = make_report(status=Status.PUBLISHED)

    assert client.get(reverse("impacts:report_detail", args=[report.reference])).status_code == 200


def test_health_check_names_the_cache_when_redis_is_down(client, redis_down):
    started = time.monotonic()
    response = client.get(reverse("healthz"))

    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "checks": {"database": "ok", "cache": "fail", "storage_default": "ok", "storage_sealed": "ok"},
    }


def test_redis_cache_url_gets_connection_timeouts(tmp_path):
    """Without them redis-py waits forever on a Redis that hangs, and every worker would hang with it."""
    from tests.test_settings import run_manage

    result = run_manage(
        tmp_path,
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CACHES['default']['OPTIONS'])",
        CACHE_URL="redis://127.0.0.1:6379/13",
    )

    assert result.returncode == 0, result.stderr
    assert "'socket_connect_timeout': 1.0" in result.stdout and "'socket_timeout': 1.0" in result.stdout


# --- Storage failures ------------------------------------------------------------------------------------


def _storage_errors():
    from botocore.exceptions import ClientError, EndpointConnectionError

    denied = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
    return {
        "disk-full": OSError(28, "No space left on device"),
        "permission": PermissionError(13, "Permission denied"),
        "s3-access-denied": ClientError(denied, "PutObject"),
        "s3-unreachable": EndpointConnectionError(endpoint_url="https://s3.example.org"),
    }


STORAGE_ERRORS = _storage_errors()


@pytest.mark.parametrize("error", STORAGE_ERRORS.values(), ids=STORAGE_ERRORS.keys())
def test_storage_failure_during_a_report_gives_the_503_page_with_the_text_and_leaves_nothing(
    client, settings, timestamp, monkeypatch, error
):
    # The request writes only the sealed originals; public copies are made by the worker (below).
    storage = storages["sealed"]
    real_save = storage.save
    saved = []

    def save_then_fail(name, content, *args, **kwargs):
        if saved:  # the first file of this storage is written, the next one fails
            raise error
        saved.append(real_save(name, content, *args, **kwargs))
        return saved[-1]

    monkeypatch.setattr(storage, "save", save_then_fail)

    response = client.post(REPORT_URL, _report_with_files(timestamp))

    assert saved, "one file was written before the failure"
    assert_503_keeps_the_text(response)
    _assert_nothing_written(settings)


@pytest.mark.parametrize("error", STORAGE_ERRORS.values(), ids=STORAGE_ERRORS.keys())
def test_storage_failure_in_the_worker_keeps_the_report_and_leaves_no_public_file(
    client, settings, timestamp, monkeypatch, django_capture_on_commit_callbacks, error
):
    from impacts.models import Evidence, ImpactReport

    storage = storages["default"]
    real_save = storage.save
    saved = []

    def save_then_fail(name, content, *args, **kwargs):
        if saved:  # the public copy is written, the thumbnail fails
            raise error
        saved.append(real_save(name, content, *args, **kwargs))
        return saved[-1]

    monkeypatch.setattr(storage, "save", save_then_fail)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REPORT_URL, _report_with_files(timestamp))

    assert response.status_code == 302  # the report and its sealed files are safe
    assert ImpactReport.objects.filter(title=TYPED_TITLE).exists()
    assert saved, "the worker wrote a file before the failure"
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]  # the public copy removed
    # Left for the sweep to try again once the lease runs out; nothing of it is public meanwhile.
    assert set(Evidence.objects.values_list("state", flat=True)) <= {"processing", "ready"}
    assert Evidence.objects.filter(state="processing").exists()


def test_disk_filling_up_in_the_middle_of_a_file_leaves_no_partial_file(client, settings, timestamp, monkeypatch):
    from django.core.files.base import File

    real_chunks = File.chunks

    def chunks_then_disk_full(self, chunk_size=None):
        for chunk in real_chunks(self, chunk_size):
            yield chunk[: len(chunk) // 2]
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(File, "chunks", chunks_then_disk_full)

    response = client.post(REPORT_URL, _report_with_files(timestamp))

    assert_503_keeps_the_text(response)
    _assert_nothing_written(settings)


@pytest.mark.parametrize("alias", ["default", "sealed"])
def test_a_partly_written_file_is_removed_by_the_storage_itself(alias):
    class DiskFull(ContentFile):
        def chunks(self, chunk_size=None):
            yield b"half of it"
            raise OSError(28, "No space left on device")

    storage = storages[alias]
    with pytest.raises(OSError):
        storage.save("evidence/partial.jpg", DiskFull(b"half of it and the rest"))

    assert not storage.exists("evidence/partial.jpg")


def test_storage_failure_while_a_reporter_answers_keeps_the_answer_and_the_question_open(
    client, settings, waiting_report, monkeypatch
):
    token = waiting_report.issue_tracking_token()
    waiting_report.save()

    def broken(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(storages["sealed"], "save", broken)
    upload = SimpleUploadedFile("night.png", evidence_files.png_bytes(), content_type="image/png")

    response = client.post(
        reverse("impacts:track", args=[token]), {"form": "answer", "answer": "Tuesday, 14 October", "files": [upload]}
    )

    assert response.status_code == 503
    assert "Tuesday, 14 October" in response.content.decode()
    waiting_report.refresh_from_db()
    assert waiting_report.status == Status.NEEDS_INFO
    assert not Evidence.objects.exists() and files_on_disk(settings) == []


def test_a_bug_is_still_a_500_not_an_outage(client, monkeypatch, timestamp):
    """Only services failing become 503s: a programming error must stay visible."""
    from impacts.models import EvidenceWriter

    def bug(self, report, prepared):
        raise KeyError("a bug")

    monkeypatch.setattr(EvidenceWriter, "store", bug)
    client.raise_request_exception = False

    assert client.post(REPORT_URL, _report_with_files(timestamp)).status_code == 500
