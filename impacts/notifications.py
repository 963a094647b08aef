"""E-mails to reporters: queued after the database commit, sent by the tasks worker, recorded.

A failed send is recorded on its Notification and never breaks the action that caused it.
Only reports with a contact e-mail get mail; the tracking page shows the same news to all.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import ImpactReport, Notification, NotificationKind, NotificationStatus

log = logging.getLogger(__name__)

SUBJECTS = {
    NotificationKind.TRACKING_LINK: "tracking_link",
    NotificationKind.PUBLISHED: "published",
    NotificationKind.REJECTED: "rejected",
    NotificationKind.NEEDS_INFO: "needs_info",
    NotificationKind.WITHDRAWN: "withdrawn",
}


def notify_reporter(report: ImpactReport, kind: str, *, tracking_link: str = "") -> Notification | None:
    """Record a notification and queue its sending for after the current transaction commits."""
    if not report.contact_email:
        return None
    notification = Notification.objects.create(report=report, kind=kind)

    def enqueue():
        from .tasks import send_notification

        try:
            send_notification.enqueue(notification.pk, tracking_link)
        except Exception as error:  # a queue failure must not break the reporter's or moderator's action
            log.exception("could not queue notification %s", notification.pk)
            mark(notification.pk, NotificationStatus.FAILED, f"not queued: {error}")

    transaction.on_commit(enqueue)
    return notification


def mark(notification_id: int, status: str, error: str = "") -> None:
    Notification.objects.filter(pk=notification_id).update(
        status=status, error=error[:500], attempted_at=timezone.now()
    )


def compose(notification: Notification, tracking_link: str = "") -> tuple[str, str]:
    """Subject and body, in the language the report was written in where we have it."""
    report = notification.report
    language = report.language if report.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    context = {
        "report": report,
        "kind": notification.kind,
        "tracking_link": tracking_link,
        "public_link": settings.KZCN_SITE_URL + report.get_absolute_url(),
        "last_message": report.transitions.order_by("-created", "-id").values_list("message", flat=True).first(),
    }
    with translation.override(language):
        subject = render_to_string("impacts/email/subject.txt", context).strip()
        body = render_to_string("impacts/email/body.txt", context)
    return " ".join(subject.split()), body


def send(notification_id: int, tracking_link: str = "") -> str:
    notification = Notification.objects.select_related("report").get(pk=notification_id)
    try:
        subject, body = compose(notification, tracking_link)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.report.contact_email])
    except Exception as error:
        log.warning("notification %s failed: %s", notification_id, error)
        mark(notification_id, NotificationStatus.FAILED, str(error))
        return NotificationStatus.FAILED
    mark(notification_id, NotificationStatus.SENT)
    return NotificationStatus.SENT
