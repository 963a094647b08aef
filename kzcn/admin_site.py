"""The admin site: Django's, with two-factor sign-in and a closed list of query-string lookups.

Installed as the default admin site (``kzcn.apps.AdminConfig`` in INSTALLED_APPS), so the apps keep
registering on ``admin.site``. With settings.KZCN_REQUIRE_2FA on, a staff user counts as signed in to
the admin only after a TOTP code from a confirmed device (django-otp); without one they see the login
page, which then asks for the code. Devices are enrolled with ``manage.py enrol_totp USERNAME``.

Lookups: Django's changelist accepts ``?field__lookup=value`` on any field of the model, so a
moderator could probe fields hidden from them (``?contact_email__regex=^s`` makes a report appear or
vanish). Every ModelAdmin registered here, ours and third-party ones alike, is given
``ListLookupGuard``: the list accepts only the parameters its own filters and date hierarchy use.
Anything else is refused with a 400 page that does not depend on the data, and the attempt is logged
(user, model, lookup name; never the value) on the ``kzcn.admin.lookups`` logger.
"""

import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import url_params_from_lookup_dict
from django.core.exceptions import PermissionDenied
from django.db.models import Field
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

lookup_log = logging.getLogger("kzcn.admin.lookups")


def filter_parameters(model_admin, request: HttpRequest) -> set[str]:
    """The query-string parameters the list's own filters and date hierarchy read, and no others."""
    model = model_admin.model
    names = set()
    for item in model_admin.get_list_filter(request):
        if isinstance(item, (list, tuple)):
            field, filter_class = item
        elif callable(item):  # a filter class of its own (SimpleListFilter or similar)
            names.update(item(request, {}, model, model_admin).expected_parameters())
            continue
        else:
            field, filter_class = item, FieldListFilter.create
        field_path = None
        if not isinstance(field, Field):
            field_path, field = field, get_fields_from_path(model, field)[-1]
        spec = filter_class(field, request, {}, model, model_admin, field_path=field_path)
        names.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names


class ListLookupGuard:
    """Mixed into every registered ModelAdmin by AdminSite.register (see the module docstring)."""

    def lookup_allowed(self, lookup, value, request=None):
        if self._popup_lookup(lookup, value) or lookup in self._allowed_lookups(request):
            return True
        user = getattr(request, "user", None)
        lookup_log.warning(
            "refused admin list lookup %r on %s by user %s (id %s)",
            lookup,
            self.model._meta.label,
            user.get_username() if user else "?",
            getattr(user, "pk", None),
        )
        return False

    def _allowed_lookups(self, request) -> set[str]:
        # Building the filters may query (related filters list their choices): once per request.
        cache = request.__dict__.setdefault("_kzcn_allowed_lookups", {})
        if id(self) not in cache:
            cache[id(self)] = filter_parameters(self, request)
        return cache[id(self)]

    def _popup_lookup(self, lookup, value) -> bool:
        """Django's raw-id popups filter by a ForeignKey's limit_choices_to: those stay allowed."""
        for fk_lookup in self.model._meta.related_fkey_lookups:
            fk_lookup = fk_lookup() if callable(fk_lookup) else fk_lookup
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False

    def changelist_view(self, request, extra_context=None):
        from django.contrib.admin.exceptions import DisallowedModelAdminLookup

        try:
            return super().changelist_view(request, extra_context)
        except DisallowedModelAdminLookup:
            return self.refused_lookup_response(request)

    def refused_lookup_response(self, request):
        """A plain refusal: the same page whatever the data, so nothing can be read from it."""
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _("This list cannot be filtered that way"),
            "opts": opts,
            "changelist_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=self.admin_site.name
            ),
            "is_popup": IS_POPUP_VAR in request.GET,
        }
        return TemplateResponse(request, "admin/lookup_refused.html", context, status=400)


def guarded(admin_class: type) -> type:
    """`admin_class` with ListLookupGuard in front of it (same name, so admin messages read the same)."""
    if issubclass(admin_class, ListLookupGuard):
        return admin_class
    return type(
        admin_class.__name__,
        (ListLookupGuard, admin_class),
        {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
    )


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

    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, guarded(admin_class or admin.ModelAdmin), **options)

    def autocomplete_view(self, request):
        """Only the autocomplete fields an admin declares: Django would search any relation's target."""
        source = (request.GET.get("app_label"), request.GET.get("model_name"), request.GET.get("field_name"))
        if source not in self.declared_autocomplete_fields():
            raise PermissionDenied
        return super().autocomplete_view(request)

    def declared_autocomplete_fields(self) -> set[tuple[str, str, str]]:
        declared = set()
        for model, model_admin in self._registry.items():
            owners = [(model, model_admin.autocomplete_fields)]
            owners += [(inline.model, inline.autocomplete_fields) for inline in model_admin.inlines]
            for owner, fields in owners:
                declared.update((owner._meta.app_label, owner._meta.model_name, name) for name in fields)
        return declared


def staff_name(user) -> str:
    """How a staff member is shown to other staff (history pages, edit records): the full name, or a
    neutral label with the account number; never the login name, which is half of what a sign-in needs."""
    if user is None:
        return "—"
    return user.get_full_name() or _("Staff member #%(number)d") % {"number": user.pk}


def is_trusted_staff(request: HttpRequest) -> bool:
    """True when the user may use staff powers outside the admin too (same rule as the admin)."""
    return admin.site.has_permission(request)
