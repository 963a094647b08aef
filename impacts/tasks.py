"""Background tasks (django-tasks): run by `manage.py db_worker`, or at once in tests."""

from django_tasks import task

from . import notifications


@task()
def send_notification(notification_id: int, tracking_link: str = "") -> str:
    return notifications.send(notification_id, tracking_link)


@task()
def send_lost_links(email: str, language: str) -> int:
    return notifications.send_lost_links(email, language)


@task()
def process_evidence(evidence_id: int) -> str:
    """Make the public copy of one file (impacts.evidence.processing); idempotent, safe to run twice."""
    from .evidence import processing  # it imports the models, which must not load before the app registry

    return processing.process(evidence_id)
