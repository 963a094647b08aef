"""The catalogue: projects of the Kazakhstan–China industrial programme, with their sources.

Every value comes from a cited source; what no source says stays empty (null / blank).
"""

from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from impacts.storage import get_sealed_storage, stored_file_name
from kzcn import addresses
from kzcn.choice_labels import ChoiceLabels

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
    """How firmly a source ties the project to the programme (the dataset's README, version 2)."""

    OFFICIAL = "official", _("Placed in the programme list (51, 52 or 55 items) by a source")
    EARLIER_LIST = "earlier_list", _("Only on an earlier version of the list, or only on China's NDRC key project list")
    REPORTED = "reported", _("Reported link only (membership not confirmed)")


class DatePrecision(models.TextChoices):
    """How much of a date the source gives: '2025', '2022-07' or '2021-06-23'."""

    YEAR = "year", _("year")
    MONTH = "month", _("month")
    DAY = "day", _("day")


class TranslationOrigin(models.TextChoices):
    """Where a name or text in another language comes from; empty when nobody recorded it."""

    SOURCE = "source", _("as a source writes it")
    HUMAN = "human", _("human translation")
    MACHINE = "machine", _("machine translation")


# The languages the site is shown in besides English, and the ones a project name may have.
TRANSLATED_LANGUAGES = ("ru", "kk")
NAME_LANGUAGES = ("ru", "kk", "zh")


def visitor_language() -> str:
    return (get_language() or "en")[:2]


# What a source supports, as the importer records it. Kept as plain text in the database so
# editors can write their own; these two known values are shown translated.
SUPPORTS_MAIN_FACTS = "status, cost, partners, capacity, start year"
SUPPORTS_ENVIRONMENTAL_NOTES = "environmental notes"
SUPPORTS_TIE = "tie to the programme"
SUPPORTS_COORDINATES = "coordinates"
SUPPORTS_SEPARATOR = "; "  # one source may support several of the above
SUPPORTS_LABELS = {
    SUPPORTS_MAIN_FACTS: _("status, cost, partners, capacity, start year"),
    SUPPORTS_ENVIRONMENTAL_NOTES: _("environmental notes"),
    SUPPORTS_TIE: _("tie to the programme"),
    SUPPORTS_COORDINATES: _("coordinates"),
}


class ImportedFacts(ChoiceLabels, models.Model):
    """What the import file said for each field, and which fields an editor changed since.

    ``imported_values`` holds the file's value per field (as JSON: numbers and dates as text);
    ``edited_fields`` holds {field: {"by": user name, "at": ISO time, "source": source id}}.
    The importer updates only fields nobody edited (see projects.provenance).
    """

    imported_values = models.JSONField(_("values from the import file"), default=dict, blank=True, editable=False)
    edited_fields = models.JSONField(_("fields changed by editors"), default=dict, blank=True, editable=False)

    class Meta:
        abstract = True


class ProjectQuerySet(models.QuerySet):
    def with_related(self) -> "ProjectQuerySet":
        return self.prefetch_related("parties__company", "financings", "sources")

    def with_display_name(self, language: str | None = None) -> "ProjectQuerySet":
        """Annotate ``display_name``: the name in ``language`` (the visitor's), else the English one."""
        language = (language or visitor_language())[:2]
        if language not in NAME_LANGUAGES:
            return self.annotate(display_name=models.F("name_en"))
        return self.annotate(display_name=Coalesce(NullIf(f"name_{language}", models.Value("")), "name_en"))

    def ordered_for(self, language: str | None = None) -> "ProjectQuerySet":
        """Sorted by the name the visitor sees (``Project.name``), case-insensitively.

        For the report form's and filters' project choices as well as the catalogue list.
        """
        return self.with_display_name(language).order_by(Lower("display_name"), "name_en", "pk")

    def count_by(self, field: str) -> dict[str, int]:
        """Number of projects per value of ``field`` (values with none are left out)."""
        return dict(self.order_by().values_list(field).annotate(total=models.Count("id")))


def origin_field(verbose_name) -> models.CharField:
    return models.CharField(verbose_name, max_length=10, choices=TranslationOrigin.choices, blank=True)


