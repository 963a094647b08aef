"""A tracking link cannot be used to flood the moderators: every form on the tracking page keeps
what it stores within limits, and says so in words when it refuses."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from impacts import views, workflow
from impacts.forms import ANSWER_MAX_LENGTH, MAX_REQUESTS_PER_REPORT, REQUEST_TEXT_MAX_LENGTH, ReporterAnswerForm
from impacts.models import ImpactReport, ReporterRequest, ReportMessage, Status
from tests.reports import make_report

pytestmark = pytest.mark.django_db

FLOOD = 20


def report_with_link(**kw):
    report = make_report(**{"language": "en", **kw})
    token = report.issue_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    return report, reverse("impacts:track", args=[token])


def asked(moderator, **kw):
    """A report in "needs information": the moderator asked the reporter a question."""
    report, url = report_with_link(status=Status.IN_REVIEW, **kw)
    workflow.apply(report, "ask_reporter", by=moderator, message="Which night did it happen?")
    return report, url


def from_reporter(report):
    return ReportMessage.objects.filter(report=report, direction="from_reporter")


# Withdraw / hide-my-name requests.


@pytest.mark.parametrize("kind", ["withdraw", "hide_name"])
def test_a_flood_of_one_request_keeps_one_open_request_and_says_it_was_received(client, kind):
    report, url = report_with_link(status=Status.PUBLISHED, attribution="name", reporter_name="Aigul")
    answers = [client.post(url, {"form": "request", "kind": kind, "text": "Please"}) for _ in range(FLOOD)]

    assert ReporterRequest.objects.filter(report=report).count() == 1
    assert answers[0].status_code == 302
    assert {a.status_code for a in answers[1:]} == {400}
    assert "You have already asked for this" in answers[-1].content.decode()
    page = client.get(url).content.decode()
    assert "Your request has been received and is waiting for a moderator" in page


def test_one_open_request_of_each_kind_then_the_form_gives_way_to_a_note(client):
    report, url = report_with_link(status=Status.PUBLISHED)
    client.post(url, {"form": "request", "kind": "withdraw"})
    client.post(url, {"form": "request", "kind": "hide_name"})

    page = client.get(url).content.decode()
    assert ReporterRequest.objects.filter(report=report).count() == 2
    assert 'name="kind"' not in page
    assert "No more requests can be sent from this page for now" in page


def test_requests_are_capped_per_report_even_when_moderators_handle_each(client, moderator):
    report, url = report_with_link(status=Status.PUBLISHED)
    for number in range(FLOOD):
        client.post(url, {"form": "request", "kind": ["withdraw", "hide_name"][number % 2]})
        ReporterRequest.objects.filter(report=report).update(handled_at=report.created, handled_by=moderator)

    assert ReporterRequest.objects.filter(report=report).count() == MAX_REQUESTS_PER_REPORT
    refused = client.post(url, {"form": "request", "kind": "withdraw"})
    assert refused.status_code == 400
    assert "as many requests as it can have" in refused.content.decode()


def test_overlong_request_text_is_refused_with_the_limit_and_the_typed_text_kept(client):
    report, url = report_with_link(status=Status.PUBLISHED)
    words = ("I am afraid of my employer. " * 80).strip()  # about 2,200 characters
    response = client.post(url, {"form": "request", "kind": "withdraw", "text": words})

    page = response.content.decode()
    assert response.status_code == 400
    assert f"Please keep this to {REQUEST_TEXT_MAX_LENGTH} characters or fewer (now: {len(words)})" in page
    assert "I am afraid of my employer." in page
    assert not ReporterRequest.objects.exists()


def test_request_text_at_the_limit_is_accepted(client):
    report, url = report_with_link(status=Status.PUBLISHED)
    client.post(url, {"form": "request", "kind": "withdraw", "text": "x" * REQUEST_TEXT_MAX_LENGTH})
    assert len(ReporterRequest.objects.get(report=report).text) == REQUEST_TEXT_MAX_LENGTH


# Answers to the moderator.


def test_a_flood_of_answers_keeps_one_answer_per_question(client, moderator):
    report, url = asked(moderator)
    answers = [client.post(url, {"form": "answer", "answer": f"Tuesday ({n})"}, follow=True) for n in range(FLOOD)]

    assert list(from_reporter(report).values_list("text", flat=True)) == ["Tuesday (0)"]
    assert "Your answer was sent to the moderators" in answers[0].content.decode()
    assert "That action is not available for this report now" in answers[-1].content.decode()
    assert ImpactReport.objects.get(pk=report.pk).status == Status.IN_REVIEW


def test_a_new_question_opens_a_new_answer(client, moderator):
    report, url = asked(moderator)
    client.post(url, {"form": "answer", "answer": "Tuesday"})
    workflow.apply(ImpactReport.objects.get(pk=report.pk), "ask_reporter", by=moderator, message="What time?")
    client.post(url, {"form": "answer", "answer": "Around 2 a.m."})
    assert list(from_reporter(report).values_list("text", flat=True)) == ["Tuesday", "Around 2 a.m."]


def test_overlong_answer_is_refused_with_the_limit_and_the_question_stays_open(client, moderator):
    report, url = asked(moderator)
    answer = "a" * (ANSWER_MAX_LENGTH + 1)
    response = client.post(url, {"form": "answer", "answer": answer})

    assert response.status_code == 400
    assert f"{ANSWER_MAX_LENGTH} characters or fewer (now: {ANSWER_MAX_LENGTH + 1})" in response.content.decode()
    assert not from_reporter(report).exists()
    assert ImpactReport.objects.get(pk=report.pk).status == Status.NEEDS_INFO


def test_two_answers_racing_keep_only_the_first_and_the_second_is_told(moderator):
    report, _url = asked(moderator)
    seen_by_first, seen_by_second = ImpactReport.objects.get(pk=report.pk), ImpactReport.objects.get(pk=report.pk)
    forms = [ReporterAnswerForm({"answer": text}) for text in ("first", "second")]
    assert all(form.is_valid() for form in forms)

    assert views._record_answer(seen_by_first, forms[0]) is True
    assert views._record_answer(seen_by_second, forms[1]) is False
    assert list(from_reporter(report).values_list("text", flat=True)) == ["first"]


# Every form of the page at once, and other things a robot might post.


@pytest.mark.parametrize(
    "data",
    [
        {"form": "answer", "answer": "x" * 2000},
        {"form": "request", "kind": "withdraw", "text": "x" * 900},
        {"form": "request", "kind": "hide_name", "text": "x" * 900},
        {"form": "something-else", "answer": "x", "kind": "withdraw"},
        {"answer": "no form name", "kind": "withdraw"},
    ],
    ids=["answer", "withdraw", "hide-name", "unknown-form", "no-form-name"],
)
def test_every_tracking_page_form_flooded_stores_at_most_its_limit(client, moderator, data):
    report, url = asked(moderator)
    for _ in range(FLOOD):
        response = client.post(url, data)
        assert response.status_code in (302, 400)
    assert from_reporter(report).count() <= 1
    assert ReporterRequest.objects.filter(report=report).count() <= 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_still_store_one():
    """Ten posts of the same request at the same moment: the per-report lock lets one through."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is tested; SQLite serialises every write anyway")
    report, url = report_with_link(status=Status.PUBLISHED)
    barrier = threading.Barrier(10)
    statuses = []

    def post():
        barrier.wait()
        try:
            statuses.append(Client().post(url, {"form": "request", "kind": "withdraw"}).status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302] + [400] * 9
    assert ReporterRequest.objects.filter(report=report).count() == 1
