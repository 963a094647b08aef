"""The reporter follows their report with the private tracking link."""

import pytest
from django.urls import reverse

from impacts import workflow
from impacts.models import ImpactReport, ReporterRequest, Status
from tests.reports import make_report

pytestmark = pytest.mark.django_db


def report_with_token(**kw):
    report = make_report(**kw)
    token = report.issue_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    return report, reverse("impacts:track", args=[token])


def test_tracking_page_shows_status_and_report_as_sent_but_is_private(client):
    report, url = report_with_token(description="Exact words I wrote")
    response = client.get(url)
    page = response.content.decode()
    assert report.reference in page and "Exact words I wrote" in page and "Submitted" in page
    assert response["Cache-Control"].startswith("no-store")
    # Other sites get no Referer (the token stays out of their logs); the page's own forms keep working.
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="no-referrer">' not in page


def test_reporter_answers_a_question_and_report_returns_to_review(client, moderator):
    report, url = report_with_token(status=Status.IN_REVIEW)
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night did it happen?")
    page = client.get(url).content.decode()
    assert "Which night did it happen?" in page
    response = client.post(url, {"form": "answer", "answer": "Tuesday, 14 October"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.IN_REVIEW
    assert "Tuesday, 14 October" in client.get(url).content.decode()
    assert report.transitions.last().actor_label == "reporter"


def test_empty_answer_is_refused_with_a_message(client, moderator):
    report, url = report_with_token(status=Status.IN_REVIEW)
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night?")
    response = client.post(url, {"form": "answer", "answer": ""})
    assert response.status_code == 400
    assert ImpactReport.objects.get(pk=report.pk).status == Status.NEEDS_INFO


def test_answer_is_refused_when_no_question_is_open(client):
    report, url = report_with_token(status=Status.IN_REVIEW)
    response = client.post(url, {"form": "answer", "answer": "hello"}, follow=True)
    assert "not available" in response.content.decode()
    assert ImpactReport.objects.get(pk=report.pk).status == Status.IN_REVIEW


def test_reporter_asks_to_withdraw_and_moderators_see_the_request(client, senior_moderator):
    report, url = report_with_token(status=Status.PUBLISHED)
    client.post(url, {"form": "request", "kind": "withdraw", "text": "I am afraid"})
    assert ReporterRequest.objects.get(report=report).kind == "withdraw"
    client.force_login(senior_moderator)
    changelist = client.get(reverse("admin:impacts_impactreport_changelist") + "?open_request=yes")
    assert report.reference in changelist.content.decode()


def test_moderator_honours_a_hide_name_request(client, moderator):
    report, url = report_with_token(status=Status.PUBLISHED, attribution="name", reporter_name="Aigul Nurlanovna")
    assert "Aigul Nurlanovna" in client.get(report.get_absolute_url()).content.decode()
    client.post(url, {"form": "request", "kind": "hide_name"})
    request = ReporterRequest.objects.get()
    client.force_login(moderator)
    client.post(
        reverse("admin:impacts_reporterrequest_changelist"), {"action": "hide_names", "_selected_action": [request.pk]}
    )
    request.refresh_from_db()
    assert request.handled_by == moderator
    client.logout()
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Aigul Nurlanovna" not in page and "Anonymous" in page
