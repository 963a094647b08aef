"""A browser visiting the site is told to run nothing inline, frame nothing and leak nothing."""

import json

import pytest
from django.urls import reverse

from .test_settings import PRODUCTION_CACHE, PRODUCTION_KEY, run_manage


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.django_db
def test_public_pages_forbid_inline_scripts_and_styles(client):
    directives = csp_directives(client.get(reverse("projects:home")))

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_by_default_the_map_loads_no_tiles_and_images_come_only_from_the_site(client, settings):
    response = client.get(reverse("impacts:map"))

    # No tile server unless one is configured: the map draws its own base layer from static files.
    assert settings.KZCN_MAP_TILE_URL == ""
    assert csp_directives(response)["img-src"] == ["'self'", "data:"]
    assert 'data-tile-url=""' in response.content.decode()


@pytest.mark.parametrize("template", ["projects/home.html", "impacts/map.html", "base.html"])
def test_public_templates_have_no_inline_script_or_style(template):
    from django.template.loader import get_template

    source = get_template(template).template.source

    assert "style=" not in source
    assert "onclick=" not in source and "onload=" not in source
    for tag in source.split("<script")[1:]:
        assert "src=" in tag.split(">")[0], f"inline <script> in {template}"


@pytest.mark.django_db
def test_admin_allows_inline_styles_but_still_no_inline_scripts(client, moderator):
    client.force_login(moderator)

    directives = csp_directives(client.get(reverse("admin:impacts_impactreport_changelist")))

    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_every_response_refuses_browser_features_and_framing(client):
    response = client.get(reverse("projects:home"))

    # Geolocation for the site's own pages only (the report form's "Use my location"), never an embed.
    assert response["Permissions-Policy"].startswith("geolocation=(self), camera=(), microphone=()")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_admin_address_is_a_setting(settings):
    from importlib import reload

    from django.urls import clear_url_caches

    import kzcn.urls

    settings.KZCN_ADMIN_URL = "back-office-7f3a/"
    try:
        reload(kzcn.urls)
        clear_url_caches()
        assert reverse("admin:index") == "/back-office-7f3a/"
    finally:
        settings.KZCN_ADMIN_URL = "admin/"
        reload(kzcn.urls)
        clear_url_caches()
    assert reverse("admin:index") == "/admin/"


# Plain static storage: the test does not run collectstatic, which the manifest storage needs.
PLAIN_STATIC = """
from django.test import Client, override_settings
from django.conf import settings
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
login_page = Client().get("/admin/login/", secure=True, HTTP_HOST="kzcn.example.org")
"""

PRODUCTION_REQUEST = (
    PLAIN_STATIC
    + """
import json
response = login_page
cookie = response.cookies["csrftoken"]
print(json.dumps({"status": response.status_code, "headers": dict(response.headers),
                  "cookie_secure": bool(cookie["secure"]), "cookie_httponly": bool(cookie["httponly"])}))
"""
)


def test_production_sends_hsts_and_secure_cookies(tmp_path):
    result = run_manage(
        tmp_path,
        "shell",
        "-c",
        PRODUCTION_REQUEST,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=PRODUCTION_KEY,
        DJANGO_ALLOWED_HOSTS="kzcn.example.org",
        CACHE_URL=PRODUCTION_CACHE,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    headers = seen["headers"]

    assert seen["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert seen["cookie_secure"] and seen["cookie_httponly"]


def test_production_asks_staff_for_a_one_time_code(tmp_path):
    result = run_manage(
        tmp_path,
        "shell",
        "-c",
        PLAIN_STATIC + "print(login_page.content.decode())",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=PRODUCTION_KEY,
        DJANGO_ALLOWED_HOSTS="kzcn.example.org",
        CACHE_URL=PRODUCTION_CACHE,
    )

    assert result.returncode == 0, result.stderr
    assert 'name="otp_token"' in result.stdout
