"""WSGI entry point (gunicorn kzcn.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kzcn.settings")
application = get_wsgi_application()
