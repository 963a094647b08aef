"""The alerts' background tasks (django-tasks), run by `manage.py db_worker` like impacts.tasks."""

from django_tasks import task


@task()
def send_confirmation(subscription_id: int) -> str:
    from . import sending  # it imports the models, which must not load before the app registry

    return sending.send_confirmation(subscription_id)


@task()
def send_alerts(transition_id: int) -> int:
    from . import sending

    return sending.send_alerts(transition_id)


@task()
def send_digest(subscription_id: int) -> int:
    from . import sending

    return sending.send_digest(subscription_id)
