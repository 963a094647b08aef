"""The follow-up after publication is moved by the same workflow as moderation, and recorded alike."""

import pytest

from impacts import workflow
from impacts.models import FollowUp, ImpactReport, ReportTransition, Status
from kzcn import freshness

from .reports import make_report

pytestmark = pytest.mark.django_db

MODERATOR_STEPS = ["await_response", "company_responded", "authority_responded", "action_reported"]
REPORTER_STEPS = ["reporter_continues", "reporter_resolved"]


def published():
    report = make_report(status=Status.IN_REVIEW)
    report.status = Status.PUBLISHED  # as the workflow leaves it (the model refuses this on save)
    ImpactReport.objects.filter(pk=report.pk).update(status=Status.PUBLISHED)
    return ImpactReport.objects.get(pk=report.pk)


@pytest.mark.parametrize("action", MODERATOR_STEPS)
def test_a_moderator_step_moves_the_followup_and_leaves_the_status(moderator, action):
    report = published()
    published_at, version = report.published_at, report.version
    workflow.apply(report, action, by=moderator, message="Letter No. 12 of 3 May")
    report.refresh_from_db()
    assert (report.status, report.followup) == (Status.PUBLISHED, workflow.ACTIONS[action].followup)
    assert report.published_at == published_at and report.version == version + 1
    step = ReportTransition.objects.get(report=report)
    assert (step.from_status, step.to_status, step.from_followup, step.to_followup) == (
        Status.PUBLISHED,
        Status.PUBLISHED,
        "",
        workflow.ACTIONS[action].followup,
    )
    assert (step.actor, step.message, step.is_followup) == (moderator, "Letter No. 12 of 3 May", True)


@pytest.mark.parametrize("action", REPORTER_STEPS)
def test_the_reporter_steps_are_the_tracking_links_alone(moderator, action):
    report = published()
    with pytest.raises(workflow.WorkflowError):
        workflow.apply(report, action, by=moderator, message="still dusty")
    workflow.apply(report, action, message="Dust again on 2 November")
    step = ReportTransition.objects.get(report=report)
    assert (step.actor, step.actor_label, step.to_followup) == (None, "reporter", workflow.ACTIONS[action].followup)


@pytest.mark.parametrize("action", MODERATOR_STEPS)
def test_the_reporter_cannot_take_a_moderators_step(action):
    with pytest.raises(workflow.WorkflowError):
        workflow.apply(published(), action, message="done")
    assert not ReportTransition.objects.exists()


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.PUBLISHED])
@pytest.mark.parametrize("action", MODERATOR_STEPS + REPORTER_STEPS)
def test_no_followup_before_publication_or_after_withdrawal(senior_moderator, status, action):
    report = make_report(status=status)
    by = None if action in REPORTER_STEPS else senior_moderator
    with pytest.raises(workflow.WorkflowError):
        workflow.apply(report, action, by=by, message="something")
    assert ImpactReport.objects.get(pk=report.pk).followup == ""


def test_a_step_to_the_followup_the_report_already_has_is_refused(moderator):
    report = published()
    workflow.apply(report, "await_response", by=moderator, message="invited")
    with pytest.raises(workflow.WorkflowError, match="already"):
        workflow.apply(report, "await_response", by=moderator, message="invited again")
    assert ReportTransition.objects.count() == 1


@pytest.mark.parametrize("action", MODERATOR_STEPS + REPORTER_STEPS)
def test_every_step_says_why(moderator, action):
    by = None if action in REPORTER_STEPS else moderator
    with pytest.raises(workflow.WorkflowError):
        workflow.apply(published(), action, by=by, message="   ")


def test_two_moderators_at_once_write_one_step(moderator, senior_moderator):
    report = published()
    stale = ImpactReport.objects.get(pk=report.pk)
    workflow.apply(report, "company_responded", by=moderator, message="reply approved")
    with pytest.raises(workflow.ConcurrentChange):
        workflow.apply(stale, "action_reported", by=senior_moderator, message="filter fitted")
    assert ImpactReport.objects.get(pk=report.pk).followup == FollowUp.COMPANY_RESPONDED


def test_the_reporters_buttons_follow_the_state():
    report = published()
    assert [a.name for a in workflow.reporter_actions(report)] == REPORTER_STEPS
    workflow.apply(report, "reporter_resolved", message="The plant fitted filters")
    report.refresh_from_db()
    assert [a.name for a in workflow.reporter_actions(report)] == ["reporter_continues"]
    assert workflow.reporter_actions(make_report(status=Status.IN_REVIEW)) == []


def test_a_followup_step_changes_the_public_pages(moderator):
    report = published()
    before = freshness.site_version()
    workflow.apply(report, "action_reported", by=moderator, message="Fine issued")
    assert freshness.site_version() > before


def test_the_database_refuses_an_unknown_followup():
    from django.db import IntegrityError, transaction

    report = published()
    with pytest.raises(IntegrityError), transaction.atomic():
        ImpactReport.objects.filter(pk=report.pk).update(followup="fixed-by-magic")
