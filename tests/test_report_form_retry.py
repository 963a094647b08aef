"""A resident whose first try has a mistake fixes it and sends again: at once, without attaching the
photos again, told honestly about every limit, and never with two reports for one form."""

import io
import re
import time
from html import unescape

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from impacts import abuse, pending_uploads
from impacts.forms import DESCRIPTION_MAX_LENGTH, KEPT_FILES_FIELD, REMOVE_KEPT_FIELD
from impacts.models import Evidence, ImpactReport
from tests import evidence_files
from tests.test_report_form import files_on_disk, form_data, pending_files, photo, served_a_minute_ago

pytestmark = pytest.mark.django_db

REPORT_URL = reverse("impacts:report_create")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the test's transaction never commits): e.g. removing used kept files."""
    return django_capture_on_commit_callbacks


def open_form(client) -> str:
    """Open the form as a browser does (it gets its cookies), and return the form token it was given."""
    page = client.get(REPORT_URL).content.decode()
    return hidden_value(page, abuse.TIMESTAMP_FIELD)


def hidden_value(page: str, name: str) -> str:
    return unescape(re.search(rf'name="{name}" value="([^"]+)"', page).group(1))


def kept_references(page: str) -> list[str]:
    return [unescape(v) for v in re.findall(rf'name="{KEPT_FILES_FIELD}" value="([^"]+)"', page)]


def as_if_served_seconds_ago(signed: str, seconds: float) -> str:
    """The same form (same nonce), as if the page had been opened `seconds` ago."""
    token = abuse.read_form_token(signed)
    return abuse.FormToken(token.nonce, time.time() - seconds, time.time() - seconds).signed()


def first_try_with_a_mistake(client, settings, files=None, **overrides):
    """The form is opened, filled in for five seconds, and sent without a title (and with `files`)."""
    settings.KZCN_FORM_MIN_SECONDS = 3
    token = as_if_served_seconds_ago(open_form(client), 5)
    data = form_data(timestamp=token, title="", **overrides)
    if files is not None:
        data["files"] = files
    response = client.post(REPORT_URL, data)
    assert response.status_code == 400
    return response.content.decode()


def send_again(client, page: str, **fields):
    """Send the re-rendered form again at once, as it came back plus `fields`."""
    data = form_data(timestamp=hidden_value(page, abuse.TIMESTAMP_FIELD), **fields)
    data[KEPT_FILES_FIELD] = kept_references(page)
    return client.post(REPORT_URL, data)


# --- "Sent very quickly" applies to the first serving only ---------------------------------------


def test_a_corrected_form_can_be_sent_again_at_once(client, settings):
    page = first_try_with_a_mistake(client, settings)
    assert "This field is required." in page

    response = send_again(client, page, title="Grey dust on roofs every night")  # within a second

    assert response.status_code == 302, response.content.decode()[:2000]
    assert ImpactReport.objects.get().title == "Grey dust on roofs every night"


def test_the_re_rendered_form_keeps_the_first_start_time_and_the_same_form(client, settings):
    served = abuse.read_form_token(as_if_served_seconds_ago(open_form(client), 5))
    response = client.post(REPORT_URL, form_data(timestamp=served.signed(), title=""))
    again = abuse.read_form_token(hidden_value(response.content.decode(), abuse.TIMESTAMP_FIELD))
    assert again.nonce == served.nonce and again.started == served.started
    assert again.issued > served.issued


def test_a_form_sent_within_seconds_of_its_first_serving_is_still_refused(client, settings):
    settings.KZCN_FORM_MIN_SECONDS = 3
    response = client.post(REPORT_URL, form_data(timestamp=open_form(client)))
    assert response.status_code == 400
    assert "very quickly" in response.content.decode()
    assert not ImpactReport.objects.exists()


# --- Files are kept for the next try -------------------------------------------------------------


def test_a_photo_accepted_on_a_failed_try_is_kept_and_arrives_with_the_report(client, settings, committed):
    content = evidence_files.jpeg_with_gps()
    upload = SimpleUploadedFile("dust-on-roof.jpg", content, content_type="image/jpeg")
    page = first_try_with_a_mistake(client, settings, files=[upload])
    assert "Already attached" in page and "dust-on-roof.jpg" in page
    assert len(kept_references(page)) == 1
    assert files_on_disk(settings) == [] and len(pending_files(settings)) == 1

    with committed(execute=True):
        response = send_again(client, page, title="Grey dust on roofs every night")  # no file chosen again

    assert response.status_code == 302
    item = Evidence.objects.get()
    assert item.original_name == "dust-on-roof.jpg" and item.gps_latitude is not None
    with item.sealed_file.open("rb") as sealed:
        assert sealed.read() == content
    assert pending_files(settings) == []  # the kept copy is now sealed evidence: used once


