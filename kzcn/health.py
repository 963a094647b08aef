"""/healthz: is this app server able to do its work? For load balancers and uptime monitors.

Answers {"status": "ok"|"fail", "checks": {"database": "ok", ...}} with 200 or 503. A failed
check says only "fail": the reason goes to the log, never to the visitor (no paths, hosts or
credentials in the answer).
"""

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was stored")
    finally:
        cache.delete(key)


# When each storage last passed its round trip, in this process. A write, a read and a delete cost
# three requests on S3: a monitor polling every few seconds would pay for them on every poll, so a
# success is trusted for KZCN_HEALTH_STORAGE_SECONDS; a failure is never remembered.
_storage_passed: dict[str, float] = {}


@receiver(setting_changed)
def _forget_storage_results(setting, **kwargs) -> None:
    # Other storages (tests, override_settings) are new storages: check them afresh.
    if setting in ("STORAGES", "KZCN_HEALTH_STORAGE_SECONDS"):
        _storage_passed.clear()


def _storage_seconds() -> int:
    return getattr(settings, "KZCN_HEALTH_STORAGE_SECONDS", 60)


def _storage(alias: str):
    def check() -> None:
        passed = _storage_passed.get(alias)
        if passed is not None and time.monotonic() - passed < _storage_seconds():
            return
        _storage_passed.pop(alias, None)
        storage = storages[alias]
        name = storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
        try:
            with storage.open(name) as stored:
                if stored.read() != b"ok":
                    raise RuntimeError("the storage did not return what was written")
        finally:
            storage.delete(name)
        _storage_passed[alias] = time.monotonic()

    return check


CHECKS = {
    "database": _database,
    "cache": _cache,
    "storage_default": _storage("default"),
    "storage_sealed": _storage("sealed"),
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:
            logger.exception("Health check %s failed", name)
            results[name] = "fail"
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": results}, status=200 if healthy else 503)
