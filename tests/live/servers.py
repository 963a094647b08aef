"""Start the site as it runs in production, on the loopback: gunicorn, and nginx in front of it.

Plain functions and two small process classes, used by tests/live/conftest.py. Everything binds to
127.0.0.1 on free ports, runs as the current user from a temporary folder, and is stopped by pid.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
HOST = "127.0.0.1"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_TEMPLATE = ROOT / "kzcn" / "deploy" / "nginx.conf"


def redis_url_for_tests(offset: int) -> str:
    """Redis database 12 + offset (0 or 1) for this test process, 14 + offset in pytest-xdist's second
    worker (`make test` runs two, one per core), so that parallel workers never flush each other's data."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    if index > 1:
        raise RuntimeError("the tests have Redis databases 12 to 15: at most two xdist workers")
    return f"redis://127.0.0.1:6379/{12 + 2 * index + offset}"


CACHE_URL = redis_url_for_tests(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def live_database_url(suite_database_url: str, tmp: Path) -> str:
    """Its own PostgreSQL database next to the suite's (<name>_live, recreated), or a SQLite file in tmp."""
    if not suite_database_url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp / 'live.sqlite3'}"
    url = urlsplit(suite_database_url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = url.path.lstrip("/") + "_live" + (f"_{worker}" if worker else "")  # one per xdist worker
    import psycopg

    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url._replace(path=f"/{name}").geturl()


def drop_database(database_url: str) -> None:
    if not database_url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    url = urlsplit(database_url)
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.path.lstrip("/")}" WITH (FORCE)')


def production_environment(var_dir: Path, database_url: str, https_port: int, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "KZCN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "kzcn.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
            "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{HOST}:{https_port}",
            "DATABASE_URL": database_url,
            "CACHE_URL": CACHE_URL,
            "KZCN_VAR_DIR": str(var_dir),
            "KZCN_MEDIA_ROOT": str(var_dir / "media"),
            "KZCN_SEALED_ROOT": str(var_dir / "sealed"),
            "KZCN_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",  # behind nginx, as the README says
            "KZCN_SITE_URL": f"https://{HOST}:{https_port}",
            "KZCN_UPLOAD_TEMP_DIR": str(var_dir / "upload-tmp"),
            "DJANGO_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    # A fixed command line (this interpreter, manage.py, our own arguments): no untrusted input.
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:2])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(CACHE_URL, socket_connect_timeout=2).flushdb()


class Process:
    """A server process started by a test, stopped by its own pid."""

    def __init__(self, command: list[str], env: dict | None, log: Path):
        self.log = log
        with open(log, "w") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)  # noqa: S603

    def wait_until_answering(self, port: int, *, tls: bool = False, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                status, _, _ = request(port, "GET", "/healthz", tls=tls, timeout=2)
                if status:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.log.stem} did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_gunicorn(env: dict, port: int, log_dir: Path, *, workers: int = 2, name: str = "gunicorn") -> Process:
    command = [
        str(Path(PYTHON).parent / "gunicorn"), "kzcn.wsgi", "--bind", f"{HOST}:{port}", "--workers", str(workers),
        "--worker-class", "sync", "--timeout", "60", "--graceful-timeout", "5",
        "--access-logfile", str(log_dir / f"{name}.access.log"),
        "--access-logformat", "%(h)s xff=%({x-forwarded-for}i)s %(s)s %(m)s %(U)s%(q)s",
    ]  # fmt: skip
    server = Process(command, env, log_dir / f"{name}.log")
    server.wait_until_answering(port)
    return server


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(  # noqa: S603 - fixed arguments
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",  # noqa: S607
         "-days", "2", "-subj", f"/CN={HOST}", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return certificate, key


def nginx_body_limit() -> int:
    """In bytes, the largest body kzcn/deploy/nginx.conf lets through (client_max_body_size, in MB)."""
    found = re.search(r"^\s*client_max_body_size (\d+)m;", NGINX_TEMPLATE.read_text(), re.MULTILINE)
    return int(found.group(1)) * 1024 * 1024


def render_nginx_site(values: dict[str, str]) -> str:
    """kzcn/deploy/nginx.conf with every @VALUE@ replaced; fails if one is left."""
    text = NGINX_TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    left = re.findall(r"@[A-Z_]+@", body)
    if left:
        raise ValueError(f"values missing for {sorted(set(left))}")
    return text


def nginx_main_config(folder: Path, site: Path) -> str:
    """The test's own nginx.conf: foreground, files in `folder`, the site file included in http {}."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # else nginx's workers would become `nobody`
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    access_log {folder / "access.log"};
{temp}
    include {site};
}}
"""


def start_nginx(folder: Path, *, http_port: int, https_port: int, app_port: int) -> Process:
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = self_signed_certificate(folder)
    site = folder / "kzcn.conf"
    site.write_text(
        render_nginx_site(
            {
                "SERVER_NAME": f"{HOST} localhost",
                "HTTP_LISTEN": f"{HOST}:{http_port}",
                "HTTPS_LISTEN": f"{HOST}:{https_port}",
                "TLS_CERTIFICATE": str(certificate),
                "TLS_CERTIFICATE_KEY": str(key),
                "APP_ADDRESS": f"{HOST}:{app_port}",
            }
        )
    )
    main = folder / "nginx.conf"
    main.write_text(nginx_main_config(folder, site))
    check = subprocess.run(  # noqa: S603 - fixed arguments
        [NGINX, "-t", "-q", "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(main)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration:\n{check.stderr}")
    server = Process(
        [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(main)], None, folder / "nginx.log"
    )
    server.wait_until_answering(https_port, tls=True)
    return server


# --- A small client -----------------------------------------------------------------------------------


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our own self-signed certificate on the loopback
    return context


def connection(port: int, *, tls: bool, timeout: float, source: str | None = None) -> http.client.HTTPConnection:
    """To 127.0.0.1; `source` (another loopback address, e.g. 127.0.0.2) plays a second client."""
    source_address = (source, 0) if source else None
    if tls:
        return http.client.HTTPSConnection(
            HOST, port, timeout=timeout, context=tls_context(), source_address=source_address
        )
    return http.client.HTTPConnection(HOST, port, timeout=timeout, source_address=source_address)


def request(port: int, method: str, path: str, *, tls: bool, body: bytes | None = None, headers=None,
            timeout: float = 30, source: str | None = None) -> tuple[int, dict, bytes]:  # fmt: skip
    """One request on a fresh connection: (status, lower-cased headers, body)."""
    conn = connection(port, tls=tls, timeout=timeout, source=source)
    try:
        conn.request(method, path, body=body, headers={"Host": f"{HOST}:{port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()