def test_kept_and_new_files_travel_together_through_several_failed_tries(client, settings, committed):
    page = first_try_with_a_mistake(client, settings, files=[photo("first.jpg")])
    page = send_again(client, page, title="", files=[photo("second.jpg", lat=44.1)]).content.decode()
    assert "first.jpg" in page and "second.jpg" in page and len(kept_references(page)) == 2

    with committed(execute=True):
        response = send_again(client, page, title="Now with a title")

    assert response.status_code == 302
    assert sorted(Evidence.objects.values_list("original_name", flat=True)) == ["first.jpg", "second.jpg"]
    assert pending_files(settings) == []


def test_a_kept_file_can_be_removed_before_sending(client, settings):
    page = first_try_with_a_mistake(client, settings, files=[photo("wrong-photo.jpg")])
    sha = re.search(rf'name="{REMOVE_KEPT_FIELD}" value="([0-9a-f]+)"', page).group(1)
    assert 'for="remove-kept-1"' in page and "remove" in page

    response = send_again(client, page, title="A title", **{REMOVE_KEPT_FIELD: [sha]})

    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert pending_files(settings) == []


def test_files_of_a_post_refused_before_checking_are_still_offered_on_the_next_try(client, settings):
    page = first_try_with_a_mistake(client, settings, files=[photo("dust.jpg")])
    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = 0  # the next post is refused before any file is read
    refused = send_again(client, page, title="A title").content.decode()
    assert "try again in about" in refused
    assert len(kept_references(refused)) == 1 and "dust.jpg" in refused

    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = 10
    assert send_again(client, refused, title="A title").status_code == 302
    assert Evidence.objects.get().original_name == "dust.jpg"


def test_a_reference_not_signed_by_us_is_ignored(client, settings):
    page = first_try_with_a_mistake(client, settings, files=[photo("dust.jpg")])
    [reference] = kept_references(page)
    payload = signing.loads(reference, salt="impacts.pending-upload")
    forged = [
        reference[:-3] + "abc",  # a tampered signature
        signing.dumps({**payload, "p": "../../media/x.jpg"}, salt="another-salt"),  # signed for something else
        signing.dumps(
            {**payload, "p": "pending/../sealed-elsewhere.jpg"}, salt="impacts.pending-upload", key="not-our-secret-key"
        ),
        "pending/" + payload["p"],  # a bare storage name
    ]
    data = form_data(timestamp=hidden_value(page, abuse.TIMESTAMP_FIELD), title="A title")
    data[KEPT_FILES_FIELD] = forged
    assert client.post(REPORT_URL, data).status_code == 302
    assert not Evidence.objects.exists()


def test_a_reference_works_only_with_the_form_it_was_made_for(client, settings):
    page = first_try_with_a_mistake(client, settings, files=[photo("dust.jpg")])
    other_client = Client()
    data = form_data(timestamp=as_if_served_seconds_ago(open_form(other_client), 60), title="Another report")
    data[KEPT_FILES_FIELD] = kept_references(page)  # copied from the first person's page

    assert other_client.post(REPORT_URL, data).status_code == 302
    assert not Evidence.objects.exists()
    assert len(pending_files(settings)) == 1  # still the first person's, for their own next try


def test_a_reference_is_usable_once(client, settings, committed):
    page = first_try_with_a_mistake(client, settings, files=[photo("dust.jpg")])
    with committed(execute=True):
        assert send_again(client, page, title="A title").status_code == 302
    # The same page sent again: the same form, so it answers with the first confirmation...
    again = send_again(client, page, title="A title")
    assert again.status_code == 302
    assert ImpactReport.objects.count() == 1 and Evidence.objects.count() == 1
    # ...and the reference cannot bring the file into anything else: the file is gone.
    assert pending_files(settings) == []


