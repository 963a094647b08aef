"""A real Chromium against a live test server: the browser, a page per test, and the site's settings for it.

Playwright's sync API drives the browser from the test thread through an event loop of its own, so
Django sees a running loop there and would refuse ORM calls from the test; the tests are plain
synchronous code, hence DJANGO_ALLOW_ASYNC_UNSAFE for this folder only.

On failure a screenshot and a Playwright trace (open with `playwright show-trace`) are written to
test-artifacts/<test name>/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("KZCN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=en-US",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def _playwright():
    if not Path(CHROMIUM).exists():
        if os.environ.get("KZCN_SKIP_BROWSER") == "1":
            pytest.skip("KZCN_SKIP_BROWSER=1: browser tests skipped")
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install it (apt-get install chromium, or `make test`), "
            "or set KZCN_SKIP_BROWSER=1 to skip the browser tests explicitly.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        # Date fields follow the browser's own locale, not the page's: pin it so typed dates mean one thing.
        env={**os.environ, "LANG": "en_US.UTF-8", "LANGUAGE": "en_US"},
    )
    yield browser
    browser.close()


@pytest.fixture
def site(live_server, settings):
    """The live server's address, with the anti-abuse checks relaxed for a robot that types fast.

    The live server needs transactional tests, whose flush removes the rows data migrations made (the
    staff role groups); they are made again here, as `manage.py sync_roles` does. (Serialized rollback
    would be the generic answer, but it leaves later transactional tests without permissions.)
    """
    from impacts.roles import sync_roles

    sync_roles()
    settings.KZCN_FORM_MIN_SECONDS = 0
    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = 1000
    settings.KZCN_RATE_LIMIT_REPORTS_PER_CONTACT = 1000
    settings.KZCN_REQUIRE_2FA = False
    settings.AXES_ENABLED = False
    return live_server.url


def _new_page(browser, request, viewport):
    context = browser.new_context(
        viewport=viewport,
        locale="en-GB",
        accept_downloads=True,
        bypass_csp=True,  # the site's CSP forbids inline scripts, and axe-core is injected as one
    )
    context.set_default_timeout(15_000)
    # Nothing leaves the machine: map tiles and any other outside request fail fast instead of hanging.
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    context.tracing.start(screenshots=True, snapshots=True, sources=False)
    page = context.new_page()
    return context, page


def _close_page(context, page, request):
    report = getattr(request.node, "report_call", None)
    failed = report is None or report.failed
    if failed:
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        except Exception as error:  # noqa: BLE001 - a dead page must not hide the test's own failure
            (folder / "screenshot-error.txt").write_text(str(error))
        context.tracing.stop(path=str(folder / "trace.zip"))
    else:
        context.tracing.stop()
    context.close()


@pytest.fixture
def page(browser, request, site):
    """A desktop-sized page in a fresh browser context (no cookies from other tests)."""
    context, page = _new_page(browser, request, DESKTOP)
    yield page
    _close_page(context, page, request)


@pytest.fixture
def phone_page(browser, request, site):
    """A phone-sized page (390×844, like a common phone held upright)."""
    context, page = _new_page(browser, request, PHONE)
    yield page
    _close_page(context, page, request)
