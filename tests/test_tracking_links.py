"""Every e-mail to a reporter carries the way back to their tracking page, and a reporter who lost the
link can have fresh ones sent to the address they gave, without the page telling anyone whether an
address is known."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from impacts import workflow
from impacts.models import ImpactReport, Notification, NotificationKind, Status, TrackingLink
from impacts.notifications import notify_reporter
from tests.reports import make_report

pytestmark = pytest.mark.django_db

AIGUL = "aigul@example.org"


@pytest.fixture(autouse=True)
def _emails_leave_at_once(monkeypatch):
    """The test's transaction never commits, so e-mails queued "after commit" are sent right away."""
    monkeypatch.setattr("django.db.transaction.on_commit", lambda callback, *args, **kwargs: callback())


def lost_page() -> str:
    return reverse("impacts:track_lost")


def report_with_token(**kw):
    report = make_report(**{"language": "en", **kw})
    token = report.issue_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    return report, token


def tracking_paths(message) -> list[str]:
    """The tracking-page addresses in an e-mail, as paths the test client can follow."""
    links = re.findall(r"https?://\S+/track/[\w-]+/", message.body)
    return [link.removeprefix(settings.KZCN_SITE_URL) for link in links if not link.endswith("/track/lost/")]


def reporter_opens(client, message, report) -> str:
    """Follow the e-mail's one tracking link as the reporter would, and return the page they see."""
    paths = tracking_paths(message)
    assert len(paths) == 1, message.body
    response = client.get(paths[0])
    assert response.status_code == 200
    page = response.content.decode()
    assert report.reference in page and report.description in page
    return page


def reviewed(report, moderator):
    workflow.apply(report, "start_review", by=moderator)


# Every kind of e-mail.


def test_first_email_carries_the_link_shown_after_sending(client):
    report, token = report_with_token(contact_email=AIGUL)
    notify_reporter(
        report,
        NotificationKind.TRACKING_LINK,
        tracking_link=settings.KZCN_SITE_URL + reverse("impacts:track", args=[token]),
    )
    (message,) = mail.outbox
    reporter_opens(client, message, report)
    assert not TrackingLink.objects.exists(), "the first e-mail needs no second link"


def test_a_question_from_the_moderator_arrives_with_a_link_to_answer_it(client, moderator):
    report, _token = report_with_token(contact_email=AIGUL, status=Status.IN_REVIEW)
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night did it happen?")
    (message,) = mail.outbox
    assert "Which night did it happen?" in message.body
    page = reporter_opens(client, message, report)
    assert "Which night did it happen?" in page and "Answer the moderator" in page
    # The reporter answers through the e-mailed link, and the report goes back to review.
    response = client.post(tracking_paths(message)[0], {"form": "answer", "answer": "Tuesday night"}, follow=True)
    assert "Your answer was sent to the moderators" in response.content.decode()
    assert ImpactReport.objects.get(pk=report.pk).status == Status.IN_REVIEW


def test_publication_email_links_to_the_public_report_and_the_tracking_page(client, moderator):
    report, _token = report_with_token(contact_email=AIGUL)
    reviewed(report, moderator)
    workflow.apply(report, "publish", by=moderator)
    (message,) = mail.outbox
    assert report.get_absolute_url() in message.body
    page = reporter_opens(client, message, report)
    assert "Published" in page


def test_rejection_email_carries_the_reason_and_the_tracking_link(client, moderator):
    report, _token = report_with_token(contact_email=AIGUL)
    reviewed(report, moderator)
    workflow.apply(report, "reject", by=moderator, message="Outside Kazakhstan")
    (message,) = mail.outbox
    assert "Outside Kazakhstan" in message.body
    assert "Rejected" in reporter_opens(client, message, report)


def test_withdrawal_email_carries_the_tracking_link(client, moderator, senior_moderator):
    report, _token = report_with_token(contact_email=AIGUL)
    reviewed(report, moderator)
    workflow.apply(report, "publish", by=moderator)
    mail.outbox.clear()
    workflow.apply(report, "withdraw", by=senior_moderator, message="The reporter asked")
    (message,) = mail.outbox
    assert "Withdrawn" in reporter_opens(client, message, report)


def test_emailed_links_open_the_page_in_the_language_of_the_report(client, moderator):
    report, _token = report_with_token(contact_email=AIGUL, status=Status.IN_REVIEW, language="kk")
    workflow.apply(report, "ask_reporter", by=moderator, message="Қай түні?")
    (path,) = tracking_paths(mail.outbox[0])
    assert path.startswith("/kk/")
    assert 'lang="kk"' in client.get(path).content.decode()


# Re-issued links: stored as digests, valid for a limited time, the first link for ever.


def test_reissued_links_expire_but_the_first_link_does_not(client, moderator, settings):
    settings.KZCN_TRACKING_LINK_DAYS = 90
    report, token = report_with_token(contact_email=AIGUL, status=Status.IN_REVIEW)
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night?")
    (emailed,) = tracking_paths(mail.outbox[0])
    assert "90 days" in mail.outbox[0].body and lost_page() in mail.outbox[0].body
    assert client.get(emailed).status_code == 200

    link = TrackingLink.objects.get()
    assert link.expires - link.created == datetime.timedelta(days=90)
    TrackingLink.objects.update(expires=timezone.now() - datetime.timedelta(seconds=1))

    assert client.get(emailed).status_code == 404
    assert client.get(reverse("impacts:track", args=[token])).status_code == 200


