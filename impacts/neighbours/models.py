"""Neighbours' voices on a published report: "this affects me too", and their moderated updates."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NeighbourMark(models.Model):
    """One "this affects me too". Nothing about the visitor is kept: the abuse limits live in the cache
    and expire with their window."""

    report = models.ForeignKey(
        "impacts.ImpactReport", on_delete=models.CASCADE, related_name="neighbour_marks", verbose_name=_("report")
    )
    created = models.DateTimeField(_("when"), default=timezone.now)

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
    """ "Still happening on …": an update to a published report, by anyone, moderated like a report."""

    report = models.ForeignKey(
        "impacts.ImpactReport", on_delete=models.CASCADE, related_name="updates", verbose_name=_("report")
    )
    observed_on = models.DateField(_("date observed"))
    text = models.TextField(_("what you see now"), max_length=3000)
    public_text = models.TextField(
        _("public text"), blank=True, help_text=_("Redact names, phone numbers and exact addresses here.")
    )
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=UpdateState.choices, default=UpdateState.SUBMITTED, db_index=True
    )
    created = models.DateTimeField(_("received"), default=timezone.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    moderation_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("update to a report")
        verbose_name_plural = _("updates to reports")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.observed_on} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return f"{self.report.get_absolute_url()}#event-update-{self.pk}"

    def changes_public_pages(self) -> bool:
        """A waiting update changes no public page; publishing one (or taking one back) does."""
        return self.state == UpdateState.PUBLISHED or getattr(self, "_loaded_state", None) == UpdateState.PUBLISHED

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_state = instance.state
        return instance

    @property
    def is_public(self) -> bool:
        return self.state == UpdateState.PUBLISHED and self.report.is_public

    @property
    def shown_text(self) -> str:
        """What the public reads: the moderator's redacted text, else the text as sent."""
        return self.public_text.strip() or self.text

    def publish(self, *, by, public_text: str | None = None, approve_photos: bool = True) -> None:
        """Publish this update (with `public_text` if given); its photos become public with it unless
        the moderator chose them one by one (`approve_photos=False`)."""
        from ..models import EvidenceVisibility

        with transaction.atomic():
            if public_text is not None:
                self.public_text = public_text
            self.state = UpdateState.PUBLISHED
            self.moderated_by, self.moderated_at, self.moderation_reason = by, timezone.now(), ""
            self.save()
            if approve_photos:
                self.evidence.filter(visibility=EvidenceVisibility.PENDING).update(
                    visibility=EvidenceVisibility.APPROVED
                )

    def reject(self, *, by, reason: str) -> None:
        """Refuse this update; its photos stay hidden from the public."""
        if not reason.strip():
            raise ValueError("A rejection needs a reason.")
        self.state = UpdateState.REJECTED
        self.moderated_by, self.moderated_at, self.moderation_reason = by, timezone.now(), reason.strip()
        self.save()
