"""The admin site: Django's, with two-factor sign-in when settings.KZCN_REQUIRE_2FA is on.

Installed as the default admin site (``kzcn.apps.AdminConfig`` in INSTALLED_APPS), so the apps keep
registering on ``admin.site``. With the setting on, a staff user counts as signed in to the admin
only after a TOTP code from a confirmed device (django-otp); without one they see the login page,
which then asks for the code. Devices are enrolled with ``manage.py enrol_totp USERNAME``.
"""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class AdminSite(admin.AdminSite):
    @property
    def login_form(self):
        return OTPAdminAuthenticationForm if settings.KZCN_REQUIRE_2FA else None

    @property
    def login_template(self):
        return OTPAdminSite.login_template if settings.KZCN_REQUIRE_2FA else None

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff, and with 2FA required, verified by an OTP device in this session."""
        if not super().has_permission(request):
            return False
        return not settings.KZCN_REQUIRE_2FA or request.user.is_verified()


def is_trusted_staff(request: HttpRequest) -> bool:
    """True when the user may use staff powers outside the admin too (same rule as the admin)."""
    return admin.site.has_permission(request)