def test_only_the_digest_of_a_reissued_token_is_stored(moderator):
    report, _token = report_with_token(contact_email=AIGUL, status=Status.IN_REVIEW)
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night?")
    (path,) = tracking_paths(mail.outbox[0])
    token = path.rstrip("/").rsplit("/", 1)[-1]
    link = TrackingLink.objects.get()
    assert token not in link.digest and len(link.digest) == 64
    assert ImpactReport.objects.by_tracking_token(token) == report


def test_a_report_with_many_links_is_found_once_by_each():
    report, first = report_with_token()
    tokens = [TrackingLink.objects.for_report(report) for _ in range(3)]
    for token in [first, *tokens]:
        assert ImpactReport.objects.by_tracking_token(token) == report
    with pytest.raises(ImpactReport.DoesNotExist):
        ImpactReport.objects.by_tracking_token("not-a-token")


# "I lost my link".


def ask_for_links(client, email, **extra):
    return client.post(lost_page(), {"email": email}, follow=True, **extra)


def visible_answer(response) -> str:
    """The page as a person sees it (without the per-request CSRF token)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_reporter_who_lost_the_link_gets_fresh_links_to_each_open_or_published_report(client, moderator):
    open_report, _ = report_with_token(contact_email=AIGUL, title="Dust at night")
    published, _ = report_with_token(contact_email="Aigul@Example.org", title="Black snow")
    reviewed(published, moderator)
    workflow.apply(published, "publish", by=moderator)
    rejected, _ = report_with_token(contact_email=AIGUL, title="Rejected one")
    reviewed(rejected, moderator)
    workflow.apply(rejected, "reject", by=moderator, message="Duplicate")
    someone_else, _ = report_with_token(contact_email="bolat@example.org", title="Not hers")
    mail.outbox.clear()

    response = ask_for_links(client, "  AIGUL@example.org ")

    assert "If this address was given with a report, we have sent the links" in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["Aigul@Example.org"]
    assert "Dust at night" in message.body and "Black snow" in message.body
    assert "Rejected one" not in message.body and "Not hers" not in message.body
    paths = tracking_paths(message)
    assert len(paths) == 2
    opened = [client.get(path) for path in paths]
    assert [r.status_code for r in opened] == [200, 200]
    assert open_report.reference in opened[0].content.decode()
    assert published.reference in opened[1].content.decode()
    assert set(Notification.objects.filter(kind="tracking_link").values_list("report", flat=True)) == {
        open_report.pk,
        published.pk,
    }


def test_lost_link_form_answers_the_same_for_a_known_and_an_unknown_address(client):
    report_with_token(contact_email=AIGUL)

    known = ask_for_links(client, AIGUL)
    sent = len(mail.outbox)
    unknown = ask_for_links(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert visible_answer(known) == visible_answer(unknown)
    assert sent == 1 and len(mail.outbox) == 1, "nothing is sent for an unknown address"


def test_nothing_is_sent_or_stored_for_an_unknown_address(client):
    report_with_token(contact_email=AIGUL)
    ask_for_links(client, "nobody@example.org")
    assert mail.outbox == []
    assert not TrackingLink.objects.exists() and not Notification.objects.exists()


def test_the_lost_link_page_does_the_lookup_in_the_background_not_in_the_request(client, settings):
    """The same queries, whether the address is known or not: the page's timing tells nothing."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    report_with_token(contact_email=AIGUL)
    seen = {}
    for email in (AIGUL, "nobody@example.org"):
        with CaptureQueriesContext(connection) as queries:
            client.post(lost_page(), {"email": email})
        seen[email] = [q["sql"] for q in queries]
    assert len(seen[AIGUL]) == len(seen["nobody@example.org"])
    assert not any("impacts_impactreport" in sql for sql in seen[AIGUL])


def test_a_flood_of_lost_link_requests_is_limited_per_address_and_per_client(client):
    report_with_token(contact_email=AIGUL)
    answers = [ask_for_links(client, AIGUL).content.decode() for _ in range(6)]
    assert len(mail.outbox) == 3
    assert "try again in about" in answers[-1]
    # Other addresses from the same client: the per-client limit stops them too.
    for number in range(6):
        ask_for_links(client, f"someone{number}@example.org", REMOTE_ADDR="10.0.0.7")
    other_client = ask_for_links(client, "someone-else@example.org", REMOTE_ADDR="10.0.0.7")
    assert "try again in about" in other_client.content.decode()
    assert len(mail.outbox) == 3


def test_lost_link_form_refuses_what_is_not_an_address(client):
    response = client.post(lost_page(), {"email": "not an address" + "x" * 300})
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert mail.outbox == []


def test_lost_link_page_asks_only_for_the_address_and_is_not_indexed(client):
    response = client.get(lost_page())
    page = response.content.decode()
    assert "Lost your tracking link?" in page and page.count("<h1") == 1
    assert 'name="email"' in page and "never says whether an address is known" in page
    assert response["Cache-Control"].startswith("no-store")


class RefusingMailServer:
    """A mail server that refuses the recipient, quoting the address as real servers do."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPRecipientsRefused({AIGUL: (550, f"5.1.1 <{AIGUL}>: Recipient address rejected".encode())})


def test_a_failed_lost_link_email_is_recorded_without_the_address_and_the_page_answers_the_same(client, settings):
    report, _ = report_with_token(contact_email=AIGUL)
    settings.EMAIL_BACKEND = "tests.test_tracking_links.RefusingMailServer"

    response = ask_for_links(client, AIGUL)

    assert "If this address was given with a report, we have sent the links" in response.content.decode()
    notification = Notification.objects.get(report=report)
    assert notification.status == "failed" and "550" in notification.error and AIGUL not in notification.error
