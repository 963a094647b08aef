"""The language is part of every public address: links to the same page in each language.

The switcher in the header is a list of plain links (no form, no JavaScript, no CSRF cookie), so a
page can be shared and cached in one language and switched in one step.
"""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.templatetags.static import static
from django.urls import get_script_prefix, translate_url
from django.utils import translation
from django.utils.cache import patch_cache_control


def url_in_language(request: HttpRequest, language: str) -> str:
    """The address of the page being shown, in `language`, with its query string kept."""
    full_path = request.get_full_path()
    translated = translate_url(full_path, language)
    if translated != full_path or language == translation.get_language():
        return translated
    # An address that resolves to no view (a 404 page): swap the language prefix by hand, so the
    # visitor reads "page not found" in the language they asked for.
    parts = urlsplit(full_path)
    path = request.path_info
    current = translation.get_language_from_path(path)
    if current:
        path = path[len(current) + 1 :]
    return urlunsplit(parts._replace(path=f"{get_script_prefix()}{language}{path}"))


# How each language names itself in a language menu where Django's name is not the usual one
# (Django has "Қазақ", "Kazakh" as an adjective; Kazakh sites say "Қазақша").
MENU_NAMES = {"kk": "Қазақша"}


def language_links(request: HttpRequest) -> dict:
    """Context processor: `language_links`, one entry per language of the site, current one marked."""
    current = translation.get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        links.append(
            {
                "code": code,
                "name_local": MENU_NAMES.get(code, info["name_local"]),
                "url": url_in_language(request, code),
                "current": code == current,
            }
        )
    return {"language_links": links}


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico before reading the page's <link rel="icon">: send them to the SVG.

    A temporary redirect: the static file's name changes with its content in production.
    """
    response = HttpResponseRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, except that a form sent to an address without a language keeps its data.

    A page served before the language moved into the address (an open tab, a browser's cached copy)
    still posts to /report/ or /projects/suggest/. Django redirects with 302, which browsers follow
    with a GET: the typed report would be lost. A 307 makes the browser send the same form again to
    the prefixed address. Safe methods keep the 302.
    """

    def process_response(self, request, response):
        answer = super().process_response(request, response)
        if answer is not response and answer.status_code == 302 and request.method not in ("GET", "HEAD"):
            answer.status_code = 307
        return answer
