"""News for subscribers: every recorded publication or follow-up queues its alerts.

A signal rather than a call in impacts.workflow: the workflow writes one ReportTransition per step,
whoever takes it (a moderator in the admin, the reporter on the tracking page, another package), so
listening to that row catches them all.
"""

from django.db.models.signals import post_save

from ..models import ReportTransition
from . import sending


def alert_subscribers(sender, instance: ReportTransition, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw and (item := sending.item_of(instance)) is not None and sending.anyone_follows(item):
        sending.queue_alerts(instance)


def connect() -> None:
    post_save.connect(alert_subscribers, sender=ReportTransition, dispatch_uid="impacts.alerts.alert_subscribers")
