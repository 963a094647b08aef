"""Neighbours' voices: "this affects me too" and a moderated update with photos."""

import datetime
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from impacts import abuse
from impacts.models import Evidence, EvidenceState, EvidenceVisibility, Status
from impacts.neighbours import limits
from impacts.neighbours.forms import UPDATE_MAX_PHOTOS
from impacts.neighbours.models import NeighbourMark, ReportUpdate, UpdateState
from tests.evidence_files import jpeg_with_gps, pdf_bytes, uploaded
from tests.reports import make_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def report():
    return make_report(
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        public_title="Dust at night",
        public_description="Dust falls every night.",
    )


def old_token() -> str:
    return abuse.new_form_token(started=time.time() - 60)


def mark(client, report, ip="203.0.113.5", **extra):
    data = {abuse.TIMESTAMP_FIELD: old_token(), abuse.HONEYPOT_FIELD: "", **extra}
    return client.post(reverse("impacts:affects_me", args=[report.reference]), data, REMOTE_ADDR=ip)


# --- "This affects me too" -------------------------------------------------------------------------


def test_report_page_offers_the_button_without_setting_a_cookie(client, report):
    response = client.get(report.get_absolute_url())
    page = response.content.decode()
    assert 'id="affects-me-button"' in page and "Nobody has said so yet." in page
    assert not response.cookies  # the page stays shareable by caches
    assert "public" in response["Cache-Control"]


def test_a_press_is_counted_and_shown(client, report):
    response = mark(client, report)
    assert response.status_code == 302
    assert response["Location"].endswith("?affected=counted#neighbours")
    assert NeighbourMark.objects.filter(report=report).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Thank you. You have been counted." in page
    assert "1 person says this affects them too." in page


def test_the_count_uses_plural_forms(client, report):
    for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        mark(client, report, ip=ip)
    assert "3 people say this affects them too." in client.get(report.get_absolute_url()).content.decode()


def test_the_count_in_russian_and_kazakh(client, report):
    NeighbourMark.objects.bulk_create(NeighbourMark(report=report) for _ in range(5))
    for language in ("ru", "kk"):
        url = reverse("impacts:report_detail", args=[report.reference]).replace("/en/", f"/{language}/")
        assert client.get(url).status_code == 200


def test_a_repeat_from_the_same_client_is_not_counted(client, report):
    mark(client, report)
    response = mark(client, report)
    assert response["Location"].endswith("?affected=already#neighbours")
    assert NeighbourMark.objects.count() == 1
    assert "You have already said so." in client.get(response["Location"]).content.decode()


def test_a_mark_keeps_nothing_about_the_visitor(client, report):
    from django.core.cache import cache

    mark(client, report, ip="203.0.113.99")
    fields = {f.name for f in NeighbourMark._meta.get_fields()}
    assert fields == {"id", "report", "created"}
    keys = list(cache._cache.keys()) if hasattr(cache, "_cache") else []
    assert keys and not any("203.0.113.99" in key for key in keys)


def test_too_many_presses_from_one_address_are_refused(client, settings):
    reports = [
        make_report(status=Status.PUBLISHED, published_at=timezone.now()) for _ in range(limits.MARKS_PER_IP + 1)
    ]
    for item in reports[:-1]:
        assert mark(client, item).status_code == 302
    response = mark(client, reports[-1])
    assert response.status_code == 429
    assert "try again" in response.content.decode()
    assert NeighbourMark.objects.count() == limits.MARKS_PER_IP


def test_honeypot_is_refused(client, report):
    response = mark(client, report, website="http://spam.example")
    assert response.status_code == 400 and NeighbourMark.objects.count() == 0


def test_a_press_without_a_readable_token_is_asked_to_confirm(client, report):
    url = reverse("impacts:affects_me", args=[report.reference])
    for token in ("", "garbage", "²" * 50, "a" * 10_000):
        response = client.post(url, {abuse.TIMESTAMP_FIELD: token})
        assert response.status_code == 200
        assert "Does this affect you too?" in response.content.decode()
    assert NeighbourMark.objects.count() == 0


def test_nul_bytes_are_refused_like_everywhere_else(client, report):
    response = mark(client, report, website="\x00")
    assert response.status_code == 400 and "Null characters are not allowed." in response.content.decode()
    assert NeighbourMark.objects.count() == 0


