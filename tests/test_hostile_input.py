"""Hostile files and fields sent through the real report form and the tracking page.

Every entry of tests/hostile_corpus.py is either refused (400, a message a person can act on,
nothing stored: no row, no file on disk) or neutralised (stored safely and shown escaped).
Never a 500. What only decoding can find (a truncated picture, a PDF that does not parse, is
encrypted or hides scripts in a compressed object stream) is found by the task worker after the
report is saved: the file is then refused there (`REFUSED_BY_THE_WORKER`), with the same message,
and never gets a public copy.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from impacts import workflow
from impacts.models import Evidence, ImpactReport, ReportMessage, Status, new_tracking_token, token_digest
from tests import hostile_corpus
from tests.hostile_corpus import FIELDS, FILES, REFUSED
from tests.reports import make_report
from tests.test_report_form import files_on_disk, form_data, old_timestamp  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

REPORT_URL = reverse("impacts:report_create")
# Refused by impacts.evidence.processing (decoding), not by the request's checks of type and header.
REFUSED_BY_THE_WORKER = {
    "jpeg-truncated",
    "png-truncated",
    "pdf-encrypted",
    "pdf-garbage-after-header",
    "pdf-javascript-in-object-stream",
}


def _upload(entry) -> SimpleUploadedFile:
    return SimpleUploadedFile(entry.name, entry.build(), content_type="image/jpeg")


def _assert_refused_by_the_worker(response, entry):
    assert response.status_code == 302
    item = Evidence.objects.get()
    assert item.state == "refused" and entry.message in item.refusal_reason
    assert not item.public_file and not item.thumbnail


def _assert_nothing_stored(settings):
    assert ImpactReport.objects.count() == 0
    assert Evidence.objects.count() == 0
    assert files_on_disk(settings) == []


def _tracking_page_of(report) -> str:
    token = new_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=token_digest(token))
    response = Client().get(reverse("impacts:track", args=[token]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("entry", FILES, ids=[entry.id for entry in FILES])
def test_hostile_file_through_the_report_form(
    client,
    settings,
    old_timestamp,  # noqa: F811
    entry,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs once the report is saved
        # In English, so that a late refusal (written in the report's language) reads as entry.message.
        response = client.post(REPORT_URL, form_data(timestamp=old_timestamp, files=[_upload(entry)], language="en"))
    if entry.id in REFUSED_BY_THE_WORKER:
        _assert_refused_by_the_worker(response, entry)
        return
    if entry.outcome == REFUSED:
        assert response.status_code == 400
        assert entry.message in response.content.decode()
        _assert_nothing_stored(settings)
        return
    assert response.status_code == 302, response.content.decode()[:2000]
    item = Evidence.objects.get()
    with item.public_file.open("rb") as public:
        entry.check(item, public.read())
    on_disk = {path.name for path in files_on_disk(settings)}
    assert on_disk == {
        name.rsplit("/", 1)[-1] for name in (item.public_file.name, item.thumbnail.name, item.sealed_file.name)
    }


@pytest.mark.parametrize("entry", FIELDS, ids=[entry.id for entry in FIELDS])
def test_hostile_fields_through_the_report_form(client, settings, old_timestamp, entry):  # noqa: F811
    data = form_data(timestamp=old_timestamp)
    data.update(entry.fields)  # not as keywords: "project" is form_data's own argument
    response = client.post(REPORT_URL, data)
    page = response.content.decode()
    if entry.outcome == REFUSED:
        assert response.status_code == 400
        assert entry.message in page
        _assert_nothing_stored(settings)
        return
    assert response.status_code == 302, page[:3000]
    report = ImpactReport.objects.get()
    entry.check(report, _tracking_page_of(report))


def test_the_corpus_has_at_least_thirty_hostile_entries():
    hostile = [e for e in FILES + FIELDS if e.outcome == REFUSED or e.id.startswith(("name-", "png-", "jpeg-"))]
    assert len(FILES) + len(FIELDS) >= 30 and len(hostile) >= 30


# --- Bodies the test client cannot express as a dict ------------------------------------------------

BOUNDARY = "----kzcn-hostile-boundary"


def _multipart(fields: dict[str, bytes]) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _raw_post(client, url: str, fields: dict):
    encoded = {k: v if isinstance(v, bytes) else str(v).encode() for k, v in fields.items() if not isinstance(v, list)}
    return client.generic("POST", url, _multipart(encoded), content_type=f"multipart/form-data; boundary={BOUNDARY}")


def test_invalid_utf8_in_text_fields_is_stored_as_replacement_characters(client, old_timestamp):  # noqa: F811
    fields = form_data(timestamp=old_timestamp)
    fields["title"] = b"Dust \xff\xfe\xc3\x28 on roofs"
    fields["description"] = b"Broken \xed\xa0\x80 surrogate and \xc0\xaf overlong slash"
    response = _raw_post(client, REPORT_URL, fields)
    assert response.status_code == 302
    report = ImpactReport.objects.get()
    assert "\ufffd" in report.title and report.title.startswith("Dust ")
    report.title.encode("utf-8")  # storable and re-encodable: no lone surrogates
    report.description.encode("utf-8")


def test_body_bigger_than_the_upload_limit_is_refused_without_a_row(client, settings, old_timestamp):  # noqa: F811
    fields = form_data(timestamp=old_timestamp, description="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10))
    response = _raw_post(client, REPORT_URL, fields)
    assert response.status_code == 400
    _assert_nothing_stored(settings)


def test_more_files_than_allowed_are_refused_with_a_message(client, settings, old_timestamp):  # noqa: F811
    from tests import evidence_files

    files = [
        SimpleUploadedFile(f"p{i}.png", evidence_files.png_bytes(40 + i, 30), content_type="image/png")
        for i in range(settings.KZCN_MAX_FILES_PER_REPORT + 1)
    ]
    response = client.post(REPORT_URL, form_data(timestamp=old_timestamp, files=files))
    assert response.status_code == 400
    assert "a report can have at most" in response.content.decode()
    _assert_nothing_stored(settings)


def test_one_hostile_file_among_good_ones_stores_none_of_them(client, settings, old_timestamp):  # noqa: F811
    from tests import evidence_files

    good = SimpleUploadedFile("good.png", evidence_files.png_bytes(), content_type="image/png")
    bad = SimpleUploadedFile("bad.pdf", evidence_files.pdf_with_javascript(), content_type="application/pdf")
    response = client.post(REPORT_URL, form_data(timestamp=old_timestamp, files=[good, bad]))
    assert response.status_code == 400
    assert "kept for your next try" in response.content.decode()  # in the sealed pending area, not as evidence
    _assert_nothing_stored(settings)


# --- The tracking page's answer form -----------------------------------------------------------------


@pytest.fixture
def question(moderator):
    """A report a moderator asked about; returns (report, tracking URL)."""
    report = make_report(status=Status.IN_REVIEW)
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night?")
    token = new_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=token_digest(token))
    return report, reverse("impacts:track", args=[token])


ANSWER_FILES = [e for e in FILES if e.outcome == REFUSED]


@pytest.mark.parametrize("entry", ANSWER_FILES, ids=[e.id for e in ANSWER_FILES])
def test_hostile_file_in_the_tracking_answer_is_refused(
    client, settings, question, entry, django_capture_on_commit_callbacks
):
    report, url = question
    ImpactReport.objects.filter(pk=report.pk).update(language="en")  # a late refusal reads as entry.message
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"form": "answer", "answer": "Tuesday", "files": [_upload(entry)]})
    if entry.id in REFUSED_BY_THE_WORKER:
        _assert_refused_by_the_worker(response, entry)
        assert entry.message in client.get(url).content.decode()  # the reporter reads why
        return
    assert response.status_code == 400
    assert entry.message in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO
    assert not report.evidence.exists() and files_on_disk(settings) == []
    assert not ReportMessage.objects.filter(direction="from_reporter").exists()


ANSWERS = [
    pytest.param({"answer": "x" * 5001}, "5000 characters or fewer (now: 5001)", id="answer-5001-characters"),
    pytest.param({"answer": "Tuesday\x00night"}, hostile_corpus.NUL_REFUSED, id="answer-nul-byte"),
    pytest.param({"answer": "   "}, "This field is required.", id="answer-only-spaces"),
]


@pytest.mark.parametrize(("fields", "message"), ANSWERS)
def test_hostile_answer_text_is_refused(client, question, fields, message):
    report, url = question
    response = client.post(url, {"form": "answer", **fields})
    assert response.status_code == 400
    assert message in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO


SHOWN_LITERALLY = [
    pytest.param(hostile_corpus.TEMPLATE_SYNTAX, hostile_corpus.TEMPLATE_SYNTAX, id="answer-template-syntax"),
    pytest.param(hostile_corpus.HTML, "&lt;script&gt;alert(&#x27;kzcn&#x27;)&lt;/script&gt;", id="answer-html"),
    pytest.param(hostile_corpus.SQL, "&#x27;; DROP TABLE impacts_impactreport;", id="answer-sql"),
]


@pytest.mark.parametrize(("answer", "shown"), SHOWN_LITERALLY)
def test_hostile_answer_text_is_stored_and_shown_escaped(client, question, answer, shown):
    report, url = question
    response = client.post(url, {"form": "answer", "answer": answer, "status": "published", "version": "1"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.IN_REVIEW  # the forged status was ignored; the workflow decided
    assert report.messages.last().text == answer
    page = client.get(url).content.decode()
    assert shown in page and "<script>alert" not in page
    assert report.tracking_digest not in page


def test_answer_is_not_accepted_when_no_question_is_open(client, settings):
    report = make_report()
    token = new_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=token_digest(token))
    from tests import evidence_files

    upload = SimpleUploadedFile("x.png", evidence_files.png_bytes(), content_type="image/png")
    response = client.post(
        reverse("impacts:track", args=[token]), {"form": "answer", "answer": "forged", "files": [upload]}, follow=True
    )
    assert "That action is not available for this report now." in response.content.decode()
    assert not report.evidence.exists() and files_on_disk(settings) == []
    assert not report.messages.exists()


@pytest.mark.parametrize(
    "token",
    ["x" * 5000, "../../etc/passwd", "%00", "' OR 1=1 --", "{{ token }}"],
    ids=["long", "traversal", "nul", "sql", "template"],
)
def test_forged_tracking_tokens_are_not_found(client, token):
    make_report()
    response = client.get(f"/en/track/{token}/")
    assert response.status_code == 404
