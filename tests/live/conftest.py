"""The site as it runs in production, started once per test session: nginx → gunicorn (2 sync workers).

Production settings (DJANGO_DEBUG=0, a secret key, allowed hosts, 2FA on), Redis db 13, and the
suite's database engine: PostgreSQL (its own database, <suite database>_live, recreated and dropped)
when DATABASE_URL points at PostgreSQL, else a SQLite file in the session's temporary folder.
nginx runs kzcn/deploy/nginx.conf rendered with loopback values and a self-signed certificate.
Skipped with a message when nginx or Redis is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.live import servers
from tests.live.browser import Browser


@dataclass
class LiveSite:
    https_port: int  # nginx, TLS: what visitors reach
    http_port: int  # nginx, plain HTTP: redirects and /healthz
    app_port: int  # gunicorn itself, behind nginx
    env: dict
    folder: Path
    database_url: str
    seed: dict = field(default_factory=dict)

    def visitor(self) -> Browser:
        """A visitor through nginx, as from the internet."""
        return Browser(self.https_port, tls=True)

    def direct(self, address: str = "198.51.100.7") -> Browser:
        """A request straight to gunicorn, claiming to come from `address` via the proxy."""
        return Browser(self.app_port, tls=False, forwarded_for=address)

    def run_seed(self, *args: str) -> dict:
        result = subprocess.run(  # noqa: S603 - fixed command line
            [servers.PYTHON, "-m", "tests.live.seed", *args], cwd=servers.ROOT, env=self.env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-3000:])
        return json.loads(result.stdout.strip().splitlines()[-1])

    def run_task_worker(self) -> None:
        """What the production task worker does (evidence files' public copies, e-mails): every queued
        task, then exit (`db_worker --batch`), with the site's own settings."""
        servers.manage(self.env, "db_worker", "--batch", "--no-startup-delay")

    def start_another_app(self, name: str, **environment: str) -> tuple[servers.Process, int]:
        """A second gunicorn on the same database with some settings changed (an outage, say)."""
        port = servers.free_port()
        env = {**self.env, **environment}
        return servers.start_gunicorn(env, port, self.folder, workers=1, name=name), port


def _missing_services() -> str | None:
    if not os.path.exists(servers.NGINX):
        return "nginx is not installed (apt-get install nginx-light); .ci/run installs it"
    if not shutil.which("openssl"):
        return "openssl is not installed (needed for the test certificate)"
    if not servers.listening(6379):
        return "Redis is not running on 127.0.0.1:6379"
    if os.environ.get("DATABASE_URL", "").startswith("postgres") and not servers.listening(5432):
        return "PostgreSQL is not running on 127.0.0.1:5432"
    return None


@pytest.fixture(scope="session")
def live_site(tmp_path_factory) -> LiveSite:
    missing = _missing_services()
    if missing:
        pytest.skip(f"live tests need nginx, Redis and the suite's database: {missing}")
    folder = tmp_path_factory.mktemp("live")
    https_port, http_port, app_port = servers.free_port(), servers.free_port(), servers.free_port()
    database_url = servers.live_database_url(os.environ.get("DATABASE_URL", ""), folder)
    env = servers.production_environment(folder / "var", database_url, https_port)
    (folder / "var" / "upload-tmp").mkdir(parents=True)
    started: list[servers.Process] = []
    try:
        servers.flush_redis()
        servers.manage(env, "migrate", "--noinput")
        servers.manage(env, "collectstatic", "--noinput")
        started.append(servers.start_gunicorn(env, app_port, folder))
        started.append(
            servers.start_nginx(folder / "nginx", http_port=http_port, https_port=https_port, app_port=app_port)
        )
        yield LiveSite(https_port, http_port, app_port, env, folder, database_url)
    finally:
        for process in reversed(started):
            process.stop()
        servers.drop_database(database_url)
