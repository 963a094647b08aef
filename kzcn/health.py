"""/healthz: is this app server able to do its work? For load balancers and uptime monitors.

Answers {"status": "ok"|"fail", "checks": {"database": "ok", ...}} with 200 or 503. A failed
check says only "fail": the reason goes to the log, never to the visitor (no paths, hosts or
credentials in the answer).
"""

import logging
import uuid

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
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


def _storage(alias: str):
    def check() -> None:
        storage = storages[alias]
        name = storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
        try:
            with storage.open(name) as stored:
                if stored.read() != b"ok":
                    raise RuntimeError("the storage did not return what was written")
        finally:
            storage.delete(name)

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
