"""The production cache backend (kzcn.redis_cache): Django's Redis cache with one redis-py client
per connection pool, chosen whenever CACHE_URL names Redis."""

import os
import subprocess
import sys

from kzcn.redis_cache import RedisCache
from tests.live.servers import redis_url_for_tests

LOCATION = redis_url_for_tests(1)


def test_one_client_serves_every_call_and_the_cache_works_as_djangos():
    backend = RedisCache(LOCATION, {"OPTIONS": {"socket_timeout": 1.0}})
    client = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is client is backend._cache.get_client("any key")
    backend.set("kzcn-test:reused", {"a": 1}, 10)
    assert backend.get("kzcn-test:reused") == {"a": 1}
    backend.delete("kzcn-test:counter")
    assert backend.add("kzcn-test:counter", 1, 10) and backend.incr("kzcn-test:counter") == 2
    assert backend.get_many(["kzcn-test:reused", "kzcn-test:missing"]) == {"kzcn-test:reused": {"a": 1}}
    backend.delete_many(["kzcn-test:reused", "kzcn-test:counter"])
    assert backend.get("kzcn-test:reused") is None


def test_a_redis_cache_url_selects_it_with_the_timeouts():
    environment = {**os.environ, "CACHE_URL": LOCATION, "DJANGO_SETTINGS_MODULE": "kzcn.settings"}
    shown = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.CACHES['default'])"],
        env=environment, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "'BACKEND': 'kzcn.redis_cache.RedisCache'" in shown and "'socket_timeout': 1.0" in shown