def test_an_expired_kept_file_is_named_and_asked_for_again(client, settings):
    page = first_try_with_a_mistake(client, settings, files=[photo("dust.jpg")])
    [reference] = kept_references(page)
    kept = pending_uploads.read(
        reference, abuse.read_form_token(hidden_value(page, abuse.TIMESTAMP_FIELD)).submission_key
    )
    payload = signing.loads(reference, salt="impacts.pending-upload")
    expired = signing.dumps({**payload, "e": int(time.time()) - 1}, salt="impacts.pending-upload")
    data = form_data(timestamp=hidden_value(page, abuse.TIMESTAMP_FIELD), title="A title")
    data[KEPT_FILES_FIELD] = [expired]

    response = client.post(REPORT_URL, data)

    assert response.status_code == 400
    assert "“dust.jpg”, attached earlier, was kept for a limited time only" in unescape(response.content.decode())
    assert not ImpactReport.objects.exists()
    assert kept.storage_name.startswith("pending/")


def test_a_kept_file_swapped_on_disk_is_not_used(client, settings):
    page = first_try_with_a_mistake(client, settings, files=[photo("dust.jpg")])
    [path] = pending_files(settings)
    path.write_bytes(evidence_files.png_bytes())  # a valid image, but not the one that was accepted

    response = send_again(client, page, title="A title")

    assert response.status_code == 400
    assert "attached earlier" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_hostile_file_is_never_kept(client, settings):
    good = evidence_files.png_bytes()
    for hostile in (evidence_files.html_as_jpg(), evidence_files.pdf_with_javascript(), evidence_files.svg_bytes()):
        bad = SimpleUploadedFile("evil.jpg", hostile, content_type="image/jpeg")
        page = first_try_with_a_mistake(Client(), settings, files=[bad, SimpleUploadedFile("good.png", good)])
        assert len(kept_references(page)) == 1 and "good.png" in page
    assert [path.read_bytes() for path in pending_files(settings)] == [good] * 3


def test_expired_pending_files_are_purged_by_the_command(client, settings):
    first_try_with_a_mistake(client, settings, files=[photo("old.jpg")])
    [old] = pending_files(settings)
    settings.KZCN_PENDING_UPLOAD_MINUTES = 0  # kept files of this try expire at once
    first_try_with_a_mistake(Client(), settings, files=[photo("new.jpg", lat=44.2)])
    time.sleep(1.1)

    output = io.StringIO()
    call_command("purge_pending_uploads", stdout=output)

    assert pending_files(settings) == [old]
    assert "Removed 1 expired pending file(s)." in output.getvalue()


# --- Honest limits ----------------------------------------------------------------------------------


def test_no_text_field_has_a_maxlength_that_would_silently_cut_pasted_text(client):
    page = client.get(REPORT_URL).content.decode()
    assert "maxlength" not in page
    assert "At most 200 characters." in page
    assert "At most 10,000 characters." in page
    assert 'data-max-chars="200"' in page and f'data-max-chars="{DESCRIPTION_MAX_LENGTH}"' in page


@pytest.mark.parametrize(
    ("field", "length", "message"),
    [
        ("title", 201, "This is 201 characters long, but at most 200 fit. Please shorten it."),
        ("description", 70_000, "This is 70,000 characters long, but at most 10,000 fit. Please shorten it."),
        ("site_name", 201, "at most 200 fit"),
        ("settlement", 5_000, "at most 200 fit"),
        ("reporter_name", 201, "at most 200 fit"),
        ("organisation", 201, "at most 200 fit"),
    ],
)
def test_too_long_text_is_refused_with_a_clear_message_and_kept_whole(client, field, length, message):
    text = ("Пыль." * length)[:length]
    response = client.post(REPORT_URL, form_data(timestamp=served_a_minute_ago(), **{field: text}))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert text in unescape(response.content.decode())  # nothing was cut: the person can shorten it
    assert not ImpactReport.objects.exists()


def test_text_at_the_limits_is_accepted_whole(client):
    title, description = "T" * 200, "D" * DESCRIPTION_MAX_LENGTH
    response = client.post(REPORT_URL, form_data(timestamp=served_a_minute_ago(), title=title, description=description))
    assert response.status_code == 302
    report = ImpactReport.objects.get()
    assert report.title == title and report.description == description


def test_the_error_summary_takes_the_focus_without_inline_script(client, settings):
    page = first_try_with_a_mistake(client, settings)
    assert re.search(r'<div class="alert alert-danger" role="alert" id="error-summary" tabindex="-1">', page)
    assert re.search(r'<script src="/static/js/report-form\.js" defer></script>', page)
    # CSP allows no inline script; a data block (json_script, never run) is not one.
    assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", page)


# --- One form, one report ---------------------------------------------------------------------------


