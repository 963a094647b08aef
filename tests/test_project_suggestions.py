"""A visitor suggests a missing project or a correction with its source; an editor reviews it; nothing
of it is public before the editor accepts it, and the visitor is credited only if they asked."""

import hashlib
import re
import time

import pytest
from django.urls import reverse

from impacts import abuse
from projects.models import Suggestion
from tests import evidence_files
from tests.catalogue import add_source, make_project

pytestmark = pytest.mark.django_db

URL = reverse("projects:suggest")
SECRET_DETAILS = "The plant's cost was USD 212 million per the akimat."


def served_a_minute_ago() -> str:
    return abuse.new_form_token(started=time.time() - 60)


def suggestion_data(about=None, **overrides) -> dict:
    data = {
        "kind": "correction" if about else "new_project",
        "project": str(about.pk) if about else "",
        "project_name": "" if about else "Aktobe cement plant",
        "details": SECRET_DETAILS,
        "source_url": "https://akimat.example.kz/news/42",
        "source_title": "The akimat's report",
        "name": "Aigerim Sultanova",
        "email": "aigerim@example.org",
        "credit": "on",
        abuse.TIMESTAMP_FIELD: served_a_minute_ago(),
        **overrides,
    }
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def plant():
    project = make_project(name_en="Cement plant", slug="cement-plant")
    add_source(project)
    return project


def public_pages(client, project) -> str:
    pages = [project.get_absolute_url(), reverse("projects:project_list"), reverse("projects:home")]
    return "".join(client.get(url).content.decode() for url in pages)


def test_the_project_page_links_to_a_correction_form_for_that_project(client, plant):
    page = client.get(plant.get_absolute_url()).content.decode()
    assert f'href="{URL}?project=cement-plant"' in page

    form = client.get(URL, {"project": "cement-plant"}).content.decode()

    assert f'<option value="{plant.pk}" selected>Cement plant</option>' in form
    assert 'value="correction"' in form and "checked" in form.split('value="correction"')[1][:40]


def test_a_suggestion_reaches_the_editors_queue_and_nothing_of_it_is_public(client, plant, editor):
    response = client.post(URL, suggestion_data(plant))

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:suggestion_sent")
    suggestion = Suggestion.objects.get()
    assert (suggestion.kind, suggestion.project, suggestion.state) == ("correction", plant, "new")
    public = public_pages(client, plant)
    for private in [SECRET_DETAILS, "Aigerim", "aigerim@example.org", "akimat.example.kz", "The akimat&#x27;s report"]:
        assert private not in public

    client.force_login(editor)
    queue = client.get(reverse("admin:projects_suggestion_changelist")).content.decode()
    assert "akimat.example.kz/news/42" in queue


def test_an_accepted_correction_adds_its_source_and_credits_the_suggester_who_asked(client, plant, editor):
    client.post(URL, suggestion_data(plant))
    client.post(URL, suggestion_data(plant, name="Quiet person", credit=None, source_url="https://example.org/b"))
    client.force_login(editor)

    client.post(
        reverse("admin:projects_suggestion_changelist"),
        {"action": "accept", "_selected_action": list(Suggestion.objects.values_list("pk", flat=True))},
    )
    client.logout()

    source = plant.sources.get(url="https://akimat.example.kz/news/42")
    assert source.title == "The akimat's report"
    page = client.get(plant.get_absolute_url()).content.decode()
    assert "With corrections suggested by: Aigerim Sultanova" in page
    assert "Quiet person" not in page
    assert "aigerim@example.org" not in page


def test_a_declined_suggestion_stays_private(client, plant, editor):
    client.post(URL, suggestion_data(plant))
    client.force_login(editor)
    client.post(
        reverse("admin:projects_suggestion_changelist"),
        {"action": "decline", "_selected_action": [Suggestion.objects.get().pk]},
    )
    client.logout()

    assert Suggestion.objects.get().state == "declined"
    assert not plant.sources.filter(url="https://akimat.example.kz/news/42").exists()
    assert "Aigerim" not in public_pages(client, plant)


