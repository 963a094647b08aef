"""The moderation workflow: the one place that says how a report may change status.

Each action names the states it starts from, the state it leads to, the permission it needs,
and what the moderator must write (a reason, or a question for the reporter). `apply()` is the
only code that changes `ImpactReport.status`: the model refuses any other change on save, and
the admin shows status read-only.

A published report also has a public follow-up (`ImpactReport.followup`: awaiting response,
company responded, ...). Follow-up actions are actions like the others: they start from
"published", leave the status alone, move the follow-up, and are recorded in the same
ReportTransition rows (`from_followup`/`to_followup`), by the same `apply()`.

Concurrency: `apply()` moves the report with a conditional UPDATE on (status, version). If
another moderator acted first, nothing is written and `ConcurrentChange` is raised.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import FollowUp, ImpactReport, NotificationKind, ReportMessage, ReportTransition, Status

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
    requires: str | None = None  # "reason", "question", "answer" or "update"
    notify: str | None = None  # a NotificationKind
    followup: str | None = None  # a follow-up action: the FollowUp it leads to (the status stays)

    def allowed_from(self, status: str, followup: str = "") -> bool:
        # A follow-up action never "moves" a report to the follow-up it already has.
        return status in self.sources and (self.followup is None or followup != self.followup)


OPEN = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO})
PUBLISHED = frozenset({Status.PUBLISHED})

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action("start_review", gettext_lazy("Start review"), frozenset({Status.SUBMITTED}), Status.IN_REVIEW, MODERATE),
        Action(
            "publish",
            gettext_lazy("Publish"),
            frozenset({Status.IN_REVIEW}),
            Status.PUBLISHED,
            MODERATE,
            notify=NotificationKind.PUBLISHED,
        ),
        Action(
            "reject",
            gettext_lazy("Reject"),
            frozenset({Status.IN_REVIEW}),
            Status.REJECTED,
            MODERATE,
            requires="reason",
            notify=NotificationKind.REJECTED,
        ),
        Action(
            "ask_reporter",
            gettext_lazy("Ask the reporter for information"),
            frozenset({Status.IN_REVIEW}),
            Status.NEEDS_INFO,
            MODERATE,
            requires="question",
            notify=NotificationKind.NEEDS_INFO,
        ),
        Action(
            "reporter_answered",
            gettext_lazy("Reporter answered"),
            frozenset({Status.NEEDS_INFO}),
            Status.IN_REVIEW,
            REPORTER,
            requires="answer",
        ),
        Action(
            "withdraw",
            gettext_lazy("Withdraw (take down)"),
            frozenset({Status.PUBLISHED}),
            Status.WITHDRAWN,
            WITHDRAW,
            requires="reason",
            notify=NotificationKind.WITHDRAWN,
        ),
        Action("mark_spam", gettext_lazy("Mark as spam"), OPEN, Status.SPAM, MODERATE, requires="reason"),
        # After publication. Inviting a company (impacts.replies) or sending a request to an authority
        # (impacts.authorities) applies "await_response"; approving their answers applies the next two.
        *[
            Action(name, label, PUBLISHED, Status.PUBLISHED, by, requires=requires, followup=followup)
            for name, label, by, requires, followup in [
                (
                    "await_response",
                    gettext_lazy("Mark as awaiting a response"),
                    MODERATE,
                    "reason",
                    FollowUp.AWAITING_RESPONSE,
                ),
                (
                    "company_responded",
                    gettext_lazy("Mark as answered by the company"),
                    MODERATE,
                    "reason",
                    FollowUp.COMPANY_RESPONDED,
                ),
                (
                    "authority_responded",
                    gettext_lazy("Mark as answered by the authority"),
                    MODERATE,
                    "reason",
                    FollowUp.AUTHORITY_RESPONDED,
                ),
                (
                    "action_reported",
                    gettext_lazy("Record that action was reported"),
                    MODERATE,
                    "reason",
                    FollowUp.ACTION_REPORTED,
                ),
                ("reporter_continues", gettext_lazy("It is still happening"), REPORTER, "update", FollowUp.CONTINUES),
                ("reporter_resolved", gettext_lazy("It has been resolved"), REPORTER, "update", FollowUp.RESOLVED),
            ]
        ],
    ]
}
FOLLOWUP_ACTIONS = [a for a in ACTIONS.values() if a.followup is not None]

MODERATOR_ACTIONS = [a for a in ACTIONS.values() if a.permission is not REPORTER]


def may_take_decisions(user) -> bool:
    """True when `user` holds the permission of at least one moderator decision."""
    return any(user.has_perm(a.permission) for a in MODERATOR_ACTIONS)


def available_actions(report: ImpactReport, user) -> list[Action]:
    """What this user may do to this report now (for buttons; apply() checks again)."""
    return [
        a for a in MODERATOR_ACTIONS if a.allowed_from(report.status, report.followup) and user.has_perm(a.permission)
    ]


def reporter_actions(report: ImpactReport) -> list[Action]:
    """What the holder of the tracking link may do now (the follow-up buttons on the tracking page)."""
    return [a for a in FOLLOWUP_ACTIONS if a.permission is REPORTER and a.allowed_from(report.status, report.followup)]


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
    if action.followup is not None and action.allowed_from(report.status) and report.followup == action.followup:
        raise WorkflowError(
            _("The report's follow-up is already “%(followup)s”.") % {"followup": report.get_followup_display()}
        )
    if not action.allowed_from(report.status, report.followup):
        raise WorkflowError(
            _("%(action)s is not possible for a report that is “%(status)s”.")
            % {"action": action.label, "status": report.get_status_display()}
        )
    if action.requires and not message.strip():
        needed = {
            "reason": _("Please give a reason."),
            "question": _("Please write the question for the reporter."),
            "answer": _("Please write your answer."),
            "update": _("Please say in a few words what you see now."),
        }
        raise WorkflowError(needed[action.requires])
    return action


def apply(
    report: ImpactReport, action_name: str, *, by=None, message: str = "", expected_version: int | None = None
) -> ReportTransition:
    """Move the report through `action_name`, record it, and queue the reporter's e-mail.

    `expected_version` is the version the person saw; if the report changed since, nothing is
    written and ConcurrentChange is raised.
    """
    action = check(report, action_name, by=by, message=message)
    version = report.version if expected_version is None else expected_version
    now = timezone.now()
    changes = {"status": action.target, "version": F("version") + 1, "updated": now}
    if action.followup is not None:
        changes.update(followup=action.followup, followup_changed_at=now)
    elif action.target == Status.PUBLISHED:
        changes["published_at"] = now
    with transaction.atomic():
        moved = ImpactReport.objects.filter(pk=report.pk, status=report.status, version=version).update(**changes)
        if not moved:
            raise ConcurrentChange(
                _(
                    "Someone else changed report %(reference)s while you were looking at it. "
                    "Nothing was saved: reload the page to see what changed."
                )
                % {"reference": report.reference}
            )
        transition = ReportTransition.objects.create(
            report=report,
            action=action.name,
            from_status=report.status,
            to_status=action.target,
            from_followup=report.followup if action.followup is not None else "",
            to_followup=action.followup or "",
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
        if action.followup is None and Status.PUBLISHED in (report.status, action.target):
            from .exports import prebuilt  # the dumps of every published report (rebuilt on commit)

            prebuilt.refresh_soon()
    report.refresh_from_db()
    return transition
