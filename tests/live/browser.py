"""A visitor for the live tests: cookies, CSRF, hidden form fields and multipart posts over http.client."""

from __future__ import annotations

import html
import io
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser

from tests.live.servers import HOST, connection


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _FormFields(HTMLParser):
    """The named inputs of the first POST form of a page (hidden ones included), with their values."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.in_form = self.done = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post" and not self.done:
            self.in_form = True
        elif tag == "input" and self.in_form and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio", "file", "submit"):
                return
            self.fields[attrs["name"]] = html.unescape(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True


def form_fields(page: Page) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(page.text)
    return parser.fields


def multipart(fields, files=()) -> tuple[bytes, str]:
    """fields: dict or list of (name, value) pairs (a name may repeat); files: (name, filename, bytes, type)."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items() if isinstance(fields, dict) else fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode() + b"\r\n")
    for name, filename, content, content_type in files:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class Browser:
    """One visitor with its own cookies. `forwarded_for` (direct to gunicorn only) plays a client address."""

    def __init__(self, port: int, *, tls: bool, forwarded_for: str | None = None, timeout: float = 60):
        self.port, self.tls, self.timeout = port, tls, timeout
        self.forwarded_for = forwarded_for
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return f"https://{HOST}:{self.port}"  # direct to gunicorn, X-Forwarded-Proto says https too

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Page:
        all_headers = {"Host": f"{HOST}:{self.port}", "Accept-Language": "en"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if not self.tls:
            all_headers["X-Forwarded-Proto"] = "https"  # what nginx would say
            if self.forwarded_for:
                all_headers["X-Forwarded-For"] = self.forwarded_for
        all_headers.update(headers or {})
        conn = connection(self.port, tls=self.tls, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            for cookie in response.msg.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0]
                if value and "max-age=0" not in cookie.lower():
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
            return Page(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def get(self, path: str, **headers) -> Page:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields, files=(), *, referer: str | None = None) -> Page:
        if isinstance(fields, dict):
            fields = list(fields.items())
        if "csrftoken" in self.cookies and not any(name == "csrfmiddlewaretoken" for name, _ in fields):
            fields = [*fields, ("csrfmiddlewaretoken", self.cookies["csrftoken"])]
        body, content_type = multipart(fields, files)
        headers = {"Content-Type": content_type, "Origin": self.origin, "Referer": self.origin + (referer or path)}
        return self.request("POST", path, body=body, headers=headers)

    def follow(self, page: Page, limit: int = 5) -> Page:
        """Follow redirects on this site (at most `limit`)."""
        for _ in range(limit):
            if page.status not in (301, 302, 303, 307, 308):
                return page
            location = page.headers["location"]
            if location.startswith("http"):
                location = "/" + location.split("/", 3)[3]
            page = self.get(location)
        return page
