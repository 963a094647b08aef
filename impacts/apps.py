from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactsConfig(AppConfig):
    name = "impacts"
    verbose_name = _("Impact reports")

    def ready(self):
        from kzcn import freshness

        freshness.connect_signals()  # public pages and summaries follow every write (kzcn.freshness)

        from .alerts import signals as alerts

        alerts.connect()  # each publication or follow-up queues its e-mail alerts (impacts.alerts.sending)
