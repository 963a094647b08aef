"""E-mail alerts: subscriptions to a project, a region or an area, confirmed twice, left in one click."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Region

from ..private_links import PrivateLink


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("As it happens")
    DAILY = "daily", _("Once a day")


class Subscription(models.Model):
    """An address that asked for news of one project, region or area. Deleted on unsubscribing;
    unconfirmed ones are deleted when their confirmation link expires."""

    email = models.EmailField(_("e-mail"))
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="subscriptions", verbose_name=_("project"))
    region = models.CharField(_("region"), max_length=32, choices=Region.choices, blank=True)
    # An area drawn on the map: a box of public points.
    min_latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    min_longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    max_latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    max_longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices,
                                 default=Frequency.IMMEDIATE)
    language = models.CharField(_("language"), max_length=8, default="ru")
    created = models.DateTimeField(_("asked"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"subscription {self.pk}"

    def changes_public_pages(self) -> bool:
        return False


class LinkPurpose(models.TextChoices):
    CONFIRM = "confirm", _("Confirm")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")


class SubscriptionLink(PrivateLink):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="links")
    purpose = models.CharField(max_length=12, choices=LinkPurpose.choices)

    class Meta:
        verbose_name = _("subscription link")
        verbose_name_plural = _("subscription links")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.subscription_id}"

    def changes_public_pages(self) -> bool:
        return False


class AlertSent(models.Model):
    """What a subscriber has been sent, so nothing is sent twice (e.g. "report:12", "event:34")."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="sent")
    item = models.CharField(max_length=60)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "item"], name="alert_sent_once")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.item}"

    def changes_public_pages(self) -> bool:
        return False
