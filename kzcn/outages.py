"""Pieces that decide how the site behaves while a service behind it fails (see README, Production).

- The report form's rate limits and the admin's login lockout fail closed: a cache error reaches
  kzcn.middleware.OutageMiddleware, which answers 503 and gives the typed text back. An outage must
  never switch off flood or brute-force protection.
- The JSON API's throttle fails open (ApiRateThrottle): the API serves only published data, the
  same the HTML pages serve without any throttle, and the proxy's per-address limits still apply.
- File writes leave nothing behind (FileSystemStorage): a disk that fills up in the middle of a
  file would otherwise leave a truncated file that no row refers to.
"""

import logging
import os

from django.core.files.storage import FileSystemStorage as DjangoFileSystemStorage
from rest_framework.throttling import AnonRateThrottle

from kzcn.middleware import CACHE_ERRORS

log = logging.getLogger(__name__)


class ApiRateThrottle(AnonRateThrottle):
    """DRF's per-address throttle, which lets requests through while the cache is unreachable."""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS:
            log.warning("cache unavailable: API request to %s not throttled", request.path)
            return True


class FileSystemStorage(DjangoFileSystemStorage):
    """Django's file storage, which removes a partly written file when a write fails."""

    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            return super()._save(name, content)
        except OSError:
            # Django opens the file with O_EXCL, so a file that was not there before is ours.
            # (If another writer raced us to this name, Django wrote under a new name that is
            # not known here; names are random, so that is left to the orphan sweep.)
            if not existed and os.path.lexists(path):
                try:
                    os.remove(path)
                except OSError:
                    log.exception("could not remove the partly written %s", name)
            raise
