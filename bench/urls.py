"""The site's URLs plus the yardstick page every measured page is divided by (bench.settings only).

The yardstick is the cheapest page the site could have: the site's base template (header, language
links, footer) rendered for an anonymous visitor whose session is read, and one small query. A page
at "3×" costs three such pages; its work beyond the framework's is what the ratio shows.
"""

from functools import cache

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from impacts.models import ImpactReport
from kzcn import urls as site

# The site's patterns are copied, not include()d: i18n_patterns (the /en/, /ru/, /kk/ prefixes) is
# allowed only in a root URLconf.
handler404, handler500 = site.handler404, site.handler500

BASELINE_PATH = "bench-baseline/"
# Kept here rather than in a template folder: it exists for the benchmark only.
BASELINE_TEMPLATE = """{% extends "base.html" %}{% load i18n %}
{% block content %}<h1>{% translate "Reports" %}</h1><p>{{ newest|default:"" }}</p>{% endblock %}"""


@cache
def baseline_template():
    """Compiled once, as the cached template loader does for the site's pages in production."""
    return engines["django"].from_string(BASELINE_TEMPLATE)


def baseline(request):
    """A template, a session and one query: what every public page pays before its own work."""
    request.session.get("bench")  # without a cookie, as for every anonymous visitor: no database read
    newest = ImpactReport.objects.published().order_by("-published_at").values_list("reference", flat=True).first()
    return HttpResponse(baseline_template().render({"newest": newest}, request))


urlpatterns = [path(BASELINE_PATH, baseline, name="bench_baseline"), *site.urlpatterns]
