"""A task worker killed in the middle of a file loses nothing and duplicates nothing (PostgreSQL).

Real `manage.py db_worker` processes on the test database: the first one is made slow (a test-only
setting, in a settings module written for this test) and killed with SIGKILL while it holds a file,
after it wrote that file's public copy but before it recorded it. The sweep then queues the stuck
file again once its lease has run out, a second worker finishes the queue, and every file ends
READY once, with exactly one public copy and one thumbnail on disk.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from impacts.evidence import accept_evidence, processing
from impacts.models import Evidence, EvidenceWriter
from tests import evidence_files
from tests.reports import make_report

ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 3
SLOW_JOB_SECONDS = 30  # the first worker never finishes its job: it is killed long before

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_environment(tmp_path, settings):
    """Environment for worker processes sharing this test's database and file storage."""
    if connection.vendor != "postgresql":
        pytest.skip("runs real workers against PostgreSQL")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the production queue
    settings.KZCN_EVIDENCE_LEASE_SECONDS = LEASE_SECONDS
    (tmp_path / "slow_worker_settings.py").write_text(
        "from kzcn.settings import *  # noqa: F403\n"
        "import os\n"
        "KZCN_EVIDENCE_TEST_DELAY_SECONDS = float(os.environ['KZCN_TEST_DELAY'])\n"
        f"KZCN_EVIDENCE_LEASE_SECONDS = {LEASE_SECONDS}\n"
    )
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "slow_worker_settings",
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": django_settings.SECRET_KEY,  # the derived file names depend on it
        "KZCN_VAR_DIR": str(tmp_path),
        "KZCN_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "KZCN_SEALED_ROOT": str(settings.SEALED_ROOT),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    environment.pop("KZCN_TASKS_IMMEDIATE", None)
    return environment


def start_worker(environment: dict, *, delay: float, batch: bool) -> subprocess.Popen:
    command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.2"]
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [*command, *(["--batch"] if batch else [])],
        cwd=ROOT,
        env={**environment, "KZCN_TEST_DELAY": str(delay)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def files_under(root) -> set[str]:
    return {str(path.relative_to(root)) for path in Path(root).rglob("*") if path.is_file()}


def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(worker_environment, settings):
    report = make_report()
    photos = [evidence_files.jpeg_with_gps(lat=43.0 + index / 10) for index in range(3)]
    with EvidenceWriter() as writer, transaction.atomic():  # queued on commit, in the database queue
        items = [
            writer.store(report, accept_evidence(evidence_files.uploaded(data, f"p{i}.jpg")))
            for i, data in enumerate(photos)
        ]

    doomed = start_worker(worker_environment, delay=SLOW_JOB_SECONDS, batch=False)
    try:
        # It claims a file, writes its public copy, then sleeps before recording it: kill it there.
        wait_for(lambda: files_under(settings.MEDIA_ROOT), 60, "the first worker to write a public copy")
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    held = Evidence.objects.filter(state="processing", processing_started_at__isnull=False)
    assert held.count() == 1 and Evidence.objects.filter(state="ready").count() == 0
    killed_file = held.get()

    assert not processing.stuck().filter(pk=killed_file.pk).exists()  # its lease runs: nobody may take it yet
    time.sleep(LEASE_SECONDS + 0.5)
    assert processing.stuck().filter(pk=killed_file.pk).exists()
    # The killed worker's file is queued again; so are the two still waiting in the queue after a lease
    # time (their first task is still there too): the duplicates must do nothing.
    assert processing.sweep() == 3

    finisher = start_worker(worker_environment, delay=0, batch=True)
    _, errors = finisher.communicate(timeout=180)
    assert finisher.returncode == 0, errors.decode()[-2000:]

    items = list(Evidence.objects.filter(pk__in=[item.pk for item in items]))
    assert [item.state for item in items] == ["ready"] * 3
    assert next(item for item in items if item.pk == killed_file.pk).attempts == 2
    referenced = {item.public_file.name for item in items} | {item.thumbnail.name for item in items}
    assert len(referenced) == 6 and files_under(settings.MEDIA_ROOT) == referenced  # nothing lost, nothing twice
    assert len(files_under(settings.SEALED_ROOT)) == 3
