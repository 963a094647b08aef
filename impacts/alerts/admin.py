"""This package's admin pages (imported by impacts.admin, which Django discovers).

Subscribers' addresses are personal data that no moderation task needs: only superusers see the
subscriptions (to answer a person who asks what is kept about them, or to delete it). The list
filters on how often and whether confirmed, never on the address (kzcn.admin_site.ListLookupGuard).
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Subscription


class SuperusersOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False  # a subscription is made by its address's owner, confirmed from their mailbox

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ["email", "scope", "frequency", "language", "created", "confirmed_at", "last_sent_at", "sent"]
    list_filter = ["frequency", ("confirmed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["project"]
    search_fields = ["email"]
    fields = [
        "email",
        "project",
        "region",
        "min_latitude",
        "max_latitude",
        "min_longitude",
        "max_longitude",
        "frequency",
        "language",
        "created",
        "confirmed_at",
        "last_sent_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sent_count=Count("sent"))

    @admin.display(description=_("follows"))
    def scope(self, obj: Subscription) -> str:
        return obj.scope_label()

    @admin.display(description=_("alerts sent"), ordering="sent_count")
    def sent(self, obj: Subscription) -> int:
        return obj.sent_count
