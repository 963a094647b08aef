"""The catalogue: projects of the Kazakhstan–China industrial programme, with their sources.

Every value comes from a cited source; what no source says stays empty (null / blank).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

PROGRAMME_PROJECT_COUNT = 52  # the 2015 programme as reported in July 2022 (see ProgrammeFigure)


class Sector(models.TextChoices):
    """The programme's nine sectors, plus 'other'."""

    METALLURGY = "metallurgy", _("Metallurgy")
    OIL_GAS = "oil_gas", _("Oil and gas processing")
    CHEMICALS = "chemicals", _("Chemical industry")
    MACHINERY = "machinery", _("Mechanical engineering")
    POWER = "power", _("Electric power")
    TRANSPORT = "transport", _("Transport")
    CONSTRUCTION_MATERIALS = "construction_materials", _("Construction materials")
    HEALTHCARE = "healthcare", _("Healthcare")
    AGRICULTURE = "agriculture", _("Agriculture")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    LAUNCHED = "launched", _("Launched")
    IN_PROGRESS = "in_progress", _("In progress")
    UNDER_REVIEW = "under_review", _("Under review")
    SUSPENDED = "suspended", _("Suspended or frozen")
    UNKNOWN = "unknown", _("Unknown")


class Region(models.TextChoices):
    """Kazakhstan's regions (oblasts) and cities of republican significance."""

    ASTANA = "astana", _("Astana (city)")
    ALMATY_CITY = "almaty_city", _("Almaty (city)")
    SHYMKENT = "shymkent", _("Shymkent (city)")
    ABAI = "abai", _("Abai region")
    AKMOLA = "akmola", _("Akmola region")
    AKTOBE = "aktobe", _("Aktobe region")
    ALMATY = "almaty", _("Almaty region")
    ATYRAU = "atyrau", _("Atyrau region")
    EAST_KAZAKHSTAN = "east_kazakhstan", _("East Kazakhstan region")
    ZHAMBYL = "zhambyl", _("Zhambyl region")
    ZHETYSU = "zhetysu", _("Zhetysu region")
    KARAGANDA = "karaganda", _("Karaganda region")
    KOSTANAY = "kostanay", _("Kostanay region")
    KYZYLORDA = "kyzylorda", _("Kyzylorda region")
    MANGYSTAU = "mangystau", _("Mangystau region")
    NORTH_KAZAKHSTAN = "north_kazakhstan", _("North Kazakhstan region")
    PAVLODAR = "pavlodar", _("Pavlodar region")
    TURKISTAN = "turkistan", _("Turkistan region")
    ULYTAU = "ulytau", _("Ulytau region")
    WEST_KAZAKHSTAN = "west_kazakhstan", _("West Kazakhstan region")
    # Sources before 2018 name this region; it is now Turkistan region and Shymkent city.
    # Mapping it to either would claim more than the source says.
    SOUTH_KAZAKHSTAN = "south_kazakhstan", _("South Kazakhstan region (before 2018)")


class ProgrammeTie(models.TextChoices):
    """How firmly a source ties the project to the 52-project programme."""

    OFFICIAL = "official", _("Placed in the 52-project programme by a source")
    EARLIER_LIST = "earlier_list", _("On an earlier list (51 or 55) or the key capacity-cooperation list")
    REPORTED = "reported", _("Reported link only (membership not confirmed)")


class ProjectQuerySet(models.QuerySet):
    def with_related(self) -> "ProjectQuerySet":
        return self.prefetch_related("parties__company", "financings", "sources")


