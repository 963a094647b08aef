"""Reminders before a company's deadline (`manage.py send_reply_reminders`, run daily or more often).

Each unanswered invitation gets a reminder 3 days and 1 day before its deadline (REMINDERS_BEFORE_DEADLINE),
only for the times that came after it was sent. Running the command twice sends nothing twice: each
reminder is claimed on its invitation (`claim_reminder`) before it is queued.
"""

from django.utils import timezone

from ..models import Status
from . import emails
from .models import CompanyInvitation


def send_due_reminders(at=None) -> int:
    """Queue the reminders that are due now; how many."""
    at = at or timezone.now()
    waiting = (
        CompanyInvitation.objects.valid(at)
        .unanswered()
        .filter(deadline__gt=at, report__status=Status.PUBLISHED)
        .select_related("report")
    )
    sent = 0
    for invitation in waiting:
        if invitation.claim_reminder(at):
            emails.queue(invitation, emails.REMINDER)
            sent += 1
    return sent
