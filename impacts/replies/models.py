"""A company's right of reply to a published report: the invitation (a private link) and the reply."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..private_links import PrivateLink
from ..storage import get_sealed_storage


def reply_document_name(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"replies/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class CompanyInvitation(PrivateLink):
    """A moderator's invitation to one of a project's companies to answer one published report.

    The row is the company's private link (hashed at rest, expiring); `deadline` is when the report
    starts saying "no response". The address is copied from the company at the time of inviting."""

    report = models.ForeignKey("impacts.ImpactReport", on_delete=models.CASCADE, related_name="invitations")
    company = models.ForeignKey("projects.Company", on_delete=models.PROTECT, related_name="invitations",
                                verbose_name=_("company"))
    email = models.EmailField(_("sent to"))
    language = models.CharField(_("language of the invitation"), max_length=8, default="ru")
    deadline = models.DateTimeField(_("answer by"))
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("invited by"))
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminder_at = models.DateTimeField(_("last reminder"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation to reply")
        verbose_name_plural = _("invitations to reply")
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "company"], name="invitation_once_per_company"),
        ]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.company}"


class ReplyState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class CompanyReply(models.Model):
    """The company's one answer, moderated like a report before it is shown beside it."""

    invitation = models.OneToOneField(CompanyInvitation, on_delete=models.CASCADE, related_name="reply")
    responder = models.CharField(_("name and position of the person answering"), max_length=200, blank=True)
    text = models.TextField(_("the company's response"), max_length=5000)
    public_text = models.TextField(_("public text"), blank=True,
                                   help_text=_("What is published; empty publishes the text as sent."))
    document = models.FileField(_("document as sent"), upload_to=reply_document_name, storage=get_sealed_storage,
                                blank=True)
    document_copy = models.FileField(_("document, safe copy"), upload_to=reply_document_name,
                                     storage=get_sealed_storage, blank=True)
    document_name = models.CharField(_("document's file name as sent"), max_length=200, blank=True)
    document_sha256 = models.CharField(_("SHA-256 of the document"), max_length=64, blank=True)
    document_content_type = models.CharField(_("document's type (sniffed)"), max_length=60, blank=True)
    document_size = models.PositiveIntegerField(_("document's size in bytes"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=ReplyState.choices, default=ReplyState.SUBMITTED,
                             db_index=True)
    received = models.DateTimeField(_("received"), default=timezone.now)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("moderated by"))
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    moderation_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("company's reply")
        verbose_name_plural = _("companies' replies")
        ordering = ["received", "id"]

    def __str__(self) -> str:
        return f"{self.invitation}: {self.get_state_display()}"

    @property
    def report(self):
        return self.invitation.report
