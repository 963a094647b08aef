"""A video and a voice message from a phone, all the way: attached to the report form in Chromium on a
phone, processed (tests run background tasks at once), published by a moderator, and played by a
visitor on a phone in the site's own `<video>` and `<audio>` players, without our JavaScript."""

import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from impacts import workflow
from impacts.models import Evidence, ImpactReport
from tests import media_files

from .people import a_visitor
from .site_pages import fill_required_fields, submit_report_form

pytestmark = pytest.mark.browser

SUMMARY = "An older man says the smoke comes every night after eleven and his grandson coughs."


def _publish_with_summary(report: ImpactReport, moderator, *, voice_approved: bool) -> None:
    """What the moderator does in the admin, done directly: approve both files, summarise the voice."""
    for item in Evidence.objects.filter(report=report):
        item.visibility = "approved"
        if item.is_voice:
            item.summary, item.voice_publication_approved = SUMMARY, voice_approved
        item.save()
    workflow.apply(report, "start_review", by=moderator)
    report.refresh_from_db()
    workflow.apply(report, "publish", by=moderator)


def _wait_until_playable(page, selector: str) -> dict:
    """Ask the browser to load the media (the page itself says preload="none") and report what it knows."""
    page.eval_on_selector(selector, "media => { media.preload = 'metadata'; media.load(); }")
    # Polled from here: wait_for_function evaluates a string, which the site's CSP (no unsafe-eval) forbids.
    deadline = time.monotonic() + 15
    while True:
        state = page.eval_on_selector(
            selector,
            "media => ({ready: media.readyState, duration: media.duration, error: media.error && media.error.code,"
            " width: media.videoWidth || 0, height: media.videoHeight || 0})",
        )
        if state["ready"] >= 1 or state["error"] is not None or time.monotonic() > deadline:
            return state
        page.wait_for_timeout(100)


def test_resident_sends_a_video_and_a_voice_message_and_a_visitor_plays_them(
    browser, request, site, moderator, tmp_path
):
    video = media_files.phone_mp4(tmp_path)
    voice = media_files.opus_voice(tmp_path)

    with a_visitor(browser, request, site, "phone") as page:
        page.goto(f"{site}/en/report/")
        expect(page.locator("#id_files")).to_have_attribute("accept", re.compile(r"video/mp4.*audio/ogg"))
        expect(page.locator("#id_files").locator("xpath=..").locator("..")).to_contain_text(
            "a voice message is only published if you allow it and a moderator approves"
        )
        page.fill("#id_site_name", "Quarry by the river")
        fill_required_fields(page, title="Black smoke at night", description="Every night black smoke.")
        page.set_input_files("#id_files", [video, voice])
        page.check("#id_voice_may_be_published")
        submit_report_form(page)
        expect(page).to_have_url(re.compile(r"/report/sent/$"))

    report = ImpactReport.objects.get()
    assert report.voice_may_be_published
    items = {item.kind: item for item in report.evidence.all()}
    assert set(items) == {"video", "audio"}
    for item in items.values():
        item.refresh_from_db()
        assert item.state == "ready", (item.kind, item.state, item.refusal_reason)
    assert items["video"].gps_latitude is not None, "the original's location is kept for senior moderators"
    assert media_files.LOCATION.encode() not in items["video"].public_file.read()

    _publish_with_summary(report, moderator, voice_approved=True)

    with a_visitor(browser, request, site, "phone") as page:
        page.goto(site + report.get_absolute_url())
        video_player = page.locator("video[controls]")
        expect(video_player).to_have_count(1)
        expect(video_player).to_have_attribute("poster", re.compile(r"/evidence/\d+/(poster|thumb)/$"))
        expect(page.locator("audio[controls]")).to_have_count(1)
        expect(page.locator("main")).to_contain_text(SUMMARY)

        played = _wait_until_playable(page, "video")
        heard = _wait_until_playable(page, "audio")

    assert played["error"] is None and 1.5 < played["duration"] < 2.5, played
    assert (played["width"], played["height"]) == (320, 240)
    assert heard["error"] is None and 1.5 < heard["duration"] < 2.5, heard


def test_a_voice_the_reporter_did_not_allow_is_shown_only_as_its_summary(browser, request, site, moderator, tmp_path):
    voice = media_files.m4a_voice(tmp_path)

    with a_visitor(browser, request, site, "phone") as page:
        page.goto(f"{site}/en/report/")
        page.fill("#id_site_name", "Quarry by the river")
        fill_required_fields(page, title="Noise at night", description="The crusher works all night.")
        page.set_input_files("#id_files", [voice])
        submit_report_form(page)  # the voice checkbox left as it is: not allowed
        expect(page).to_have_url(re.compile(r"/report/sent/$"))

    report = ImpactReport.objects.get()
    _publish_with_summary(report, moderator, voice_approved=True)  # a moderator's approval alone is not enough
    item = report.evidence.get()

    with a_visitor(browser, request, site, "phone") as page:
        page.goto(site + report.get_absolute_url())
        expect(page.locator("main")).to_contain_text(SUMMARY)
        expect(page.locator("audio")).to_have_count(0)
        expect(page.locator("main")).to_contain_text("The voice itself is not published")
        response = page.request.get(site + reverse("impacts:evidence_file", args=[item.pk, "public"]))
        assert response.status == 404