def test_sending_the_same_form_twice_gives_the_first_confirmation_not_a_copy(client):
    token = as_if_served_seconds_ago(open_form(client), 60)
    first = client.post(REPORT_URL, form_data(timestamp=token))
    first_page = client.get(first["Location"]).content.decode()

    second = client.post(REPORT_URL, form_data(timestamp=token))  # a double tap, or a retry after a timeout

    assert second.status_code == 302
    second_page = client.get(second["Location"]).content.decode()
    report = ImpactReport.objects.get()
    link = re.search(r'id="tracking-link"[^>]*value="([^"]+)"', first_page).group(1)
    assert report.reference in second_page and link in second_page


def test_another_client_sending_the_same_form_learns_only_the_reference(client):
    token = as_if_served_seconds_ago(open_form(client), 60)
    client.post(REPORT_URL, form_data(timestamp=token))
    report = ImpactReport.objects.get()

    for attempt in range(4):  # replays of the captured form, as in the attack, from elsewhere
        response = Client(REMOTE_ADDR=f"10.9.9.{attempt}").post(REPORT_URL, form_data(timestamp=token))
        page = response.content.decode()
        assert response.status_code == 200
        assert f"This form was already received as <strong>{report.reference}</strong>" in page
        # No tracking link: the only /track/ address on the page is the public "lost your link?" form.
        links = [part.split('"', 1)[0] for part in page.split('href="')[1:]]
        assert [link for link in links if "/track/" in link and not link.endswith("/track/lost/")] == []
        assert "tracking-link" not in page
    assert ImpactReport.objects.count() == 1


def test_the_loser_of_two_simultaneous_posts_shows_the_winners_confirmation(client, settings, monkeypatch):
    """Both posts pass the "already received?" look before either has saved; the unique key decides."""
    from impacts import views

    token = as_if_served_seconds_ago(open_form(client), 60)
    assert client.post(REPORT_URL, form_data(timestamp=token, files=[photo()])).status_code == 302
    files_of_the_winner = sorted(files_on_disk(settings))
    looks = []
    real_look = views._already_received

    def not_yet_saved_on_first_look(request, token):
        looks.append(1)
        return None if len(looks) == 1 else real_look(request, token)

    monkeypatch.setattr(views, "_already_received", not_yet_saved_on_first_look)
    loser = client.post(REPORT_URL, form_data(timestamp=token, files=[photo()]))

    assert loser.status_code == 302
    assert ImpactReport.objects.get().reference in client.get(loser["Location"]).content.decode()
    assert Evidence.objects.count() == 1
    assert sorted(files_on_disk(settings)) == files_of_the_winner  # the loser's files were removed
    assert abuse.rate_limit_problem(loser.wsgi_request) is None


def test_going_back_after_a_timeout_and_sending_again_gives_the_first_confirmation(client):
    """The page fetched again on "back" has a new form token, but the browser refills what was typed."""
    first = client.post(REPORT_URL, form_data(timestamp=as_if_served_seconds_ago(open_form(client), 60)))
    link = re.search(r'id="tracking-link"[^>]*value="([^"]+)"', client.get(first["Location"]).content.decode())[1]

    again = client.post(REPORT_URL, form_data(timestamp=as_if_served_seconds_ago(open_form(client), 60)))

    assert again.status_code == 302
    assert link in client.get(again["Location"]).content.decode()
    assert ImpactReport.objects.count() == 1


def test_the_same_text_from_another_browser_is_another_report(client):
    client.post(REPORT_URL, form_data(timestamp=as_if_served_seconds_ago(open_form(client), 60)))
    neighbour = Client()
    neighbour.post(REPORT_URL, form_data(timestamp=as_if_served_seconds_ago(open_form(neighbour), 60)))
    assert ImpactReport.objects.count() == 2


def test_a_changed_report_from_the_same_browser_is_a_new_report(client):
    client.post(REPORT_URL, form_data(timestamp=as_if_served_seconds_ago(open_form(client), 60)))
    client.post(
        REPORT_URL,
        form_data(
            timestamp=as_if_served_seconds_ago(open_form(client), 60),
            observed_on="2026-10-02",
            title="The dust came back",
        ),
    )
    assert ImpactReport.objects.count() == 2


def test_a_form_left_open_too_long_is_refused_once_and_then_accepted(client, settings):
    settings.KZCN_FORM_MAX_AGE_SECONDS = 3600
    stale = as_if_served_seconds_ago(open_form(client), 7200)
    refused = client.post(REPORT_URL, form_data(timestamp=stale))
    assert refused.status_code == 400
    assert "The form was open for a long time" in refused.content.decode()

    assert send_again(client, refused.content.decode()).status_code == 302
    assert ImpactReport.objects.count() == 1
