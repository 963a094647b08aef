"""Today every public address gained a language prefix, and addresses without one redirect. An attacker
tries to turn that redirect into an open redirect or a header injection; a resident whose page was
served before the change sends their form to the old address and must not lose what they typed.

The hostile paths go through the WSGI handler as raw PATH_INFO (the test client would parse
`//evil.example/` as a host), so they reach the middleware exactly as gunicorn hands them over.
"""

import io
import re

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.urls import reverse

from impacts.models import ImpactReport
from projects.models import Suggestion
from tests.test_project_suggestions import suggestion_data
from tests.test_report_form import form_data, served_a_minute_ago

pytestmark = pytest.mark.django_db


def raw_get(path: str, query: str = "", **headers) -> tuple[int, dict[str, str]]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(b""),
               "wsgi.url_scheme": "http", **headers}  # fmt: skip
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

    # As Django's test client does: the test's open transaction must not be closed between requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        b"".join(WSGIHandler()(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"]


HOSTILE_PATHS = [
    "//evil.example/",
    "//evil.example",
    "///evil.example/",
    "//evil.example/reports/",
    "/\\evil.example/",
    "/\\/evil.example/",
    "//\\evil.example/",
    "/%2F%2Fevil.example/",
    "/%2Fevil.example",
    "/%5C%5Cevil.example",
    "//%2F/evil.example",
    "/\t/evil.example",
    "/.evil.example/",
    "/%E2%80%8B//evil.example",
    "//reports/",
    "/reports/..//evil.example",
    "/en//evil.example",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_no_unprefixed_address_redirects_to_another_site(path):
    status, headers = raw_get(path)

    location = headers.get("Location", "")
    if status in (301, 302, 307, 308):
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert "evil.example" not in location.split("/")[1], location


@pytest.mark.parametrize(
    "path", ["/reports/\r\nSet-Cookie: owned=1", "/reports/%0d%0aSet-Cookie:owned=1", "/report/\nX-Injected: 1"]
)
def test_a_line_break_in_the_address_never_becomes_a_header(path):
    status, headers = raw_get(path)

    assert "owned" not in headers.get("Set-Cookie", "")
    assert "X-Injected" not in headers
    assert all("\r" not in value and "\n" not in value for value in headers.values())


@pytest.mark.parametrize(
    "next_url",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)"],
)
def test_the_language_switch_never_sends_the_visitor_to_another_site(client, next_url):
    for response in (
        client.post("/i18n/setlang/", {"language": "ru", "next": next_url}),
        client.get("/i18n/setlang/", {"next": next_url}),
    ):
        location = response.get("Location", "")
        assert "evil.example" not in location and not location.startswith(("//", "javascript:"))


def test_the_language_links_of_a_page_stay_on_the_site_whatever_the_address(client):
    for url in ("/en/reports/", "/en/projects/suggest/", "/en/track/lost/", "/en/nowhere/"):
        page = client.get(url, {"next": "//evil.example/"}).content.decode()
        links = re.findall(r'href="([^"]*)"', page)
        assert all(link.startswith(("/", "#", "https://", "http://testserver")) for link in links), links
        assert not [link for link in links if link.startswith("//") or "evil.example" in link.split("?")[0]]


def test_a_report_form_served_before_the_prefix_still_arrives_when_sent(client):
    """The old page posts to /report/: the browser is told to send the same form again (307), not to
    fetch an empty form (302), so the report arrives and nothing typed is lost."""
    response = client.post("/report/", form_data(timestamp=served_a_minute_ago()))

    assert response.status_code == 307
    assert response["Location"] == reverse("impacts:report_create")
    followed = client.post(
        "/report/", form_data(timestamp=served_a_minute_ago(), title="Sent from an old tab"), follow=True
    )
    assert followed.redirect_chain[-1][0] == reverse("impacts:report_sent")
    assert ImpactReport.objects.filter(title="Sent from an old tab").exists()


def test_a_suggestion_sent_to_the_old_address_arrives(client):
    response = client.post("/projects/suggest/", suggestion_data(None), follow=True)

    assert response.redirect_chain[0][1] == 307
    assert Suggestion.objects.count() == 1


def test_an_old_link_still_redirects_with_a_plain_302_for_reading(client):
    response = client.get("/reports/")
    assert (response.status_code, response["Location"]) == (302, "/en/reports/")


@pytest.mark.parametrize(
    "path",
    [
        "/favicon.ico/../kzcn/settings.py",
        "/static/../kzcn/settings.py",
        "/static/%2e%2e/kzcn/settings.py",
        "/static/..%2F..%2Fetc/passwd",
        "/static//etc/passwd",
        "/static/\\..\\..\\etc\\passwd",
        "/favicon.ico%00",
    ],
)
def test_static_paths_and_the_favicon_never_serve_files_outside_static(path):
    status, headers = raw_get(path)

    assert status == 404


def test_the_favicon_redirects_to_the_sites_own_icon():
    status, headers = raw_get("/favicon.ico")

    assert status == 302 and headers["Location"].startswith("/static/")


@pytest.mark.parametrize(
    "cookie",
    [
        "django_language=\x01ru",
        "django_language=ru\x00",
        "kzcn_form_client=\x00abc",
        "csrftoken=\x7fabc",
        "sessionid=\x1b[31m",
        "django_language=../../etc",
    ],
)
@pytest.mark.parametrize(
    "path", ["/", "/report/", "/en/report/", "/en/projects/suggest/", "/en/track/lost/", "/projects/suggest/"]
)
def test_a_cookie_with_control_characters_never_breaks_a_page_or_the_redirect(cookie, path):
    status, headers = raw_get(path, HTTP_COOKIE=cookie)

    assert status in (200, 302)
    if status == 302:
        assert headers["Location"].startswith("/en/")
    assert all("\x00" not in value and "\x01" not in value for value in headers.values())
