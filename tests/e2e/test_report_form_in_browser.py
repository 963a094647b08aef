"""The report form in a real browser: bad inputs get a clear message and keep what was typed, and the
form can be completed with the keyboard alone."""

import re

import pytest
from playwright.sync_api import expect

from impacts.models import ImpactReport

from .site_pages import a_few_days_ago, fill_required_fields, submit_report_form, write_evidence_files

pytestmark = pytest.mark.browser

TITLE = "Orange smoke from the chimney"
DESCRIPTION = "Since Monday the smoke is orange and smells of sulphur."


def _start_report(page, site):
    page.goto(site + "/report/")
    page.fill("#id_site_name", "Quarry by the river")
    page.fill("#id_settlement", "Zhanakorgan")
    fill_required_fields(page, title=TITLE, description=DESCRIPTION)


def _assert_typed_text_kept(page, *, title=TITLE):
    expect(page.locator("#id_site_name")).to_have_value("Quarry by the river")
    expect(page.locator("#id_settlement")).to_have_value("Zhanakorgan")
    expect(page.locator("#id_title")).to_have_value(title)
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    expect(page.locator("#id_observed_on")).to_have_value(a_few_days_ago())
    expect(page.locator("#id_primary_category")).to_have_value("air")
    expect(page.locator("#id_consent_privacy")).to_be_checked()
    assert not ImpactReport.objects.exists()


def test_a_web_page_renamed_to_jpg_is_refused_with_its_name(page, site, tmp_path):
    gallery = write_evidence_files(tmp_path)
    _start_report(page, site)
    page.set_input_files("#id_files", gallery.html_as_jpg)
    submit_report_form(page)

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("“holiday.jpg” is not a kind of file we can accept.")
    _assert_typed_text_kept(page)


def test_an_oversize_file_is_refused_with_the_limit(page, site, settings, tmp_path):
    settings.KZCN_MAX_FILE_BYTES = 10_000  # the photo is about 13 KB
    gallery = write_evidence_files(tmp_path)
    _start_report(page, site)
    page.set_input_files("#id_files", gallery.gps_photo)
    submit_report_form(page)

    expect(page.locator("#error-summary")).to_contain_text(
        re.compile(r"“dust-on-roof\.jpg” is too large\. Each file can be at most 9\.8\s*KB\.")
    )
    _assert_typed_text_kept(page)


def test_a_missing_title_is_named_and_the_rest_is_kept(page, site):
    _start_report(page, site)
    page.fill("#id_title", "")
    submit_report_form(page)

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Short title")
    expect(summary).to_contain_text("This field is required.")
    expect(page.locator("#id_title")).to_have_attribute("aria-invalid", "true")
    _assert_typed_text_kept(page, title="")


def _tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_the_report_form_can_be_completed_and_sent_with_the_keyboard_alone(page, site):
    page.goto(site + "/report/")
    page.locator("body").focus()

    _tab_to(page, "#id_site_name")
    page.keyboard.type("Quarry by the river")
    _tab_to(page, "#id_primary_category")
    page.keyboard.press("ArrowDown")  # first choice after the empty one: Air
    _tab_to(page, "#id_severity")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    _tab_to(page, "#id_title")
    page.keyboard.type(TITLE)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "id_severity"
    _tab_to(page, "#id_description")
    page.keyboard.type(DESCRIPTION)
    _tab_to(page, "#id_observed_on")
    year, month, day = a_few_days_ago().split("-")
    page.keyboard.type(f"{month}{day}{year}")  # the browser runs in en-US: mm/dd/yyyy, digits move on
    _tab_to(page, "#id_reporter_type")
    page.keyboard.press("ArrowDown")  # Resident living nearby
    _tab_to(page, "#id_consent_publication")
    page.keyboard.press("Space")
    _tab_to(page, "#id_consent_privacy")
    page.keyboard.press("Space")
    _tab_to(page, "form[enctype='multipart/form-data'] button[type=submit]")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/report/sent/$"))
    expect(page.locator("#tracking-link")).to_have_value(re.compile(r"/track/[^/]+/$"))
    report = ImpactReport.objects.get()
    assert (report.title, report.primary_category, report.severity) == (TITLE, "air", 3)
    assert report.observed_on.isoformat() == a_few_days_ago()
