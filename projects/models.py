"""The catalogue: projects of the Kazakhstan–China industrial programme, with their sources.

Every value comes from a cited source; what no source says stays empty (null / blank).
"""

from datetime import date
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


# What a source supports, as the importer records it. Kept as plain text in the database so
# editors can write their own; these two known values are shown translated.
SUPPORTS_MAIN_FACTS = "status, cost, partners, capacity, start year"
SUPPORTS_ENVIRONMENTAL_NOTES = "environmental notes"
SUPPORTS_LABELS = {
    SUPPORTS_MAIN_FACTS: _("status, cost, partners, capacity, start year"),
    SUPPORTS_ENVIRONMENTAL_NOTES: _("environmental notes"),
}


class ProjectQuerySet(models.QuerySet):
    def with_related(self) -> "ProjectQuerySet":
        return self.prefetch_related("parties__company", "financings", "sources")

    def count_by(self, field: str) -> dict[str, int]:
        """Number of projects per value of ``field`` (values with none are left out)."""
        return dict(self.order_by().values_list(field).annotate(total=models.Count("id")))


class Project(models.Model):
    name_en = models.CharField(_("name (English)"), max_length=300)
    name_ru = models.CharField(_("name (Russian)"), max_length=300, blank=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=300, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=300, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNKNOWN, db_index=True)
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
    chinese_partners_as_stated = models.TextField(_("Chinese partners, as the source states them"), blank=True)
    kazakh_partners_as_stated = models.TextField(_("Kazakh partners, as the source states them"), blank=True)
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
            models.CheckConstraint(condition=models.Q(sector__in=Sector.values), name="project_sector_valid"),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="project_status_valid"),
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

    def numbered_sources(self) -> list["Source"]:
        """The sources in footnote order, each with ``number`` set (1, 2, ...).

        Parties and financing get ``footnote`` set to the number of the source they cite, so
        templates can mark every fact without looking anything up. Uses prefetched rows.
        """
        sources = list(self.sources.all())
        numbers = {}
        for number, source in enumerate(sources, start=1):
            source.number = number
            numbers[source.pk] = number
        for item in [*self.parties.all(), *self.financings.all()]:
            item.footnote = numbers.get(item.source_id)
        return sources


class Source(models.Model):
    """A public source that supports facts about a project (shown as footnotes)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(_("title"), max_length=500, blank=True, help_text=_("Empty if not known."))
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

    def get_supports_display(self) -> str:
        return SUPPORTS_LABELS.get(self.supports, self.supports)

    @property
    def supports_environmental_notes(self) -> bool:
        return self.supports == SUPPORTS_ENVIRONMENTAL_NOTES


# Countries the catalogue names; any other two-letter code is shown as it is.
COUNTRY_NAMES = {"CN": _("China"), "KZ": _("Kazakhstan")}


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

    def get_country_display(self) -> str:
        return COUNTRY_NAMES.get(self.country, self.country)


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
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("Two-letter ISO code, e.g. CN or KZ.")
    )
    amount_usd_million = models.DecimalField(
        _("amount, USD million"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("As stated, e.g. an amount in tenge."))
    source = models.ForeignKey(Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("financing")
        verbose_name_plural = _("financing")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.lender

    def get_country_display(self) -> str:
        return COUNTRY_NAMES.get(self.country, self.country)


class FigureUnit(models.TextChoices):
    PROJECTS = "projects", _("projects")
    USD_BILLION = "usd_bn", _("USD bn")


# Labels of the figures the importer knows, keyed by ProgrammeFigure.key. They live in code so
# they can be translated; a figure an editor adds in the admin shows its own `label`.
FIGURE_LABELS = {
    "programme_projects": _("Joint projects under the 2015 programme"),
    "programme_value": _("Value of the 52 projects"),
    "launched_count": _("Projects launched since 2015"),
    "launched_value": _("Value of the launched projects"),
    "in_progress_count": _("Projects under way"),
    "in_progress_value": _("Value of the projects under way"),
    "under_review_count": _("Projects under review"),
    "fdi_from_china": _("Foreign direct investment from China"),
    "projects_with_chinese_financing": _("Projects in the national investment pool with Chinese financial support"),
    "trade_total": _("Bilateral trade"),
    "trade_exports_to_china": _("Kazakhstan's exports to China"),
    "trade_imports_from_china": _("Kazakhstan's imports from China"),
}


class ProgrammeFigureQuerySet(models.QuerySet):
    def by_key(self) -> dict[str, "ProgrammeFigure"]:
        return {figure.key: figure for figure in self}


class ProgrammeFigure(models.Model):
    """A programme-level figure (e.g. '52 projects, $21.1 bn'), with its source."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    label = models.CharField(
        _("what it counts"),
        max_length=300,
        help_text=_("Shown only for figures whose key has no translated label in the code."),
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20, choices=FigureUnit.choices)
    as_of_year = models.PositiveSmallIntegerField(
        _("as of (year)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
    )
    as_of_month = models.PositiveSmallIntegerField(
        _("as of (month)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    source_title = models.CharField(_("source title"), max_length=300)
    source_url = models.URLField(_("source address"), max_length=1000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ProgrammeFigureQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme figure")
        verbose_name_plural = _("programme figures")
        ordering = ["position", "key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(as_of_month__isnull=True) | models.Q(as_of_year__isnull=False),
                name="figure_month_needs_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.display_value} {self.unit}"

    @property
    def display_label(self) -> str:
        return FIGURE_LABELS.get(self.key, self.label)

    @property
    def display_value(self) -> Decimal:
        """The value without trailing zeros (52, 21.1, 4.453), still a Decimal so it localises."""
        value = self.value.normalize()
        return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value

    @property
    def as_of_month_date(self) -> date | None:
        """The first of the 'as of' month, for month-precision figures (templates format it)."""
        if self.as_of_year and self.as_of_month:
            return date(self.as_of_year, self.as_of_month, 1)
        return None
