from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from kzcn.health import healthz

admin.site.site_header = _("KZCN Watch moderation")
admin.site.site_title = _("KZCN Watch")
admin.site.index_title = _("Moderation and catalogue")

urlpatterns = [
    path("", include("projects.urls")),
    path("", include("impacts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("impacts.api")),
    path("healthz", healthz, name="healthz"),
    path(settings.KZCN_ADMIN_URL, admin.site.urls),
]

handler404 = "projects.views.page_not_found"
handler500 = "projects.views.server_error"
