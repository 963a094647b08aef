from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ImpactsConfig(AppConfig):
    name = "impacts"
    verbose_name = _("Impact reports")

    def ready(self):
        from kzcn import freshness

        freshness.connect_signals()  # public pages and summaries follow every write (kzcn.freshness)

        from .alerts import signals as alerts

        alerts.connect()  # each publication or follow-up queues its e-mail alerts (impacts.alerts.sending)

        # The role groups follow impacts.roles after every migrate, and come back after a flush
        # (which empties auth_group; the data migrations that made them do not run again).
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="impacts.roles")


def _sync_roles(sender, **kwargs) -> None:
    from .roles import sync_roles

    sync_roles()
