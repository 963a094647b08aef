"""Slow clients cannot starve the site behind nginx (kzcn/deploy/nginx.conf), and they do without it.

A slow client sends a POST's headers and then its body one byte a second. gunicorn's sync workers
each wait on one such client; with 2 workers, 3 slow clients leave nobody to answer /healthz.
nginx buffers whole requests, so gunicorn never sees the slow ones and /healthz answers at once.
The same clients straight against gunicorn are the control: they must starve it, or this test
would measure nothing.
"""

import socket
import ssl
import threading
import time
import uuid

import pytest

from tests.live.servers import HOST, request, tls_context

pytestmark = pytest.mark.live

SLOW_CLIENTS = 4
SLOW_SECONDS = 8  # each slow client's whole life, bounded
PATH = "/admin/login/"  # a POST that reads its body (CSRF) on every deployment


class SlowClient(threading.Thread):
    """Sends a POST's headers, then one byte per second, until stopped or SLOW_SECONDS have passed."""

    def __init__(self, port: int, tls: bool):
        super().__init__(daemon=True)
        self.port, self.tls = port, tls
        self.stopped = threading.Event()
        self.bytes_sent = 0

    def run(self):
        try:
            sock = socket.create_connection((HOST, self.port), timeout=5)
            if self.tls:
                sock = tls_context().wrap_socket(sock, server_hostname=HOST)
            with sock:
                sock.sendall(
                    # As a browser's form post: the CSRF check passes its first steps and reads the body.
                    f"POST {PATH} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nX-Forwarded-Proto: https\r\n"
                    f"Origin: https://{HOST}:{self.port}\r\nCookie: csrftoken={'a' * 32}\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n".encode()
                )
                deadline = time.monotonic() + SLOW_SECONDS
                while not self.stopped.is_set() and time.monotonic() < deadline:
                    sock.sendall(b"a")
                    self.bytes_sent += 1
                    self.stopped.wait(1)
        except (OSError, ssl.SSLError):
            pass  # the server may drop us; the point is what happens to everyone else


def healthz_seconds(port: int, tls: bool, timeout: float = 2.0) -> float | None:
    """How long /healthz took to answer 200, or None if it did not within `timeout` seconds."""
    started = time.monotonic()
    try:
        status, _, _ = request(port, "GET", "/healthz", tls=tls, timeout=timeout)
    except (TimeoutError, ConnectionError):
        return None
    elapsed = time.monotonic() - started
    return elapsed if status == 200 and elapsed <= timeout else None


def with_slow_clients(port: int, tls: bool) -> list[float | None]:
    clients = [SlowClient(port, tls) for _ in range(SLOW_CLIENTS)]
    for client in clients:
        client.start()
    try:
        time.sleep(2)  # the slow clients are connected and dripping
        return [healthz_seconds(port, tls) for _ in range(2)]
    finally:
        for client in clients:
            client.stopped.set()
        for client in clients:
            client.join(SLOW_SECONDS + 5)


def test_slow_clients_do_not_starve_healthz_behind_nginx_but_do_starve_bare_gunicorn(live_site):
    assert healthz_seconds(live_site.app_port, tls=False) is not None, "gunicorn answers when nobody is slow"

    behind_nginx = with_slow_clients(live_site.https_port, tls=True)
    assert all(seconds is not None for seconds in behind_nginx), f"/healthz through nginx: {behind_nginx}"

    bare = with_slow_clients(live_site.app_port, tls=False)
    print(f"/healthz with {SLOW_CLIENTS} slow clients: through nginx {behind_nginx} s, bare gunicorn {bare}")
    assert all(seconds is None for seconds in bare), f"the control did not starve gunicorn: {bare}"

    # Once the slow clients are gone, gunicorn recovers by itself.
    deadline = time.monotonic() + 30
    while healthz_seconds(live_site.app_port, tls=False) is None:
        assert time.monotonic() < deadline, "gunicorn did not recover after the slow clients left"


def test_a_client_that_stops_sending_its_body_is_dropped_by_nginx(live_site):
    """client_body_timeout: a body that stalls is not waited for forever (nginx answers 408 or closes)."""
    sock = socket.create_connection((HOST, live_site.https_port), timeout=5)
    with tls_context().wrap_socket(sock, server_hostname=HOST) as tls:
        tls.sendall(
            f"POST {PATH} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000\r\n\r\nabc".encode()
        )
        tls.settimeout(40)
        started = time.monotonic()
        try:
            answer = tls.recv(4096)
        except (ConnectionError, ssl.SSLError):
            answer = b""
        waited = time.monotonic() - started
    assert waited < 35
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408")


def test_nginx_replaces_a_spoofed_client_address(live_site):
    """The app counts rate limits by X-Forwarded-For: a client cannot choose its own address."""
    probe = uuid.uuid4().hex
    status, _, _ = request(
        live_site.https_port,
        "GET",
        f"/healthz?probe={probe}",
        tls=True,
        headers={"X-Forwarded-For": "203.0.113.99", "X-Forwarded-Proto": "http"},
    )
    assert status == 200
    time.sleep(0.5)  # gunicorn writes its access log line after the response
    line = next(line for line in (live_site.folder / "gunicorn.access.log").read_text().splitlines() if probe in line)
    assert "xff=127.0.0.1 " in line and "203.0.113.99" not in line


def test_plain_http_moves_to_https_except_healthz(live_site):
    status, headers, _ = request(live_site.http_port, "GET", "/reports/", tls=False)
    assert status == 301 and headers["location"].startswith("https://")
    status, _, body = request(live_site.http_port, "GET", "/healthz", tls=False)
    assert status == 200 and b'"status": "ok"' in body


def test_a_post_flood_from_one_address_is_slowed_by_nginx(live_site):
    """limit_req: more than the burst of POSTs at once from one address are answered 429 by nginx.

    Sent from 127.0.0.2 (still the loopback) so that the other live tests' POSTs keep their allowance."""
    codes = []
    for _ in range(45):
        status, _, _ = request(
            live_site.https_port,
            "POST",
            PATH,
            tls=True,
            body=b"x=1",
            source="127.0.0.2",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        codes.append(status)
    assert 429 in codes
    assert all(code < 500 for code in codes)
