"""Letters to the authorities about a published report: the PDF in Russian and Kazakh, who may make
them, the reporter's name only when asked, recording the sending and the answer, and legal deadlines
with the overdue flag on the admin list and the public page."""

import datetime
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from impacts.authorities import deadlines, letter
from impacts.authorities.models import Authority, AuthorityRequest
from impacts.evidence import prepare_evidence
from impacts.models import EvidenceWriter, FollowUp, ImpactReport, ReportTransition
from tests import evidence_files
from tests.reports import make_report

KAZAKH_LETTERS = "әғқңөұүһі"
KAZAKH_TEXT = "Зауыттан шыққан қара шаң үйлерге түседі, шаһар тұрғындары әлі күтуде. Өзен суы да ластанды, күн сайын."
REPORTER_NAME = "Айгүл Сейітқызы Нұрланова"
REPORTER_ADDRESS = "Шиелі ауданы, Бірлік көшесі, 7-үй"


def published_report(**kw) -> ImpactReport:
    report = make_report(
        status="published",
        published_at=timezone.now(),
        region="kyzylorda",
        reporter_name=REPORTER_NAME,
        contact_email="aigul@example.org",
        contact_phone="+7 701 000 00 00",
        **kw,
    )
    return ImpactReport.objects.get(pk=report.pk)


def with_photo(report: ImpactReport):
    upload = SimpleUploadedFile("dust.jpg", evidence_files.jpeg_with_gps(), content_type="image/jpeg")
    with EvidenceWriter() as writer:
        item = writer.store(report, prepare_evidence(upload))
    item.visibility = "approved"
    item.save()
    return item


def make_authority(**kw) -> Authority:
    fields = {
        "name_ru": "Департамент экологии по Кызылординской области (тест)",
        "name_kk": "Қызылорда облысы бойынша экология департаменті (тест)",
        "kind": "ecology",
        "region": "kyzylorda",
        "postal_address": "тестовый адрес",
        "email": "test@example.org",
        **kw,
    }
    return Authority.objects.create(**fields)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts") or [font]
            for item in descendants:
                descriptor = item.get_object().get("/FontDescriptor")
                embedded = ("/FontFile", "/FontFile2", "/FontFile3")
                if descriptor and any(key in descriptor.get_object() for key in embedded):
                    names.add(str(font["/BaseFont"]))
    return names


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def report(db):
    return published_report(title="Чёрная пыль", description=KAZAKH_TEXT)


@pytest.fixture
def authority(db):
    return make_authority()


def tracking_token(report: ImpactReport) -> str:
    token = report.issue_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    return token


# --- The letter ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, words",
    [
        ("ru", ["ЖАЛОБА", "Орхусская", "№ 92-II", "статьи 20", "№ 400-VI", "статье 76"]),
        ("kk", ["ШАҒЫМ", "Орхус", "№ 92-II", "20-бабының", "Экология кодексінің", "76-бабына"]),
    ],
)
def test_a_complaint_cites_the_report_its_evidence_and_the_right_to_information(report, authority, language, words):
    photo = with_photo(report)
    photo.refresh_from_db()
    text = flat(pdf_text(letter.render_letter(report, authority, "complaint", language)))
    for word in [
        *words,
        report.reference,
        "Чёрная пыль",
        authority.name_in(language),
        "01.10.2026",
        f"/{language}/reports/{report.reference}/",
        f"/evidence/{photo.pk}/record/",
        photo.sha256,
        photo.public_sha256,
    ]:
        assert flat(word) in text, word


def test_the_kazakh_letter_embeds_a_font_with_every_kazakh_letter(report, authority):
    pdf = letter.render_letter(report, authority, "information", "kk")
    text = pdf_text(pdf)
    for character in KAZAKH_LETTERS:
        assert character in text, character
    assert flat(KAZAKH_TEXT) in flat(text)
    assert "Экологиялық ақпарат беру туралы сұрау салу".upper() in text.upper()
    assert {name.split("+")[-1] for name in embedded_fonts(pdf)} == {"Letter-Sans", "Letter-Sans-Bold"}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_pdf_metadata_names_no_person(report, authority, language):
    sender = letter.Sender(name=REPORTER_NAME, address=REPORTER_ADDRESS)
    pdf = letter.render_letter(report, authority, "complaint", language, sender)
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    values = " ".join(str(value) for value in metadata.values())
    assert REPORTER_NAME not in values and "Айгүл" not in values
    assert metadata.get("/Author") is None
    assert metadata.get("/Creator") == "KZCN Watch"
    assert report.reference in metadata.get("/Title")


