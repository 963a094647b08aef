"""A resident files an impact report from the public form."""

import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from impacts import abuse
from impacts.models import Evidence, ImpactReport, Notification
from tests import evidence_files
from tests.reports import make_site_project

pytestmark = pytest.mark.django_db


def served_a_minute_ago() -> str:
    """The signed token of a form served a minute ago (the honest pace); each form has its own."""
    return abuse.new_form_token(started=time.time() - 60)


@pytest.fixture
def old_timestamp():
    return served_a_minute_ago()


def form_data(project=None, timestamp="", **overrides):
    data = {
        "project": project.pk if project else "",
        "site_name": "" if project else "Sand quarry near Kodamanov",
        "region": "kyzylorda",
        "settlement": "Kodamanov",
        "primary_category": "air",
        "other_categories": ["health"],
        "severity": "3",
        "title": "Grey dust on roofs every night",
        "description": "Since September grey dust covers our roofs and the children cough. Call me at +7 701 111 2233.",
        "observed_on": "2026-10-01",
        "ongoing": "on",
        "reporter_type": "resident",
        "attribution": "anonymous",
        "language": "kk",
        "consent_publication": "on",
        "consent_privacy": "on",
        abuse.TIMESTAMP_FIELD: timestamp,
    }
    data.update(overrides)
    return data


def photo(name="dust.jpg", **kw):
    return SimpleUploadedFile(name, evidence_files.jpeg_with_gps(**kw), content_type="image/jpeg")


def pdf(name="lab.pdf"):
    return SimpleUploadedFile(name, evidence_files.pdf_bytes(), content_type="application/pdf")


def files_on_disk(settings) -> list[Path]:
    """Evidence files written to either storage; the copies kept for a retry are `pending_files`."""
    roots = [
        Path(settings.STORAGES["default"]["OPTIONS"]["location"]),
        Path(settings.STORAGES["sealed"]["OPTIONS"]["location"]),
    ]
    pending = set(pending_files(settings))
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file() and p not in pending]


