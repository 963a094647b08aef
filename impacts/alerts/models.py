"""E-mail alerts: subscriptions to a project, a region or an area, confirmed twice, left in one click.

A subscription receives news of published reports only: a report when it is published, and each
follow-up recorded on it afterwards (impacts.workflow). What it is sent is recorded in AlertSent,
whose unique (subscription, item) makes "one e-mail per item" a database rule, not a hope.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Region

from ..private_links import PrivateLink

# A confirmation link works for a week; the unconfirmed subscription goes with it (send_alert_digests).
CONFIRMATION_LIFETIME = timedelta(days=7)


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("As it happens")
    DAILY = "daily", _("Once a day")


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self) -> "SubscriptionQuerySet":
        """The only subscriptions that are ever sent an alert."""
        return self.filter(confirmed_at__isnull=False)

    def unconfirmed_expired(self, at=None) -> "SubscriptionQuerySet":
        """Never confirmed, asked over a week ago, and no confirmation link left that works: to be deleted.

        (The link is issued by the worker when it sends the e-mail, so a subscription may briefly have none.)"""
        at = at or timezone.now()
        live = SubscriptionLink.objects.valid(at).filter(purpose=LinkPurpose.CONFIRM).values("subscription")
        return self.filter(confirmed_at__isnull=True, created__lte=at - CONFIRMATION_LIFETIME).exclude(pk__in=live)

    def matching(self, report) -> "SubscriptionQuerySet":
        """Subscriptions whose project, region or area holds `report` (its public point only)."""
        scope = models.Q(pk__in=[])
        if report.project_id:
            scope |= models.Q(project_id=report.project_id)
        if report.region:
            scope |= models.Q(region=report.region)
        if report.public_latitude is not None and report.public_longitude is not None:
            scope |= models.Q(
                min_latitude__lte=report.public_latitude,
                max_latitude__gte=report.public_latitude,
                min_longitude__lte=report.public_longitude,
                max_longitude__gte=report.public_longitude,
            )
        return self.filter(scope)

    def same_scope_as(self, subscription: "Subscription") -> "SubscriptionQuerySet":
        """Other subscriptions of the same address to the same project, region or area."""
        return self.filter(
            email__iexact=subscription.email,
            project_id=subscription.project_id,
            region=subscription.region,
            min_latitude=subscription.min_latitude,
            max_latitude=subscription.max_latitude,
            min_longitude=subscription.min_longitude,
            max_longitude=subscription.max_longitude,
        ).exclude(pk=subscription.pk)


def _one_scope() -> models.Q:
    no_area = models.Q(
        min_latitude__isnull=True, max_latitude__isnull=True, min_longitude__isnull=True, max_longitude__isnull=True
    )
    area = models.Q(
        min_latitude__isnull=False,
        max_latitude__isnull=False,
        min_longitude__isnull=False,
        max_longitude__isnull=False,
        min_latitude__lt=models.F("max_latitude"),
        min_longitude__lt=models.F("max_longitude"),
    )
    return (
        (models.Q(project__isnull=False, region="") & no_area)
        | (models.Q(project__isnull=True) & ~models.Q(region="") & no_area)
        | (models.Q(project__isnull=True, region="") & area)
    )


class Subscription(models.Model):
    """An address that asked for news of one project, region or area. Deleted on unsubscribing;
    unconfirmed ones are deleted when their confirmation link expires."""

    email = models.EmailField(_("e-mail"))
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("project"),
    )
    region = models.CharField(_("region"), max_length=32, choices=Region.choices, blank=True)
    # An area drawn on the map: a box of public points.
    min_latitude = models.DecimalField(_("southern edge"), max_digits=8, decimal_places=5, null=True, blank=True)
    min_longitude = models.DecimalField(_("western edge"), max_digits=8, decimal_places=5, null=True, blank=True)
    max_latitude = models.DecimalField(_("northern edge"), max_digits=8, decimal_places=5, null=True, blank=True)
    max_longitude = models.DecimalField(_("eastern edge"), max_digits=8, decimal_places=5, null=True, blank=True)
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    language = models.CharField(_("language"), max_length=8, default="ru")
    created = models.DateTimeField(_("asked"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        ordering = ["created", "id"]
        constraints = [models.CheckConstraint(condition=_one_scope(), name="subscription_one_scope")]

    def __str__(self) -> str:
        return f"subscription {self.pk}"

    def changes_public_pages(self) -> bool:
        return False

    @property
    def is_area(self) -> bool:
        return self.min_latitude is not None

    @property
    def bbox(self) -> str:
        """The area as the map writes it: west,south,east,north."""
        return ",".join(str(v) for v in (self.min_longitude, self.min_latitude, self.max_longitude, self.max_latitude))

    def scope_label(self) -> str:
        """What this subscription follows, in the active language (for pages and e-mails)."""
        if self.project_id:
            return str(_("Project “%(project)s”") % {"project": self.project.name})
        if self.region:
            return str(self.get_region_display())
        return str(
            _("Area of the map: latitude %(south)s to %(north)s, longitude %(west)s to %(east)s")
            % {
                "south": self.min_latitude,
                "north": self.max_latitude,
                "west": self.min_longitude,
                "east": self.max_longitude,
            }
        )

    def issue_confirmation(self) -> str:
        """A new confirmation link (a week); returns its token, to be e-mailed and not kept."""
        return SubscriptionLink.objects.issue(
            lifetime=CONFIRMATION_LIFETIME, subscription=self, purpose=LinkPurpose.CONFIRM
        )[1]

    def issue_unsubscribe(self) -> str:
        """A new unsubscribe link that never expires; returns its token.

        Only digests are stored, so an e-mail cannot carry an older link again: each e-mail gets its
        own, and every one keeps working (RFC 8058 asks that old messages still unsubscribe) until the
        subscription, and with it all its links, is deleted.
        """
        return SubscriptionLink.objects.issue(lifetime=None, subscription=self, purpose=LinkPurpose.UNSUBSCRIBE)[1]

    def confirm(self) -> str:
        """Start sending; returns an unsubscribe token for the page that says so.

        The confirmation links are spent, and an earlier subscription of the same address to the
        same scope is replaced by this one (so asking again with another frequency changes it)."""
        self.confirmed_at = timezone.now()
        self.save(update_fields=["confirmed_at"])
        self.links.filter(purpose=LinkPurpose.CONFIRM).delete()
        Subscription.objects.same_scope_as(self).delete()
        return self.issue_unsubscribe()

    def followed_reports(self):
        """The published reports this subscription follows (an area holds public points only)."""
        from ..models import ImpactReport

        reports = ImpactReport.objects.published()
        if self.project_id:
            return reports.filter(project_id=self.project_id)
        if self.region:
            return reports.filter(region=self.region)
        return reports.filter(
            public_latitude__gte=self.min_latitude,
            public_latitude__lte=self.max_latitude,
            public_longitude__gte=self.min_longitude,
            public_longitude__lte=self.max_longitude,
        )

    def news_since(self) -> "timezone.datetime":
        """Where the next digest starts: the last one sent, else the confirmation."""
        return self.last_sent_at or self.confirmed_at or self.created


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
    """What a subscriber has been sent, so nothing is sent twice (e.g. "report:12", "event:34").

    The row is written before the e-mail goes out: a second attempt at the same item finds it and
    sends nothing. A failed send keeps its row, with the reason (never the address) in `error`."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="sent")
    item = models.CharField(max_length=60)
    sent_at = models.DateTimeField(default=timezone.now)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "item"], name="alert_sent_once")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.item}"

    def changes_public_pages(self) -> bool:
        return False