def test_the_reporters_contact_is_absent_unless_asked(report, authority):
    plain = pdf_text(letter.render_letter(report, authority, "complaint", "ru"))
    for private in (REPORTER_NAME, "Айгүл", "aigul@example.org", "+7 701"):
        assert private not in plain
    named = flat(
        pdf_text(
            letter.render_letter(
                report, authority, "complaint", "ru", letter.Sender(name=REPORTER_NAME, address=REPORTER_ADDRESS)
            )
        )
    )
    assert REPORTER_NAME in named and flat(REPORTER_ADDRESS) in named
    assert "aigul@example.org" not in named  # only what they typed into the letter form


def test_a_hidden_photo_is_not_cited(report, authority):
    photo = with_photo(report)
    photo.visibility, photo.hidden_reason = "hidden", "a face"
    photo.save()
    assert f"/evidence/{photo.pk}/" not in pdf_text(letter.render_letter(report, authority, "complaint", "ru"))


# --- Deadlines -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent_on, due",
    [
        (datetime.date(2026, 11, 2), datetime.date(2026, 12, 2)),
        (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), datetime.date(2028, 2, 29)),
        (datetime.date(2026, 12, 15), datetime.date(2027, 1, 15)),
    ],
)
def test_an_information_request_is_due_within_one_month(sent_on, due):
    assert deadlines.answer_due("information", sent_on) == due


@pytest.mark.parametrize(
    "sent_on, due",
    [
        (datetime.date(2026, 11, 30), datetime.date(2026, 12, 21)),  # a Monday: three weeks of working days
        (datetime.date(2026, 11, 27), datetime.date(2026, 12, 18)),  # a Friday
        (datetime.date(2026, 11, 28), datetime.date(2026, 12, 18)),  # a Saturday counts from Monday
    ],
)
def test_a_complaint_is_due_within_fifteen_working_days(sent_on, due):
    assert deadlines.answer_due("complaint", sent_on) == due


def test_no_date_no_deadline():
    assert deadlines.answer_due("complaint", None) is None
    assert deadlines.answer_due("unknown", datetime.date(2026, 1, 1)) is None


# --- The reporter's page ---------------------------------------------------------------------------


