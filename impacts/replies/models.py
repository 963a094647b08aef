"""A company's right of reply to a published report: the invitation (a private link) and the reply.

The moderator invites one of the project's companies (`CompanyInvitation.objects.invite`); the
company answers once through its private link; a moderator publishes or rejects the answer
(`CompanyReply.publish` / `reject`), and the report page shows the answer or, once the deadline
has passed without one, "no response".
"""

from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..private_links import PrivateLink, PrivateLinkQuerySet
from ..storage import get_sealed_storage, stored_file_name

# After the deadline the link keeps working this long, so a late answer can still arrive (shown as late).
GRACE = timedelta(days=30)
# Reminders go out this long before the deadline, to a company that has not answered.
REMINDERS_BEFORE_DEADLINE = (timedelta(days=3), timedelta(days=1))
INVITATION_LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]


def reply_document_name(instance, filename: str) -> str:
    return stored_file_name("replies", filename)


def default_reply_days() -> int:
    return settings.KZCN_REPLY_DAYS


class MailState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class CompanyInvitationQuerySet(PrivateLinkQuerySet):
    def unanswered(self) -> "CompanyInvitationQuerySet":
        return self.filter(reply__isnull=True)

    def overdue(self, at=None) -> "CompanyInvitationQuerySet":
        """Past the deadline with no published reply: the report says "no response"."""
        return self.filter(deadline__lte=at or timezone.now()).exclude(reply__state=ReplyState.PUBLISHED)

    def invite(self, *, report, company, by, language: str, days: int) -> tuple["CompanyInvitation", bool]:
        """Invite `company` to answer `report` within `days` (or invite it again); (invitation, created).

        The link is issued here, hashed at rest; the token that reaches the company is made by the
        worker when it sends the e-mail (`emails.send_invitation` rotates it), so no token waits in
        the task queue. Inviting again moves the deadline and sends a new link (the old one stops).
        """
        deadline = timezone.now() + timedelta(days=days)
        fields = {"email": company.contact_email, "language": language, "deadline": deadline, "invited_by": by}
        with transaction.atomic():
            invitation = self.select_for_update().filter(report=report, company=company).first()
            created = invitation is None
            if created:
                invitation, _token = self.issue(
                    lifetime=deadline - timezone.now() + GRACE, report=report, company=company, **fields
                )
            else:
                for name, value in fields.items():
                    setattr(invitation, name, value)
                invitation.expires = deadline + GRACE
                invitation.save(update_fields=[*fields, "expires"])
        return invitation, created


class CompanyInvitation(PrivateLink):
    """A moderator's invitation to one of a project's companies to answer one published report.

    The row is the company's private link (hashed at rest, expiring); `deadline` is when the report
    starts saying "no response". The address is copied from the company at the time of inviting."""

    report = models.ForeignKey(
        "impacts.ImpactReport", on_delete=models.CASCADE, related_name="invitations", verbose_name=_("report")
    )
    company = models.ForeignKey(
        "projects.Company", on_delete=models.PROTECT, related_name="invitations", verbose_name=_("company")
    )
    email = models.EmailField(_("sent to"))
    language = models.CharField(_("language of the invitation"), max_length=8, default="ru")
    deadline = models.DateTimeField(_("answer by"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminder_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    # The last e-mail (invitation or reminder): what became of it. The reason never holds an address.
    mail_state = models.CharField(_("last e-mail"), max_length=10, choices=MailState.choices, blank=True)
    mail_error = models.CharField(_("why the last e-mail failed"), max_length=500, blank=True)
    mailed_at = models.DateTimeField(_("last e-mail attempted"), null=True, blank=True)

    objects = CompanyInvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation to reply")
        verbose_name_plural = _("invitations to reply")
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "company"], name="invitation_once_per_company"),
        ]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.company}"

    def answered(self) -> bool:
        return CompanyReply.objects.filter(invitation=self).exists()

    def is_overdue(self, at=None) -> bool:
        """Past the deadline, and nothing published: what the public sees as "no response"."""
        if self.deadline > (at or timezone.now()):
            return False
        reply = getattr(self, "reply", None) if self.pk else None
        return reply is None or reply.state != ReplyState.PUBLISHED

    def reminders_due(self, at=None) -> int:
        """How many reminders should have gone out by `at`: those whose time came after the invitation."""
        at = at or timezone.now()
        if at >= self.deadline:
            return 0
        return sum(1 for before in REMINDERS_BEFORE_DEADLINE if self.created < self.deadline - before <= at)

    def claim_reminder(self, at=None) -> bool:
        """Record that a reminder is going out now, unless one already is (True: send it).

        A conditional UPDATE on the count, so two runs of the command at once send one reminder.
        A run that missed a reminder's time sends one, not two (the count jumps to what is due).
        """
        at = at or timezone.now()
        due = self.reminders_due(at)
        if due <= self.reminders_sent or self.answered():
            return False
        claimed = CompanyInvitation.objects.filter(pk=self.pk, reminders_sent=self.reminders_sent).update(
            reminders_sent=due, last_reminder_at=at
        )
        if claimed:
            self.reminders_sent, self.last_reminder_at = due, at
        return bool(claimed)

    def record_mail(self, state: str, error: str = "") -> None:
        CompanyInvitation.objects.filter(pk=self.pk).update(
            mail_state=state, mail_error=error[:500], mailed_at=timezone.now()
        )


