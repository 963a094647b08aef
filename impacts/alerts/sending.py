"""Alert e-mails: the confirmation, each news item as it happens, and the daily digest.

Sent by the tasks worker (impacts.alerts.tasks), queued after the database commit like the
reporters' e-mails (impacts.notifications): a failure is logged and recorded, without the address,
and never breaks the moderator's or the reporter's action that caused it.

What goes out is public only: a report's public title, reference, place as published and link, and
the name of its new follow-up state. Never the words of a transition: a reporter's update is shown
publicly only after a moderator's review, which an e-mail would skip.

Every alert carries its own unsubscribe link in the body and in the RFC 8058 headers, so a mail
provider's "unsubscribe" button removes the subscription with one POST.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .. import abuse
from ..models import FollowUp, ImpactReport, ReportTransition, Status
from ..notifications import failure_reason
from .models import AlertSent, Frequency, Subscription

log = logging.getLogger(__name__)

# Confirmation e-mails one address may receive in a day, whoever asks: nobody can fill a stranger's
# mailbox from this form. Counted under a digest of the address, never the address itself.
CONFIRMATIONS_PER_ADDRESS_PER_DAY = 3
DAY = 24 * 3600


def confirmation_allowed(email: str) -> bool:
    """Count one confirmation e-mail for `email`; False once today's few have been sent."""
    day = int(time.time()) // DAY
    digest = hashlib.sha256(f"alerts.confirm:{email.strip().lower()}".encode()).hexdigest()
    return abuse.hit(f"kzcn.rl:alerts.confirm:{digest}:{day}", DAY + 1) <= CONFIRMATIONS_PER_ADDRESS_PER_DAY


# --- What is news -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One piece of news about a published report: its publication, or a follow-up step."""

    key: str  # what AlertSent records: "report:<id>" or "event:<transition id>"
    report: ImpactReport
    followup: str  # the FollowUp reached, or "" for the publication
    at: datetime

    @property
    def followup_label(self) -> str:
        return str(FollowUp(self.followup).label) if self.followup else ""

    @property
    def url(self) -> str:
        """The report's page; for a follow-up, at that step of its timeline (impacts.timeline's anchor)."""
        anchor = f"#event-followup-{self.key.removeprefix('event:')}" if self.followup else ""
        return settings.KZCN_SITE_URL + self.report.get_absolute_url() + anchor


def item_of(transition: ReportTransition) -> Item | None:
    """The news a transition makes: a publication, or a follow-up on a published report; else None."""
    report = transition.report
    if transition.to_status != Status.PUBLISHED:
        return None
    if transition.from_status != Status.PUBLISHED:
        return Item(f"report:{report.pk}", report, "", transition.created)
    if transition.to_followup:
        return Item(f"event:{transition.pk}", report, transition.to_followup, transition.created)
    return None


def items_for(subscription: Subscription, since: datetime, until: datetime) -> list[Item]:
    """The news of this subscription's reports between `since` (excluded) and `until`, oldest first."""
    reports = subscription.followed_reports().select_related("project")
    published = [
        Item(f"report:{r.pk}", r, "", r.published_at)
        for r in reports.filter(published_at__gt=since, published_at__lte=until)
    ]
    steps = (
        ReportTransition.objects.filter(
            report__in=reports,
            from_status=Status.PUBLISHED,
            to_status=Status.PUBLISHED,
            created__gt=since,
            created__lte=until,
        )
        .exclude(to_followup="")
        .select_related("report", "report__project")
    )
    followups = [Item(f"event:{t.pk}", t.report, t.to_followup, t.created) for t in steps]
    return sorted(published + followups, key=lambda item: (item.at, item.key))


# --- Queueing (in the request) --------------------------------------------------------------------------


def _enqueue_later(task, *args) -> None:
    def enqueue():
        try:
            task.enqueue(*args)
        except Exception as error:  # a queue failure must not break the action that made the news
            log.error("could not queue %s%s: %s", task.name, args, failure_reason(error))

    transaction.on_commit(enqueue)


def anyone_follows(item: Item) -> bool:
    """Whether a confirmed subscription wants this news at once: one indexed look-up in the request,
    so that a publication nobody follows queues no task at all (the worker checks again when sending)."""
    return Subscription.objects.confirmed().filter(frequency=Frequency.IMMEDIATE).matching(item.report).exists()


def queue_confirmation(subscription: Subscription) -> None:
    from .tasks import send_confirmation

    _enqueue_later(send_confirmation, subscription.pk)


def queue_alerts(transition: ReportTransition) -> None:
    from .tasks import send_alerts

    _enqueue_later(send_alerts, transition.pk)


