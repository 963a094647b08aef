"""Control characters in a request are answered with a 404 or 400 before any view or query sees them.

PostgreSQL refuses a NUL character in text (``DataError``), so a ``%00`` that reached a lookup gave
a 500. Rather than guard each lookup, this middleware answers every such request in one place:

- the path: no address of the site holds a control character, so there is nothing to find (the
  site's 404 page, as for any other unknown address);
- query parameters and form fields (names and values): none but tab, line feed and carriage
  return, which typed text legitimately holds, are accepted (the 400 page). The refused ones are
  exactly those XML 1.0 cannot carry, so nothing stored through a form can break the Atom feeds;
- cookies: one holding a control character was not set by this site; it is ignored, so a forged
  session cookie cannot reach the session table.

It sits after the middleware that add the security headers and choose the language, so both
pages get them; none of those before it reads the database. Form data is read where Django's
CSRF check reads it (``process_view``, skipping views that are CSRF-exempt and may still change
their upload handlers), so limits applied earlier to the request body keep working.
"""

import re

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest
from django.template import loader

PATH_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def forbidden_character(data) -> str | None:
    """The first control character a QueryDict holds (in a name or a value) that text may not hold."""
    for name, values in data.lists():
        for text in (name, *(value for value in values if isinstance(value, str))):
            found = TEXT_FORBIDDEN.search(text)
            if found:
                return found.group()
    return None


def refused(character: str) -> HttpResponseBadRequest:
    """The 400 page, rendered like the site's other error pages (no request context, no database)."""
    page = loader.get_template("400_control_characters.html").render({"nul": character == "\x00"})
    response = HttpResponseBadRequest(page)
    response["Cache-Control"] = "no-store"
    return response


class ControlCharacterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.drop_forged_cookies(request)
        if PATH_FORBIDDEN.search(request.path):
            raise Http404  # the site's 404 page, through handler404
        character = forbidden_character(request.GET)
        return refused(character) if character else self.get_response(request)

    @staticmethod
    def drop_forged_cookies(request) -> None:
        forged = [name for name, value in request.COOKIES.items() if PATH_FORBIDDEN.search(name + value)]
        for name in forged:
            del request.COOKIES[name]
        if settings.SESSION_COOKIE_NAME in forged and hasattr(request, "session"):
            # SessionMiddleware took the key already; the store loads lazily, so swap in an empty one.
            request.session = type(request.session)()

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or getattr(view_func, "csrf_exempt", False):
            return None
        character = forbidden_character(request.POST)
        return refused(character) if character else None