def test_a_form_sent_twice_makes_one_suggestion(client, plant):
    data = suggestion_data(plant)

    client.post(URL, data)
    client.post(URL, data)

    assert Suggestion.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source_url": ""}, "This field is required."),
        ({"source_url": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"project": ""}, "Choose the project the correction is about."),
        ({"kind": "new_project", "project": "", "project_name": ""}, "Give the missing project&#x27;s name."),
        ({"name": ""}, "Give the name to credit, or untick the box."),
        ({"details": "x" * 3001}, "Ensure this value has at most 3000 characters"),
        ({"project": "99999"}, "Select a valid choice."),
    ],
)
def test_a_suggestion_that_does_not_fit_is_refused_with_a_reason_and_kept(client, plant, overrides, message):
    response = client.post(URL, suggestion_data(plant, **overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {abuse.HONEYPOT_FIELD: "http://spam.example"},
        {abuse.TIMESTAMP_FIELD: "forged"},
        {abuse.TIMESTAMP_FIELD: "fresh"},  # sent the moment the form was served: a bot
    ],
)
def test_bots_are_refused_like_on_the_report_form(client, plant, overrides):
    if overrides.get(abuse.TIMESTAMP_FIELD) == "fresh":
        overrides = {abuse.TIMESTAMP_FIELD: abuse.new_form_token()}
    response = client.post(URL, suggestion_data(plant, **overrides))

    assert response.status_code == 400
    assert not Suggestion.objects.exists()


def test_too_many_posts_from_one_address_are_refused(client, plant, settings):
    settings.KZCN_RATE_LIMIT_POSTS_PER_IP = 2
    for number in range(2):
        client.post(URL, suggestion_data(plant, source_url=f"https://example.org/{number}"))

    response = client.post(URL, suggestion_data(plant, source_url="https://example.org/3"))

    assert response.status_code == 400
    assert Suggestion.objects.count() == 2


def test_a_moderator_does_not_see_suggestions(client, moderator, plant):
    client.post(URL, suggestion_data(plant))
    client.force_login(moderator)

    assert client.get(reverse("admin:projects_suggestion_changelist")).status_code == 403


# --- A document with the suggestion: accepted by content, sealed, downloaded by editors only ------------

DOCUMENT_NAME = "akimat-letter-to-Aigerim.pdf"


def with_document(data: dict, content: bytes, name: str = DOCUMENT_NAME, content_type: str = "application/pdf"):
    return {**data, "document": evidence_files.uploaded(content, name, content_type)}


def retry_token(page) -> str:
    content = page if isinstance(page, str) else page.content.decode()
    return re.search(rf'name="{abuse.TIMESTAMP_FIELD}" value="([^"]+)"', content).group(1)


