"""Someone sends a body far larger than any report: it is refused before it is read.

Before, a 300 MB body was spooled to disk (284 MB) before Django said 400. Now the declared
Content-Length is checked first (kzcn.middleware.RequestSizeMiddleware, first in MIDDLEWARE), and a
body longer than it said is cut off at the same limit. The same refusal against a real gunicorn,
over raw sockets, is in tests/live/test_request_bodies_live.py.
"""

import io

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory
from django.urls import reverse

from impacts.models import ImpactReport
from kzcn.middleware import BoundedStream, RequestSizeMiddleware, max_request_bytes
from tests.live.servers import NGINX_TEMPLATE, nginx_body_limit

pytestmark = pytest.mark.django_db

HUGE = 300 * 1024 * 1024


class UnreadableBody(io.RawIOBase):
    """A request body that must not be touched: records any read."""

    def __init__(self):
        self.reads = 0

    def readable(self):
        return True

    def read(self, size=-1):
        self.reads += 1
        return b"x" * (size if size and size > 0 else 65536)

    def readline(self, size=-1):
        return self.read(size)


def post_declaring(client, path: str, length: int, content_type="multipart/form-data; boundary=xyz", **headers):
    body = UnreadableBody()
    response = client.generic(
        "POST", path, b"", content_type=content_type, CONTENT_LENGTH=str(length), **{"wsgi.input": body}, **headers
    )
    return response, body


@pytest.mark.parametrize(
    "path",
    [
        reverse("impacts:report_create"),
        reverse("impacts:track", args=["some-token"]),
        reverse("impacts:track_lost"),
        reverse("admin:login"),
        "/api/reports/",
        "/no-such-page/",
    ],
)
def test_a_300_mb_post_anywhere_is_refused_with_the_400_page_without_reading_it(client, path):
    response, body = post_declaring(client, path, HUGE)

    assert response.status_code == 400
    assert body.reads == 0
    page = response.content.decode()
    assert "The request could not be accepted" in page and "too large" in page
    assert ImpactReport.objects.count() == 0
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_limit_is_a_full_report_plus_its_form_fields_and_above_what_nginx_passes(settings):
    """nginx (kzcn/deploy/nginx.conf) must refuse first: a body it passes on and the app then refuses
    unread would reach the person as nginx's 502."""
    settings.KZCN_MAX_REPORT_BYTES = 60 * 1024 * 1024
    config = NGINX_TEMPLATE.read_text()

    assert 60 * 1024 * 1024 < nginx_body_limit() < max_request_bytes()
    assert f"up to {settings.KZCN_MAX_REPORT_BYTES // 2**20} MB" in config  # nginx's own 413 page


def test_a_body_just_over_the_limit_is_refused_and_one_just_under_reaches_the_form(client, settings):
    settings.KZCN_MAX_REPORT_BYTES = 1024 * 1024
    limit = max_request_bytes()

    over, over_body = post_declaring(client, reverse("impacts:report_create"), limit + 1)
    assert over.status_code == 400 and over_body.reads == 0

    under = client.post(reverse("impacts:report_create"), {"title": "x" * 1000})
    assert under.status_code == 400  # the form's own answer: a page with the form and its errors
    assert b"<form" in under.content


def test_the_refusal_speaks_the_visitors_language(client):
    english, _ = post_declaring(client, reverse("impacts:report_create"), HUGE)
    russian, _ = post_declaring(client, reverse("impacts:report_create"), HUGE, HTTP_ACCEPT_LANGUAGE="ru")

    assert russian.status_code == 400
    assert 'lang="ru"' in russian.content.decode()
    assert russian.content != english.content


def test_a_body_longer_than_it_said_is_cut_off_at_the_limit():
    """A server that hands over an unterminated stream (or a body that keeps coming) is read only to the limit."""

    class Endless(io.RawIOBase):
        served = 0

        def readable(self):
            return True

        def read(self, size=-1):
            size = 65536 if size is None or size < 0 else size
            self.served += size
            return b"x" * size

    endless = Endless()
    request = RequestFactory().post("/report/", b"", content_type="application/octet-stream")
    request._stream = endless
    limit = 1024 * 1024

    def view(request):
        request.body  # noqa: B018 - reads the whole body, as a JSON or multipart parser would
        raise AssertionError("the body was read to the end")

    middleware = RequestSizeMiddleware(view)
    stream = BoundedStream(endless, limit)
    with pytest.raises(RequestDataTooBig):
        while stream.read(65536):
            pass
    assert endless.served <= limit + 1

    endless.served = 0
    request._stream = endless
    with pytest.raises(RequestDataTooBig):
        middleware(request)
    assert endless.served <= max_request_bytes() + 1


def test_bounded_stream_reads_normal_bodies_unchanged():
    stream = BoundedStream(io.BytesIO(b"line one\nline two\n"), limit=100)

    assert stream.readline() == b"line one\n"
    assert stream.read() == b"line two\n"
    assert stream.read() == b""
