"""A monitor asks /healthz whether this server can do its work, and learns nothing else."""

import pytest
from django.core.files.storage import storages
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthy_site_answers_ok_for_every_check(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage_default": "ok", "storage_sealed": "ok"},
    }


def test_health_check_leaves_no_files_behind(client, settings):
    client.get(reverse("healthz"))

    for root in (settings.MEDIA_ROOT, settings.SEALED_ROOT):
        assert not [path for path in root.rglob("*") if path.is_file()]


def test_broken_sealed_storage_fails_with_503_and_no_details(client, monkeypatch, settings):
    def broken_save(*args, **kwargs):
        raise PermissionError(f"[Errno 13] Permission denied: '{settings.SEALED_ROOT}/healthz'")

    monkeypatch.setattr(storages["sealed"], "save", broken_save)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    assert response.json()["checks"]["storage_sealed"] == "fail"
    assert response.json()["checks"]["database"] == "ok"
    assert "Permission" not in response.content.decode() and str(settings.SEALED_ROOT) not in response.content.decode()


def test_a_monitor_polling_often_costs_one_storage_round_trip_a_minute(client, monkeypatch, settings):
    # On S3 a round trip is three paid requests; a success is trusted for a while, a failure never.
    saves = []
    real_save = storages["sealed"].save
    monkeypatch.setattr(storages["sealed"], "save", lambda *a, **k: saves.append(1) or real_save(*a, **k))
    for _ in range(5):
        assert client.get(reverse("healthz")).status_code == 200
    assert len(saves) == 1

    from kzcn import health

    monkeypatch.setattr(health.time, "monotonic", lambda: 10**9)
    assert client.get(reverse("healthz")).status_code == 200
    assert len(saves) == 2


def test_a_storage_that_fails_after_passing_is_reported_once_the_trust_runs_out(client, monkeypatch, settings):
    settings.KZCN_HEALTH_STORAGE_SECONDS = 0
    assert client.get(reverse("healthz")).status_code == 200

    def broken_save(*args, **kwargs):
        raise PermissionError("denied")

    monkeypatch.setattr(storages["sealed"], "save", broken_save)
    assert client.get(reverse("healthz")).status_code == 503
    assert client.get(reverse("healthz")).status_code == 503


def test_broken_cache_fails(client, monkeypatch):
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "fail"


def test_health_answer_is_never_cached(client):
    assert "no-cache" in client.get(reverse("healthz"))["Cache-Control"]
