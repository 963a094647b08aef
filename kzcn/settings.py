"""The one settings module of kzcn, configured from environment variables.

Development works with no environment at all (SQLite under var/, console email, DEBUG on).
Production sets DJANGO_DEBUG=0 and must then give DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS,
or the site refuses to start. Every variable is listed in README.md.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kzcn.s3 import s3_storages

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("KZCN_VAR_DIR", default=str(BASE_DIR / "var")))

VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
else:
    # A production site that starts with a guessable key or no host check is worse than one
    # that does not start: fail loudly.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (50+ random characters) when DJANGO_DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "kzcn.apps.AdminConfig",  # django.contrib.admin, with two-factor login when required
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "django_ratelimit",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "projects",
    "impacts",
]

MIDDLEWARE = [
    "kzcn.middleware.RequestSizeMiddleware",  # first: a too-large body is refused before it is read
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A revalidation of a public page whose copy is current: 304 from one cache read, as cheap as a static file.
    "kzcn.page_cache.RevalidationMiddleware",
    # After WhiteNoise (static files have their own validators), above everything that changes a
    # response: 304 for any GET whose ETag/Last-Modified still match (kzcn.freshness sets them).
    "django.middleware.http.ConditionalGetMiddleware",
    "kzcn.freshness.SharedCopyGuard",  # above session/CSRF/messages: a response setting a cookie is not shared
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kzcn.language.LocaleMiddleware",  # Django's; a form posted without a language keeps its data
    "kzcn.page_cache.PageCacheMiddleware",  # after the language is known: anonymous public pages, kept whole
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "kzcn.security.ContentSecurityPolicyMiddleware",
    "kzcn.security.PermissionsPolicyMiddleware",
    "kzcn.request_checks.ControlCharacterMiddleware",  # control characters: 404/400, not 500 (NUL breaks PostgreSQL)
    "kzcn.middleware.OutageMiddleware",  # database, cache or storage down: a 503 that keeps the typed text
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "kzcn.urls"
WSGI_APPLICATION = "kzcn.wsgi.application"
ASGI_APPLICATION = "kzcn.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kzcn.language.language_links",  # the header's language switcher: plain links
                "kzcn.contact.contact_email",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise (postgres://user@host/db).
DATABASES = {
    "default": environ.Env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'kzcn.sqlite3'}"  # empty counts as unset
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: concurrent submissions wait for the write lock instead of
    # failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: rate limits count here. The local-memory default is exact for one process (the dev
# server); production with several workers must set CACHE_URL (e.g. redis://127.0.0.1:6379/0).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://kzcn")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Django's backend, reusing its redis-py client (kzcn.redis_cache: 0.4 ms less per cache call).
    CACHES["default"]["BACKEND"] = "kzcn.redis_cache.RedisCache"
    # An unreachable Redis must fail fast (and become a 503, kzcn.middleware), not hold a worker
    # until gunicorn kills it: redis-py waits forever by default.
    _cache_seconds = env.float("KZCN_CACHE_TIMEOUT_SECONDS", default=1.0)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": _cache_seconds, "socket_timeout": _cache_seconds}
    )
# HTTP caching of public pages for anonymous visitors (kzcn.freshness): shared copies are fresh for
# max-age seconds and may be served stale while revalidating; the site version (and every summary
# kept with it) expires after KZCN_SITE_VERSION_SECONDS, which bounds staleness after a cache outage.
KZCN_PUBLIC_MAX_AGE = env.int("KZCN_PUBLIC_MAX_AGE", default=60)
KZCN_PUBLIC_STALE_WHILE_REVALIDATE = env.int("KZCN_PUBLIC_STALE_WHILE_REVALIDATE", default=300)
KZCN_SITE_VERSION_SECONDS = env.int("KZCN_SITE_VERSION_SECONDS", default=900)
# A worker answers revalidations (304) from the version it read at most this long ago; its own
# changes are seen at once, other workers' within this, far inside max-age (kzcn.freshness.recent_version).
KZCN_SITE_VERSION_REREAD_SECONDS = env.float("KZCN_SITE_VERSION_REREAD_SECONDS", default=1.0)
# Anonymous visitors' public pages kept whole in the cache until the site version moves (kzcn.page_cache).
# Off in development, where an edited template must show on the next reload (and in tests, which
# switch it on where they test it).
KZCN_PAGE_CACHE = env.bool("KZCN_PAGE_CACHE", default=not DEBUG)
KZCN_PAGE_CACHE_QUERY_SECONDS = env.int("KZCN_PAGE_CACHE_QUERY_SECONDS", default=60)  # searches, filters
RATELIMIT_IP_META_KEY = "impacts.abuse.client_ip"  # honours KZCN_CLIENT_IP_HEADER below
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit does not list Django's own RedisCache, which increments atomically.
    "django_ratelimit.W001",
]
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    if not DEBUG:
        # Each worker process would count separately and let floods through.
        raise ImproperlyConfigured("CACHE_URL must be set (e.g. redis://127.0.0.1:6379/0) when DJANGO_DEBUG is off.")
    # Exact for the single-process dev server.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: English, Russian and Kazakh are required. The language is the first part of every
# public address (/en/, /ru/, /kk/: kzcn/urls.py); an address without it redirects to the visitor's.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("kk", _("Kazakh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django ships no date and number formats for Kazakh: ours are in kzcn/formats/kk/.
FORMAT_MODULE_PATH = ["kzcn.formats"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Almaty")
USE_I18N = True
USE_TZ = True

# Static files: vendored Bootstrap and Leaflet, served by WhiteNoise (no CDN).
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]

# Media. Nothing here is served by path: public derivatives and sealed originals both go
# through views that check publication and permissions (impacts.views / impacts.admin).
MEDIA_ROOT = Path(env.str("KZCN_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# The prebuilt unfiltered CSV/GeoJSON dumps (impacts.exports.prebuilt); empty: `exports/` beside MEDIA_ROOT.
KZCN_EXPORTS_ROOT = env.str("KZCN_EXPORTS_ROOT", default="") or None
SEALED_ROOT = Path(env.str("KZCN_SEALED_ROOT", default=str(VAR_DIR / "sealed")))
STORAGES = {
    "default": {
        "BACKEND": "kzcn.outages.FileSystemStorage",  # Django's, leaving no partial file when a write fails
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/evidence-files/"},
    },
    "sealed": {
        "BACKEND": "kzcn.outages.FileSystemStorage",
        "OPTIONS": {"location": SEALED_ROOT, "base_url": "/sealed-files/"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
# KZCN_STORAGE=s3: uploads go to two private S3-compatible buckets instead (kzcn/s3.py).
KZCN_STORAGE = env.str("KZCN_STORAGE", default="local")
if KZCN_STORAGE == "s3":
    STORAGES.update(
        s3_storages(
            bucket=env.str("KZCN_S3_BUCKET", default=""),
            sealed_bucket=env.str("KZCN_S3_SEALED_BUCKET", default=""),
            endpoint_url=env.str("KZCN_S3_ENDPOINT_URL", default=""),
            region=env.str("KZCN_S3_REGION", default=""),
            signed_url_seconds=env.int("KZCN_S3_SIGNED_URL_SECONDS", default=300),
        )
    )
elif KZCN_STORAGE != "local":
    raise ImproperlyConfigured("KZCN_STORAGE must be 'local' or 's3'.")

# Uploads. FILE_UPLOAD_MAX_MEMORY_SIZE only decides when an upload spills to a temp file; the
# real limits are the KZCN_* settings below, enforced by impacts.evidence.
KZCN_MAX_FILES_PER_REPORT = env.int("KZCN_MAX_FILES_PER_REPORT", default=10)
KZCN_MAX_FILE_BYTES = env.int("KZCN_MAX_FILE_MB", default=15) * 1024 * 1024
KZCN_MAX_REPORT_BYTES = env.int("KZCN_MAX_REPORT_MB", default=60) * 1024 * 1024
KZCN_MAX_IMAGE_PIXELS = env.int("KZCN_MAX_IMAGE_MEGAPIXELS", default=40) * 1_000_000
# Memory one picture may take to decode, judged on its header before decoding (bench/evidence_memory.py).
KZCN_MAX_DECODE_BYTES = env.int("KZCN_MAX_DECODE_MB", default=128) * 1024 * 1024
# PDFs are published as pictures of their pages, rendered in a child process within these limits.
KZCN_MAX_PDF_PAGES = env.int("KZCN_MAX_PDF_PAGES", default=100)
KZCN_PDF_RENDER_DPI = env.int("KZCN_PDF_RENDER_DPI", default=150)
KZCN_MAX_PDF_PAGE_PIXELS = env.int("KZCN_MAX_PDF_PAGE_MEGAPIXELS", default=4) * 1_000_000
KZCN_PDF_RENDER_SECONDS = env.int("KZCN_PDF_RENDER_SECONDS", default=30)
KZCN_PUBLIC_IMAGE_MAX_SIDE = env.int("KZCN_PUBLIC_IMAGE_MAX_SIDE", default=1600)
KZCN_THUMBNAIL_SIDE = env.int("KZCN_THUMBNAIL_SIDE", default=320)
# Videos and voice messages are re-encoded in a child process within these limits (impacts.evidence.video/audio).
KZCN_VIDEO_MAX_SECONDS = env.int("KZCN_VIDEO_MAX_SECONDS", default=180)
KZCN_AUDIO_MAX_SECONDS = env.int("KZCN_AUDIO_MAX_SECONDS", default=600)
KZCN_VIDEO_MAX_PIXELS = env.int("KZCN_VIDEO_MAX_MEGAPIXELS", default=9) * 1_000_000  # 4K (8.3 MP) fits
KZCN_MEDIA_PROCESS_SECONDS = env.int("KZCN_MEDIA_PROCESS_SECONDS", default=300)
KZCN_MEDIA_MEMORY_BYTES = env.int("KZCN_MEDIA_MEMORY_MB", default=768) * 1024 * 1024  # 4K H.264 needs ~240 MB
# Background processing of evidence (impacts.evidence.processing): a worker's claim on a file lasts
# this long; after it `manage.py sweep_evidence` queues the file again (a worker killed mid-job).
KZCN_EVIDENCE_LEASE_SECONDS = env.int("KZCN_EVIDENCE_LEASE_SECONDS", default=600)
# Photos whose perceptual hashes differ in at most this many of 64 bits are shown to moderators as
# near-duplicates (impacts.evidence.fingerprints).
KZCN_NEAR_DUPLICATE_DISTANCE = env.int("KZCN_NEAR_DUPLICATE_DISTANCE", default=10)
# Signs custody logs (impacts.evidence.custody); empty: derived from SECRET_KEY.
KZCN_CUSTODY_KEY = env.str("KZCN_CUSTODY_KEY", default="")
# /healthz trusts a storage's passed write-read-delete for this long (three paid requests on S3).
KZCN_HEALTH_STORAGE_SECONDS = env.int("KZCN_HEALTH_STORAGE_SECONDS", default=60)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB: bigger files stream to a temp file on disk
DATA_UPLOAD_MAX_NUMBER_FILES = KZCN_MAX_FILES_PER_REPORT + 1
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # non-file fields only
# Multipart framing on top of the files and fields: a body larger than the three together is
# refused on its Content-Length before it is read (kzcn.middleware.RequestSizeMiddleware).
KZCN_REQUEST_OVERHEAD_BYTES = 256 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
# Where big uploads spool while a request runs; production points it at a folder emptied at boot.
FILE_UPLOAD_TEMP_DIR = env.str("KZCN_UPLOAD_TEMP_DIR", default="") or None
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Abuse: honeypot + signed timestamp + rate limits (counted in the cache above).
KZCN_FORM_MIN_SECONDS = env.int("KZCN_FORM_MIN_SECONDS", default=3)
KZCN_FORM_MAX_AGE_SECONDS = env.int("KZCN_FORM_MAX_AGE_SECONDS", default=6 * 3600)
KZCN_RATE_LIMIT_REPORTS_PER_IP = env.int("KZCN_RATE_LIMIT_REPORTS_PER_IP", default=10)
KZCN_RATE_LIMIT_REPORTS_PER_CONTACT = env.int("KZCN_RATE_LIMIT_REPORTS_PER_CONTACT", default=5)
KZCN_RATE_LIMIT_WINDOW_SECONDS = env.int("KZCN_RATE_LIMIT_WINDOW_SECONDS", default=3600)
# Every POST of the report form counts here, checked before the files are decoded; 0 means three
# times the reports-per-address limit (room for honest mistakes, no free invalid posts).
KZCN_RATE_LIMIT_POSTS_PER_IP = env.int("KZCN_RATE_LIMIT_POSTS_PER_IP", default=0)
# Files accepted on a form that failed for another reason are kept this long for the next try
# (sealed storage, "pending/"); `manage.py purge_pending_uploads` removes expired ones.
KZCN_PENDING_UPLOAD_MINUTES = env.int("KZCN_PENDING_UPLOAD_MINUTES", default=120)
# Tracking links sent later by e-mail (re-issued, lost-link requests) expire after this many days;
# the link shown right after sending never does.
KZCN_TRACKING_LINK_DAYS = env.int("KZCN_TRACKING_LINK_DAYS", default=90)
# A company invited to answer a published report has this many days (impacts.replies).
KZCN_REPLY_DAYS = env.int("KZCN_REPLY_DAYS", default=14)
# Behind a reverse proxy, the client address is in this header (e.g. HTTP_X_FORWARDED_FOR).
KZCN_CLIENT_IP_HEADER = env.str("KZCN_CLIENT_IP_HEADER", default="REMOTE_ADDR")

# Personal data retention: `manage.py purge_contact_details` (run daily) blanks the contact
# details and exact location of closed reports submitted more than this many days ago.
KZCN_CONTACT_RETENTION_DAYS = env.int("KZCN_CONTACT_RETENTION_DAYS", default=365)

# The team's address: "Report a problem with this page" and the footer write to it; empty: no such links.
KZCN_CONTACT_EMAIL = env.str("KZCN_CONTACT_EMAIL", default="")

# Public site address, used in e-mailed links (tracking link, published report).
KZCN_SITE_URL = env.str("KZCN_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Email: printed to the console unless EMAIL_URL says otherwise (smtp+tls://user:pass@host:587).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="KZCN Watch <no-reply@localhost>")

# Background tasks (django-tasks): the database backend by default, run by `manage.py db_worker`.
# KZCN_TASKS_IMMEDIATE=1 runs them in-process (tests, or a site without a worker).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env.bool("KZCN_TASKS_IMMEDIATE", default=False)
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# Moderation history is a record, not an undo button: reverting could bypass the workflow.
SIMPLE_HISTORY_REVERT_DISABLED = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The public JSON API (/api/): read-only, anonymous, throttled per client address, bounded pages.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["kzcn.outages.ApiRateThrottle"],  # AnonRateThrottle, open while Redis is down
    "DEFAULT_THROTTLE_RATES": {"anon": env.str("KZCN_API_RATE", default="120/minute")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KZCN Watch open data API",
    "DESCRIPTION": "Published, moderated reports on Kazakhstan–China industrial projects, and the project catalogue.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGIN_URL = "admin:login"

# Security headers. HTTPS-only settings switch on with DEBUG off, unless the deployment says
# it terminates TLS elsewhere and sets them itself.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

# The map's tile server: the map page loads tiles from it, and the CSP below allows its images.
# Empty (the default): no outside host at all; the map draws its own base layer from static files
# (Kazakhstan's outline and main towns, static/vendor/naturalearth and static/vendor/geonames).
KZCN_MAP_TILE_URL = env.str("KZCN_MAP_TILE_URL", default="")
_tile_url = urlsplit(KZCN_MAP_TILE_URL.replace("{s}.", "*."))  # Leaflet's {s} subdomains → a wildcard
_tile_hosts = [f"{_tile_url.scheme}://{_tile_url.netloc}"] if _tile_url.netloc else []

# Content-Security-Policy (django-csp): no inline scripts or styles on the public site. The
# admin alone also gets style-src 'unsafe-inline' (its templates use style attributes), added
# by kzcn.security.ContentSecurityPolicyMiddleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_tile_hosts],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Browser features the site never uses, refused for it and anything it might embed. Geolocation only
# for the site itself: the report form's "Use my location" button (asked only when tapped).
KZCN_PERMISSIONS_POLICY = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"

# The admin's address: moving it off /admin/ turns away the scanners that try only that.
KZCN_ADMIN_URL = env.str("KZCN_ADMIN_URL", default="admin/").strip("/") + "/"

# Login throttling (django-axes): 5 wrong passwords for one username from one address lock that
# pair out for 30 minutes, even with the right password. Counted in the cache (Redis in
# production), so no IP address is written to the database.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env.int("KZCN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KZCN_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "impacts.abuse.client_ip"  # honours KZCN_CLIENT_IP_HEADER
AXES_VERBOSE = False
if DEBUG:
    # The dev server is one process, so the local-memory cache counts exactly.
    SILENCED_SYSTEM_CHECKS.append("axes.W001")

# Two-factor authentication (django-otp TOTP) for everyone who signs in to the admin: on by
# default in production. Staff enrol with `manage.py enrol_totp USERNAME`.
KZCN_REQUIRE_2FA = env.bool("KZCN_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "KZCN Watch"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "kzcn.log_format.JsonFormatter"},
    },
    # KZCN_LOG_FORMAT=json: one JSON object per line, for a log collector.
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": env.str("KZCN_LOG_FORMAT", default="plain")}
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
