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
def _english_unless_a_test_says_otherwise():
    """A request in Kazakh or Russian leaves its language active in the thread; start each test in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache

    from kzcn.freshness import forget_recent_version

    cache.clear()
    forget_recent_version()
    # A transactional test ends with a flush, after which the content types come back with new ids;
    # with two xdist workers more tests run after it in the same process, and must not use the old ids.
    ContentType.objects.clear_cache()
    yield
    cache.clear()
    forget_recent_version()


def pytest_report_header(config):
    return f"database: {django_settings.DATABASES['default']['ENGINE']}"


def _staff(django_user_model, username, group_name=None, **extra):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username, f"{username}@example.org", "a-long-password-1", is_staff=True, **extra
    )
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def moderator(db, django_user_model):
    return _staff(django_user_model, "moderator", "Moderators")


@pytest.fixture
def senior_moderator(db, django_user_model):
    return _staff(django_user_model, "senior", "Senior moderators")


@pytest.fixture
def editor(db, django_user_model):
    return _staff(django_user_model, "editor", "Editors")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Background tasks run as soon as they are enqueued (after commit), so mail.outbox shows them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
