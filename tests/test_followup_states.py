"""States after publication: the reporter says "still happening" or "resolved" from the tracking page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from impacts import workflow
from impacts.models import FollowUp, ImpactReport, ReportTransition, Status
from tests.reports import make_report

pytestmark = pytest.mark.django_db


def tracked(**kw):
    report = make_report(**kw)
    token = report.issue_tracking_token()
    ImpactReport.objects.filter(pk=report.pk).update(tracking_digest=report.tracking_digest)
    report.refresh_from_db()
    return report, reverse("impacts:track", args=[token])


@pytest.fixture
def published():
    return tracked(status=Status.PUBLISHED, published_at=timezone.now(), public_title="Dust at night")


def say(client, url, action, message="Dust again this morning.", version=None, report=None):
    version = version if version is not None else ImpactReport.objects.get(pk=report.pk).version
    return client.post(url, {"form": "followup", "action": action, "message": message, "version": version}, follow=True)


def test_the_tracking_page_offers_both_buttons_for_a_published_report(client, published):
    report, url = published
    page = client.get(url).content.decode()
    assert 'value="reporter_continues"' in page and 'value="reporter_resolved"' in page


def test_no_followup_buttons_before_publication(client):
    report, url = tracked(status=Status.IN_REVIEW)
    page = client.get(url).content.decode()
    assert "reporter_continues" not in page
    response = client.post(
        url,
        {"form": "followup", "action": "reporter_continues", "message": "x", "version": report.version},
        follow=True,
    )
    assert "not available" in response.content.decode()
    assert ImpactReport.objects.get(pk=report.pk).followup == ""


def test_reporter_says_it_is_still_happening(client, published):
    report, url = published
    response = say(client, url, "reporter_continues", report=report)
    assert "The reporter says it continues" in response.content.decode()
    report.refresh_from_db()
    assert report.followup == FollowUp.CONTINUES and report.status == Status.PUBLISHED
    transition = report.transitions.get(to_followup=FollowUp.CONTINUES)
    assert transition.actor is None and transition.actor_label == "reporter"
    assert transition.message == "Dust again this morning."
    # The public page shows the new state, not the reporter's words.
    page = client.get(report.get_absolute_url()).content.decode()
    assert "The reporter says it continues" in page and "Dust again this morning" not in page
    # Only the other button is left.
    page = client.get(url).content.decode()
    assert 'value="reporter_continues"' not in page and 'value="reporter_resolved"' in page


def test_reporter_says_it_has_been_resolved(client, published):
    report, url = published
    say(client, url, "reporter_resolved", "The dust stopped in November.", report=report)
    assert ImpactReport.objects.get(pk=report.pk).followup == FollowUp.RESOLVED


def test_a_message_is_needed_and_kept_when_missing(client, published):
    report, url = published
    response = client.post(
        url, {"form": "followup", "action": "reporter_continues", "message": "  ", "version": report.version}
    )
    assert response.status_code == 400
    assert ImpactReport.objects.get(pk=report.pk).followup == ""


def test_overlong_message_is_refused_and_kept(client, published):
    report, url = published
    response = client.post(
        url, {"form": "followup", "action": "reporter_continues", "message": "ж" * 1001, "version": report.version}
    )
    assert response.status_code == 400 and "жжжж" in response.content.decode()
    assert ImpactReport.objects.get(pk=report.pk).followup == ""


def test_a_replayed_form_does_not_move_the_report_again(client, published):
    report, url = published
    first_version = report.version
    say(client, url, "reporter_continues", version=first_version)
    say(client, url, "reporter_resolved", report=report)
    response = say(client, url, "reporter_continues", version=first_version)  # the old form, sent again
    assert "changed since you opened the page" in response.content.decode()
    assert ImpactReport.objects.get(pk=report.pk).followup == FollowUp.RESOLVED
    assert ReportTransition.objects.filter(report=report).exclude(to_followup="").count() == 2


def test_the_same_press_twice_says_so(client, published):
    report, url = published
    say(client, url, "reporter_continues", report=report)
    response = say(client, url, "reporter_continues", report=report)
    assert "already" in response.content.decode()
    assert ReportTransition.objects.filter(report=report, to_followup=FollowUp.CONTINUES).count() == 1


@pytest.mark.parametrize(
    "action, version",
    [
        ("publish", None),
        ("action_reported", None),
        ("nonsense", None),
        ("reporter_continues", "²"),
        ("reporter_continues", "abc"),
        ("reporter_continues", "-1"),
        ("reporter_continues", "9" * 40),
    ],
)
def test_tampered_forms_are_refused_without_a_500(client, published, action, version):
    report, url = published
    response = client.post(
        url,
        {
            "form": "followup",
            "action": action,
            "message": "x",
            "version": report.version if version is None else version,
        },
        follow=True,
    )
    assert response.status_code == 200 and "not available" in response.content.decode()
    assert ImpactReport.objects.get(pk=report.pk).followup == ""


def test_moderators_followups_show_on_the_tracking_page(client, published, moderator):
    report, url = published
    workflow.apply(report, "await_response", by=moderator, message="Invited the company.")
    page = client.get(url).content.decode()
    assert 'id="tracked-followup"' in page and "Awaiting response" in page
