"""The unfiltered CSV and GeoJSON dumps, built as files by a background task and served as files.

Streaming all 100,000 published reports takes tens of seconds of a web worker; the full dumps are
the same for everybody, so the worker writes them once (one file per format and language: the
reporter shown as "Anonymous" and the severity labels are translated) and the export views send the
file (`FileResponse`: the server copies it, no Python per row). A filtered export is still streamed.

When the files are rebuilt: the workflow asks for it when a report is published or withdrawn
(``refresh_soon``, on commit), and a request that finds the files missing or stale asks too (at most
once per ``RETRY_SECONDS``); the worker (`manage.py db_worker`) builds them. Until they are current,
the export is streamed live: a stale file is never served, and a missing one is never an error. A
site without a worker (tasks run in the web process) never builds them and always streams.

Stale means the published data changed since the build: each build records a fingerprint of what the
dumps show (how many published reports, their newest change and publication, the catalogue's newest
change), and a request compares it with the current one, computed once per site version.

The files live under ``KZCN_EXPORTS_ROOT`` (default: ``exports/`` beside the media folder); each is
written to a temporary name and renamed, so a reader never sees half a file.
"""

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.http import FileResponse
from django.utils import timezone, translation
from django_tasks import task, task_backends
from django_tasks.backends.immediate import ImmediateBackend

from kzcn.freshness import kept_until_change
from kzcn.middleware import CACHE_ERRORS
from projects.models import Project

from ..models import ImpactReport
from . import csv_lines, geojson_chunks, license_url

log = logging.getLogger(__name__)

FORMATS: dict[str, tuple[str, Callable]] = {
    "csv": ("text/csv; charset=utf-8", csv_lines),
    "geojson": ("application/geo+json", geojson_chunks),
}
RETRY_KEY = "kzcn:exports:rebuild-asked"
RETRY_SECONDS = 300


def root() -> Path:
    configured = getattr(settings, "KZCN_EXPORTS_ROOT", None)
    return Path(configured) if configured else Path(settings.MEDIA_ROOT).parent / "exports"


def _path(kind: str, language: str) -> Path:
    return root() / f"reports-{language}.{kind}"


def _manifest_path() -> Path:
    return root() / "manifest.json"


def current_fingerprint() -> str:
    """``fingerprint()``, kept until the site changes (kzcn.freshness): a request for a dump costs a
    cache read, not two aggregates over every published report."""
    return kept_until_change("exports:fingerprint", fingerprint)


def fingerprint() -> str:
    """What the dumps show, summed up: it changes whenever a published report or a project does."""
    reports = (
        ImpactReport.objects.published()
        .order_by()
        .aggregate(count=Count("pk"), updated=Max("updated"), published=Max("published_at"))
    )
    projects = Project.objects.order_by().aggregate(count=Count("pk"), updated=Max("updated"))
    basis = json.dumps([reports, projects], default=str, sort_keys=True)
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def _manifest() -> dict:
    try:
        return json.loads(_manifest_path().read_text())
    except (OSError, ValueError):
        return {}


def _site_url(path: str) -> str:
    return f"{settings.KZCN_SITE_URL}{path}"


def _write(path: Path, pieces: Iterable[str]) -> None:
    """Write the pieces to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            for piece in pieces:
                file.write(piece)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def build() -> str:
    """Write every dump (each format in each language) and the manifest; returns the fingerprint.

    The fingerprint is taken before the rows are read: a change during the build makes the files
    look stale (streamed live, built again), never current.
    """
    current = fingerprint()
    reports = ImpactReport.objects.published().select_related("project").order_by("-observed_on", "-pk")
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for kind, (_type, pieces) in FORMATS.items():
                _write(_path(kind, language), pieces(reports, _site_url))
    _write(_manifest_path(), [json.dumps({"fingerprint": current, "built": timezone.now().isoformat()})])
    return current


# Behind every other task: a minute of dumps must not hold back a reporter's photos or e-mails.
@task(priority=-50)
def rebuild_dumps() -> str:
    """Build the dumps unless they already show the current data (a burst of publications asks many times)."""
    if _manifest().get("fingerprint") == fingerprint():
        return "current"
    return build()


def refresh_soon() -> None:
    """Ask the worker to rebuild the dumps once the current transaction commits (publish, withdraw)."""
    if _worker_runs_tasks():
        transaction.on_commit(_enqueue)


def _worker_runs_tasks() -> bool:
    """False when tasks run in the web process (KZCN_TASKS_IMMEDIATE): building every dump inside a
    moderator's or a visitor's request would take minutes, so such a site streams its exports live."""
    return not isinstance(task_backends[rebuild_dumps.backend], ImmediateBackend)


def _enqueue() -> None:
    if not _worker_runs_tasks():
        return
    try:
        rebuild_dumps.enqueue()
    except Exception:  # the export stays correct (streamed live): a queue problem must not fail a moderator
        log.exception("could not queue the rebuild of the export dumps")


def _ask_again() -> None:
    """A request found the dumps missing or stale: ask for a rebuild, at most once per RETRY_SECONDS."""
    try:
        if not cache.add(RETRY_KEY, True, RETRY_SECONDS):
            return
    except CACHE_ERRORS:
        return
    _enqueue()


def response(kind: str, filename: str | None = None) -> FileResponse | None:
    """The prebuilt dump of this format in the active language, or None when it is missing or stale
    (the caller then streams the export live)."""
    path = _path(kind, translation.get_language() or settings.LANGUAGE_CODE)
    if _manifest().get("fingerprint") != current_fingerprint() or not path.is_file():
        _ask_again()
        return None
    try:
        file = path.open("rb")
    except OSError:
        _ask_again()
        return None
    content_type, _pieces = FORMATS[kind]
    answer = FileResponse(file, content_type=content_type)
    if filename:
        answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    answer["Link"] = f'<{license_url()}>; rel="license"'
    return answer
