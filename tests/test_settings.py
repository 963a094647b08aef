"""An operator deploys the site: production settings refuse to start half-configured.

Each test starts Django in a fresh process with its own environment, as a server would.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = secrets.token_urlsafe(60)
# Production also needs a shared cache (rate limits); given here so each test misses one thing only.
PRODUCTION_CACHE = "redis://127.0.0.1:6379/0"


def run_manage(tmp_path: Path, *args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "kzcn.settings", "KZCN_VAR_DIR": str(tmp_path), **environment})
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage(
        tmp_path, "check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="kzcn.example.org", CACHE_URL=PRODUCTION_CACHE
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = run_manage(
        tmp_path,
        "check",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="short",
        DJANGO_ALLOWED_HOSTS="kzcn.example.org",
        CACHE_URL=PRODUCTION_CACHE,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = run_manage(
        tmp_path, "check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=PRODUCTION_KEY, CACHE_URL=PRODUCTION_CACHE
    )

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_development_starts_with_no_environment_at_all(tmp_path):
    result = run_manage(tmp_path, "check")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("debug", ["0", "false", "off"])
def test_deploy_check_passes_with_production_settings(tmp_path, debug):
    result = run_manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG=debug,
        DJANGO_SECRET_KEY=PRODUCTION_KEY,
        DJANGO_ALLOWED_HOSTS="kzcn.example.org",
        CACHE_URL=PRODUCTION_CACHE,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