class Project(models.Model):
    name_en = models.CharField(_("name (English)"), max_length=300)
    name_ru = models.CharField(_("name (Russian)"), max_length=300, blank=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=300, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=300, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UNKNOWN, db_index=True
    )
    status_as_of = models.DateField(
        _("status reported as of"),
        null=True,
        blank=True,
        help_text=_("When the source reported the status (the first of the month if only a month is known)."),
    )
    cost_usd_million = models.DecimalField(
        _("cost, USD million"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    region = models.CharField(_("region"), max_length=32, choices=Region.choices, blank=True, db_index=True)
    settlement = models.CharField(_("settlement or site"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("40.5")), MaxValueValidator(Decimal("55.5"))],
        help_text=_("Only from a source; Kazakhstan lies between 40.5° and 55.5° N."),
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("46.5")), MaxValueValidator(Decimal("87.5"))],
        help_text=_("Only from a source; Kazakhstan lies between 46.5° and 87.5° E."),
    )
    capacity = models.CharField(_("capacity"), max_length=300, blank=True)
    start_year = models.PositiveSmallIntegerField(
        _("start year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
    )
    overview = models.TextField(_("overview"), blank=True)
    environmental_notes = models.TextField(_("environmental notes"), blank=True)
    chinese_partners_as_stated = models.TextField(
        _("Chinese partners, as the source states them"), blank=True
    )
    kazakh_partners_as_stated = models.TextField(
        _("Kazakh partners, as the source states them"), blank=True
    )
    programme_tie = models.CharField(
        _("tie to the programme"), max_length=20, choices=ProgrammeTie.choices, db_index=True
    )
    programme_tie_basis = models.CharField(_("basis of the tie"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name_en"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(latitude__isnull=True) & models.Q(longitude__isnull=True))
                | (models.Q(latitude__isnull=False) & models.Q(longitude__isnull=False)),
                name="project_coordinates_both_or_neither",
            ),
            models.CheckConstraint(
                condition=models.Q(sector__in=Sector.values), name="project_sector_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="project_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    def get_absolute_url(self) -> str:
        return reverse("projects:project_detail", args=[self.slug])

    @property
    def name(self) -> str:
        """The name in the visitor's language, falling back to English."""
        language = (get_language() or "en")[:2]
        return getattr(self, f"name_{language}", "") or self.name_en

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Source(models.Model):
    """A public source that supports facts about a project (shown as footnotes)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(_("title"), max_length=500)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    url = models.URLField(_("address (URL)"), max_length=1000)
    published = models.DateField(_("publication date"), null=True, blank=True)
    supports = models.CharField(
        _("what it supports"),
        max_length=300,
        blank=True,
        help_text=_("Which facts on the page this source supports."),
    )
    is_primary = models.BooleanField(_("main source"), default=False)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "url"], name="source_unique_url_per_project")]

    def __str__(self) -> str:
        return self.title or self.url


class Company(models.Model):
    name = models.CharField(_("name"), max_length=300, unique=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("Two-letter ISO code, e.g. CN or KZ.")
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartyRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    CONTRACTOR = "contractor", _("Contractor")
    INVESTOR = "investor", _("Investor")
    OPERATOR = "operator", _("Operator")
    PARTNER = "partner", _("Partner (role not stated)")


class ProjectParty(models.Model):
    """A company's part in a project, as a source states it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="parties")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(_("role"), max_length=20, choices=PartyRole.choices, default=PartyRole.PARTNER)
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("E.g. share or scope."))
    source = models.ForeignKey(Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("company involved")
        verbose_name_plural = _("companies involved")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "company", "role"], name="party_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.get_role_display()})"


class Financing(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="financings")
    lender = models.CharField(_("lender"), max_length=300)
    amount_usd_million = models.DecimalField(
        _("amount, USD million"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    source = models.ForeignKey(Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("financing")
        verbose_name_plural = _("financing")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.lender


class ProgrammeFigure(models.Model):
    """A programme-level figure (e.g. '52 projects, $21.1 bn'), with its source."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    label = models.CharField(_("what it counts"), max_length=300)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    as_of = models.CharField(_("as of"), max_length=40, blank=True)
    source_title = models.CharField(_("source title"), max_length=300)
    source_url = models.URLField(_("source address"), max_length=1000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("programme figure")
        verbose_name_plural = _("programme figures")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return f"{self.label}: {self.value} {self.unit}".strip()
