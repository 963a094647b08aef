"""E-mails to an invited company: queued after the database commit, sent by the tasks worker, recorded.

Like impacts.notifications: a failed send is recorded on the invitation (without any address) and
never breaks the moderator's action or the reminder run. Each e-mail carries the private link, made
by the worker at the moment of sending (`rotate`), so no token waits in the task queue; an e-mail
that could not be sent leaves the previous link working. The company learns only what is public
about the report: never who sent it or how to reach them.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ..notifications import failure_reason
from .models import CompanyInvitation, MailState

log = logging.getLogger(__name__)

INVITATION = "invitation"
REMINDER = "reminder"


def queue(invitation: CompanyInvitation, kind: str) -> None:
    """Have the worker send the invitation or a reminder once the current transaction commits."""
    invitation.record_mail(MailState.QUEUED)

    def enqueue():
        from .tasks import send_company_mail

        try:
            send_company_mail.enqueue(invitation.pk, kind)
        except Exception as error:  # a queue failure must not break the moderator's action
            log.error("could not queue the e-mail to invitation %s: %s", invitation.pk, failure_reason(error))
            invitation.record_mail(MailState.FAILED, f"not queued: {failure_reason(error)}")

    transaction.on_commit(enqueue)


def reply_link(token: str, language: str) -> str:
    with translation.override(language):
        return settings.KZCN_SITE_URL + reverse("impacts:company_reply", args=[token])


def compose(invitation: CompanyInvitation, kind: str, link: str) -> tuple[str, str]:
    """Subject and body in the language the moderator chose for this company."""
    report = invitation.report
    with translation.override(invitation.language):
        context = {
            "kind": kind,
            "invitation": invitation,
            "report": report,
            "link": link,
            "public_link": settings.KZCN_SITE_URL + report.get_absolute_url(),
        }
        subject = render_to_string("impacts/replies/email/subject.txt", context)
        body = render_to_string("impacts/replies/email/body.txt", context)
    return " ".join(subject.split()), body


def send(invitation_id: int, kind: str) -> str:
    """Send one e-mail with a fresh link; on failure the link is not changed and the reason is recorded."""
    invitation = CompanyInvitation.objects.select_related("report", "company").get(pk=invitation_id)
    try:
        with transaction.atomic():
            token = invitation.rotate()
            subject, body = compose(invitation, kind, reply_link(token, invitation.language))
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    except Exception as error:
        reason = failure_reason(error)
        log.warning("e-mail to invitation %s failed: %s", invitation_id, reason)
        invitation.record_mail(MailState.FAILED, reason)
        return MailState.FAILED
    invitation.record_mail(MailState.SENT)
    return MailState.SENT