class Project(ImportedFacts):
    name_en = models.CharField(_("name (English)"), max_length=300)
    name_ru = models.CharField(_("name (Russian)"), max_length=300, blank=True)
    name_ru_origin = origin_field(_("Russian name: origin"))
    name_kk = models.CharField(_("name (Kazakh)"), max_length=300, blank=True)
    name_kk_origin = origin_field(_("Kazakh name: origin"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=300, blank=True)
    name_zh_origin = origin_field(_("Chinese name: origin"))
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNKNOWN, db_index=True)
    status_as_of = models.DateField(
        _("status reported as of"),
        null=True,
        blank=True,
        help_text=_("When the source reported the status (the first of the month if only a month is known)."),
    )
    status_as_of_precision = models.CharField(
        _("status date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        blank=True,
        help_text=_("Whether the source gives the year, the month or the day."),
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
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("40.5")), MaxValueValidator(Decimal("55.5"))],
        help_text=_("Only from a source; Kazakhstan lies between 40.5° and 55.5° N."),
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("46.5")), MaxValueValidator(Decimal("87.5"))],
        help_text=_("Only from a source; Kazakhstan lies between 46.5° and 87.5° E."),
    )
    coordinates_source_url = models.URLField(
        _("source of the coordinates"), max_length=1000, blank=True, help_text=_("The page that states them.")
    )
    capacity = models.CharField(_("capacity"), max_length=300, blank=True)
    start_year = models.PositiveSmallIntegerField(
        _("start year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
    )
    overview = models.TextField(_("overview (English)"), blank=True)
    overview_ru = models.TextField(_("overview (Russian)"), blank=True)
    overview_ru_origin = origin_field(_("Russian overview: origin"))
    overview_kk = models.TextField(_("overview (Kazakh)"), blank=True)
    overview_kk_origin = origin_field(_("Kazakh overview: origin"))
    environmental_notes = models.TextField(_("environmental notes"), blank=True)
    chinese_partners_as_stated = models.TextField(_("Chinese partners, as the source states them"), blank=True)
    kazakh_partners_as_stated = models.TextField(_("Kazakh partners, as the source states them"), blank=True)
    programme_tie = models.CharField(
        _("tie to the programme"), max_length=20, choices=ProgrammeTie.choices, db_index=True
    )
    programme_tie_basis = models.CharField(_("basis of the tie"), max_length=500, blank=True)
    programme_tie_url = models.URLField(_("source of the tie"), max_length=1000, blank=True)
    programme_tie_quote = models.TextField(
        _("quote that ties it"), blank=True, help_text=_("A short quote from that source, in its original language.")
    )
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
        return addresses.address("projects:project_detail", self.slug)

    @property
    def name(self) -> str:
        """The name in the visitor's language, falling back to English."""
        language = visitor_language()
        return getattr(self, f"name_{language}", "") or self.name_en

    @property
    def name_is_translated(self) -> bool:
        """False when a visitor in Russian or Kazakh is shown the English name."""
        language = visitor_language()
        return language not in TRANSLATED_LANGUAGES or bool(getattr(self, f"name_{language}", ""))

    @property
    def name_origin(self) -> str:
        """'human translation' / 'machine translation' / ... for the shown name; '' if not recorded."""
        language = visitor_language()
        if language not in NAME_LANGUAGES or not getattr(self, f"name_{language}", ""):
            return ""
        return getattr(self, f"get_name_{language}_origin_display")()

    @property
    def localised_overview(self) -> str:
        language = visitor_language()
        return (getattr(self, f"overview_{language}", "") if language in TRANSLATED_LANGUAGES else "") or self.overview

    @property
    def overview_is_translated(self) -> bool:
        language = visitor_language()
        return language not in TRANSLATED_LANGUAGES or bool(getattr(self, f"overview_{language}", ""))

    @property
    def overview_origin(self) -> str:
        language = visitor_language()
        if language not in TRANSLATED_LANGUAGES or not getattr(self, f"overview_{language}", ""):
            return ""
        return getattr(self, f"get_overview_{language}_origin_display")()

    @property
    def status_as_of_text(self) -> str:
        """The status date as precisely as the source gives it: '2025', 'July 2022' or '23 June 2021'."""
        if not self.status_as_of:
            return ""
        date_format = {DatePrecision.YEAR: "Y", DatePrecision.DAY: "DATE_FORMAT"}.get(
            self.status_as_of_precision, "YEAR_MONTH_FORMAT"
        )
        return formats.date_format(self.status_as_of, date_format)

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

    def fact_footnotes(self, sources: list["Source"]) -> dict[str, int | None]:
        """Footnote number per field: the source an editor gave with their change, else the file's.

        ``sources`` come from ``numbered_sources()``. Fields from the main source fall back to it;
        the tie and the coordinates to the source whose address the file gives for them.
        """
        by_pk = {source.pk: source.number for source in sources}
        by_url = {source.url: source.number for source in sources}
        main = next((source.number for source in sources if source.is_primary), None)
        footnotes = {field: main for field in MAIN_SOURCE_FIELDS}
        footnotes["programme_tie"] = by_url.get(self.programme_tie_url)
        footnotes["coordinates"] = by_url.get(self.coordinates_source_url)
        for field, edit in self.edited_fields.items():
            number = by_pk.get(edit.get("source"))
            if number:
                footnotes["coordinates" if field in ("latitude", "longitude") else field] = number
        return footnotes


# The facts the file's main source (source_url) supports.
MAIN_SOURCE_FIELDS = (
    "status", "cost_usd_million", "capacity", "start_year", "environmental_notes",
    "chinese_partners_as_stated", "kazakh_partners_as_stated",
)  # fmt: skip


class Source(ImportedFacts):
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
        parts = self.supports.split(SUPPORTS_SEPARATOR) if self.supports not in SUPPORTS_LABELS else [self.supports]
        return ", ".join(str(SUPPORTS_LABELS.get(part, part)) for part in parts)

    @property
    def supports_environmental_notes(self) -> bool:
        return SUPPORTS_ENVIRONMENTAL_NOTES in self.supports.split(SUPPORTS_SEPARATOR)

    @property
    def display_title(self) -> str:
        """The title, or the publisher's name when no title is recorded: never a bare address."""
        return self.title or self.publisher or urlsplit(self.url).hostname or self.url


# Countries the catalogue names; any other two-letter code is shown as it is.
COUNTRY_NAMES = {"CN": _("China"), "KZ": _("Kazakhstan")}


class Company(models.Model):
    name = models.CharField(_("name"), max_length=300, unique=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("Two-letter ISO code, e.g. CN or KZ.")
    )
    # Where invitations to reply to reports are sent (impacts.replies); kept by editors, never public.
    contact_email = models.EmailField(
        _("contact e-mail for reports"),
        blank=True,
        help_text=_("Where invitations to answer published reports are sent. Never shown publicly."),
    )
    contact_note = models.CharField(
        _("contact note"),
        max_length=300,
        blank=True,
        help_text=_("E.g. which department, and the source of the address. Never shown publicly."),
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


class ProjectParty(ImportedFacts):
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


class Financing(ImportedFacts):
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


class ProgrammeFigure(ImportedFacts):
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


class ConflictState(models.TextChoices):
    OPEN = "open", _("to settle")
    KEPT_EDITOR = "kept_editor", _("editor's value kept")
    TOOK_FILE = "took_file", _("file's value taken")


class ImportConflict(models.Model):
    """A fact the import file and an editor disagree on: the import left the editor's value.

    ``record`` is the project itself or one of its sources, companies involved or financing
    (``model`` names which, ``object_id`` which row). Values are stored as the import records
    them (text for numbers and dates), so the file's value can be applied when an editor takes it.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="import_conflicts"
    )  # empty for a programme figure
    model = models.CharField(_("record"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("record id"))
    record_label = models.CharField(_("record"), max_length=500, blank=True)
    field = models.CharField(_("field"), max_length=60)
    file_value = models.JSONField(_("the file says"), null=True, blank=True)
    editor_value = models.JSONField(_("the editor says"), null=True, blank=True)
    edited_by = models.CharField(_("edited by"), max_length=150, blank=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    detected = models.DateTimeField(_("found by the import"), auto_now_add=True)
    state = models.CharField(
        _("state"), max_length=12, choices=ConflictState.choices, default=ConflictState.OPEN, db_index=True
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import conflict")
        verbose_name_plural = _("import conflicts")
        ordering = ["-detected", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "object_id", "field"],
                condition=models.Q(state="open"),
                name="one_open_conflict_per_fact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_label}: {self.field}"


class EventKind(models.TextChoices):
    """What happened at a plant, as a source reports it (the timeline's filter)."""

    AGREEMENT = "agreement", _("Agreement signed")
    FINANCING = "financing", _("Financing")
    EIA = "eia", _("Environmental impact assessment (OVOS)")
    PUBLIC_HEARING = "public_hearing", _("Public hearing")
    PERMIT_ISSUED = "permit_issued", _("Permit issued")
    PERMIT_REFUSED = "permit_refused", _("Permit refused")
    CONSTRUCTION_STARTED = "construction_started", _("Construction started")
    COMMISSIONED = "commissioned", _("Commissioned")
    STATUS_REPORT = "status_report", _("Status report")
    INSPECTION = "inspection", _("Inspection")
    FINE = "fine", _("Fine")
    COURT_CASE = "court_case", _("Court case")
    PROTEST = "protest", _("Protest")
    COMPLAINT = "complaint", _("Complaint")
    ENVIRONMENTAL_PROBLEM = "environmental_problem", _("Environmental problem reported")
    COMPANY_STATEMENT = "company_statement", _("Company statement")


class ProjectEvent(ImportedFacts):
    """A dated event in a project's life, with the source that reports it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices, db_index=True)
    date = models.DateField(_("date"), help_text=_("The first of the month or year if the source gives no more."))
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    summary = models.TextField(_("what happened"), help_text=_("As the source reports it; claims marked as claims."))
    place = models.CharField(_("place"), max_length=300, blank=True, help_text=_("E.g. where a hearing was held."))
    minutes_url = models.URLField(_("minutes or decision (URL)"), max_length=1000, blank=True)
    # RESTRICT: a source cannot go while an event cites it, unless the whole project goes.
    source = models.ForeignKey(Source, on_delete=models.RESTRICT, related_name="events", verbose_name=_("source"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("timeline events")
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=EventKind.values), name="event_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.date_text}: {self.get_kind_display()}"

    @property
    def date_text(self) -> str:
        date_format = {DatePrecision.YEAR: "Y", DatePrecision.MONTH: "YEAR_MONTH_FORMAT"}.get(
            self.date_precision, "DATE_FORMAT"
        )
        return formats.date_format(self.date, date_format)


class SuggestionKind(models.TextChoices):
    NEW_PROJECT = "new_project", _("A project that is not in the catalogue")
    CORRECTION = "correction", _("A correction to a project")


class SuggestionState(models.TextChoices):
    NEW = "new", _("waiting for an editor")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


def suggestion_document_name(instance, filename: str) -> str:
    """A random name in its own folder; the sender's file name is kept only as sanitised text."""
    return stored_file_name("suggestions", filename)


class Suggestion(models.Model):
    """A visitor's proposal (a missing project or a correction), private until an editor accepts it.

    The e-mail address is never shown publicly; the name only if the person asked to be credited
    and an editor accepted the suggestion.
    """

    kind = models.CharField(_("what you suggest"), max_length=20, choices=SuggestionKind.choices)
    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions",
        verbose_name=_("project"),
    )  # fmt: skip
    project_name = models.CharField(_("name of the missing project"), max_length=300, blank=True)
    details = models.TextField(_("what the source says"), max_length=3000)
    source_url = models.URLField(_("source address (URL)"), max_length=1000)
    source_title = models.CharField(_("source title"), max_length=500, blank=True)
    name = models.CharField(_("your name"), max_length=100, blank=True)
    email = models.EmailField(_("your e-mail"), blank=True)
    credit = models.BooleanField(_("credit me by name if it is accepted"), default=False)
    # An optional document, accepted by content like report evidence; sealed, never published (its
    # metadata may name the suggester). The editor downloads it through the admin only.
    document = models.FileField(
        _("document as sent"), upload_to=suggestion_document_name, storage=get_sealed_storage, blank=True
    )
    document_copy = models.FileField(
        _("document, safe copy"), upload_to=suggestion_document_name, storage=get_sealed_storage, blank=True
    )  # the re-drawn PDF or re-encoded photo, metadata-free: safe to open
    document_name = models.CharField(_("document's file name as sent"), max_length=200, blank=True)
    document_sha256 = models.CharField(_("SHA-256 of the document"), max_length=64, blank=True)
    document_content_type = models.CharField(_("document's type (sniffed)"), max_length=60, blank=True)
    document_size = models.PositiveIntegerField(_("document's size in bytes"), null=True, blank=True)
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=SuggestionState.choices, default=SuggestionState.NEW, db_index=True
    )
    editor_note = models.TextField(_("editor's note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        subject = self.project.name_en if self.project else self.project_name
        return f"{self.get_kind_display()}: {subject}"

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

    @property
    def public_credit(self) -> str:
        """The name to thank publicly, or '' (not accepted, or the person did not ask)."""
        return self.name if self.credit and self.state == SuggestionState.ACCEPTED else ""


class ImportDeletion(models.Model):
    """An imported record an editor deleted: the import does not bring it back."""

    model = models.CharField(_("record"), max_length=40)
    lookup = models.JSONField(_("which record"))
    label = models.CharField(_("record"), max_length=500, blank=True)
    deleted_by = models.CharField(_("deleted by"), max_length=150, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deleted imported record")
        verbose_name_plural = _("deleted imported records")
        ordering = ["-deleted_at"]

    def __str__(self) -> str:
        return self.label
