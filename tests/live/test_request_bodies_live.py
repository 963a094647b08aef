"""Huge bodies against the real servers, over raw sockets: refused before they are read.

gunicorn alone: the app answers 400 on the declared Content-Length while the body has not even
started, and a body longer than declared (or sent chunked) is not read past its limit. Through
nginx: client_max_body_size refuses larger bodies with 413, counted on the stream for chunked ones.
Nothing is spooled to the upload folder in any case.
"""

import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from tests.live.servers import HOST, nginx_body_limit, tls_context

pytestmark = pytest.mark.live

HUGE = 300 * 1024 * 1024
CHUNK = b"x" * 65536
MB = 1024 * 1024


def in_flight_at_most() -> int:
    """What the kernel can hold between the two ends of one TCP connection before the server reads
    it: the client's send buffer and the server's receive buffer, each at its autotuning maximum
    (tcp_rmem's maximum is 32 MB on one CI machine, where nginx answered after 71 MB)."""
    send, receive = (
        int(Path(f"/proc/sys/net/ipv4/{name}").read_text().split()[2]) for name in ("tcp_wmem", "tcp_rmem")
    )
    return send + receive


def open_socket(port: int, tls: bool):
    sock = socket.create_connection((HOST, port), timeout=10)
    return tls_context().wrap_socket(sock, server_hostname=HOST) if tls else sock


def head(path: str, port: int, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}", "X-Forwarded-Proto: https",
             "Content-Type: multipart/form-data; boundary=xyz", *extra]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(sock, seconds: float = 10) -> bytes:
    sock.settimeout(seconds)
    answer = b""
    try:
        while not answer.endswith(b"</html>\n") and len(answer) < 200_000:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except (TimeoutError, ConnectionError, ssl.SSLError):
        pass
    return answer