def pending_files(settings) -> list[Path]:
    """Accepted files of a failed post, kept (sealed storage, pending/) so the person need not attach them again."""
    folder = Path(settings.STORAGES["sealed"]["OPTIONS"]["location"]) / "pending"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_form_page_is_short_and_works_without_javascript(client):
    response = client.get(reverse("impacts:report_create"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="website"' in page  # honeypot present, hidden by CSS
    assert "<script" not in page.split("<footer")[0]


def test_project_page_link_preselects_the_project(client):
    project = make_site_project()
    response = client.get(reverse("impacts:report_create") + f"?project={project.slug}")
    assert f'<option value="{project.pk}" selected>' in response.content.decode()


def test_resident_files_report_with_photos_and_pdf_and_gets_tracking_link(
    client, settings, old_timestamp, django_capture_on_commit_callbacks
):
    project = make_site_project()
    files = [photo("a.jpg"), photo("b.jpg", lat=43.5), photo("c.jpg", lat=43.6), pdf()]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("impacts:report_create"),
            form_data(project, old_timestamp, files=files, contact_email="aigul@example.org"),
        )
    assert response.status_code == 302
    report = ImpactReport.objects.get()
    assert report.status == "submitted"
    assert report.reference.startswith("KZCN-")
    assert report.evidence.count() == 4
    assert sorted(report.categories.values_list("category", flat=True)) == ["air", "health"]

    sent = client.get(response["Location"])
    link = sent.context["submitted"]["link"]
    assert "Save this link" in sent.content.decode()
    assert sent["Referrer-Policy"] == "same-origin"  # no Referer to other sites (see views._private)
    # The tracking link is shown once only.
    assert "shown only once" in client.get(response["Location"]).content.decode()
    # And e-mailed, after commit, with the notification recorded.
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body
    assert Notification.objects.get().status == "sent"

    tracking = client.get(link)
    assert tracking.status_code == 200
    assert report.reference in tracking.content.decode()


def test_token_is_random_and_only_its_digest_is_stored(client):
    for _ in range(2):
        client.post(reverse("impacts:report_create"), form_data(timestamp=served_a_minute_ago()))
    first, second = ImpactReport.objects.all()
    assert first.tracking_digest != second.tracking_digest
    assert len(first.tracking_digest) == 64


def test_wrong_tracking_token_is_plain_404(client):
    response = client.get(reverse("impacts:track", args=["not-a-real-token"]))
    assert response.status_code == 404


def test_refused_file_saves_nothing_and_keeps_what_was_typed(client, settings, old_timestamp):
    bad = SimpleUploadedFile("evil.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    good = evidence_files.jpeg_with_gps()
    response = client.post(
        reverse("impacts:report_create"),
        form_data(
            timestamp=old_timestamp,
            files=[SimpleUploadedFile("good.jpg", good, "image/jpeg"), bad],
            title="My typed title",
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "evil.jpg" in page  # the message names the refused file
    assert "kept for your next try" in page and "good.jpg" in page  # the good one need not be attached again
    assert 'value="My typed title"' in page
    assert "children cough" in page
    assert ImpactReport.objects.count() == 0
    assert Evidence.objects.count() == 0
    assert files_on_disk(settings) == []
    [kept] = pending_files(settings)  # only the accepted photo, sealed, under a random name
    assert kept.read_bytes() == good and "good" not in kept.name


def test_storage_failure_mid_save_leaves_no_row_and_no_file(client, settings, old_timestamp, monkeypatch):
    from impacts.models import EvidenceWriter

    original = EvidenceWriter.store
    calls = []

    def fail_on_second(self, report, prepared):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, report, prepared)

    monkeypatch.setattr(EvidenceWriter, "store", fail_on_second)
    client.raise_request_exception = False
    response = client.post(
        reverse("impacts:report_create"),
        form_data(timestamp=old_timestamp, files=[photo("a.jpg"), photo("b.jpg", lat=44.0)]),
    )
    assert response.status_code == 503  # the outage page, which keeps the typed text (issue 10, item 14)
    assert ImpactReport.objects.count() == 0
    assert files_on_disk(settings) == []


def test_public_copy_has_no_gps_but_sealed_original_keeps_it(client, old_timestamp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the worker makes the public copy after commit
        client.post(reverse("impacts:report_create"), form_data(timestamp=old_timestamp, files=[photo()]))
    item = Evidence.objects.get()
    assert item.state == "ready"
    with item.public_file.open("rb") as public:
        assert 0x8825 not in Image.open(public).getexif()
    with item.sealed_file.open("rb") as sealed:
        assert 0x8825 in Image.open(sealed).getexif()
    assert item.gps_latitude is not None
    assert "dust" not in item.public_file.name and "dust" not in item.sealed_file.name  # random names


def test_same_file_twice_is_stored_once(client, old_timestamp):
    data = evidence_files.jpeg_with_gps()
    files = [SimpleUploadedFile("x.jpg", data, "image/jpeg"), SimpleUploadedFile("y.jpg", data, "image/jpeg")]
    client.post(reverse("impacts:report_create"), form_data(timestamp=old_timestamp, files=files))
    assert Evidence.objects.count() == 1


def test_too_many_files_are_refused(client, settings, old_timestamp):
    settings.KZCN_MAX_FILES_PER_REPORT = 2
    response = client.post(
        reverse("impacts:report_create"),
        form_data(timestamp=old_timestamp, files=[photo("1.jpg"), photo("2.jpg", lat=41.0), photo("3.jpg", lat=42.0)]),
    )
    assert response.status_code == 400
    assert ImpactReport.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"observed_on": "2999-01-01"}, "observed_on", "future"),
        ({"reporter_type": "ngo", "organisation": ""}, "organisation", "organisation"),
        ({"site_name": ""}, "site_name", "Choose a project"),
        ({"consent_privacy": ""}, "consent_privacy", "required"),
        ({"attribution": "name", "reporter_name": ""}, "reporter_name", "name"),
        ({"latitude": "43.1"}, "longitude", "both"),
        ({"contact_phone": "call me maybe"}, "contact_phone", "digits"),
        ({"title": ""}, "title", "required"),
    ],
)
def test_bad_input_gets_a_clear_message_next_to_the_field(client, old_timestamp, overrides, field, message):
    response = client.post(reverse("impacts:report_create"), form_data(timestamp=old_timestamp, **overrides))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message.lower() in errors.lower()
    assert "Please check the form" in response.content.decode()  # summary at the top
    assert ImpactReport.objects.count() == 0


