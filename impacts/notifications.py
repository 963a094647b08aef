"""E-mails to reporters: queued after the database commit, sent by the tasks worker, recorded.

A failed send is recorded on its Notification and never breaks the action that caused it.
Only reports with a contact e-mail get mail; the tracking page shows the same news to all.

The recorded reason never carries the reporter's address: mail servers quote the refused recipient
("550 5.1.1 <resident@example.org>: Recipient address rejected"), and the reason is shown to every
moderator, who may not see contact details. `failure_reason()` keeps the codes and the server's
words and drops any e-mail address or phone number, at the point the reason is stored and logged.
"""

import logging
import re
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import (
    ImpactReport,
    Notification,
    NotificationKind,
    NotificationStatus,
    Status,
    TrackingLink,
    tracking_link_lifetime,
)

log = logging.getLogger(__name__)

# Reports whose links a reporter can ask for again: those still open, and the published ones.
LOST_LINK_STATUSES = [Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO, Status.PUBLISHED]

SUBJECTS = {
    NotificationKind.TRACKING_LINK: "tracking_link",
    NotificationKind.PUBLISHED: "published",
    NotificationKind.REJECTED: "rejected",
    NotificationKind.NEEDS_INFO: "needs_info",
    NotificationKind.WITHDRAWN: "withdrawn",
}


# An e-mail address, bracketed or bare; a phone-like run of 7+ digits with spaces, dashes or brackets.
EMAIL_ADDRESS = re.compile(r"[\w.!#$%&*+/=?^`~-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)
PHONE_NUMBER = re.compile(r"\+?\d(?:[\s()\-]*\d){6,}")


def without_contacts(text: str) -> str:
    """`text` with e-mail addresses and phone numbers replaced by neutral placeholders."""
    text = EMAIL_ADDRESS.sub("[address]", text)
    return PHONE_NUMBER.sub("[number]", text)


def failure_reason(error: BaseException) -> str:
    """Why a send failed, in the mail server's words, without the recipient's address."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        reasons = [_smtp_words(code, message) for code, message in error.recipients.values()]
        text = "recipient refused: " + "; ".join(reasons)
    elif isinstance(error, smtplib.SMTPResponseException):
        text = _smtp_words(error.smtp_code, error.smtp_error)
    else:
        text = f"{type(error).__name__}: {error}"
    return without_contacts(text)


def _smtp_words(code: int, message) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}"


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
            log.error("could not queue notification %s: %s", notification.pk, failure_reason(error))
            mark(notification.pk, NotificationStatus.FAILED, f"not queued: {failure_reason(error)}")

    transaction.on_commit(enqueue)
    return notification


def mark(notification_id: int, status: str, error: str = "") -> None:
    Notification.objects.filter(pk=notification_id).update(
        status=status, error=without_contacts(error)[:500], attempted_at=timezone.now()
    )


def compose(notification: Notification, tracking_link: str = "") -> tuple[str, str]:
    """Subject and body, in the language the report was written in where we have it."""
    report = notification.report
    language = report.language if report.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "report": report,
            "kind": notification.kind,
            # Every e-mail carries the way back to the tracking page: the link first shown (passed in
            # with the first e-mail), or a fresh one, since only digests of tokens are stored.
            "tracking_link": tracking_link or reissued_tracking_link(report),
            "reissued": not tracking_link,
            **_link_context(),
            "public_link": settings.KZCN_SITE_URL + report.get_absolute_url(),
            "last_message": report.transitions.order_by("-created", "-id").values_list("message", flat=True).first(),
        }
        subject = render_to_string("impacts/email/subject.txt", context).strip()
        body = render_to_string("impacts/email/body.txt", context)
    return " ".join(subject.split()), body


def reissued_tracking_link(report: ImpactReport) -> str:
    """A new private link to `report` (valid for a limited time), in the active language."""
    return settings.KZCN_SITE_URL + reverse("impacts:track", args=[TrackingLink.objects.for_report(report)])


def _link_context() -> dict:
    return {
        "link_days": tracking_link_lifetime().days,
        "lost_link_page": settings.KZCN_SITE_URL + reverse("impacts:track_lost"),
    }


def send(notification_id: int, tracking_link: str = "") -> str:
    notification = Notification.objects.select_related("report").get(pk=notification_id)
    try:
        subject, body = compose(notification, tracking_link)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.report.contact_email])
    except Exception as error:
        reason = failure_reason(error)
        log.warning("notification %s failed: %s", notification_id, reason)
        mark(notification_id, NotificationStatus.FAILED, reason)
        return NotificationStatus.FAILED
    mark(notification_id, NotificationStatus.SENT)
    return NotificationStatus.SENT


def send_lost_links(email: str, language: str) -> int:
    """E-mail fresh links to every open or published report given with `email`; how many were listed.

    Runs in the worker, so the person who asked learns nothing from the page or its timing. An
    address that gave no such report gets nothing at all.
    """
    reports = list(
        ImpactReport.objects.filter(contact_email__iexact=email.strip(), status__in=LOST_LINK_STATUSES)
        .select_related("project")
        .order_by("created")
    )
    if not reports:
        return 0
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"links": [(report, reissued_tracking_link(report)) for report in reports], **_link_context()}
        subject = " ".join(render_to_string("impacts/email/lost_links_subject.txt", context).split())
        body = render_to_string("impacts/email/lost_links_body.txt", context)
    # Recorded on each report, so moderators see that its link went out again.
    sent = [Notification.objects.create(report=report, kind=NotificationKind.TRACKING_LINK) for report in reports]
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [reports[-1].contact_email])
    except Exception as error:
        reason = failure_reason(error)
        log.warning("lost-link e-mail failed: %s", reason)
        for notification in sent:
            mark(notification.pk, NotificationStatus.FAILED, reason)
        return 0
    for notification in sent:
        mark(notification.pk, NotificationStatus.SENT)
    return len(reports)