class ReplyState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class CompanyReplyQuerySet(models.QuerySet):
    def published(self) -> "CompanyReplyQuerySet":
        """The only starting point for anything public: published replies to published reports."""
        return self.filter(state=ReplyState.PUBLISHED, invitation__report__status="published")


class CompanyReply(models.Model):
    """The company's one answer, moderated like a report before it is shown beside it."""

    invitation = models.OneToOneField(CompanyInvitation, on_delete=models.CASCADE, related_name="reply")
    responder = models.CharField(_("name and position of the person answering"), max_length=200, blank=True)
    text = models.TextField(_("the company's response"), max_length=5000)
    public_text = models.TextField(
        _("public text"), blank=True, help_text=_("What is published; empty publishes the text as sent.")
    )
    document = models.FileField(
        _("document as sent"), upload_to=reply_document_name, storage=get_sealed_storage, blank=True
    )
    document_copy = models.FileField(
        _("document, safe copy"), upload_to=reply_document_name, storage=get_sealed_storage, blank=True
    )
    document_name = models.CharField(_("document's file name as sent"), max_length=200, blank=True)
    document_sha256 = models.CharField(_("SHA-256 of the document"), max_length=64, blank=True)
    document_content_type = models.CharField(_("document's type (sniffed)"), max_length=60, blank=True)
    document_size = models.PositiveIntegerField(_("document's size in bytes"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ReplyState.choices, default=ReplyState.SUBMITTED, db_index=True
    )
    received = models.DateTimeField(_("received"), default=timezone.now)
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

    objects = CompanyReplyQuerySet.as_manager()

    class Meta:
        verbose_name = _("company's reply")
        verbose_name_plural = _("companies' replies")
        ordering = ["received", "id"]

    def __str__(self) -> str:
        return f"{self.invitation}: {self.get_state_display()}"

    @property
    def report(self):
        return self.invitation.report

    @property
    def shown_text(self) -> str:
        return self.public_text.strip() or self.text

    @property
    def was_late(self) -> bool:
        return self.received > self.invitation.deadline

    @property
    def copy_content_type(self) -> str:
        return "application/pdf" if self.document_copy.name.endswith(".pdf") else "image/jpeg"

    def publish(self, *, by, public_text: str | None = None) -> None:
        """Show the reply beside the report, and move the report's follow-up to "company responded"."""
        from .. import workflow

        with transaction.atomic():
            if public_text is not None:
                self.public_text = public_text
            self._moderated(ReplyState.PUBLISHED, by, "")
            report = self.invitation.report
            if report.followup != workflow.ACTIONS["company_responded"].followup:
                workflow.apply(
                    report, "company_responded", by=by, message=f"{self.invitation.company}: reply published"
                )

    def reject(self, *, by, reason: str) -> None:
        if not reason.strip():
            raise ValueError("a reason is required")
        self._moderated(ReplyState.REJECTED, by, reason.strip())

    def _moderated(self, state: str, by, reason: str) -> None:
        self.state, self.moderated_by, self.moderated_at, self.moderation_reason = state, by, timezone.now(), reason
        self.save()

    def attach_document(self, prepared) -> None:
        """Seal an accepted upload (an impacts.evidence.PreparedEvidence) and its safe copy; call save() after."""
        from django.core.files.base import ContentFile, File

        prepared.original.seek(0)
        self.document.save(f"original.{prepared.original_extension}", File(prepared.original), save=False)
        self.document_copy.save(f"copy.{prepared.public_extension}", ContentFile(prepared.public_bytes), save=False)
        self.document_name = prepared.original_name
        self.document_sha256 = prepared.sha256
        self.document_content_type = prepared.content_type
        self.document_size = prepared.size

    def delete_document_files(self) -> None:
        """Remove the sealed files (a save that failed must leave nothing behind)."""
        for stored in (self.document, self.document_copy):
            if stored:
                stored.storage.delete(stored.name)
