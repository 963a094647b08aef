from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Project catalogue")

    def ready(self):
        from django.db.models.signals import post_delete

        from .models import Suggestion

        # However a suggestion goes (the admin, a bulk delete, a script), its sealed document goes
        # with it, once the deletion is committed: the file may name the person who sent it.
        post_delete.connect(_remove_document_files, sender=Suggestion, dispatch_uid="projects.suggestion_files")


def _remove_document_files(sender, instance, **kwargs) -> None:
    from django.db import transaction

    transaction.on_commit(instance.delete_document_files)
