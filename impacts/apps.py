from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactsConfig(AppConfig):
    name = "impacts"
    verbose_name = _("Impact reports")

    def ready(self):
        from kzcn import freshness

        freshness.connect_signals()  # public pages and summaries follow every write (kzcn.freshness)
