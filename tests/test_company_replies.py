"""A company's right of reply: a moderator invites, the company answers once, a moderator publishes.

What the people involved notice: the e-mail the company gets (and what it never contains), the
private page it answers on, the admin pages moderators use, and the report page the public reads.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from impacts import workflow
from impacts.models import FollowUp, ReportTransition, Status
from impacts.private_links import digest
from impacts.replies import emails
from impacts.replies.models import CompanyInvitation, CompanyReply, MailState, ReplyState
from impacts.replies.reminders import send_due_reminders
from tests import evidence_files
from tests.catalogue import add_company, make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db

REPORTER_EMAIL = "aigul.secret@mail.kz"
REPORTER_PHONE = "+7 701 555 0199"
COMPANY_EMAIL = "press@cnpc-example.kz"


@pytest.fixture
def project():
    project = make_project(name_en="Shymkent refinery")
    party = add_company(project, "PetroKazakhstan Oil Products")
    party.company.contact_email = COMPANY_EMAIL
    party.company.save()
    add_company(project, "Unlisted Contractor LLP", role="contractor")  # no contact e-mail
    return project


@pytest.fixture
def report(project, moderator):
    report = make_report(
        project=project,
        reporter_name="Aigul Serikova",
        contact_email=REPORTER_EMAIL,
        contact_phone=REPORTER_PHONE,
        settlement="Shymkent, Abay street 12",
        title="Black smoke at night",
        description="Black smoke from the flare every night.",
    )
    report.public_description = "Black smoke from the flare every night."
    report.public_settlement = "Shymkent"
    report.save()
    workflow.apply(report, "start_review", by=moderator)
    workflow.apply(report, "publish", by=moderator)
    report.refresh_from_db()
    return report


@pytest.fixture
def company(project):
    return project.parties.get(company__name="PetroKazakhstan Oil Products").company


def invite_in_admin(client, moderator, report, company, captured, language="ru", days="14"):
    client.force_login(moderator)
    url = reverse("admin:impacts_companyinvitation_invite", args=[report.pk])
    with captured(execute=True):
        return client.post(url, {"company": company.pk, "language": language, "days": days})


def link_in(message) -> str:
    return re.search(r"http://[^\s]+/reply/[^\s/]+/", message.body).group(0)


def path_of(link: str) -> str:
    return link.split("127.0.0.1:8000", 1)[1]


@pytest.fixture
def invited(client, moderator, report, company, django_capture_on_commit_callbacks):
    """The company invited through the admin (in Russian); (invitation, the path of its private link
    from the e-mail, opened in English so that the tests read English words)."""
    response = invite_in_admin(client, moderator, report, company, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    client.logout()
    path = path_of(link_in(mail.outbox[-1]))
    assert path.startswith("/ru/reply/")
    return CompanyInvitation.objects.get(report=report, company=company), "/en/" + path.removeprefix("/ru/")


def answer(client, path, captured=None, **data):
    fields = {
        "responder": "Daniyar K., head of ecology",
        "text": "We measured the flare; see the attached report.",
        **data,
    }
    return client.post(path, fields)


# --- Inviting ------------------------------------------------------------------------------------------


def test_a_moderator_invites_a_company_which_gets_a_private_link_and_the_deadline(invited, report):
    invitation, path = invited
    message = mail.outbox[-1]
    assert message.to == [COMPANY_EMAIL]
    assert report.reference in message.subject
    assert invitation.deadline.date() == (timezone.now() + timedelta(days=14)).date()
    assert "/ru/reply/" in message.body
    # Only the digest is stored; the link from the e-mail opens the invitation.
    token = path.rsplit("/", 2)[1]
    assert invitation.__class__.objects.get(pk=invitation.pk).digest == digest(token)
    assert CompanyInvitation.objects.get(pk=invitation.pk).mail_state == MailState.SENT


def test_the_invitation_expires_some_time_after_the_deadline(invited):
    invitation, _path = invited
    assert abs(invitation.expires - invitation.deadline - timedelta(days=30)) < timedelta(seconds=1)


def test_inviting_marks_the_report_as_awaiting_a_response_once(
    invited, report, client, moderator, company, django_capture_on_commit_callbacks
):
    report.refresh_from_db()
    assert report.followup == FollowUp.AWAITING_RESPONSE
    invite_in_admin(client, moderator, report, company, django_capture_on_commit_callbacks)
    assert ReportTransition.objects.filter(report=report, action="await_response").count() == 1


def test_the_company_e_mail_never_carries_the_reporters_details(invited):
    body = mail.outbox[-1].body + mail.outbox[-1].subject
    for secret in (REPORTER_EMAIL, REPORTER_PHONE, "Aigul", "Abay street"):
        assert secret not in body


def test_the_e_mail_is_in_the_language_the_moderator_chose(
    client, moderator, report, company, django_capture_on_commit_callbacks
):
    invite_in_admin(client, moderator, report, company, django_capture_on_commit_callbacks, language="kk")
    assert "/kk/reply/" in mail.outbox[-1].body


def test_a_company_without_a_contact_e_mail_cannot_be_invited(
    client, moderator, report, project, django_capture_on_commit_callbacks
):
    contractor = project.parties.get(company__name="Unlisted Contractor LLP").company
    response = invite_in_admin(client, moderator, report, contractor, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "has no contact e-mail" in response.content.decode()
    assert not CompanyInvitation.objects.exists() and not mail.outbox


def test_a_company_of_another_project_cannot_be_invited(client, moderator, report, django_capture_on_commit_callbacks):
    other = add_company(make_project(name_en="Other plant"), "Stranger Corp").company
    other.contact_email = "x@stranger.example"
    other.save()
    response = invite_in_admin(client, moderator, report, other, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and not CompanyInvitation.objects.exists()


def test_an_unpublished_report_cannot_be_answered(client, moderator, project, company):
    draft = make_report(project=project, status=Status.IN_REVIEW)
    client.force_login(moderator)
    response = client.get(reverse("admin:impacts_companyinvitation_invite", args=[draft.pk]), follow=True)
    assert "Only a published report" in response.content.decode()


def test_inviting_again_rotates_the_link(
    invited, client, moderator, report, company, django_capture_on_commit_callbacks
):
    _invitation, old_path = invited
    invite_in_admin(client, moderator, report, company, django_capture_on_commit_callbacks)
    new_path = path_of(link_in(mail.outbox[-1]))
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200
    assert CompanyInvitation.objects.count() == 1


def test_a_failed_e_mail_is_recorded_without_the_address_and_the_old_link_still_works(
    invited, monkeypatch, client, moderator, report, company, django_capture_on_commit_callbacks
):
    import smtplib

    invitation, old_path = invited

    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({COMPANY_EMAIL: (550, f"<{COMPANY_EMAIL}>: no such user".encode())})

    monkeypatch.setattr(emails, "send_mail", refuse)
    response = invite_in_admin(client, moderator, report, company, django_capture_on_commit_callbacks)
    assert response.status_code == 302  # the moderator's action is not broken
    invitation.refresh_from_db()
    assert invitation.mail_state == MailState.FAILED
    assert "550" in invitation.mail_error and COMPANY_EMAIL not in invitation.mail_error
    client.logout()
    assert client.get(old_path).status_code == 200


def test_a_plain_visitor_or_an_editor_cannot_open_the_invite_page(client, editor, report):
    url = reverse("admin:impacts_companyinvitation_invite", args=[report.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(editor)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:impacts_companyinvitation_changelist")).status_code == 403
    assert client.get(reverse("admin:impacts_companyreply_changelist")).status_code == 403


# --- The company's page --------------------------------------------------------------------------------


def test_the_company_page_shows_the_public_report_and_the_deadline_only(invited, client, report):
    _invitation, path = invited
    response = client.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Black smoke from the flare every night." in page
    for secret in (REPORTER_EMAIL, REPORTER_PHONE, "Aigul", "Abay street"):
        assert secret not in page
    assert response["Cache-Control"] == "no-store, private"
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "<script" not in page.split("</main>")[0].split("<main", 1)[-1]


def test_the_company_answers_once_and_is_told_it_waits_for_moderation(invited, client):
    invitation, path = invited
    response = answer(client, path)
    assert response.status_code == 302
    page = client.get(path).content.decode()
    assert "waiting for a moderator" in page
    assert 'id="company-reply-form"' not in page
    reply = CompanyReply.objects.get()
    assert reply.invitation == invitation and reply.state == ReplyState.SUBMITTED


def test_a_replayed_post_never_makes_a_second_reply(invited, client):
    _invitation, path = invited
    answer(client, path)
    response = answer(client, path, text="A second, different answer.")
    assert response.status_code == 302
    assert "had already been received" in client.get(path).content.decode()
    assert CompanyReply.objects.count() == 1
    assert CompanyReply.objects.get().text.startswith("We measured")


def test_an_empty_or_overlong_answer_comes_back_with_what_was_typed(invited, client):
    _invitation, path = invited
    response = answer(client, path, text="")
    assert response.status_code == 400 and "Please write your response." in response.content.decode()
    response = answer(client, path, text="ж" * 5001)
    assert response.status_code == 400
    assert "5000" in response.content.decode()
    assert "Daniyar K., head of ecology" in response.content.decode()
    assert not CompanyReply.objects.exists()


def test_nul_bytes_and_odd_digits_are_refused_or_kept_as_text(invited, client):
    _invitation, path = invited
    response = answer(client, path, text="We\x00answer")
    assert response.status_code == 400
    response = answer(client, path, text="Emissions fell by ²³ per cent", responder="Ә" * 201)
    assert response.status_code == 400  # the name is too long
    assert not CompanyReply.objects.exists()


@pytest.mark.parametrize("token", ["garbage", "x" * 43, "y" * 5000, "%C2%B2", "%D2%9B%D0%B0%D0%B7"])
def test_an_unknown_or_malformed_link_is_a_clear_404(client, token):
    response = client.get(f"/en/reply/{token}/")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert response["Cache-Control"] == "no-store, private"


def test_an_expired_link_is_a_clear_404(invited, client):
    invitation, path = invited
    CompanyInvitation.objects.filter(pk=invitation.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert client.get(path).status_code == 404
    assert answer(client, path).status_code == 404
    assert not CompanyReply.objects.exists()


def test_a_withdrawn_report_cannot_be_answered(invited, client, report, senior_moderator):
    _invitation, path = invited
    report.refresh_from_db()
    workflow.apply(report, "withdraw", by=senior_moderator, message="Court order")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(invited, client, method):
    _invitation, path = invited
    assert getattr(client, method)(path).status_code == 405


def test_a_document_is_accepted_by_content_and_its_copy_has_no_metadata(invited, client):
    _invitation, path = invited
    photo = SimpleUploadedFile("measurements.jpg", evidence_files.jpeg_with_gps(), "image/jpeg")
    response = answer(client, path, document=photo)
    assert response.status_code == 302
    reply = CompanyReply.objects.get()
    assert reply.document and reply.document_copy and reply.document_name == "measurements.jpg"
    with reply.document_copy.open("rb") as copy, Image.open(copy) as image:
        assert not image.getexif() and "icc_profile" not in image.info
        assert image.format == "JPEG"


def test_a_hostile_document_is_refused_and_the_text_kept(invited, client):
    _invitation, path = invited
    bad = SimpleUploadedFile("report.pdf", evidence_files.pdf_with_javascript(), "application/pdf")
    response = answer(client, path, document=bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "We measured the flare" in page
    assert not CompanyReply.objects.exists()
    html = SimpleUploadedFile("report.jpg", evidence_files.html_as_jpg(), "image/jpeg")
    assert answer(client, path, document=html).status_code == 400


def test_an_accepted_document_is_kept_when_the_form_comes_back(invited, client):
    _invitation, path = invited
    pdf = SimpleUploadedFile("flare.pdf", evidence_files.pdf_bytes(), "application/pdf")
    response = answer(client, path, text="", document=pdf)
    assert response.status_code == 400
    kept = re.search(r'name="kept_document" value="([^"]+)"', response.content.decode()).group(1)
    assert answer(client, path, kept_document=kept).status_code == 302
    assert CompanyReply.objects.get().document_copy.name.endswith(".pdf")


# --- Moderation ----------------------------------------------------------------------------------------


def change_url(reply) -> str:
    return reverse("admin:impacts_companyreply_change", args=[reply.pk])


def moderate(client, reply, **data):
    return client.post(change_url(reply), {"public_text": "", "moderation_reason": "", **data})


def test_a_moderator_publishes_the_reply_and_the_report_shows_it(invited, client, moderator, report):
    _invitation, path = invited
    answer(client, path, document=SimpleUploadedFile("m.jpg", evidence_files.jpeg_with_gps(), "image/jpeg"))
    reply = CompanyReply.objects.get()
    client.force_login(moderator)
    response = moderate(client, reply, public_text="We measured the flare.", _publish="1")
    assert response.status_code == 302
    reply.refresh_from_db()
    report.refresh_from_db()
    assert reply.state == ReplyState.PUBLISHED and reply.moderated_by == moderator and reply.moderated_at
    assert report.followup == FollowUp.COMPANY_RESPONDED
    client.logout()
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Company&#x27;s response" in page or "Company's response" in page
    assert "We measured the flare." in page and "see the attached report" not in page
    assert "PetroKazakhstan Oil Products" in page
    document = client.get(reverse("impacts:company_reply_document", args=[reply.pk]))
    assert document.status_code == 200
    assert document["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "published" in client.get(path).content.decode().lower()


def test_an_unpublished_replys_document_and_text_stay_private(invited, client, report):
    _invitation, path = invited
    answer(client, path, document=SimpleUploadedFile("m.jpg", evidence_files.jpeg_with_gps(), "image/jpeg"))
    reply = CompanyReply.objects.get()
    assert client.get(reverse("impacts:company_reply_document", args=[reply.pk])).status_code == 404
    page = client.get(report.get_absolute_url()).content.decode()
    assert "We measured the flare" not in page
    assert "answer due by" in page


def test_rejecting_needs_a_reason(invited, client, moderator):
    _invitation, path = invited
    answer(client, path)
    reply = CompanyReply.objects.get()
    client.force_login(moderator)
    moderate(client, reply, _reject="1")
    reply.refresh_from_db()
    assert reply.state == ReplyState.SUBMITTED
    moderate(client, reply, moderation_reason="Insults a named person", _reject="1")
    reply.refresh_from_db()
    assert reply.state == ReplyState.REJECTED and reply.moderation_reason == "Insults a named person"


def test_moderators_see_the_invitation_list_with_deadline_and_overdue(invited, client, moderator):
    client.force_login(moderator)
    response = client.get(reverse("admin:impacts_companyinvitation_changelist"))
    assert response.status_code == 200
    assert "PetroKazakhstan Oil Products" in response.content.decode()


def test_the_invitation_list_cannot_be_probed_for_the_address(invited, client, moderator):
    client.force_login(moderator)
    url = reverse("admin:impacts_companyinvitation_changelist")
    assert client.get(url, {"email__startswith": "pr"}).status_code == 400
    assert client.get(url, {"company__contact_email__startswith": "pr"}).status_code == 400


# --- Deadlines and reminders ---------------------------------------------------------------------------


def test_past_the_deadline_without_a_reply_the_report_says_no_response(invited, client, report):
    invitation, _path = invited
    CompanyInvitation.objects.filter(pk=invitation.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    page = client.get(report.get_absolute_url()).content.decode()
    assert "no response" in page


def test_a_late_reply_is_shown_as_received_after_the_deadline(invited, client, moderator, report):
    invitation, path = invited
    CompanyInvitation.objects.filter(pk=invitation.pk).update(deadline=timezone.now() - timedelta(days=1))
    assert answer(client, path).status_code == 302
    CompanyReply.objects.get().publish(by=moderator)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Received after the deadline." in page and "no response" not in page


def test_reminders_go_out_3_days_and_1_day_before_each_once(invited, django_capture_on_commit_callbacks):
    invitation, _path = invited
    sent_before = len(mail.outbox)
    deadline = invitation.deadline
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(at=deadline - timedelta(days=5)) == 0
        assert send_due_reminders(at=deadline - timedelta(days=2, hours=23)) == 1
        assert send_due_reminders(at=deadline - timedelta(days=2, hours=22)) == 0  # ran twice: once
        assert send_due_reminders(at=deadline - timedelta(hours=20)) == 1
        assert send_due_reminders(at=deadline - timedelta(hours=19)) == 0
        assert send_due_reminders(at=deadline + timedelta(hours=1)) == 0
    invitation.refresh_from_db()
    assert invitation.reminders_sent == 2 and invitation.last_reminder_at
    reminders = mail.outbox[sent_before:]
    assert len(reminders) == 2 and all("Reminder" in m.subject or "Напоминание" in m.subject for m in reminders)
    assert all(REPORTER_EMAIL not in m.body for m in reminders)


def test_a_missed_run_sends_one_reminder_not_two(invited):
    invitation, _path = invited
    assert send_due_reminders(at=invitation.deadline - timedelta(hours=2)) == 1
    assert send_due_reminders(at=invitation.deadline - timedelta(hours=1)) == 0


def test_no_reminder_to_a_company_that_answered(invited, client):
    invitation, path = invited
    answer(client, path)
    assert send_due_reminders(at=invitation.deadline - timedelta(hours=2)) == 0


def test_no_reminder_whose_time_came_before_the_invitation(
    client, moderator, report, company, django_capture_on_commit_callbacks
):
    invite_in_admin(client, moderator, report, company, django_capture_on_commit_callbacks, days="2")
    invitation = CompanyInvitation.objects.get()
    assert send_due_reminders(at=invitation.created + timedelta(minutes=1)) == 0
    assert send_due_reminders(at=invitation.deadline - timedelta(hours=12)) == 1


def test_the_reminder_command_runs_and_is_idempotent(invited, capsys):
    invitation, _path = invited
    CompanyInvitation.objects.filter(pk=invitation.pk).update(
        created=timezone.now() - timedelta(days=13), deadline=timezone.now() + timedelta(hours=20)
    )
    call_command("send_reply_reminders")
    call_command("send_reply_reminders")
    # Both reminders' times have come (the run was late): one e-mail, and both count as sent.
    assert CompanyInvitation.objects.get(pk=invitation.pk).reminders_sent == 2
    assert capsys.readouterr().out.splitlines() == ["1 reminder(s) queued.", "0 reminder(s) queued."]


def test_the_report_page_shows_every_company_in_one_query(report, project, moderator, django_assert_num_queries):
    from impacts.templatetags.replies import company_responses

    for number in range(4):
        company = add_company(project, f"Company {number}").company
        invitation, _created = CompanyInvitation.objects.invite(
            report=report, company=company, by=moderator, language="ru", days=number
        )
        if number % 2:
            CompanyReply.objects.create(invitation=invitation, text=f"Answer {number}", state=ReplyState.PUBLISHED)
    with django_assert_num_queries(1):
        entries = company_responses(report)["entries"]
        shown = [(entry["invitation"].company.name, bool(entry["reply"]), entry["overdue"]) for entry in entries]
    assert shown == [
        ("Company 0", False, True),
        ("Company 1", True, False),
        ("Company 2", False, False),
        ("Company 3", True, False),
    ]


def test_editors_keep_the_company_address_which_is_never_public(client, editor, project, company):
    client.force_login(editor)
    page = client.get(reverse("admin:projects_company_change", args=[company.pk])).content.decode()
    assert COMPANY_EMAIL in page and "never public" in page
    client.logout()
    assert COMPANY_EMAIL not in client.get(project.get_absolute_url()).content.decode()
