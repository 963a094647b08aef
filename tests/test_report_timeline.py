"""A published report's public timeline: what happened after publication, and nothing private."""

import datetime
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from impacts import timeline, workflow
from impacts.authorities.models import Authority, AuthorityRequest
from impacts.models import FollowUp, Status
from impacts.neighbours.models import ReportUpdate, UpdateState
from impacts.replies.models import CompanyInvitation, CompanyReply, ReplyState
from projects.models import Company
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db


def published(**kw):
    return make_report(
        status=Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=20),
        public_title="Dust at night",
        public_description="Dust falls every night.",
        **kw,
    )


def invite(report, moderator, *, days_ago=10, deadline_in_days=4, name="Shieli Cement LLP"):
    company = Company.objects.create(name=name, contact_email="press@example.org")
    invitation, _token = CompanyInvitation.objects.issue(
        lifetime=timedelta(days=60),
        report=report,
        company=company,
        email=company.contact_email,
        deadline=timezone.now() + timedelta(days=deadline_in_days),
        invited_by=moderator,
    )
    CompanyInvitation.objects.filter(pk=invitation.pk).update(created=timezone.now() - timedelta(days=days_ago))
    invitation.refresh_from_db()
    return invitation


def kinds(events):
    return [event.kind for event in events]


def test_a_new_published_report_has_only_its_publication(moderator):
    report = published()
    events = timeline.public_events(report)
    assert kinds(events) == ["published"]
    assert events[0].url == report.get_absolute_url() + "#" + events[0].anchor


def test_an_unpublished_report_has_no_public_events():
    assert timeline.public_events(make_report(status=Status.IN_REVIEW)) == []


def test_followups_show_the_state_but_not_the_reporters_words(moderator):
    report = published()
    workflow.apply(report, "reporter_continues", message="I am Aigerim from house 12, call me")
    workflow.apply(report, "action_reported", by=moderator, message="The plant installed new filters.")
    events = timeline.public_events(report)
    assert kinds(events) == ["published", "followup", "followup"]
    continues, action = events[1], events[2]
    assert continues.label == FollowUp.CONTINUES.label and continues.text == ""
    assert action.text == "The plant installed new filters."
    page = timeline_page(report)
    assert "Aigerim" not in page and "new filters" in page


def test_a_moderators_reason_for_other_followups_stays_private(moderator):
    report = published()
    workflow.apply(report, "await_response", by=moderator, message="Internal: waiting for Mr X's call")
    assert timeline.public_events(report)[-1].text == ""
    assert "Mr X" not in timeline_page(report)


def test_company_invited_then_responded(moderator):
    report = published()
    invitation = invite(report, moderator)
    CompanyReply.objects.create(
        invitation=invitation,
        text="As sent",
        public_text="We cleaned the filters.",
        state=ReplyState.PUBLISHED,
        moderated_at=timezone.now(),
        moderated_by=moderator,
    )
    events = timeline.public_events(report)
    assert kinds(events) == ["published", "company_invited", "company_responded"]
    assert "Shieli Cement LLP" in events[1].label
    assert events[2].text == "We cleaned the filters."


def test_a_reply_waiting_for_moderation_is_not_shown(moderator):
    report = published()
    invitation = invite(report, moderator)
    CompanyReply.objects.create(invitation=invitation, text="Not yet moderated")
    assert "company_responded" not in kinds(timeline.public_events(report))


def test_no_response_once_the_deadline_passed(moderator):
    report = published()
    invite(report, moderator, days_ago=20, deadline_in_days=-6)
    events = timeline.public_events(report)
    assert kinds(events)[-1] == "company_no_response"
    assert "no response" in events[-1].label


def test_authority_request_sent_and_answered_with_its_summary(moderator):
    report = published()
    authority = Authority.objects.create(
        name_ru="Департамент экологии", name_en="Ecology department", kind="ecology", region="kyzylorda"
    )
    AuthorityRequest.objects.create(
        report=report,
        authority=authority,
        kind="information",
        sent_on=timezone.localdate() - timedelta(days=10),
        answered_on=timezone.localdate() - timedelta(days=2),
        answer_summary="An inspection is planned.",
        incoming_number="ЖТ-123",
    )
    AuthorityRequest.objects.create(report=report, authority=authority, kind="complaint")  # generated, not sent
    events = timeline.public_events(report)
    assert kinds(events) == ["published", "authority_request_sent", "authority_answered"]
    assert "Ecology department" in events[1].label
    with override("ru"):
        assert "Департамент экологии" in timeline.public_events(report)[1].label
    assert events[2].text == "An inspection is planned."


def test_only_published_updates_appear(moderator):
    report = published()
    ReportUpdate.objects.create(report=report, observed_on=datetime.date(2026, 11, 2), text="Waiting one")
    shown = ReportUpdate.objects.create(
        report=report,
        observed_on=datetime.date(2026, 11, 3),
        text="Raw text with my phone +7 701 000 0000",
        public_text="Dust again, worse than before.",
    )
    shown.publish(by=moderator)
    ReportUpdate.objects.create(
        report=report, observed_on=datetime.date(2026, 11, 4), text="Spam", state=UpdateState.REJECTED
    )
    events = timeline.public_events(report)
    assert kinds(events) == ["published", "neighbour_update"]
    assert events[1].text == "Dust again, worse than before."
    page = timeline_page(report)
    assert "Dust again" in page and "+7 701" not in page and "Waiting one" not in page


def test_recent_events_cover_published_reports_only_newest_first(moderator):
    old, new = published(), published()
    hidden = published()
    workflow.apply(new, "action_reported", by=moderator, message="Filters fitted.")
    workflow.apply(hidden, "withdraw", by=_senior(moderator), message="Taken down")
    recent = timeline.recent_public_events()
    assert recent[0].report == new and recent[0].kind == "followup"
    assert hidden not in {event.report for event in recent}
    assert old in {event.report for event in recent}
    since = timezone.now() - timedelta(hours=1)
    assert kinds(timeline.recent_public_events(since=since)) == ["followup"]
    assert len(timeline.recent_public_events(limit=1)) == 1


def test_report_page_shows_followup_badge_and_timeline(client, moderator):
    report = published(project=make_site_project())
    workflow.apply(report, "reporter_resolved", message="My neighbour Bolat says it stopped")
    page = client.get(report.get_absolute_url()).content.decode()
    assert 'id="followup-badge"' in page and "Resolved, according to the reporter" in page
    assert 'id="timeline"' in page and "Bolat" not in page


def test_timeline_page_queries_do_not_grow_with_events(client, moderator, django_assert_max_num_queries):
    report = published()
    for day in range(1, 6):
        update = ReportUpdate.objects.create(report=report, observed_on=datetime.date(2026, 11, day), text="x")
        update.publish(by=moderator)
    with django_assert_max_num_queries(30):
        assert client.get(report.get_absolute_url()).status_code == 200


def timeline_page(report) -> str:
    from django.test import Client

    return Client().get(reverse("impacts:report_detail", args=[report.reference])).content.decode()


def _senior(moderator):
    from django.contrib.auth.models import Group

    from impacts.roles import SENIOR_MODERATORS

    moderator.groups.add(Group.objects.get(name=SENIOR_MODERATORS))
    return type(moderator).objects.get(pk=moderator.pk)
