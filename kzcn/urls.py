from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from kzcn.api_index import api_index
from kzcn.health import healthz
from kzcn.language import favicon

admin.site.site_header = _("KZCN Watch moderation")
admin.site.site_title = _("KZCN Watch")
admin.site.index_title = _("Moderation and catalogue")

# Language-neutral addresses: machines (API, health probe, favicon) and the admin, whose staff read
# it in their browser's language. `i18n/setlang/` stays for forms posted by pages cached before the
# language moved into the address.
urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api_index, name="api_index"),
    path("api/", include("impacts.api")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path(settings.KZCN_ADMIN_URL, admin.site.urls),
]

# Every public page carries its language in the address (/en/, /ru/, /kk/), so a link keeps the
# language it was shared in and each page can be cached without varying on cookies. An address
# without a prefix (an old link, a typed domain) redirects to the visitor's language: the
# language cookie of the old switcher, then Accept-Language, then English (LocaleMiddleware).
# Feeds, exports and evidence files are inside too: feed titles and export labels are translated,
# and impacts.urls is one namespace; the same file is served under each prefix.
urlpatterns += i18n_patterns(
    path("", include("projects.urls")),
    path("", include("impacts.urls")),
)

handler404 = "projects.views.page_not_found"
handler500 = "projects.views.server_error"
