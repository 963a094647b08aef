"""What a moderator's screen may show about people: reporters' addresses, staff accounts, report states.

- A bounced e-mail's reason is shown to every moderator, so it must not quote the reporter's address.
- The assigned-moderator filter and field list moderators only, by display name, never log-in names.
- Someone without the right to take a decision gets one answer for every report, whatever its status,
  and even when there is no such report.
- Past versions are for reading: posting one back does not restore it (nor its status).
"""

import smtplib

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from impacts import workflow
from impacts.models import Evidence, ImpactReport, Notification, Status
from impacts.roles import MODERATORS
from tests.reports import make_report

pytestmark = pytest.mark.django_db

ADDRESS = "aigul.serikova@mail.kz"
PHONE = "+7 701 234 5678"


class BouncingBackend:
    """A mail server that refuses the recipient the way Postfix does, quoting the address back."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        recipient = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused(
            {
                recipient: (
                    550,
                    f"5.1.1 <{recipient}>: Recipient address rejected: User unknown in virtual "
                    f"mailbox table; call {PHONE}".encode(),
                ),
            }
        )


def change_page(client, report) -> str:
    return client.get(reverse("admin:impacts_impactreport_change", args=[report.pk])).content.decode()


# --- Bounced e-mails ------------------------------------------------------------------------------------


def test_a_bounced_email_is_recorded_and_shown_without_the_reporters_address(
    client, moderator, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "tests.test_admin_privacy.BouncingBackend"
    report = make_report(status=Status.IN_REVIEW, contact_email=ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.apply(report, "publish", by=moderator)
    notification = Notification.objects.get()
    assert notification.status == "failed"
    assert "550" in notification.error and "Recipient address rejected" in notification.error
    assert ADDRESS not in notification.error and "mail.kz" not in notification.error
    assert "234 5678" not in notification.error
    assert ADDRESS not in caplog.text, "the worker's log line does not carry it either"

    client.force_login(moderator)
    page = change_page(client, report)
    assert "Recipient address rejected" in page
    assert ADDRESS not in page


def test_a_reason_stored_before_the_fix_is_shown_without_the_address(client, moderator):
    report = make_report(status=Status.IN_REVIEW, contact_email=ADDRESS)
    Notification.objects.create(
        report=report,
        kind="published",
        status="failed",
        error=f"{{'{ADDRESS}': (550, b'5.1.1 <{ADDRESS}>: Recipient address rejected')}}",
    )
    client.force_login(moderator)
    page = change_page(client, report)
    assert "Recipient address rejected" in page
    assert ADDRESS not in page and "aigul.serikova" not in page


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused({ADDRESS: (550, f"<{ADDRESS}> unknown".encode())}),
        smtplib.SMTPDataError(554, f"Message to {ADDRESS} rejected as spam".encode()),
        smtplib.SMTPSenderRefused(553, b"sender refused", "no-reply@kzcn.example"),
        ConnectionRefusedError(f"cannot reach mx for {ADDRESS}"),
        ValueError(f"Invalid address {ADDRESS!r}; phone {PHONE}"),
    ],
)
def test_no_kind_of_send_failure_keeps_an_address_or_phone_number(error):
    from impacts.notifications import failure_reason

    reason = failure_reason(error)
    assert ADDRESS not in reason and "@" not in reason and "234 5678" not in reason
    assert reason.strip()


def test_a_sent_email_still_reaches_the_reporter(moderator, django_capture_on_commit_callbacks):
    report = make_report(status=Status.IN_REVIEW, contact_email=ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.apply(report, "publish", by=moderator)
    assert mail.outbox[0].to == [ADDRESS]
    assert Notification.objects.get().error == ""


# --- Staff names ----------------------------------------------------------------------------------------


@pytest.fixture
def staff(moderator, senior_moderator, editor, django_user_model):
    moderator.first_name, moderator.last_name = "Dana", "Abenova"
    moderator.save()
    root = django_user_model.objects.create_superuser("root-admin", "root@example.org", "a-long-password-1")
    return {"moderator": moderator, "senior": senior_moderator, "editor": editor, "root": root}


def test_the_assigned_moderator_filter_lists_moderators_by_display_name_only(client, staff):
    make_report(assigned_to=staff["moderator"])
    client.force_login(staff["moderator"])
    page = client.get(reverse("admin:impacts_impactreport_changelist")).content.decode()
    panel = page.split('id="changelist-filter"', 1)[1]
    assert "Dana Abenova" in panel
    assert f"Moderator #{staff['senior'].pk}" in panel, "no full name: a neutral label"
    for login in ("root-admin", "editor", "senior"):
        assert f">{login}<" not in panel and f"{login}</a>" not in panel
    assert f"assigned_to__id__exact={staff['root'].pk}" not in panel
    assert f"assigned_to__id__exact={staff['editor'].pk}" not in panel


def test_the_list_column_and_the_assignee_field_show_moderators_only(client, staff):
    report = make_report(assigned_to=staff["moderator"])
    client.force_login(staff["senior"])
    listing = client.get(reverse("admin:impacts_impactreport_changelist")).content.decode()
    assert "Dana Abenova" in listing and ">moderator<" not in listing
    page = change_page(client, report)
    field = page.split('name="assigned_to"', 1)[1].split("</select>", 1)[0]
    assert "Dana Abenova" in field and f"Moderator #{staff['senior'].pk}" in field
    assert "root-admin" not in field and "editor" not in field
    assert f'value="{staff["root"].pk}"' not in field


def test_a_moderator_added_to_the_group_appears_in_the_filter(client, staff, django_user_model):
    newcomer = django_user_model.objects.create_user("newcomer", is_staff=True, first_name="Ermek", last_name="Ospan")
    newcomer.groups.add(Group.objects.get(name=MODERATORS))
    client.force_login(staff["moderator"])
    panel = client.get(reverse("admin:impacts_impactreport_changelist")).content.decode()
    assert "Ermek Ospan" in panel and "newcomer" not in panel


# --- Decisions by people who may not take them ---------------------------------------------------------


def transition(client, pk, action="publish", **extra):
    url = reverse("admin:impacts_impactreport_transition", args=[pk])
    return client.post(url, {"action": action, "version": 1, "message": "why", **extra})


def answer(response) -> tuple[int, str]:
    return response.status_code, response.content.decode()


def test_an_editor_learns_nothing_about_reports_from_the_decision_address(client, editor):
    reports = [make_report(status=status) for status in Status.values]
    client.force_login(editor)
    answers = set()
    for action in ["publish", "reject", "start_review", "withdraw", "mark_spam", "no_such_action", ""]:
        for pk in [r.pk for r in reports] + [999_999]:
            answers.add(answer(transition(client, pk, action)))
    assert len(answers) == 1
    status, page = answers.pop()
    assert status == 403
    assert not any(label in page for label in ["In review", "Published", "Submitted", "not possible"])
    assert set(ImpactReport.objects.values_list("status", flat=True)) == set(Status.values)


def test_a_moderator_without_the_withdraw_right_gets_one_answer_for_every_report(client, moderator):
    reports = [make_report(status=status) for status in Status.values]
    client.force_login(moderator)
    answers = {answer(transition(client, pk, "withdraw")) for pk in [r.pk for r in reports] + [999_999]}
    assert len(answers) == 1 and answers.pop()[0] == 403
    assert ImpactReport.objects.filter(status=Status.WITHDRAWN).count() == 1  # the one made withdrawn


def test_the_workflow_checks_the_right_before_the_status(editor):
    report = make_report(status=Status.SUBMITTED)
    with pytest.raises(workflow.WorkflowError) as refused:
        workflow.apply(report, "publish", by=editor)
    assert "permission" in refused.value.message and "Submitted" not in refused.value.message


# --- Past versions ---------------------------------------------------------------------------------------


def test_posting_a_past_version_restores_nothing(client, moderator):
    report = make_report(status=Status.IN_REVIEW, public_title="First title")
    old = report.history.latest()
    workflow.apply(report, "publish", by=moderator)
    client.force_login(moderator)
    url = reverse("admin:impacts_impactreport_simple_history", args=[report.pk, old.history_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"public_title": "Sneaked in", "public_description": "x", "seen_version": 2})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == Status.PUBLISHED and report.public_title == "First title"


def test_the_history_page_hides_contact_changes_from_plain_moderators(client, moderator, senior_moderator):
    report = make_report(contact_email=ADDRESS, reporter_name="Aigul")
    report = ImpactReport.objects.get(pk=report.pk)
    report.contact_email, report.reporter_name = "", ""  # e.g. the retention purge
    report.save()
    url = reverse("admin:impacts_impactreport_history", args=[report.pk])
    client.force_login(moderator)
    assert ADDRESS not in client.get(url).content.decode()
    client.force_login(senior_moderator)
    assert ADDRESS in client.get(url).content.decode()


# --- Evidence ---------------------------------------------------------------------------------------------


def test_moderators_see_what_was_removed_from_a_public_copy(client, moderator):
    report = make_report(status=Status.IN_REVIEW)
    Evidence.objects.create(
        report=report,
        kind="document",
        sha256="c" * 64,
        content_type="application/pdf",
        size=2_400_000,
        sealed_file="2026/10/x.pdf",
        removed_metadata=["author", "embedded GPS", "auto-action /OpenAction"],
    )
    client.force_login(moderator)
    page = change_page(client, report)
    assert "Removed from the public copy" in page
    assert "author, embedded GPS, auto-action /OpenAction" in page
    assert "2.3\xa0MB" in page and "bytes" not in page.split("Removed from", 1)[0].rsplit("application/pdf", 1)[1]
