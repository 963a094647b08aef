"""Where sealed originals live: the "sealed" entry of settings.STORAGES, never served by path."""

import uuid

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
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


def stored_file_name(folder: str, filename: str) -> str:
    """A stored file's name: random, under `folder`/year/month; the sender's name is kept only as
    sanitised text beside it, and only its extension is reused here."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    prefix = f"{folder}/" if folder else ""
    return f"{prefix}{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"
