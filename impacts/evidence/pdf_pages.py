"""Rebuild a PDF from pictures of its pages: the public copy keeps only what a reader sees.

Each page is rendered to pixels by PDFium (pypdfium2 ships it in its wheels: no system binary),
encoded as a JPEG, and the JPEGs are written into a new, minimal PDF with no document information,
XMP, actions, links, forms, fonts or embedded files: nothing but one picture per page. This is
what Dangerzone does to make documents safe, without its container.

This file runs as a child process (`python -I pdf_pages.py PARAMETERS < original > public`), so
PDFium parses hostile bytes under its own memory and CPU limits (`sandbox`): a bomb or a crash
there kills the child, not the web worker. It imports nothing from Django or the project but
`sandbox` for that reason, and because the child then starts in about a tenth of a second.

Why our own 40-line PDF writer rather than Pillow or img2pdf: Pillow's PDF writer decodes and
re-encodes every page and keeps them all decoded until it writes (100 pages at 4 MP is 1.2 GB);
img2pdf embeds JPEGs as they are, as we do, but brings in pikepdf and qpdf, a second C++ PDF
library, to write three objects per page.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import time
from typing import NamedTuple

# Exit codes of the child, read by pdf.rebuild_public_pdf.
EXIT_TOO_MANY_PAGES = 3
EXIT_TOO_SLOW = 4
EXIT_UNREADABLE = 5
EXIT_TOO_BIG = 6
EXIT_OUT_OF_MEMORY = 7
EXIT_PAGE_SIZE = 8

POINTS_PER_INCH = 72
MAX_PAGE_SIDE_POINTS = 14_400  # the PDF specification's implementation limit (200 inches)


class PagePicture(NamedTuple):
    jpeg: bytes
    pixels: tuple[int, int]
    width: float  # points
    height: float


class Refused(Exception):
    def __init__(self, exit_code: int):
        super().__init__(exit_code)
        self.exit_code = exit_code


def page_scale(width: float, height: float, dpi: int, max_pixels: int) -> float:
    """Pixels per point: `dpi`, lowered so that the page stays within `max_pixels`."""
    if not (1 <= width <= MAX_PAGE_SIDE_POINTS and 1 <= height <= MAX_PAGE_SIDE_POINTS):
        raise Refused(EXIT_PAGE_SIZE)
    scale = min(dpi / POINTS_PER_INCH, math.sqrt(max_pixels / (width * height)))
    while math.ceil(width * scale) * math.ceil(height * scale) > max_pixels:  # rounding up of thin pages
        scale *= 0.99
    return scale


def rebuild(
    data: bytes, *, dpi: int, max_page_pixels: int, max_pages: int, quality: int, max_output_bytes: int, seconds: float
) -> bytes:
    """The public PDF for the original `data`; raises Refused with an exit code when unfit."""
    import pypdfium2 as pdfium

    deadline = time.monotonic() + seconds
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise Refused(EXIT_UNREADABLE) from error
    try:
        count = len(document)
        if count < 1:
            raise Refused(EXIT_UNREADABLE)
        if count > max_pages:
            raise Refused(EXIT_TOO_MANY_PAGES)
        document.init_forms()  # filled-in form fields are part of what a reader sees
        pages = []
        total = 0
        for index in range(count):
            if time.monotonic() > deadline:
                raise Refused(EXIT_TOO_SLOW)
            pages.append(_page_picture(document, index, dpi, max_page_pixels, quality))
            total += len(pages[-1].jpeg)
            if total > max_output_bytes:
                raise Refused(EXIT_TOO_BIG)
    finally:
        document.close()
    return write_pdf(pages)


def _page_picture(document, index: int, dpi: int, max_pixels: int, quality: int) -> PagePicture:
    """One page as a JPEG, with its size in points as a reader shows it (rotation applied)."""
    page = document[index]
    try:
        width, height = page.get_size()
        scale = page_scale(width, height, dpi, max_pixels)
        bitmap = page.render(scale=scale, may_draw_forms=True, draw_annots=True)
        image = bitmap.to_pil().convert("RGB")
        bitmap.close()
    finally:
        page.close()
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return PagePicture(buffer.getvalue(), image.size, image.width / scale, image.height / scale)


def write_pdf(pages: list[PagePicture]) -> bytes:
    """A PDF of one full-page JPEG per page: catalog, page tree, then page, content and image."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []

    def add(body: bytes) -> None:
        offsets.append(len(out))
        out.extend(b"%d 0 obj\n" % len(offsets) + body + b"\nendobj\n")

    kids = b" ".join(b"%d 0 R" % (3 + 3 * index) for index in range(len(pages)))
    add(b"<< /Type /Catalog /Pages 2 0 R >>")
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)))
    for index, page in enumerate(pages):
        number = 3 + 3 * index
        size = b"%.2f %.2f" % (page.width, page.height)
        add(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s] /Resources << /XObject << /Page %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (size, number + 2, number + 1)
        )
        content = b"q %s 0 0 %s 0 0 cm /Page Do Q" % tuple(size.split())
        add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        add(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
            % (*page.pixels, len(page.jpeg))
            + page.jpeg
            + b"\nendstream"
        )
    xref = len(out)
    out.extend(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    out.extend(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.extend(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    return bytes(out)


def main() -> int:
    parameters = json.loads(sys.argv[1])
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))  # after the standard library
    import pypdfium2  # noqa: F401  (loaded before the memory cap is measured)
    from PIL import Image  # noqa: F401
    from sandbox import limit_self

    limit_self(parameters.pop("memory_bytes"), math.ceil(parameters["seconds"]) + 1)
    data = sys.stdin.buffer.read()
    try:
        public = rebuild(data, **parameters)
    except Refused as refusal:
        return refusal.exit_code
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    sys.stdout.buffer.write(public)
    return 0


if __name__ == "__main__":
    sys.exit(main())