# --- Sending (in the worker) ------------------------------------------------------------------------------


def send_confirmation(subscription_id: int) -> str:
    """E-mail a new confirmation link to a subscription still waiting for one."""
    subscription = (
        Subscription.objects.select_related("project").filter(pk=subscription_id, confirmed_at__isnull=True).first()
    )
    if subscription is None:
        return "gone"
    token = subscription.issue_confirmation()
    with translation.override(_language(subscription)):
        context = {
            "subscription": subscription,
            "scope": subscription.scope_label(),
            "confirm_link": settings.KZCN_SITE_URL + reverse("impacts:alerts_confirm", args=[token]),
        }
        subject = _one_line(render_to_string("impacts/alerts/email/confirm_subject.txt", context))
        body = render_to_string("impacts/alerts/email/confirm_body.txt", context)
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.email]).send()
    except Exception as error:
        log.warning("confirmation for subscription %s failed: %s", subscription_id, failure_reason(error))
        return "failed"
    return "sent"


def send_alerts(transition_id: int) -> int:
    """E-mail this transition's news to every confirmed subscription that wants it at once; how many."""
    transition = ReportTransition.objects.select_related("report", "report__project").filter(pk=transition_id).first()
    item = item_of(transition) if transition else None
    if item is None or not ImpactReport.objects.published().filter(pk=item.report.pk).exists():
        return 0  # withdrawn meanwhile: no news of it any more
    subscriptions = (
        Subscription.objects.confirmed()
        .filter(frequency=Frequency.IMMEDIATE)
        .matching(item.report)
        .select_related("project")
    )
    return sum(deliver(subscription, [item]) for subscription in subscriptions)


def send_digest(subscription_id: int) -> int:
    """One e-mail with the day's news of a daily subscription (none if nothing happened); items sent."""
    subscription = (
        Subscription.objects.confirmed()
        .select_related("project")
        .filter(pk=subscription_id, frequency=Frequency.DAILY)
        .first()
    )
    if subscription is None:
        return 0
    until = timezone.now()
    items = items_for(subscription, subscription.news_since(), until)
    sent = deliver(subscription, items, digest=True)
    Subscription.objects.filter(pk=subscription.pk).update(last_sent_at=until)
    return len(items) if sent else 0


def deliver(subscription: Subscription, items: list[Item], *, digest: bool = False) -> bool:
    """Send the items this subscription has not had yet, in one e-mail; False if none went out."""
    claimed = _claim(subscription, items)
    if not claimed:
        return False
    items = [item for item in items if item.key in claimed]
    try:
        compose(subscription, items, digest=digest).send()
    except Exception as error:
        reason = failure_reason(error)
        log.warning("alert to subscription %s failed: %s", subscription.pk, reason)
        AlertSent.objects.filter(pk__in=claimed.values()).update(error=reason[:500])
        return False
    return True


def _claim(subscription: Subscription, items: list[Item]) -> dict[str, int]:
    """Record the items as sent to this subscription before sending; those recorded before are left out.

    The unique (subscription, item) makes this safe when the same news is handled twice at once."""
    claimed = {}
    for item in items:
        try:
            with transaction.atomic():
                claimed[item.key] = AlertSent.objects.create(subscription=subscription, item=item.key).pk
        except IntegrityError:
            continue
    return claimed


def compose(subscription: Subscription, items: list[Item], *, digest: bool = False) -> EmailMessage:
    """The e-mail, in the subscriber's language, with its own one-click unsubscribe link (RFC 8058)."""
    with translation.override(_language(subscription)):
        unsubscribe = settings.KZCN_SITE_URL + reverse(
            "impacts:alerts_unsubscribe", args=[subscription.issue_unsubscribe()]
        )
        context = {
            "subscription": subscription,
            "scope": subscription.scope_label(),
            "digest": digest,
            "items": [{"item": item, "link": item.url, "place": public_place(item.report)} for item in items],
            "unsubscribe_link": unsubscribe,
        }
        subject = _one_line(render_to_string("impacts/alerts/email/alert_subject.txt", context))
        body = render_to_string("impacts/alerts/email/alert_body.txt", context)
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.email], headers=headers)


def public_place(report: ImpactReport) -> str:
    """Where the report is, as its public page says: the plant or site, the settlement, the region."""
    site = report.project.name if report.project_id else report.public_site_name
    parts = [site, report.public_settlement, report.get_region_display() if report.region else ""]
    return ", ".join(part for part in parts if part)


def _language(subscription: Subscription) -> str:
    languages = dict(settings.LANGUAGES)
    return subscription.language if subscription.language in languages else settings.LANGUAGE_CODE


def _one_line(text: str) -> str:
    return " ".join(text.split())