def test_honeypot_filled_by_a_bot_is_refused(client, old_timestamp):
    response = client.post(
        reverse("impacts:report_create"), form_data(timestamp=old_timestamp, website="http://spam.example")
    )
    assert response.status_code == 400
    assert ImpactReport.objects.count() == 0


def test_instant_post_is_refused_but_the_person_can_send_again(client):
    fresh = abuse.new_timestamp()
    response = client.post(reverse("impacts:report_create"), form_data(timestamp=fresh))
    assert response.status_code == 400
    assert "very quickly" in response.content.decode()
    assert 'value="Grey dust on roofs every night"' in response.content.decode()


def test_forged_timestamp_is_refused(client):
    response = client.post(reverse("impacts:report_create"), form_data(timestamp="12345"))
    assert response.status_code == 400
    assert ImpactReport.objects.count() == 0


def test_rate_limit_per_address_says_when_to_try_again(client, settings):
    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = 2
    for _ in range(2):
        assert (
            client.post(reverse("impacts:report_create"), form_data(timestamp=served_a_minute_ago())).status_code == 302
        )
    response = client.post(reverse("impacts:report_create"), form_data(timestamp=served_a_minute_ago()))
    assert response.status_code == 400
    assert "try again in about" in response.content.decode()
    assert ImpactReport.objects.count() == 2


def test_rate_limit_per_contact_applies_across_addresses(client, settings):
    settings.KZCN_RATE_LIMIT_REPORTS_PER_CONTACT = 1
    first = form_data(timestamp=served_a_minute_ago(), contact_email="same@example.org")
    assert client.post(reverse("impacts:report_create"), first, REMOTE_ADDR="10.0.0.1").status_code == 302
    second = form_data(timestamp=served_a_minute_ago(), contact_email="same@example.org")
    response = client.post(reverse("impacts:report_create"), second, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 400


def test_forged_status_and_reference_fields_are_ignored(client, old_timestamp):
    client.post(
        reverse("impacts:report_create"),
        form_data(
            timestamp=old_timestamp, status="published", reference="KZCN-1999-000001", public_description="forged"
        ),
    )
    report = ImpactReport.objects.get()
    assert report.status == "submitted"
    assert report.reference != "KZCN-1999-000001"
    assert "forged" not in report.public_description


def test_unpublished_report_files_are_not_reachable_anonymously(client, old_timestamp):
    client.post(reverse("impacts:report_create"), form_data(timestamp=old_timestamp, files=[photo()]))
    item = Evidence.objects.get()
    for variant in ("public", "thumb"):
        assert client.get(reverse("impacts:evidence_file", args=[item.pk, variant])).status_code == 404
    report = item.report
    assert client.get(reverse("impacts:report_detail", args=[report.reference])).status_code == 404


def test_submit_page_query_count_is_bounded(client, old_timestamp, django_assert_max_num_queries):
    for n in range(30):
        make_site_project(slug=f"p{n}", name_en=f"Plant {n}")
    with django_assert_max_num_queries(5):
        client.get(reverse("impacts:report_create"))
    with django_assert_max_num_queries(20):
        client.post(reverse("impacts:report_create"), form_data(timestamp=old_timestamp, files=[photo()]))
