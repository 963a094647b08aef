"""Where sealed originals live: the "sealed" entry of settings.STORAGES, never served by path."""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class SealedStorage(LazyObject):
    """Resolved on first use, so a change of settings.STORAGES (tests, deployments) is honoured."""

    def _setup(self):
        self._wrapped = storages["sealed"]


sealed_storage = SealedStorage()


@receiver(setting_changed)
def _reset_sealed_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        sealed_storage._wrapped = empty


def get_sealed_storage():
    return sealed_storage