def test_a_press_sent_by_another_site_is_asked_to_confirm(client, report):
    url = reverse("impacts:affects_me", args=[report.reference])
    data = {abuse.TIMESTAMP_FIELD: old_token()}
    for headers in ({"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_SEC_FETCH_SITE": "cross-site"}):
        response = client.post(url, data, **headers)
        assert response.status_code == 200 and 'id="affects-me-button"' in response.content.decode()
    assert NeighbourMark.objects.count() == 0
    response = client.post(url, data, HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 302 and NeighbourMark.objects.count() == 1


def test_the_confirmation_page_works_without_javascript(client, report):
    response = client.get(reverse("impacts:affects_me", args=[report.reference]))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_wrong_methods_are_refused(client, report):
    for url in (
        reverse("impacts:affects_me", args=[report.reference]),
        reverse("impacts:update_create", args=[report.reference]),
    ):
        assert client.put(url).status_code == 405
        assert client.delete(url).status_code == 405


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.IN_REVIEW, Status.WITHDRAWN, Status.REJECTED])
def test_unpublished_report_is_404(client, status):
    hidden = make_report(status=status)
    assert mark(client, hidden).status_code == 404
    assert client.get(reverse("impacts:update_create", args=[hidden.reference])).status_code == 404
    assert NeighbourMark.objects.count() == 0


@pytest.mark.parametrize("reference", ["NOPE", "x" * 500, "%C2%B2"])
def test_unknown_or_overlong_reference_is_404(client, reference):
    assert client.get(f"/en/reports/{reference}/affects-me/").status_code == 404
    assert client.get(f"/en/reports/{reference}/update/").status_code == 404


# --- Updates -------------------------------------------------------------------------------------


def update_data(**extra):
    return {
        abuse.TIMESTAMP_FIELD: old_token(),
        abuse.HONEYPOT_FIELD: "",
        "observed_on": timezone.localdate().isoformat(),
        "text": "Still dusty this morning.",
        **extra,
    }


def send_update(client, report, ip="203.0.113.5", **extra):
    return client.post(reverse("impacts:update_create", args=[report.reference]), update_data(**extra), REMOTE_ADDR=ip)


def test_update_form_is_offered_on_a_published_report(client, report):
    page = client.get(report.get_absolute_url()).content.decode()
    assert reverse("impacts:update_create", args=[report.reference]) in page
    response = client.get(reverse("impacts:update_create", args=[report.reference]))
    assert response.status_code == 200 and "Still happening on" in response.content.decode()


