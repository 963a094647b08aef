"""The site's URLs plus one trivial view, the yardstick the benchmark divides every page by."""

from django.http import HttpResponse
from django.urls import path

from kzcn import urls as site

# The site's patterns are copied, not include()d: i18n_patterns (the /en/, /ru/, /kk/ prefixes) is
# allowed only in a root URLconf.
handler404, handler500 = site.handler404, site.handler500


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench-trivial/", trivial), *site.urlpatterns]