def letter_url(token: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse("impacts:authority_letter", args=[token])


def test_the_tracking_page_of_a_published_report_links_to_the_letter_page(client, report):
    token = tracking_token(report)
    response = client.get(reverse("impacts:track", args=[token]))
    assert letter_url(token) in response.content.decode()


def test_the_reporter_downloads_a_letter_kept_without_personal_details(client, report, authority):
    token = tracking_token(report)
    response = client.post(letter_url(token), {"authority": authority.pk, "kind": "complaint", "language": "kk"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store, private"
    pdf = response.content
    assert "Шағым".upper() in pdf_text(pdf).upper()
    record = AuthorityRequest.objects.get()
    assert record.created_by_reporter and not record.includes_reporter_contact
    assert record.letter_sha256 == hashlib.sha256(pdf).hexdigest()
    with record.letter.open("rb") as stored:
        assert stored.read() == pdf


def test_a_letter_with_the_reporters_name_is_not_kept(client, report, authority, settings):
    token = tracking_token(report)
    response = client.post(
        letter_url(token),
        {
            "authority": authority.pk,
            "kind": "information",
            "language": "ru",
            "include_contact": "on",
            "sender_name": REPORTER_NAME,
            "sender_address": REPORTER_ADDRESS,
            "sender_contact": "+7 700 111 22 33",
        },
    )
    assert response.status_code == 200
    assert REPORTER_NAME in flat(pdf_text(response.content))
    record = AuthorityRequest.objects.get()
    assert record.includes_reporter_contact and not record.letter and not record.letter_sha256
    sealed = list((settings.SEALED_ROOT).rglob("*.pdf")) if settings.SEALED_ROOT.exists() else []
    assert sealed == []


def test_typed_details_without_the_box_stay_out_of_the_letter(client, report, authority):
    token = tracking_token(report)
    response = client.post(
        letter_url(token),
        {
            "authority": authority.pk,
            "kind": "complaint",
            "language": "ru",
            "sender_name": REPORTER_NAME,
            "sender_address": REPORTER_ADDRESS,
        },
    )
    assert REPORTER_NAME not in pdf_text(response.content)
    assert not AuthorityRequest.objects.get().includes_reporter_contact


def test_the_box_without_a_name_is_a_clear_mistake_keeping_what_was_typed(client, report, authority):
    token = tracking_token(report)
    response = client.post(
        letter_url(token),
        {
            "authority": authority.pk,
            "kind": "complaint",
            "language": "ru",
            "include_contact": "on",
            "sender_address": REPORTER_ADDRESS,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Type your name, or untick the box" in page and REPORTER_ADDRESS in page
    assert not AuthorityRequest.objects.exists()


def test_an_unpublished_report_offers_no_letter(client, authority):
    report = make_report(region="kyzylorda")
    token = tracking_token(report)
    assert client.get(letter_url(token)).status_code == 200
    response = client.post(letter_url(token), {"authority": authority.pk, "kind": "complaint", "language": "ru"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert not AuthorityRequest.objects.exists()


def test_only_bodies_of_the_reports_region_or_national_ones_are_offered(client, report, authority):
    national = make_authority(name_ru="Национальный орган (тест)", name_kk="", region="")
    elsewhere = make_authority(name_ru="Орган другой области (тест)", region="pavlodar")
    retired = make_authority(name_ru="Упразднённый орган (тест)", active=False)
    token = tracking_token(report)
    page = client.get(letter_url(token, "ru")).content.decode()
    assert authority.name_ru in page and national.name_ru in page
    assert elsewhere.name_ru not in page and retired.name_ru not in page
    response = client.post(letter_url(token), {"authority": elsewhere.pk, "kind": "complaint", "language": "ru"})
    assert response.status_code == 400
    assert not AuthorityRequest.objects.exists()


@pytest.mark.parametrize("value", ["999999", "²", "١", "1\x00", "-1", "1.0", "9" * 200, "", "abc"])
def test_a_hostile_authority_id_is_refused_without_an_error(client, report, authority, value):
    token = tracking_token(report)
    response = client.post(letter_url(token), {"authority": value, "kind": "complaint", "language": "ru"})
    assert response.status_code == 400
    assert not AuthorityRequest.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("kind", "appeal"),
        ("language", "en"),
        ("language", "ru\x00"),
        ("sender_name", "x" * 5000),
    ],
)
def test_hostile_choices_and_overlong_text_are_refused(client, report, authority, field, value):
    token = tracking_token(report)
    data = {
        "authority": authority.pk,
        "kind": "complaint",
        "language": "ru",
        "include_contact": "on",
        "sender_name": "A",
        "sender_address": "B",
        field: value,
    }
    response = client.post(letter_url(token), data)
    assert response.status_code == 400
    assert not AuthorityRequest.objects.exists()


def test_nul_bytes_in_the_reporters_details_are_refused_keeping_the_rest(client, report, authority):
    token = tracking_token(report)
    response = client.post(
        letter_url(token),
        {
            "authority": authority.pk,
            "kind": "complaint",
            "language": "ru",
            "include_contact": "on",
            "sender_name": "Ай\x00гүл",
            "sender_address": "Шиелі",
        },
    )
    assert response.status_code == 400  # the site's NUL guard answers before the form (kzcn middleware)
    assert not AuthorityRequest.objects.exists()


@pytest.mark.parametrize("token", ["garbage", "x" * 500, "²²²", "%00"])
def test_a_bad_token_finds_nothing(db, client, token):
    assert client.get(f"/en/track/{token}/letter/").status_code == 404
    assert client.post(f"/en/track/{token}/letter/", {"kind": "complaint"}).status_code == 404


def test_other_methods_are_refused(client, report):
    token = tracking_token(report)
    assert client.put(letter_url(token)).status_code == 405
    assert client.delete(letter_url(token)).status_code == 405


def test_the_reporter_cannot_make_letters_without_end(client, report, authority, monkeypatch):
    from impacts.authorities import views

    monkeypatch.setattr(views, "LETTERS_PER_REPORT_PER_DAY", 2)
    token = tracking_token(report)
    data = {"authority": authority.pk, "kind": "complaint", "language": "ru"}
    assert [client.post(letter_url(token), data).status_code for _ in range(3)] == [200, 200, 400]
    assert AuthorityRequest.objects.count() == 2


# --- Permissions -----------------------------------------------------------------------------------


def test_editors_keep_the_list_of_bodies_and_moderators_only_read_it(client, editor, moderator):
    client.force_login(editor)
    response = client.post(
        reverse("admin:impacts_authority_add"),
        {"name_ru": "Тестовый орган", "kind": "akimat", "region": "kyzylorda", "active": "on"},
    )
    assert response.status_code == 302
    assert Authority.objects.filter(name_ru="Тестовый орган").exists()
    assert client.get(reverse("admin:impacts_authorityrequest_changelist")).status_code == 403
    client.force_login(moderator)
    body = Authority.objects.get()
    assert client.get(reverse("admin:impacts_authority_change", args=[body.pk])).status_code == 200
    response = client.post(
        reverse("admin:impacts_authority_change", args=[body.pk]),
        {"name_ru": "Изменено", "kind": "akimat", "region": "", "active": "on"},
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:impacts_authority_add")).status_code == 403


def test_an_anonymous_visitor_cannot_reach_stored_letters(client, report, authority):
    item = AuthorityRequest(report=report, authority=authority, kind="complaint", language="ru")
    item.store_letter(b"%PDF-1.4 test")
    item.save()
    response = client.get(reverse("admin:authorities_letter", args=[item.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The moderator: generate, send, answer -----------------------------------------------------------


def generate_in_admin(client, report, authority, language="ru") -> AuthorityRequest:
    response = client.post(
        reverse("admin:impacts_authorityrequest_add"),
        {"report": report.pk, "authority": authority.pk, "kind": "complaint", "language": language},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return AuthorityRequest.objects.latest("pk")


def record(client, item, **fields):
    data = {
        "sent_on": "",
        "channel": "",
        "incoming_number": "",
        "answered_on": "",
        "answer_summary": "",
        "action_stated": "",
        **fields,
    }
    return client.post(reverse("admin:impacts_authorityrequest_change", args=[item.pk]), data)


def test_a_moderator_generates_a_letter_kept_with_its_hash(client, moderator, report, authority):
    client.force_login(moderator)
    item = generate_in_admin(client, report, authority, "kk")
    assert item.created_by == moderator and not item.created_by_reporter
    with item.letter.open("rb") as stored:
        pdf = stored.read()
    assert hashlib.sha256(pdf).hexdigest() == item.letter_sha256
    assert "Шағым".upper() in pdf_text(pdf).upper()
    download = client.get(reverse("admin:authorities_letter", args=[item.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf
    assert "no-store" in download["Cache-Control"]


def test_a_published_reports_admin_page_links_to_the_letter(client, moderator, report):
    client.force_login(moderator)
    page = client.get(reverse("admin:impacts_impactreport_change", args=[report.pk])).content.decode()
    assert f"{reverse('admin:impacts_authorityrequest_add')}?report={report.pk}" in page


def test_the_add_page_offers_published_reports_only(client, moderator, authority):
    unpublished = make_report(region="kyzylorda")
    client.force_login(moderator)
    response = client.post(
        reverse("admin:impacts_authorityrequest_add"),
        {"report": unpublished.pk, "authority": authority.pk, "kind": "complaint", "language": "ru"},
    )
    assert response.status_code == 200 and not AuthorityRequest.objects.exists()


def test_sending_then_answer_moves_the_follow_up_and_shows_on_the_report(client, moderator, report, authority):
    client.force_login(moderator)
    item = generate_in_admin(client, report, authority)
    sent_on = timezone.localdate() - datetime.timedelta(days=3)
    response = record(client, item, sent_on=sent_on.isoformat(), channel="eotinish", incoming_number="ЖТ-123")
    assert response.status_code == 302, response.content.decode()[:3000]
    item.refresh_from_db()
    report.refresh_from_db()
    assert item.answer_due == deadlines.answer_due("complaint", sent_on)
    assert report.followup == FollowUp.AWAITING_RESPONSE
    client.logout()
    page = client.get(report.get_absolute_url()).content.decode()
    assert "sent to" in page and authority.name_ru in page and "Answer due by" in page
    assert "Overdue" not in page

    client.force_login(moderator)
    upload = SimpleUploadedFile("answer.pdf", evidence_files.pdf_bytes(), content_type="application/pdf")
    response = record(
        client,
        item,
        sent_on=sent_on.isoformat(),
        channel="eotinish",
        incoming_number="ЖТ-123",
        answered_on=timezone.localdate().isoformat(),
        answer_summary="Проверка назначена.",
        action_stated="Выдано предписание.",
        mark_action_reported="on",
        answer_upload=upload,
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    item.refresh_from_db()
    report.refresh_from_db()
    assert item.answered_on == timezone.localdate() and item.answer_document
    assert report.followup == FollowUp.ACTION_REPORTED
    actions = list(ReportTransition.objects.filter(report=report).values_list("action", flat=True))
    assert actions[-3:] == ["await_response", "authority_responded", "action_reported"]
    client.logout()
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Answered on" in page and "Проверка назначена." in page and "Выдано предписание." in page


def test_an_answer_document_is_accepted_by_its_content(client, moderator, report, authority):
    client.force_login(moderator)
    item = generate_in_admin(client, report, authority)
    fake = SimpleUploadedFile("answer.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    response = record(
        client,
        item,
        sent_on="2026-11-02",
        channel="post",
        answered_on="2026-11-20",
        answer_summary="Ответ.",
        answer_upload=fake,
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.sent_on is None and not item.answer_document


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"sent_on": "2999-01-01", "channel": "post"}, "This date is in the future."),
        ({"sent_on": "2026-11-02"}, "Say how the letter was sent."),
        ({"answered_on": "2026-11-20", "answer_summary": "x"}, "Record the sending first."),
        (
            {"sent_on": "2026-11-10", "channel": "post", "answered_on": "2026-11-02", "answer_summary": "x"},
            "The answer cannot come before the letter was sent.",
        ),
        ({"sent_on": "2026-11-02", "channel": "post", "answered_on": "2026-11-20"}, "Summarise the answer"),
        ({"sent_on": "²026-11-02", "channel": "post"}, "Enter a valid date."),
        ({"sent_on": "2026-11-02", "channel": "pigeon"}, "Select a valid choice."),
    ],
)
def test_inconsistent_records_are_refused_with_a_reason(client, moderator, report, authority, fields, message):
    client.force_login(moderator)
    item = generate_in_admin(client, report, authority)
    response = record(client, item, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    item.refresh_from_db()
    assert item.sent_on is None


def sent_letter(report, authority, kind="complaint", sent_on=None, **kw) -> AuthorityRequest:
    item = AuthorityRequest.objects.create(
        report=report, authority=authority, kind=kind, language="ru", channel="post", **kw
    )
    sent_on = sent_on or timezone.localdate()
    AuthorityRequest.objects.filter(pk=item.pk).update(sent_on=sent_on, answer_due=deadlines.answer_due(kind, sent_on))
    item.refresh_from_db()
    return item


def test_a_passed_deadline_is_flagged_in_the_admin_and_on_the_report(client, moderator, report, authority):
    late = sent_letter(report, authority, "information", sent_on=timezone.localdate() - datetime.timedelta(days=40))
    on_time = sent_letter(report, authority, "complaint")
    answered = sent_letter(
        report,
        authority,
        "information",
        sent_on=timezone.localdate() - datetime.timedelta(days=60),
        answered_on=timezone.localdate(),
        answer_summary="Ответ дан.",
    )
    assert late.is_overdue() and not on_time.is_overdue() and not answered.is_overdue()
    assert list(AuthorityRequest.objects.overdue()) == [late]
    client.force_login(moderator)
    listing = client.get(reverse("admin:impacts_authorityrequest_changelist") + "?answer=overdue")
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [late]
    client.logout()
    page = client.get(report.get_absolute_url()).content.decode()
    assert page.count("Overdue: no answer by the legal deadline") == 1


def test_a_letter_not_yet_sent_is_not_public(client, report, authority):
    AuthorityRequest.objects.create(report=report, authority=authority, kind="complaint", language="ru")
    assert "Letters to the authorities" not in client.get(report.get_absolute_url()).content.decode()


def test_the_report_page_stays_within_its_queries(client, report, authority, django_assert_max_num_queries):
    for _ in range(5):
        sent_letter(report, authority)
    client.get(report.get_absolute_url())
    with django_assert_max_num_queries(30):
        response = client.get(report.get_absolute_url() + "?fresh=1")
    assert response.content.decode().count("Answer due by") == 5


def test_a_second_letter_sent_and_answered_moves_nothing_twice(moderator, report, authority):
    day = timezone.localdate()
    first, second = (
        AuthorityRequest.objects.create(report=report, authority=authority, kind=kind, language="ru")
        for kind in ("complaint", "information")
    )
    for item in (first, second):
        item.record_sending(sent_on=day, channel="post", incoming_number="", by=moderator)
    for item in (first, second):
        item.record_answer(answered_on=day, summary="Ответ.", by=moderator)
    report.refresh_from_db()
    assert report.followup == FollowUp.AUTHORITY_RESPONDED
    actions = list(ReportTransition.objects.filter(report=report).values_list("action", flat=True))
    assert actions.count("await_response") == 1 and actions.count("authority_responded") == 1
