"""Impact reports, their evidence, and the records of how moderators handled them.

Privacy rules that every layer relies on:
- contact details, exact location, sealed originals and internal notes are never public;
- public pages start from ``ImpactReport.objects.published()`` and show the *public* (redacted)
  fields only;
- the tracking token is stored as a SHA-256 digest: the link is shown to the reporter once.
"""

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kzcn import addresses
from kzcn.choice_labels import ChoiceLabels
from projects.models import Region

from . import private_links
from .places import settlements
from .storage import get_sealed_storage, stored_file_name


class ReporterType(models.TextChoices):
    RESIDENT = "resident", _("Resident living nearby")
    WORKER = "worker", _("Worker at the site")
    NGO = "ngo", _("NGO or civic group")
    JOURNALIST = "journalist", _("Journalist")
    RESEARCHER = "researcher", _("Researcher")
    OTHER = "other", _("Other")


class Attribution(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous (recommended)")
    NAME = "name", _("Show my name")
    ORGANISATION = "organisation", _("Show my organisation")


class Category(models.TextChoices):
    AIR = "air", _("Air: dust, smoke, odour")
    WATER = "water", _("Water pollution")
    SOIL = "soil", _("Soil contamination")
    WASTE = "waste", _("Waste")
    NOISE = "noise", _("Noise and vibration")
    BIODIVERSITY = "biodiversity", _("Plants and animals")
    HEALTH = "health", _("Health")
    LAND = "land", _("Land and displacement")
    WATER_USE = "water_use", _("Water use")
    CLIMATE = "climate", _("Climate")
    OTHER = "other", _("Other")


class Severity(models.IntegerChoices):
    MINOR = 1, _("Minor: a nuisance")
    MODERATE = 2, _("Moderate: affects daily life")
    SERIOUS = 3, _("Serious: harm to health, property or nature")
    SEVERE = 4, _("Severe: emergency or lasting damage")


class Language(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")
    OTHER = "other", _("Other")


class PublicLocationKind(models.TextChoices):
    """Which point a published report shows: chosen by the moderator, proposed by
    impacts.places.settlements.default_public_location_kind when the report arrives."""

    SETTLEMENT = "settlement", _("centre of the nearest settlement")
    COARSE = "coarse", _("rounded to about 1 km")
    NONE = "none", _("not shown on the map")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    NEEDS_INFO = "needs_info", _("Needs information")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SPAM = "spam", _("Spam")


class FollowUp(models.TextChoices):
    """A published report's public follow-up, beside its moderation status (empty: none yet).

    Moved only by impacts.workflow, like the status, and recorded in the same ReportTransition rows."""

    AWAITING_RESPONSE = "awaiting_response", _("Awaiting response")
    COMPANY_RESPONDED = "company_responded", _("Company responded")
    AUTHORITY_RESPONDED = "authority_responded", _("Authority responded")
    ACTION_REPORTED = "action_reported", _("Action reported")
    CONTINUES = "continues", _("The reporter says it continues")
    RESOLVED = "resolved", _("Resolved, according to the reporter")


# The tracking link is a private link like every other (impacts.private_links); these names stay
# for the code that reads the report's first link.
new_tracking_token = private_links.new_token
token_digest = private_links.digest


def coarsen(value: Decimal | None, places: int = 2) -> Decimal | None:
    """Round a coordinate to `places` decimals (2 ≈ 1 km), for publishing."""
    if value is None:
        return None
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


class ImpactReportQuerySet(models.QuerySet):
    def published(self) -> "ImpactReportQuerySet":
        """The only starting point for anything public."""
        return self.filter(status=Status.PUBLISHED)

    def open(self) -> "ImpactReportQuerySet":
        return self.filter(status__in=[Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO])

    def by_tracking_token(self, token: str) -> "ImpactReport":
        """The report this private link opens: the link first shown, or a re-issued one still valid."""
        if not isinstance(token, str) or not token or len(token) > private_links.MAX_TOKEN_LENGTH:
            raise self.model.DoesNotExist
        digest = token_digest(token)
        reissued = TrackingLink.objects.valid().filter(digest=digest).values("report")
        # A subquery rather than a join: a report with several links must still come back once.
        return self.get(models.Q(tracking_digest=digest) | models.Q(pk__in=reissued))


class ImpactReport(ChoiceLabels, models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    tracking_digest = models.CharField(max_length=64, unique=True, editable=False)
    # The form's single-use submission key: a second POST of the same form finds this report.
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    # Where.
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    site_name = models.CharField(
        _("site not in the catalogue"),
        max_length=200,
        blank=True,
        help_text=_("If the plant or site is not in our list, name it here."),
    )
    region = models.CharField(_("region"), max_length=32, choices=Region.choices, blank=True, db_index=True)
    settlement = models.CharField(_("village, town or district"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    public_latitude = models.DecimalField(_("public latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    public_longitude = models.DecimalField(_("public longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    # The public point is derived from this choice by set_public_location(); never the exact pin.
    public_location_kind = models.CharField(
        _("public location"),
        max_length=12,
        choices=PublicLocationKind.choices,
        default=PublicLocationKind.COARSE,
    )

    # Who (never public except as the reporter chose through `attribution`).
    reporter_type = models.CharField(_("I am a"), max_length=20, choices=ReporterType.choices)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    reporter_name = models.CharField(_("your name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    attribution = models.CharField(
        _("show me publicly as"), max_length=20, choices=Attribution.choices, default=Attribution.ANONYMOUS
    )

    # What.
    primary_category = models.CharField(_("main impact"), max_length=20, choices=Category.choices, db_index=True)
    severity = models.PositiveSmallIntegerField(_("how serious"), choices=Severity.choices, db_index=True)
    title = models.CharField(_("short title"), max_length=200)
    description = models.TextField(_("what happened"))
    observed_on = models.DateField(_("date observed"), db_index=True)
    ongoing = models.BooleanField(_("still going on"), default=False)
    language = models.CharField(_("language of the report"), max_length=8, choices=Language.choices)
    consent_publication = models.BooleanField(_("consent to publication"), default=False)
    consent_privacy = models.BooleanField(_("accepted the privacy terms"), default=False)
    # A voice identifies the speaker: a voice message is published only if this is set AND a
    # moderator approved it (Evidence.voice_publication_approved); otherwise its summary is shown.
    voice_may_be_published = models.BooleanField(_("my voice messages may be published"), default=False)

    # Moderation.
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    followup = models.CharField(
        _("follow-up"), max_length=24, choices=FollowUp.choices, blank=True, default="", db_index=True
    )
    followup_changed_at = models.DateTimeField(_("follow-up changed"), null=True, blank=True)
    public_title = models.CharField(_("public title"), max_length=200, blank=True)
    public_description = models.TextField(
        _("public text"), blank=True, help_text=_("Redact names, phone numbers and exact addresses here.")
    )
    # Place fields typed by the reporter are published only through these moderator-editable copies.
    public_site_name = models.CharField(_("public site name"), max_length=200, blank=True)
    public_settlement = models.CharField(_("public village, town or district"), max_length=200, blank=True)
    # The name or organisation shown publicly, when the reporter asked to be shown; empty is "Anonymous".
    public_reporter_name = models.CharField(_("shown publicly as"), max_length=200, blank=True)
    public_note = models.TextField(_("moderator's public note"), blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned moderator"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_reports",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    created = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True, editable=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["tracking_digest", "submission_key", "version", "updated"],
        verbose_name=_("historical impact report"),
    )

    objects = ImpactReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("impact report")
        verbose_name_plural = _("impact reports")
        ordering = ["created"]
        # The public list filters on status and orders by date observed (or severity); feeds by
        # date published. The full-text GIN index is PostgreSQL-only (migration 0005).
        indexes = [
            models.Index(fields=["status", "-observed_on", "-id"], name="report_status_observed"),
            models.Index(fields=["status", "-severity", "-observed_on"], name="report_status_severity"),
            models.Index(fields=["status", "-published_at"], name="report_status_published"),
            # The map's views (impacts.places.clusters): published reports within bounds, read off
            # an index instead of a scan of every report when the map is zoomed in.
            models.Index(
                fields=["public_latitude", "public_longitude"],
                condition=models.Q(status="published"),
                name="report_public_point",
            ),
            # A list filtered by region (the commonest place filter), and by date: its page in
            # order and its count (with the category check) from the index alone, without rows.
            models.Index(
                fields=["region", "-observed_on", "-id"],
                condition=models.Q(status="published"),
                name="report_published_region",
            ),
            # A list filtered by category (and date) counted by a merge join in report order with
            # the (category, report) index, both read from their indexes alone: it reads as many
            # entries as it takes to reach the cap, where a hash join read every link of the
            # category (18,088 at 100,000 reports: 7 ms, against 2.4 ms).
            models.Index(
                fields=["id"],
                include=["observed_on"],
                condition=models.Q(status="published"),
                name="report_published_id",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="report_status_valid"),
            models.CheckConstraint(
                condition=models.Q(followup__in=["", *FollowUp.values]), name="report_followup_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(project__isnull=False) | ~models.Q(site_name=""),
                name="report_has_project_or_site",
            ),
            models.CheckConstraint(condition=models.Q(severity__gte=1, severity__lte=4), name="report_severity_valid"),
            models.CheckConstraint(
                condition=models.Q(public_location_kind__in=PublicLocationKind.values),
                name="report_public_location_kind_valid",
            ),
        ]
        permissions = [
            ("view_contact_details", _("Can see reporters' contact details")),
            ("view_sealed_original", _("Can see sealed originals and their metadata")),
            ("moderate_report", _("Can review and decide on reports")),
            ("withdraw_report", _("Can withdraw a published report")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return addresses.address("impacts:report_detail", self.reference)

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED

    def changes_public_pages(self) -> bool:
        """Whether writing this report (or a row of it) can change what the public sees (kzcn.freshness).

        Published now, or published when loaded (a withdrawal saved through this instance). A new
        submission and a moderator's edits before publication change no public page.
        """
        return self.status == Status.PUBLISHED or getattr(self, "_loaded_status", None) == Status.PUBLISHED

    @property
    def site_label(self) -> str:
        return str(self.project) if self.project_id else self.site_name

    @property
    def public_reporter(self) -> str:
        """How the reporter is shown publicly: the moderator-checked public name, else 'Anonymous'."""
        return self.public_name(self.public_reporter_name)

    @staticmethod
    def public_name(public_reporter_name: str) -> str:
        return public_reporter_name or str(_("Anonymous"))

    @staticmethod
    def chosen_public_name(attribution: str, reporter_name: str, organisation: str) -> str:
        """What the reporter asked to be shown as: their name, their organisation, or nothing."""
        if attribution == Attribution.NAME:
            return reporter_name
        if attribution == Attribution.ORGANISATION:
            return organisation
        return ""

    def translation_for(self, language: str | None) -> "ReportTranslation | None":
        """A moderator's translation into `language`, if the report was written in another one."""
        language = (language or "")[:2]
        if not language or language == self.language:
            return None
        return self.translations.filter(language=language).first()

    def assign_reference(self) -> None:
        """KZCN-<year>-<6 digits>, from the row id (the reference is public; the token is not)."""
        self.reference = f"KZCN-{self.created.year}-{self.pk:06d}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    def apply(self, action: str, *, by=None, message: str = "", expected_version: int | None = None):
        """Move this report through the workflow (see impacts.workflow)."""
        from . import workflow

        return workflow.apply(self, action, by=by, message=message, expected_version=expected_version)

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_status", None)
        if self.pk and loaded is not None and self.status != loaded:
            # Status moves only through impacts.workflow.apply(), which records who and why.
            raise ValueError(f"status of {self.reference} cannot be changed by save(); use the workflow")
        if not self.pk:
            self.public_title = self.public_title or self.title
            self.public_description = self.public_description or self.description
            self.public_site_name = self.public_site_name or self.site_name
            self.public_settlement = self.public_settlement or self.settlement
            self.public_reporter_name = self.public_reporter_name or self.chosen_public_name(
                self.attribution, self.reporter_name, self.organisation
            )
            if self.public_latitude is None:
                self.set_public_location(settlements.default_public_location_kind(self.latitude, self.longitude))
            if not self.reference:
                # A unique placeholder until the id is known.
                self.reference = f"PENDING-{uuid.uuid4().hex[:12]}"
            super().save(*args, **kwargs)
            self.assign_reference()
            type(self).objects.filter(pk=self.pk).update(reference=self.reference)
            return
        super().save(*args, **kwargs)

    def set_public_location(self, kind: str, source: tuple | None = None) -> None:
        """Set the public point as `kind` says, from `source` (latitude, longitude).

        The source is by default the reporter's exact point or, for a report without one, the
        public point a moderator typed. A settlement's centre needs a settlement within
        settlements.MAX_DISTANCE_KM; without one the point is rounded, and the kind says so.
        """
        if source is None:
            exact = (self.latitude, self.longitude)
            source = exact if None not in exact else (self.public_latitude, self.public_longitude)
        latitude, longitude = source
        if kind == PublicLocationKind.NONE or latitude is None or longitude is None:
            kind, point = PublicLocationKind.NONE, (None, None)
        elif kind == PublicLocationKind.SETTLEMENT and (found := settlements.nearest(latitude, longitude)):
            point = found.settlement.public_point()
        else:
            kind, point = PublicLocationKind.COARSE, (coarsen(latitude), coarsen(longitude))
        self.public_location_kind = kind
        self.public_latitude, self.public_longitude = point

    @property
    def public_location_settlement(self) -> "settlements.Settlement | None":
        """The settlement whose centre is shown, when the moderator chose one."""
        if self.public_location_kind != PublicLocationKind.SETTLEMENT or self.public_latitude is None:
            return None
        return settlements.at_centre(self.public_latitude, self.public_longitude)

    def issue_tracking_token(self) -> str:
        """Create a new secret token; only its digest is stored. Call before the first save."""
        token = new_tracking_token()
        self.tracking_digest = token_digest(token)
        return token


class SearchWord(models.Model):
    """How many published reports hold a word of the search vectors (a lexeme), on PostgreSQL.

    Kept by the database itself: triggers on the report table (migration 0023) add each published
    report's words and take them away again as reports are inserted, published, edited, withdrawn or
    deleted, in the same statement's transaction. So the numbers cannot drift from the reports,
    whatever wrote them (the workflow, the admin, a bulk update, a migration). impacts.search reads
    them to know, without counting matches, that a one-word search of all published reports has more
    matches than it ranks. A word no published report holds any more stays with 0. Empty on SQLite.
    """

    lexeme = models.TextField(primary_key=True)
    reports = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.lexeme}: {self.reports}"


class ReportCategory(ChoiceLabels, models.Model):
    """Every impact category of a report, the primary one included (for filtering)."""

    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)

    class Meta:
        verbose_name = _("impact category")
        verbose_name_plural = _("impact categories")
        constraints = [models.UniqueConstraint(fields=["report", "category"], name="report_category_once")]
        # A list filtered by category: the reports of a category from the index alone (issue 16).
        indexes = [models.Index(fields=["category", "report"], name="report_category_lookup")]

    def __str__(self) -> str:
        return self.get_category_display()


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Voice message")


class EvidenceVisibility(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved for publication")
    HIDDEN = "hidden", _("Hidden")


class EvidenceState(models.TextChoices):
    """Where a file is in background processing (impacts.evidence.processing); only READY is public."""

    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    REFUSED = "refused", _("Refused")


class EvidenceQuerySet(models.QuerySet):
    def public(self):
        """Files the public may see on a published report: approved by a moderator and processed.

        A moderator may approve (and publish the report) while a file is still processing; the
        file then stays hidden until its public copy exists (state READY). A file sent with a
        neighbour's update (impacts.neighbours) is public only once that update is published.
        """
        return self.filter(visibility=EvidenceVisibility.APPROVED, state=EvidenceState.READY).filter(
            models.Q(update__isnull=True) | models.Q(update__state="published")
        )

    def of_report_itself(self):
        """Files sent with the report (or the reporter's answers), not with a neighbour's update."""
        return self.filter(update__isnull=True)


def random_name(instance, filename: str) -> str:
    """Stored names are random; the uploader's name is kept only as sanitised text."""
    return stored_file_name("", filename)


class Evidence(ChoiceLabels, models.Model):
    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="evidence")
    # Set for a file sent with a neighbour's update to a published report (impacts.neighbours):
    # public only once that update is published.
    update = models.ForeignKey(
        "impacts.ReportUpdate",
        verbose_name=_("update"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    original_name = models.CharField(_("file name as sent"), max_length=200, blank=True)
    public_file = models.FileField(_("public copy"), upload_to=random_name, blank=True)
    thumbnail = models.FileField(_("thumbnail"), upload_to=random_name, blank=True)
    # Videos: the picture shown in the player before it starts (a JPEG without EXIF, public storage).
    poster = models.FileField(_("poster picture"), upload_to=random_name, blank=True)
    sealed_file = models.FileField(_("sealed original"), upload_to=random_name, storage=get_sealed_storage)
    # Indexed on its own: the same file sent with another report is looked up by it.
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64, db_index=True)
    content_type = models.CharField(_("content type (sniffed)"), max_length=60)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    captured_at = models.CharField(_("capture time (from metadata)"), max_length=40, blank=True)
    gps_latitude = models.DecimalField(
        _("GPS latitude (from metadata)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    gps_longitude = models.DecimalField(
        _("GPS longitude (from metadata)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=EvidenceVisibility.choices, default=EvidenceVisibility.PENDING
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)
    # What sanitising took out of the public copy (author, embedded GPS, actions...), for moderators.
    removed_metadata = models.JSONField(_("removed from the public copy"), default=list, blank=True)
    # Videos and voice messages (impacts.evidence.video/audio).
    duration_seconds = models.FloatField(_("duration in seconds"), null=True, blank=True)
    summary = models.TextField(
        _("written summary"),
        blank=True,
        help_text=_(
            "What the recording says, in words: shown to everyone in place of a voice that is not "
            "published, and as the text alternative of one that is."
        ),
    )
    voice_publication_approved = models.BooleanField(
        _("publish the voice itself"),
        default=False,
        help_text=_("Only if the reporter allowed it in the form. Otherwise only the summary is public."),
    )
    # Fingerprints (impacts.evidence.fingerprints): the public copy's own SHA-256, and a 64-bit
    # perceptual hash of the picture (signed, as PostgreSQL has no unsigned bigint) split into four
    # indexed 16-bit bands so that near-duplicates are found without reading every row.
    public_sha256 = models.CharField(_("SHA-256 of the public copy"), max_length=64, blank=True, editable=False)
    phash = models.BigIntegerField(_("perceptual hash"), null=True, blank=True, editable=False)
    phash_band_0 = models.IntegerField(null=True, blank=True, editable=False, db_index=True)
    phash_band_1 = models.IntegerField(null=True, blank=True, editable=False, db_index=True)
    phash_band_2 = models.IntegerField(null=True, blank=True, editable=False, db_index=True)
    phash_band_3 = models.IntegerField(null=True, blank=True, editable=False, db_index=True)
    created = models.DateTimeField(_("received"), auto_now_add=True)
    # Background processing (impacts.evidence.processing). A row saved with its public copy already
    # made is READY; an upload saved by the report form starts PROCESSING, without a public copy.
    state = models.CharField(_("processing"), max_length=10, choices=EvidenceState.choices, default=EvidenceState.READY)
    refusal_reason = models.CharField(_("why it was refused"), max_length=500, blank=True)
    processing_started_at = models.DateTimeField(_("processing claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["processing_started_at"], condition=models.Q(state="processing"), name="evidence_processing_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["report", "sha256"], name="evidence_once_per_report"),
            models.CheckConstraint(
                condition=~models.Q(visibility="hidden") | ~models.Q(hidden_reason=""),
                name="evidence_hidden_needs_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["processing", "ready", "refused"]), name="evidence_state_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="refused") | ~models.Q(refusal_reason=""),
                name="evidence_refused_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.report.reference})"

    @property
    def is_public(self) -> bool:
        """Whether anyone may fetch the public copy: approved, processed, published, and for a
        voice, allowed by the reporter and approved by a moderator (`voice_is_public`)."""
        return (
            self.visibility == EvidenceVisibility.APPROVED
            and self.state == EvidenceState.READY
            and self.report.is_public
            and (self.update_id is None or self.update.state == "published")
            and (not self.is_voice or self.voice_is_public)
        )

    @property
    def is_voice(self) -> bool:
        """A voice message, or a "video" file that held sound only (its public copy is an M4A)."""
        return self.kind == EvidenceKind.AUDIO or (self.public_file.name or "").endswith(".m4a")

    @property
    def voice_is_public(self) -> bool:
        return self.is_voice and self.voice_publication_approved and self.report.voice_may_be_published

    @property
    def duration_label(self) -> str:
        """A recording's length as the players show it: "0:42", "2:05", "1:02:03"; "" if unknown."""
        if self.duration_seconds is None:
            return ""
        minutes, seconds = divmod(round(self.duration_seconds), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class SealedAccess(models.Model):
    """Chain of custody: who viewed or downloaded a sealed original, and when."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="sealed_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sealed original access")
        verbose_name_plural = _("sealed original accesses")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.evidence_id} {self.at:%Y-%m-%d %H:%M}"


class ReportTransition(ChoiceLabels, models.Model):
    """One step of a report through the workflow: who, when, from, to, why. Never edited."""

    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    # A follow-up step (status stays "published") records the follow-up it left and reached.
    from_followup = models.CharField(_("follow-up from"), max_length=24, choices=FollowUp.choices, blank=True)
    to_followup = models.CharField(_("follow-up to"), max_length=24, choices=FollowUp.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(
        _("by (not a user)"), max_length=40, blank=True, help_text=_("E.g. 'reporter' for the tracking link.")
    )
    message = models.TextField(_("reason or message"), blank=True)
    created = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created", "id"]

    def changes_public_pages(self) -> bool:
        """A step into or out of publication changes the public pages; the workflow moves the
        status with an UPDATE, so this row is the write that says so (kzcn.freshness)."""
        return Status.PUBLISHED in (self.from_status, self.to_status)

    @property
    def is_followup(self) -> bool:
        return bool(self.to_followup) and self.from_status == self.to_status

    def __str__(self) -> str:
        # Shown in the admin (inline rows, the action log): the statuses in the reader's language.
        if self.is_followup:
            before = self.get_from_followup_display().lower() or "—"
            return f"{self.report_id}: {before} → {self.get_to_followup_display().lower()}"
        return f"{self.report_id}: {self.get_from_status_display().lower()} → {self.get_to_status_display().lower()}"


class MessageDirection(models.TextChoices):
    TO_REPORTER = "to_reporter", _("To the reporter")
    FROM_REPORTER = "from_reporter", _("From the reporter")


class ReportMessage(models.Model):
    """The dialogue with the reporter, shown on their tracking page."""

    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=20, choices=MessageDirection.choices)
    text = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.text[:40]}"


class RequestKind(models.TextChoices):
    WITHDRAW = "withdraw", _("Withdraw my report")
    HIDE_NAME = "hide_name", _("Stop showing my name or organisation")


class ReporterRequest(models.Model):
    """A reporter's request from the tracking page, waiting for a moderator."""

    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(_("request"), max_length=20, choices=RequestKind.choices)
    text = models.TextField(_("reporter's words"), blank=True)
    created = models.DateTimeField(_("received"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reporter request")
        verbose_name_plural = _("reporter requests")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.get_kind_display()}"

    def hide_name(self, *, by) -> None:
        """Honour a hide-name request: the report is shown as anonymous from now on."""
        report = self.report
        report.attribution = Attribution.ANONYMOUS
        report.public_reporter_name = ""
        report._change_reason = f"reporter request {self.pk}: hide name"
        report.save(update_fields=["attribution", "public_reporter_name", "updated"])
        self.mark_handled(by=by)

    def mark_handled(self, *, by) -> None:
        self.handled_at, self.handled_by = timezone.now(), by
        self.save(update_fields=["handled_at", "handled_by"])


class NotificationKind(models.TextChoices):
    TRACKING_LINK = "tracking_link", _("Tracking link")
    PUBLISHED = "published", _("Report published")
    REJECTED = "rejected", _("Report rejected")
    NEEDS_INFO = "needs_info", _("Question to the reporter")
    WITHDRAWN = "withdrawn", _("Report withdrawn")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """Every attempt to tell a reporter something by e-mail, and how it went."""

    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    created = models.DateTimeField(_("queued"), default=timezone.now)
    attempted_at = models.DateTimeField(_("attempted"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class EvidenceWriter:
    """Writes prepared evidence to storage; if the surrounding block fails, removes what it wrote.

        with EvidenceWriter() as writer, transaction.atomic():
            ...
            writer.store(report, prepared)

    so a refused or failed submission leaves neither a row nor a file behind.
    """

    def __init__(self):
        self.written: list[tuple[object, str]] = []

    def __enter__(self) -> "EvidenceWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            for storage, name in self.written:
                storage.delete(name)

    def _save(self, field, instance, name: str, content) -> None:
        from django.core.files.base import ContentFile, File

        content = ContentFile(content) if isinstance(content, bytes) else File(content)
        getattr(instance, field.name).save(name, content, save=False)
        self.written.append((getattr(instance, field.name).storage, getattr(instance, field.name).name))

    def store(self, report: ImpactReport, prepared) -> "Evidence":
        """Create the Evidence row for a impacts.evidence.PreparedEvidence, files first."""
        item = Evidence(
            report=report,
            kind=prepared.kind,
            original_name=prepared.original_name,
            sha256=prepared.sha256,
            content_type=prepared.content_type,
            size=prepared.size,
            width=prepared.width,
            height=prepared.height,
            captured_at=prepared.captured_at or "",
            gps_latitude=prepared.gps_latitude,
            gps_longitude=prepared.gps_longitude,
            removed_metadata=prepared.removed_metadata,
        )
        prepared.original.seek(0)
        self._save(
            Evidence._meta.get_field("sealed_file"), item, f"original.{prepared.original_extension}", prepared.original
        )
        if prepared.public_bytes is None:
            # Only accepted (evidence.accept_evidence): the task worker makes the public copy, then
            # fingerprints it (impacts.evidence.processing).
            item.state = EvidenceState.PROCESSING
            item.save()
            from .evidence.processing import enqueue_after_commit  # it imports this module

            enqueue_after_commit(item.pk)
            return item
        self._save(
            Evidence._meta.get_field("public_file"), item, f"public.{prepared.public_extension}", prepared.public_bytes
        )
        if prepared.thumbnail_bytes:
            self._save(Evidence._meta.get_field("thumbnail"), item, "thumb.jpg", prepared.thumbnail_bytes)
        item.save()
        from .evidence.fingerprints import fingerprint_evidence

        fingerprint_evidence(item)  # once the public copy exists: here, or in background processing
        return item


class TranslationMethod(models.TextChoices):
    HUMAN = "human", _("Translated by a person")
    MACHINE = "machine", _("Machine translation")


class ReportTranslation(models.Model):
    """A moderator's translation of a published report's public text into another language."""

    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=[c for c in Language.choices if c[0] != "other"])
    title = models.CharField(_("translated title"), max_length=200)
    text = models.TextField(_("translated text"))
    method = models.CharField(_("how it was translated"), max_length=10, choices=TranslationMethod.choices)
    translated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [models.UniqueConstraint(fields=["report", "language"], name="one_translation_per_language")]

    def __str__(self) -> str:
        return f"{self.report_id} ({self.language})"


def tracking_link_lifetime() -> timedelta:
    """How long a re-issued (e-mailed) link works. The link shown after sending never expires.

    An e-mail sits in a mailbox for years and travels through servers we do not control, so what it
    carries should stop working; the reporter can always ask for a fresh one (impacts:track_lost).
    """
    return timedelta(days=settings.KZCN_TRACKING_LINK_DAYS)


class TrackingLinkQuerySet(private_links.PrivateLinkQuerySet):
    def for_report(self, report: "ImpactReport") -> str:
        """A new private token for `report`, valid for the tracking-link lifetime; expired ones are removed."""
        self.filter(report=report).expired().delete()
        _link, token = self.issue(lifetime=tracking_link_lifetime(), report=report)
        return token


class TrackingLink(private_links.PrivateLink):
    """A further private link to a report (re-sent on request): only the token's SHA-256 is stored.

    The link shown after sending is the report's own `tracking_digest` and never expires."""

    report = models.ForeignKey(ImpactReport, on_delete=models.CASCADE, related_name="tracking_links")

    objects = TrackingLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("tracking link")
        verbose_name_plural = _("tracking links")

    def __str__(self) -> str:
        return f"{self.report.reference} link {self.pk}"


# The follow-up after publication lives in packages of its own; their models are registered here.
from .alerts.models import AlertSent, Subscription, SubscriptionLink  # noqa: E402, F401
from .authorities.models import Authority, AuthorityRequest  # noqa: E402, F401
from .neighbours.models import NeighbourMark, ReportUpdate  # noqa: E402, F401
from .replies.models import CompanyInvitation, CompanyReply  # noqa: E402, F401