def test_an_update_with_photos_waits_for_moderation(client, report, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send_update(
            client, report, files=[uploaded(jpeg_with_gps(), "a.jpg"), uploaded(jpeg_with_gps(width=500), "b.jpg")]
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("impacts:update_sent", args=[report.reference])
    assert "was received" in client.get(response["Location"]).content.decode()
    update = ReportUpdate.objects.get()
    assert update.state == UpdateState.SUBMITTED and update.text == "Still dusty this morning."
    photos = Evidence.objects.filter(update=update)
    assert photos.count() == 2 and all(p.report_id == report.pk for p in photos)
    assert all(p.state == EvidenceState.READY for p in photos)
    # Not public: neither on the report's own evidence list nor on the timeline.
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Still dusty" not in page
    for photo in photos:
        assert client.get(reverse("impacts:evidence_file", args=[photo.pk, "public"])).status_code == 404


def test_update_photos_approved_early_stay_private_until_the_update_is_published(
    client, report, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_update(client, report, files=[uploaded(jpeg_with_gps(), "a.jpg")])
    photo = Evidence.objects.get()
    Evidence.objects.filter(pk=photo.pk).update(visibility=EvidenceVisibility.APPROVED)
    assert not Evidence.objects.get(pk=photo.pk).is_public
    assert not report.evidence.public().exists()
    assert client.get(reverse("impacts:evidence_file", args=[photo.pk, "public"])).status_code == 404
    ReportUpdate.objects.get().publish(by=moderator)
    assert client.get(reverse("impacts:evidence_file", args=[photo.pk, "public"])).status_code == 200
    page = client.get(report.get_absolute_url()).content.decode()
    assert reverse("impacts:evidence_file", args=[photo.pk, "thumb"]) in page
    assert 'id="evidence-heading"' not in page  # on the timeline, not in the report's own evidence


def test_moderator_publishes_an_update_with_redaction_in_the_admin(
    client, report, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_update(
            client, report, text="Dust again. I am Aigerim, +7 701 111 2233", files=[uploaded(jpeg_with_gps(), "a.jpg")]
        )
    update = ReportUpdate.objects.get()
    client.force_login(moderator)
    url = reverse("admin:impacts_reportupdate_change", args=[update.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"public_text": "Dust again.", "moderation_reason": "", "_publish": "1"})
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.state == UpdateState.PUBLISHED and update.moderated_by == moderator
    client.logout()
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Dust again." in page and "Aigerim" not in page
    assert Evidence.objects.get().is_public


def test_moderator_may_publish_without_the_photos(client, report, moderator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_update(client, report, files=[uploaded(jpeg_with_gps(), "a.jpg")])
    update = ReportUpdate.objects.get()
    client.force_login(moderator)
    client.post(
        reverse("admin:impacts_reportupdate_change", args=[update.pk]),
        {"public_text": "", "moderation_reason": "", "_publish_text_only": "1"},
    )
    assert ReportUpdate.objects.get().state == UpdateState.PUBLISHED
    assert not Evidence.objects.get().is_public


def test_rejecting_needs_a_reason(client, report, moderator):
    send_update(client, report)
    update = ReportUpdate.objects.get()
    client.force_login(moderator)
    url = reverse("admin:impacts_reportupdate_change", args=[update.pk])
    response = client.post(url, {"public_text": "", "moderation_reason": "", "_reject": "1"}, follow=True)
    assert "please give a reason" in response.content.decode()
    assert ReportUpdate.objects.get().state == UpdateState.SUBMITTED
    client.post(url, {"public_text": "", "moderation_reason": "Advertising", "_reject": "1"})
    assert ReportUpdate.objects.get().state == UpdateState.REJECTED


def test_staff_without_moderation_cannot_see_updates(client, editor, report):
    send_update(client, report)
    client.force_login(editor)
    url = reverse("admin:impacts_reportupdate_change", args=[ReportUpdate.objects.get().pk])
    assert client.get(url).status_code in (302, 403, 404)


def test_the_same_form_sent_twice_makes_one_update(client, report):
    data = update_data()
    url = reverse("impacts:update_create", args=[report.reference])
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert ReportUpdate.objects.count() == 1


@pytest.mark.parametrize(
    "observed_on, message",
    [
        ("2999-01-01", "cannot be in the future"),
        ("2000-01-01", "before the report"),
        ("²⁰²⁶-01-01", "Enter a valid date"),
        ("2026-1\x002-01", "pasted"),  # the site refuses NUL bytes in any form (kzcn.request_checks)
        ("", "required"),
    ],
)
def test_bad_dates_are_refused_clearly(client, report, observed_on, message):
    response = send_update(client, report, observed_on=observed_on)
    assert response.status_code == 400 and message in response.content.decode()
    assert ReportUpdate.objects.count() == 0


def test_other_scripts_digits_are_a_date_or_a_clear_error_never_a_500(client, report):
    response = send_update(client, report, observed_on="٢٠٢٦-١١-٠١")
    assert response.status_code in (302, 400)


def test_overlong_and_nul_text_is_refused_and_kept(client, report):
    response = send_update(client, report, text="ж" * 3001)
    page = response.content.decode()
    assert response.status_code == 400 and "3000" in page and "жжжж" in page
    assert send_update(client, report, text="dust\x00dust").status_code == 400
    assert send_update(client, report, text="   ").status_code == 400
    assert ReportUpdate.objects.count() == 0


def test_only_photos_and_only_a_few(client, report):
    response = send_update(client, report, files=[uploaded(pdf_bytes(), "letter.pdf", "application/pdf")])
    assert response.status_code == 400 and "Only photos" in response.content.decode()
    many = [uploaded(jpeg_with_gps(width=300 + i), f"{i}.jpg") for i in range(UPDATE_MAX_PHOTOS + 1)]
    response = send_update(client, report, files=many)
    assert response.status_code == 400 and "at most" in response.content.decode()
    assert ReportUpdate.objects.count() == 0 and Evidence.objects.count() == 0


def test_honeypot_and_garbage_tokens_are_refused(client, report):
    assert send_update(client, report, website="spam").status_code == 400
    for token in ("", "garbage", "²"):
        assert send_update(client, report, **{abuse.TIMESTAMP_FIELD: token}).status_code == 400
    assert ReportUpdate.objects.count() == 0


def test_a_form_sent_too_quickly_is_refused(client, report):
    response = send_update(client, report, **{abuse.TIMESTAMP_FIELD: abuse.new_form_token()})
    assert response.status_code == 400 and "very quickly" in response.content.decode()


def test_too_many_updates_from_one_address(client, report):
    for _ in range(limits.UPDATES_PER_IP):
        assert send_update(client, report).status_code == 302
    response = send_update(client, report)
    assert response.status_code == 400 and "several updates" in response.content.decode()
    assert ReportUpdate.objects.count() == limits.UPDATES_PER_IP


def test_too_many_posts_from_one_address(client, report):
    for _ in range(limits.POSTS_PER_IP):
        send_update(client, report, text="")
    response = send_update(client, report)
    assert response.status_code == 429


def test_an_update_to_a_report_withdrawn_meanwhile_is_404(client, report):
    from impacts.models import ImpactReport

    ImpactReport.objects.filter(pk=report.pk).update(status=Status.WITHDRAWN)
    assert send_update(client, report).status_code == 404


def test_update_form_date_defaults_nothing_and_shows_the_limit(client, report):
    page = client.get(reverse("impacts:update_create", args=[report.reference])).content.decode()
    assert 'maxlength="3000"' not in page and "3000" in page
    assert 'type="date"' in page


def test_updates_older_than_the_report_date_are_refused(client, report):
    earlier = (report.observed_on - timedelta(days=1)).isoformat()
    assert send_update(client, report, observed_on=earlier).status_code == 400
    assert send_update(client, report, observed_on=datetime.date(2026, 10, 1).isoformat()).status_code == 302
