"""The worker's part of the right of reply (django-tasks, run by `manage.py db_worker`)."""

from django_tasks import task


@task()
def send_company_mail(invitation_id: int, kind: str) -> str:
    from . import emails  # it imports the models, which must not load before the app registry

    return emails.send(invitation_id, kind)
