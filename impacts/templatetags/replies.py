"""The report page's "Company's response" blocks: `{% load replies %}{% company_responses report %}`."""

from django import template
from django.utils import timezone

from impacts.replies.models import ReplyState

register = template.Library()


@register.inclusion_tag("impacts/replies/responses.html")
def company_responses(report) -> dict:
    """Each invited company: its published reply, "no response" once the deadline passed, or the deadline.

    A reply waiting for moderation (or rejected) shows as no reply: the public sees only what a
    moderator published.
    """
    now = timezone.now()
    entries = []
    for invitation in report.invitations.select_related("company", "reply").order_by("created", "id"):
        reply = getattr(invitation, "reply", None)
        if reply is not None and reply.state != ReplyState.PUBLISHED:
            reply = None
        entries.append({"invitation": invitation, "reply": reply, "overdue": invitation.deadline <= now})
    return {"entries": entries}
