"""The moderation workflow: the one place that says how a report may change status.

Each action names the states it starts from, the state it leads to, the permission it needs,
and what the moderator must write (a reason, or a question for the reporter). `apply()` is the
only code that changes `ImpactReport.status`: the model refuses any other change on save, and
the admin shows status read-only.

Concurrency: `apply()` moves the report with a conditional UPDATE on (status, version). If
another moderator acted first, nothing is written and `ConcurrentChange` is raised.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ImpactReport, NotificationKind, ReportMessage, ReportTransition, Status

MODERATE = "impacts.moderate_report"
WITHDRAW = "impacts.withdraw_report"
REPORTER = None  # done by the holder of the tracking link, not by a user


class WorkflowError(Exception):
    """A transition that is not allowed; `.message` is for the person who tried."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConcurrentChange(WorkflowError):
    pass


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset
    target: str
    permission: str | None
    requires: str | None = None  # "reason" or "question"
    notify: str | None = None  # a NotificationKind

    def allowed_from(self, status: str) -> bool:
        return status in self.sources


OPEN = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO})

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action("start_review", gettext_lazy("Start review"), frozenset({Status.SUBMITTED}), Status.IN_REVIEW,
               MODERATE),
        Action("publish", gettext_lazy("Publish"), frozenset({Status.IN_REVIEW}), Status.PUBLISHED, MODERATE,
               notify=NotificationKind.PUBLISHED),
        Action("reject", gettext_lazy("Reject"), frozenset({Status.IN_REVIEW}), Status.REJECTED, MODERATE,
               requires="reason", notify=NotificationKind.REJECTED),
        Action("ask_reporter", gettext_lazy("Ask the reporter for information"), frozenset({Status.IN_REVIEW}),
               Status.NEEDS_INFO, MODERATE, requires="question", notify=NotificationKind.NEEDS_INFO),
        Action("reporter_answered", gettext_lazy("Reporter answered"), frozenset({Status.NEEDS_INFO}),
               Status.IN_REVIEW, REPORTER, requires="answer"),
        Action("withdraw", gettext_lazy("Withdraw (take down)"), frozenset({Status.PUBLISHED}), Status.WITHDRAWN,
               WITHDRAW, requires="reason", notify=NotificationKind.WITHDRAWN),
        Action("mark_spam", gettext_lazy("Mark as spam"), OPEN, Status.SPAM, MODERATE, requires="reason"),
    ]
}

MODERATOR_ACTIONS = [a for a in ACTIONS.values() if a.permission is not REPORTER]


def may_take_decisions(user) -> bool:
    """True when `user` holds the permission of at least one moderator decision."""
    return any(user.has_perm(a.permission) for a in MODERATOR_ACTIONS)


def available_actions(report: ImpactReport, user) -> list[Action]:
    """What this user may do to this report now (for buttons; apply() checks again)."""
    return [a for a in MODERATOR_ACTIONS if a.allowed_from(report.status) and user.has_perm(a.permission)]


def check(report: ImpactReport, action_name: str, *, by=None, message: str = "") -> Action:
    """Raise WorkflowError unless `by` (a user, or None for the reporter) may apply the action now."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise WorkflowError(_("Unknown action."))
    # Who may act is checked before the report's state, so a refusal tells nobody its status.
    if action.permission is REPORTER:
        if by is not None:
            raise WorkflowError(_("Only the reporter can do this, from the tracking page."))
    elif by is None or not by.has_perm(action.permission):
        raise WorkflowError(_("You do not have permission to %(action)s.") % {"action": str(action.label).lower()})
    if not action.allowed_from(report.status):
        raise WorkflowError(
            _("%(action)s is not possible for a report that is “%(status)s”.")
            % {"action": action.label, "status": report.get_status_display()}
        )
    if action.requires and not message.strip():
        needed = {
            "reason": _("Please give a reason."),
            "question": _("Please write the question for the reporter."),
            "answer": _("Please write your answer."),
        }
        raise WorkflowError(needed[action.requires])
    return action


def apply(report: ImpactReport, action_name: str, *, by=None, message: str = "",
          expected_version: int | None = None) -> ReportTransition:
    """Move the report through `action_name`, record it, and queue the reporter's e-mail.

    `expected_version` is the version the person saw; if the report changed since, nothing is
    written and ConcurrentChange is raised.
    """
    action = check(report, action_name, by=by, message=message)
    version = report.version if expected_version is None else expected_version
    now = timezone.now()
    changes = {"status": action.target, "version": F("version") + 1, "updated": now}
    if action.target == Status.PUBLISHED:
        changes["published_at"] = now
    with transaction.atomic():
        moved = ImpactReport.objects.filter(pk=report.pk, status=report.status, version=version).update(**changes)
        if not moved:
            raise ConcurrentChange(
                _("Someone else changed report %(reference)s while you were looking at it. "
                  "Nothing was saved: reload the page to see what changed.") % {"reference": report.reference}
            )
        transition = ReportTransition.objects.create(
            report=report,
            action=action.name,
            from_status=report.status,
            to_status=action.target,
            actor=by,
            actor_label="" if by else "reporter",
            message=message.strip(),
            created=now,
        )
        if action.requires == "question":
            ReportMessage.objects.create(report=report, direction="to_reporter", text=message.strip(), author=by)
        elif action.requires == "answer":
            ReportMessage.objects.create(report=report, direction="from_reporter", text=message.strip())
        if action.notify:
            from .notifications import notify_reporter

            notify_reporter(report, action.notify)
        if Status.PUBLISHED in (report.status, action.target):
            from .exports import prebuilt  # the dumps of every published report (rebuilt on commit)

            prebuilt.refresh_soon()
    report.refresh_from_db()
    return transition