class TlsPipe:
    """TLS over a plain socket through memory BIOs, so one thread can send while another receives.

    An SSL socket must not be read and written from two threads at once (it crashed the
    interpreter); here the socket carries only raw bytes, and every call on the SSL object is
    quick, in memory, and under one lock."""

    def __init__(self, port: int):
        self.sock = socket.create_connection((HOST, port), timeout=10)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = tls_context().wrap_bio(self.incoming, self.outgoing, server_hostname=HOST)
        self.lock = threading.Lock()
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("closed during the TLS handshake") from None
                self.incoming.write(data)
        self._flush()

    def _flush(self) -> None:
        if self.outgoing.pending:
            self.sock.sendall(self.outgoing.read())

    def sendall(self, data: bytes) -> None:
        with self.lock:
            self.tls.write(data)
            raw = self.outgoing.read()
        self.sock.sendall(raw)

    def recv(self, size: int) -> bytes:
        """Decrypted bytes, b"" at the end; raises TimeoutError like a socket."""
        while True:
            with self.lock:
                try:
                    return self.tls.read(size)
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLZeroReturnError:
                    return b""
            data = self.sock.recv(65536)
            if not data:
                return b""
            with self.lock:
                self.incoming.write(data)

    def settimeout(self, seconds: float) -> None:
        self.sock.settimeout(seconds)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def stream_until_refused(port: int, tls: bool, header: bytes, body_limit: int, chunked: bool = False):
    """Send `header`, then body bytes as fast as the server takes them, up to `body_limit` bytes or 30 s.

    Returns (bytes sent when the answer began, the answer). nginx may go on reading and discarding
    the rest for a while after answering (lingering close); what counts is that it answered first.
    The answer is read as it comes, by a second thread: a server that closes after answering resets
    the connection, and a reset drops whatever was not read yet."""
    sock = TlsPipe(port) if tls else open_socket(port, tls=False)
    sent = 0
    answered_at = []
    answer = []

    def read():
        sock.settimeout(30)
        try:
            first = sock.recv(65536)
        except (TimeoutError, ConnectionError, ssl.SSLError):
            first = b""
        answered_at.append(sent)
        answer.append(first + (read_answer(sock, 10) if first else b""))

    reader = threading.Thread(target=read, daemon=True)
    with sock:
        sock.sendall(header)
        reader.start()
        deadline = time.monotonic() + 30
        try:
            while sent < body_limit and time.monotonic() < deadline and not answered_at:
                piece = (b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n") if chunked else CHUNK
                sock.sendall(piece)
                sent += len(CHUNK)
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
            pass
        reader.join(45)
    return (answered_at[0] if answered_at else sent), (answer[0] if answer else b"")


def upload_folder_files(live_site) -> list:
    return [path for path in (live_site.folder / "var" / "upload-tmp").rglob("*") if path.is_file()]


def test_gunicorn_answers_400_to_a_300_mb_declaration_before_the_body_starts(live_site):
    with open_socket(live_site.app_port, tls=False) as sock:
        started = time.monotonic()
        sock.sendall(head("/en/report/", live_site.app_port, f"Content-Length: {HUGE}"))
        answer = read_answer(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"The request could not be accepted" in answer
    assert waited < 5, f"answered after {waited:.1f} s"
    assert upload_folder_files(live_site) == []


@pytest.mark.parametrize("chunked", [False, True], ids=["longer-than-declared", "chunked"])
def test_gunicorn_reads_no_more_than_the_limit_of_a_body_that_keeps_coming(live_site, chunked):
    header = head("/en/report/", live_site.app_port,
                  "Transfer-Encoding: chunked" if chunked else "Content-Length: 1000")  # fmt: skip
    sent, answer = stream_until_refused(live_site.app_port, False, header, HUGE, chunked=chunked)

    assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
    assert sent < 64 * 1024 * 1024, f"the server took {sent / 2**20:.0f} MB"
    assert upload_folder_files(live_site) == []


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_nginx_refuses_a_300_mb_body_with_413(live_site, chunked):
    header = head("/en/report/", live_site.https_port,
                  "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}")  # fmt: skip
    sent, answer = stream_until_refused(live_site.https_port, True, header, HUGE, chunked=chunked)

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Refused once past the limit: what was sent beyond it is at most what the kernel held in flight
    # (and a few chunks the reader had not yet seen answered), far short of the 300 MB.
    bound = nginx_body_limit() + in_flight_at_most() + 2 * MB
    assert sent <= min(bound, HUGE // 2), f"nginx answered after {sent / MB:.0f} MB (bound {bound / MB:.0f} MB)"
    assert b"The files are too large" in answer and "60 МБ".encode() in answer
    spooled = [path for path in (live_site.folder / "nginx" / "client_body").rglob("*") if path.is_file()]
    assert spooled == []


def test_a_body_just_under_nginxs_limit_reaches_the_app_whole(live_site):
    """61 MB through nginx: nginx buffers it and hands it on; the app reads it (no 502, no 413)."""
    opening = (
        b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="video.mp4"\r\n'
        b"Content-Type: video/mp4\r\n\r\n"
    )
    closing = b"\r\n--xyz--\r\n"
    length = 61 * 1024 * 1024
    with open_socket(live_site.https_port, tls=True) as sock:
        # With the Origin and CSRF cookie of a browser, so that Django reads the body before answering.
        sock.sendall(
            head(
                "/en/report/",
                live_site.https_port,
                f"Content-Length: {length}",
                f"Origin: https://{HOST}:{live_site.https_port}",
                f"Cookie: csrftoken={'a' * 32}",
            )
        )
        sock.sendall(opening)
        sent, content = len(opening), length - len(closing)
        while sent < content:
            piece = CHUNK[: content - sent]
            sock.sendall(piece)
            sent += len(piece)
        sock.sendall(closing)
        answer = read_answer(sock, 60)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:300]  # refused for what it is (no CSRF token), not for size
    assert not answer.startswith((b"HTTP/1.1 413", b"HTTP/1.1 400"))
