"""A visitor in the browser, watched the whole time: every request must stay on this machine, no page
may answer with a server error, and the browser's console must stay free of errors.

`a_visitor(...)` opens one browser context for one person (phone or desktop, JavaScript on or off),
and on leaving checks what was watched. The other helpers read what a person sees on a list page.
"""

import csv
import io
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page

from .conftest import ARTIFACTS, DESKTOP, PHONE

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
# The map's tiles are served from this address on the test server (see `tile_url`), so a map page
# needs nothing from outside; the browser is answered with one blank tile.
TILE_PATH = "/map-tiles-for-tests/"
# A 1×1 transparent PNG.
BLANK_TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a1e10000000049454e44ae426082"
)


def tile_url() -> str:
    """A value for settings.KZCN_MAP_TILE_URL that keeps the map's tiles on the test server."""
    return TILE_PATH + "{z}/{x}/{y}.png"


def in_language(code: str, text: str) -> str:
    with translation.override(code):
        return gettext(text)


@dataclass
class Watch:
    """What went wrong while a person used the site (each entry says where)."""

    host: str
    outside: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def saw_request(self, request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if url.netloc != self.host:
            self.outside.append(request.url)

    def saw_response(self, response) -> None:
        document = response.request.resource_type == "document"
        # A page may deliberately answer 400 (a form with mistakes) or 404; a file it needs may not.
        if response.status >= 500 or (not document and response.status >= 400):
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def saw_console(self, message) -> None:
        if message.type != "error":
            return
        # Chromium logs every 4xx page load as "Failed to load resource"; saw_response judges those.
        if message.text.startswith("Failed to load resource"):
            return
        self.console_errors.append(f"{message.text} (at {message.location.get('url')})")

    def saw_page_error(self, error) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def assert_all_was_well(self) -> None:
        assert not self.outside, f"requests left the machine: {self.outside}"
        assert not self.server_errors, f"failed responses: {self.server_errors}"
        assert not self.console_errors, f"console errors: {self.console_errors}"


def watch(page: Page, site: str) -> Watch:
    watched = Watch(host=urlsplit(site).netloc)
    page.on("request", watched.saw_request)
    page.on("response", watched.saw_response)
    page.on("console", watched.saw_console)
    page.on("pageerror", watched.saw_page_error)
    return watched


@contextmanager
def a_visitor(
    browser: Browser, request, site: str, viewport: str = "phone", *, javascript: bool = True, locale: str = "en-GB"
) -> Iterator[Page]:
    """One person's browser (a fresh context: no cookies), watched until the story ends.

    `locale` is the browser's language (its Accept-Language), which an address without a language
    prefix follows.

    On failure a screenshot is kept in test-artifacts/<test name>/, as the conftest's pages do.
    """
    context = browser.new_context(
        viewport=VIEWPORTS[viewport], locale=locale, accept_downloads=True, java_script_enabled=javascript
    )
    context.set_default_timeout(15_000)
    context.route(
        f"**{TILE_PATH}**", lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)
    )
    # Anything bound elsewhere is refused at once (and recorded by the watch) instead of hanging.
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    page = context.new_page()
    watched = watch(page, site)
    try:
        yield page
        watched.assert_all_was_well()
    except BaseException:
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        except Exception as error:  # noqa: BLE001 - a dead page must not hide the story's own failure
            (folder / "screenshot-error.txt").write_text(str(error))
        raise
    finally:
        context.close()


def follow(page: Page, target) -> None:
    """Click a link or button that loads a new page, and wait until that page is there (reading the
    list right after a bare click could read the page being left)."""
    with page.expect_navigation():
        target.click()


def shown_references(page: Page) -> list[str]:
    """The references of the reports listed on a report list page, top to bottom."""
    return page.locator("main article.card-body").evaluate_all(
        "cards => cards.map(card => card.querySelector('dd').textContent.trim())"
    )


def shown_titles(page: Page) -> list[str]:
    """The titles of the cards (reports or projects) listed on a list page, top to bottom."""
    return [title.strip() for title in page.locator("main article .card-title").all_inner_texts()]


def download_csv(page: Page, link) -> list[dict]:
    """Click a CSV link as a person would, and read the file the browser saved."""
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    text = download.path().read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# Text that is the same in every language: the site's name, format names, a reference.
LANGUAGE_NEUTRAL = re.compile(r"^(KZCN Watch|JSON API|CSV|GeoJSON|Atom|KZCN-[\d-]+|[\W\d_]*)$")


def untranslated_texts(page: Page, content: Iterable[str] = ()) -> list[str]:
    """English phrases (two or more Latin words, no Cyrillic) shown on a Kazakh or Russian page.

    Only the site's own words count: a part marked with another `lang` (the language switcher, a
    catalogue name not yet translated and marked so) is honest about it, and `content` (what people
    wrote: report titles, place and company names) stays in the words its author chose.
    """
    texts = page.evaluate(
        """() => {
            const lang = document.documentElement.lang;
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            const found = [];
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const element = node.parentElement;
                const text = node.textContent.replace(/\\s+/g, ' ').trim();
                // The tile provider's credit line is theirs, as they wrote it.
                const skipped = 'script, style, noscript, [hidden], .leaflet-control-attribution';
                if (!text || element.closest(skipped)) continue;
                if ((element.closest('[lang]') || document.documentElement).lang !== lang) continue;
                const shown = element.closest('select') ? element.closest('select').checkVisibility()
                                                         : element.checkVisibility();
                if (shown) found.push(text);
            }
            return found;
        }"""
    )
    english = re.compile(r"[A-Za-z]{2,}[^А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]*\s[A-Za-z]{2,}")
    cyrillic = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
    content = [text for text in content if text]
    return sorted(
        {
            text
            for text in texts
            if english.search(text)
            and not cyrillic.search(text)
            and not LANGUAGE_NEUTRAL.match(text)
            and not any(text in written or written in text for written in content)
        }
    )
