"""One byte range of a stored file (RFC 9110 §14), so a phone can seek in a video or voice message.

Django's FileResponse always sends the whole file. Browsers play small files without ranges, but
Safari asks for `bytes=0-1` before playing anything and every browser asks for a range to seek,
so the public copies of videos and voice messages answer a single range with 206 Partial Content.
Several ranges in one request (multipart/byteranges) are answered with the whole file, as the
standard allows.
"""

from __future__ import annotations

import re

from django.http import HttpResponse, StreamingHttpResponse

CHUNK_SIZE = 64 * 1024
_SINGLE_RANGE = re.compile(r"^\s*bytes=(\d*)-(\d*)\s*$")
# Headers of the full response that a partial one keeps (not its length, which changes).
_KEPT_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Cache-Control",
    "ETag",
)


class Unsatisfiable(Exception):
    """The range starts after the end of the file."""


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte, inclusive, of a single-range header; None to send the whole file.

    Raises Unsatisfiable for a range wholly beyond the file.
    """
    match = _SINGLE_RANGE.match(header or "")
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    first = int(first)
    last = min(int(last), size - 1) if last else size - 1
    if first >= size:
        raise Unsatisfiable
    if last < first:
        return None  # an invalid range is ignored
    return first, last


def honour_range(request, response, file, size: int):
    """`response` (the whole file) turned into a 206 or 416 if the request asked for one range."""
    response["Accept-Ranges"] = "bytes"
    header = request.META.get("HTTP_RANGE")
    if not header or response.status_code != 200:
        return response
    try:
        wanted = requested_range(header, size)
    except Unsatisfiable:
        file.close()
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    if wanted is None:
        return response
    # The full response is dropped unsent. Not response.close(): that signals the end of the
    # request (Django then closes the database connection); its file is `file`, reopened below.
    first, last = wanted
    partial = StreamingHttpResponse(_read(file, first, last - first + 1), status=206)
    for name in _KEPT_HEADERS:
        if name in response:
            partial[name] = response[name]
    partial["Content-Range"] = f"bytes {first}-{last}/{size}"
    partial["Content-Length"] = str(last - first + 1)
    partial["Accept-Ranges"] = "bytes"
    return partial


def _read(file, start: int, length: int):
    with file.open("rb") as stream:
        stream.seek(start)
        while length > 0:
            chunk = stream.read(min(CHUNK_SIZE, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
