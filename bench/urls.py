"""The site's URLs plus one trivial view, the yardstick the benchmark divides every page by."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench-trivial/", trivial),
    path("", include("kzcn.urls")),
]
