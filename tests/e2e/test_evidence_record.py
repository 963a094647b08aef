"""A visitor on a phone checks a published photo's record; a moderator on a desktop is told of a reused photo.

The visitor (in Kazakh, then Russian) opens a report, follows the link to a photo's evidence record
and finds the SHA-256 of the sealed original there, in their language, without JavaScript needed.
The moderator opens a new report whose photo is a resized copy of a published one, reads the note
in the evidence section and opens the two side by side.
"""

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from impacts.models import Evidence
from tests.e2e.people import a_visitor, follow, untranslated_texts
from tests.e2e.test_moderator_decisions import open_report, sign_in_to_the_admin
from tests.reports import make_report
from tests.test_evidence_fingerprints import add_photo, jpeg, resized, scene

pytestmark = pytest.mark.browser


def published_with_photo():
    report = make_report(status="published", published_at=timezone.now(), title="Dust over the canal")
    photo = add_photo(report, jpeg(scene(1)))
    Evidence.objects.filter(pk=photo.pk).update(visibility="approved")
    return report, photo


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_visitor_on_a_phone_follows_a_photo_to_its_record_and_sees_its_hash(
    browser, request, site, language, javascript
):
    report, photo = published_with_photo()
    with a_visitor(browser, request, site, "phone", javascript=javascript) as page:
        page.goto(f"{site}/{language}/reports/{report.reference}/")
        link = page.locator(f"a[href='/{language}/evidence/{photo.pk}/record/']")
        expect(link).to_be_visible()
        follow(page, link)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#original-sha256")).to_have_text(photo.sha256)
        expect(page.locator("#public-sha256")).to_have_text(photo.public_sha256)
        expect(page.locator("#citation")).to_contain_text(report.reference)
        # The hashes are long: on a phone they wrap instead of widening the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert untranslated_texts(page, content=[report.public_title]) == []


def test_a_moderator_on_a_desktop_is_told_a_photo_resembles_a_published_one(page, site, moderator):
    original_report, original = published_with_photo()
    new_report = make_report(title="Fish in the canal")
    copy = add_photo(new_report, jpeg(resized(scene(1))))
    sign_in_to_the_admin(page, site, "en")
    open_report(page, site, new_report)
    note = page.locator(".field-resemblance")
    expect(note).to_contain_text(
        f"This photo resembles evidence {original.pk} of report {original_report.reference} (published)"
    )
    page.locator(
        f"a[href='/{settings.KZCN_ADMIN_URL}impacts/impactreport/evidence/{copy.pk}/compare/{original.pk}/']"
    ).click()
    pictures = page.locator("#content-main figure img")
    expect(pictures).to_have_count(2)
    for index in range(2):
        picture = pictures.nth(index)
        picture.scroll_into_view_if_needed()
        expect(picture).to_be_visible()
        assert picture.evaluate("image => image.complete && image.naturalWidth > 0")
    expect(page.locator("#content-main")).to_contain_text(original_report.reference)
    expect(page.locator("#content-main")).to_contain_text(new_report.reference)
