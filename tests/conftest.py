"""Personas and helpers shared by the tests: plain functions before factories."""

import pytest
from django.conf import settings as django_settings


@pytest.fixture(autouse=True)
def _isolated_files(tmp_path, settings):
    """Every test writes uploads to its own folders, so files on disk can be asserted."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEALED_ROOT = tmp_path / "sealed"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path / "media"}},
        "sealed": {**settings.STORAGES["sealed"], "OPTIONS": {"location": tmp_path / "sealed"}},
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_report_header(config):
    return f"database: {django_settings.DATABASES['default']['ENGINE']}"