def files_under(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def document_url(suggestion, which: str = "original") -> str:
    return reverse("admin:projects_suggestion_document", args=[suggestion.pk, which])


def test_the_form_sends_files_without_javascript(client):
    form = client.get(URL).content.decode()

    assert 'enctype="multipart/form-data"' in form
    assert 'type="file" name="document"' in form
    assert "A document (optional)" in form


@pytest.mark.parametrize(
    ("content", "name", "content_type", "sniffed", "copy_starts"),
    [
        (evidence_files.pdf_bytes(), DOCUMENT_NAME, "application/pdf", "application/pdf", b"%PDF"),
        (evidence_files.jpeg_with_gps(), "IMG_2041.jpg", "image/jpeg", "image/jpeg", b"\xff\xd8"),
        (evidence_files.png_bytes(), "scan.png", "image/png", "image/png", b"\xff\xd8"),
    ],
)
def test_a_pdf_or_a_photo_is_sealed_and_only_editors_can_download_it(
    client, plant, editor, moderator, admin_user, settings, content, name, content_type, sniffed, copy_starts
):
    response = client.post(URL, with_document(suggestion_data(plant), content, name, content_type))

    assert response.status_code == 302
    suggestion = Suggestion.objects.get()
    assert (suggestion.document_name, suggestion.document_content_type) == (name, sniffed)
    assert suggestion.document_sha256 == hashlib.sha256(content).hexdigest()
    assert suggestion.document_size == len(content)
    sealed = files_under(settings.SEALED_ROOT)
    assert len(sealed) == 2 and content in [path.read_bytes() for path in sealed]
    assert all(name.rsplit(".", 1)[0] not in str(path) for path in sealed)  # stored under random names
    assert files_under(settings.MEDIA_ROOT) == []  # nothing in the public storage

    client.force_login(editor)
    page = client.get(reverse("admin:projects_suggestion_change", args=[suggestion.pk])).content.decode()
    assert name in page and suggestion.document_sha256 in page
    assert "Accepting the suggestion does not publish it" in page
    download = client.get(document_url(suggestion))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"].split(", ")
    copy = client.get(document_url(suggestion, "copy"))
    copy_bytes = b"".join(copy.streaming_content)
    assert copy.status_code == 200 and copy["Content-Disposition"].startswith("attachment;")
    assert copy_bytes.startswith(copy_starts)
    assert evidence_files.CAMERA_SERIAL.encode() not in copy_bytes and b"Water samples" not in copy_bytes

    client.force_login(admin_user)
    assert client.get(document_url(suggestion)).status_code == 200
    client.force_login(moderator)
    assert client.get(document_url(suggestion)).status_code == 403
    client.logout()
    anonymous = client.get(document_url(suggestion))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (evidence_files.html_as_jpg(), "source.pdf", "application/pdf"),  # an HTML page renamed .pdf
        (evidence_files.svg_bytes(), "chart.pdf", "application/pdf"),
        (evidence_files.png_header_then_html(), "photo.png", "image/png"),
        (evidence_files.text_file(), "letter.pdf", "application/pdf"),
        (evidence_files.fake_pdf(), "report.pdf", "application/pdf"),
        (evidence_files.pdf_with_javascript(), "report.pdf", "application/pdf"),
        (evidence_files.zero_bytes(), "empty.pdf", "application/pdf"),
    ],
)
def test_a_file_that_is_not_a_clean_pdf_or_photo_is_refused_and_the_typed_text_kept(
    client, plant, settings, content, name, content_type
):
    response = client.post(URL, with_document(suggestion_data(plant), content, name, content_type))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please check the form" in page
    assert f"“{name}”" in page  # the message names the file the person chose
    assert SECRET_DETAILS.replace("'", "&#x27;") in page
    assert 'value="https://akimat.example.kz/news/42"' in page
    assert not Suggestion.objects.exists()
    assert files_under(settings.SEALED_ROOT) == [] and files_under(settings.MEDIA_ROOT) == []


def test_an_html_page_renamed_pdf_is_refused_with_the_reason(client, plant):
    html = with_document(suggestion_data(plant), evidence_files.html_as_jpg(), "source.pdf")

    page = client.post(URL, html).content.decode()

    assert "“source.pdf” is not a kind of file we can accept." in page


def test_a_video_sent_as_a_document_is_refused_without_being_transcoded(client, plant, tmp_path, monkeypatch):
    # Video and voice take minutes: only the report form's worker makes them, never a request.
    from impacts.evidence import video
    from tests import media_files

    monkeypatch.setattr(video, "prepare_video", lambda *a, **k: pytest.fail("a video was transcoded in a request"))
    clip = media_files.make_video(tmp_path / "clip.mp4").read_bytes()

    page = client.post(URL, with_document(suggestion_data(plant), clip, "clip.mp4", "video/mp4")).content.decode()

    assert "“clip.mp4” is not a kind of file we can accept." in page
    assert "photos and PDF documents" in page
    assert "USD 212 million per the akimat" in page  # what was typed is kept
    assert Suggestion.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(client, plant, settings):
    settings.KZCN_MAX_FILE_BYTES = 1024 * 1024
    too_big = evidence_files.huge_file(1024 * 1024 + 1)

    response = client.post(URL, with_document(suggestion_data(plant), too_big, "big.jpg", "image/jpeg"))

    assert response.status_code == 400
    assert "“big.jpg” is too large. Each file can be at most 1.0\xa0MB." in response.content.decode()
    assert not Suggestion.objects.exists()
    assert files_under(settings.SEALED_ROOT) == []


def kept_reference(page: str) -> str:
    found = re.search(r'name="kept_document" value="([^"]+)"', page)
    return found.group(1) if found else ""


