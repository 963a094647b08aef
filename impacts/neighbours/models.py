"""Neighbours' voices on a published report: "this affects me too", and their moderated updates."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NeighbourMark(models.Model):
    """One "this affects me too". Nothing about the visitor is kept: the abuse limits live in the cache
    and expire with their window."""

    report = models.ForeignKey("impacts.ImpactReport", on_delete=models.CASCADE, related_name="neighbour_marks")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("“affects me too”")
        verbose_name_plural = _("“affects me too”")
        indexes = [models.Index(fields=["report", "created"], name="neighbour_mark_report")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.created:%Y-%m-%d}"


class UpdateState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class ReportUpdate(models.Model):
    """"Still happening on …": an update to a published report, by anyone, moderated like a report."""

    report = models.ForeignKey("impacts.ImpactReport", on_delete=models.CASCADE, related_name="updates")
    observed_on = models.DateField(_("date observed"))
    text = models.TextField(_("what you see now"), max_length=3000)
    public_text = models.TextField(_("public text"), blank=True,
                                   help_text=_("Redact names, phone numbers and exact addresses here."))
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=UpdateState.choices,
                             default=UpdateState.SUBMITTED, db_index=True)
    created = models.DateTimeField(_("received"), default=timezone.now)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("moderated by"))
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    moderation_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("update to a report")
        verbose_name_plural = _("updates to reports")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.observed_on} ({self.get_state_display()})"
