"""The production settings, plus the benchmark's yardstick page (bench.urls).

gunicorn runs with DJANGO_SETTINGS_MODULE=bench.settings during `make bench` only; the site itself
(kzcn.settings, kzcn.urls) never serves the yardstick. Everything else, from DJANGO_DEBUG=0 to the
middleware, is the production configuration read from the same environment variables.
"""

from kzcn.settings import *  # noqa: F403 (the production settings, unchanged)

ROOT_URLCONF = "bench.urls"