def test_a_document_sent_with_a_form_that_comes_back_is_kept_for_the_next_try(client, plant, settings):
    data = suggestion_data(plant, source_url="")
    content = evidence_files.pdf_bytes()

    page = client.post(URL, with_document(data, content)).content.decode()

    assert "Already attached (no need to attach these again):" in page and DOCUMENT_NAME in page
    assert SECRET_DETAILS.replace("'", "&#x27;") in page
    assert not Suggestion.objects.exists()
    reference = kept_reference(page)
    fixed = {**data, "source_url": "https://akimat.example.kz/news/42", abuse.TIMESTAMP_FIELD: retry_token(page),
             "kept_document": reference}  # fmt: skip
    assert client.post(URL, fixed).status_code == 302

    suggestion = Suggestion.objects.get()
    assert suggestion.document_name == DOCUMENT_NAME
    assert suggestion.document_sha256 == hashlib.sha256(content).hexdigest()
    assert len(files_under(settings.SEALED_ROOT)) == 2  # the sealed original and its copy; nothing pending


def test_a_kept_document_is_not_honoured_for_another_form_and_can_be_removed(client, plant, settings):
    page = client.post(URL, with_document(suggestion_data(plant, source_url=""), evidence_files.pdf_bytes()))
    reference = kept_reference(page.content.decode())

    another_form = suggestion_data(plant, kept_document=reference)  # a new token: another form
    assert client.post(URL, another_form).status_code == 302
    assert not Suggestion.objects.get().document

    removed = client.post(
        URL,
        suggestion_data(
            plant,
            kept_document=reference,
            remove_kept_document="1",
            source_url="",
            **{abuse.TIMESTAMP_FIELD: retry_token(page)},
        ),
    )
    assert "Already attached" not in removed.content.decode()
    assert files_under(settings.SEALED_ROOT / "pending") == []


def test_a_document_sent_with_a_post_refused_before_any_check_must_be_chosen_again(client, plant, settings):
    sent_too_fast = suggestion_data(plant, **{abuse.TIMESTAMP_FIELD: abuse.new_form_token()})

    page = client.post(URL, with_document(sent_too_fast, evidence_files.pdf_bytes())).content.decode()

    assert "Your document was not kept because the form came back for another reason" in page
    assert SECRET_DETAILS.replace("'", "&#x27;") in page
    assert files_under(settings.SEALED_ROOT) == []


def test_a_form_sent_twice_with_a_document_keeps_one_copy(client, plant, settings):
    data = suggestion_data(plant)

    client.post(URL, with_document(data, evidence_files.pdf_bytes()))
    client.post(URL, with_document(data, evidence_files.pdf_bytes()))

    assert Suggestion.objects.count() == 1
    assert len(files_under(settings.SEALED_ROOT)) == 2  # the original and its safe copy, once


def test_deleting_a_suggestion_removes_its_sealed_document(client, plant, settings, django_capture_on_commit_callbacks):
    client.post(URL, with_document(suggestion_data(plant), evidence_files.pdf_bytes()))
    assert len(files_under(settings.SEALED_ROOT)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        Suggestion.objects.all().delete()  # a bulk delete, as the admin's action does

    assert files_under(settings.SEALED_ROOT) == []


def test_nothing_of_the_document_is_public_even_once_accepted(client, plant, editor, settings):
    client.post(URL, with_document(suggestion_data(plant), evidence_files.pdf_bytes()))
    suggestion = Suggestion.objects.get()
    client.force_login(editor)
    client.post(
        reverse("admin:projects_suggestion_changelist"), {"action": "accept", "_selected_action": [suggestion.pk]}
    )
    client.logout()

    suggestion.refresh_from_db()
    assert suggestion.state == "accepted"
    public = public_pages(client, plant)
    stored_names = [suggestion.document.name, suggestion.document_copy.name]
    random_names = [name.rsplit("/", 1)[-1] for name in stored_names]
    for private in [DOCUMENT_NAME, suggestion.document_sha256, *stored_names, *random_names]:
        assert private not in public
    assert files_under(settings.MEDIA_ROOT) == []
    for name in stored_names:
        for prefix in ("/media/", "/sealed-files/", "/en/media/"):
            assert client.get(prefix + name).status_code == 404
    for which in ("original", "copy"):
        assert client.get(document_url(suggestion, which)).status_code == 302  # to the staff login


def test_an_editor_asking_for_a_missing_document_gets_404(client, plant, editor):
    client.post(URL, suggestion_data(plant))
    client.force_login(editor)
    suggestion = Suggestion.objects.get()

    assert client.get(document_url(suggestion)).status_code == 404
    assert client.get(document_url(suggestion, "anything")).status_code == 404
    page = client.get(reverse("admin:projects_suggestion_change", args=[suggestion.pk])).content.decode()
    assert "No document was attached." in page
