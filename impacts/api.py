"""The read-only open-data API (/api/): published reports and the project catalogue.

Anonymous, read-only (GET/HEAD/OPTIONS only), throttled per client address (REST_FRAMEWORK in
settings), and paged with a bounded page size. Reports start from ``published()`` and the
serializer names only public fields: the public (redacted) title and text, the coarsened public
coordinates and the reporter as they chose to be shown. Every response carries the licence in a
``Link: rel="license"`` header; the report list also carries it in its envelope.

The OpenAPI schema (/api/schema/) is the contract, checked by schemathesis in the tests
(tests/test_api_contract.py): every parameter is documented as what the API accepts (an empty filter
means "any", as the web list's own "JSON API" link sends it; anything else malformed is a 400 naming
the parameter), and every answer it can give (400, 404, 429) is documented with its body.

The report list is paged by cursor (impacts.keyset): ``next``/``previous`` carry ``after``/``before``,
stable while new reports are published, and ``count`` stops at 1,000 (``count_is_capped``).
"""

import django_filters
from django.core.paginator import InvalidPage
from django.db import DatabaseError
from django.urls import path
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kzcn.freshness import public_page
from projects.models import Financing, Project, ProjectParty, Region, Sector, Source

from . import exports, keyset
from .filters import ORDERING_CHOICES, ImpactReportFilter
from .models import Category, ImpactReport, ReporterType, Severity
from .search import CappedPaginator

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


def page_size_of(request) -> int:
    """The page size asked for: a whole number from 1 (above MAX_PAGE_SIZE it is MAX_PAGE_SIZE);
    anything else is refused rather than silently replaced by the default."""
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ValidationError(
            {"page_size": [_("Give a whole number of at least 1 (at most %(max)s are sent).") % {"max": MAX_PAGE_SIZE}]}
        )
    return min(int(raw), MAX_PAGE_SIZE)


def _licence_envelope() -> dict:
    return {
        "license": {"name": exports.license_name(), "url": exports.license_url()},
        "attribution": exports.attribution(),
    }


def _licence_schema(envelope: dict) -> dict:
    envelope["properties"]["license"] = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "url": {"type": "string", "format": "uri"}},
    }
    envelope["properties"]["attribution"] = {"type": "string"}
    return envelope


PAGE_SIZE_PARAMETER = {
    "name": "page_size", "required": False, "in": "query",
    "description": f"Results per page, from 1 (default {DEFAULT_PAGE_SIZE}; more than {MAX_PAGE_SIZE} "
                   f"gives {MAX_PAGE_SIZE}).",
    "schema": {"type": "integer", "minimum": 1},
}  # fmt: skip


class LicensedPagination(PageNumberPagination):
    """Numbered pages (the catalogue: about 50 projects)."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return page_size_of(request)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                **_licence_envelope(),
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return _licence_schema(super().get_paginated_response_schema(schema))

    def get_schema_operation_parameters(self, view) -> list[dict]:
        page, _size = super().get_schema_operation_parameters(view)
        page["schema"] = {"type": "integer", "minimum": 1}
        page["description"] = "A page number (a page past the last one is a 404)."
        return [page, PAGE_SIZE_PARAMETER]


class ReportPagination(BasePagination):
    """Keyset pages of the report list (impacts.keyset), numbered ones for a search ranked by relevance.

    ``after`` (else ``before``, else ``page``) chooses the page; a cursor that is not one of this
    list's, or a page past the end, is a 404 (as DRF's own paginators answer).
    """

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        per_page = page_size_of(request)
        keys = keyset.keys_of(queryset)
        query = request.query_params
        try:
            if query.get("after") or query.get("before"):
                if keys is None:
                    raise keyset.CursorError(query.get("after") or query.get("before"))
                cursor = keyset.read_cursor(query.get("after") or query["before"], queryset, keys)
                move = keyset.after if query.get("after") else keyset.before
                self.page = move(queryset, keys, cursor, per_page)
            elif query.get("page") not in (None, "1") or keys is None:
                numbered = self._numbered(queryset, per_page, query.get("page") or "1")
                self.page = keyset.cursor_links_for(numbered, keys) if keys else numbered
            else:
                self.page = keyset.first_page(queryset, keys, per_page)
        except keyset.CursorError:
            raise NotFound(_("Invalid cursor: use the next and previous links of a page.")) from None
        return list(self.page.object_list)

    @staticmethod
    def _numbered(queryset, per_page: int, number: str):
        try:
            return CappedPaginator(queryset, per_page).page(number)
        except InvalidPage:
            raise NotFound(_("Invalid page.")) from None

    def _links(self) -> tuple[str | None, str | None]:
        url = self.request.build_absolute_uri()
        for name in ("after", "before", "page"):
            url = remove_query_param(url, name)
        page = self.page
        if getattr(page, "keyset", False):
            next_link = replace_query_param(url, "after", page.next_cursor) if page.next_cursor else None
            if page.previous_cursor:
                return next_link, replace_query_param(url, "before", page.previous_cursor)
            return next_link, url if page.previous_is_first else None
        next_link = replace_query_param(url, "page", page.next_page_number()) if page.has_next() else None
        if not page.has_previous():
            return next_link, None
        number = page.previous_page_number()
        return next_link, url if number == 1 else replace_query_param(url, "page", number)

    def get_paginated_response(self, data) -> Response:
        next_link, previous_link = self._links()
        return Response(
            {
                **_licence_envelope(),
                "count": self.page.paginator.count,
                "count_is_capped": self.page.paginator.more_than_cap,
                "next": next_link,
                "previous": previous_link,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        cap = CappedPaginator.cap
        return _licence_schema({
            "type": "object",
            "required": ["count", "count_is_capped", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0, "maximum": cap,
                          "description": f"How many reports match, counted up to {cap}."},
                "count_is_capped": {"type": "boolean",
                                    "description": f"True when more than {cap} reports match (count is then {cap})."},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        })  # fmt: skip

    def get_schema_operation_parameters(self, view) -> list[dict]:
        cursor = "Copy it from the `next` or `previous` link; one that is not a position in this list is a 404."
        return [
            {"name": "after", "required": False, "in": "query", "schema": {"type": "string", "pattern": CURSOR},
             "description": f"The page after this cursor. {cursor}"},
            {"name": "before", "required": False, "in": "query", "schema": {"type": "string", "pattern": CURSOR},
             "description": f"The page before this cursor (when `after` is not given). {cursor}"},
            {"name": "page", "required": False, "in": "query", "schema": {"type": "integer", "minimum": 1},
             "description": "A page number, within the first 1,000 reports: the pages of a search ranked by "
                            "relevance, and old links (a page past the end is a 404)."},
            PAGE_SIZE_PARAMETER,
        ]  # fmt: skip


# What a cursor is made of (impacts.keyset: numbers, ISO dates and "_").
CURSOR = "^[0-9_-]*$"
# What the site lets through in a query value or a path at all (kzcn.request_checks refuses the rest).
QUERY_TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"
PATH_TEXT = "^[^\\u0000-\\u001f\\u007f/]+$"


def _project_keys() -> set[str]:
    return {key for slug, pk in Project.objects.values_list("slug", "pk") for key in (slug, str(pk))}


BOOLEAN_FILTERS = ("has_photos", "ongoing")
BOOLEAN_VALUES = ("true", "false", "")


class ApiReportFilter(ImpactReportFilter):
    """The filters of the /reports/ page, read strictly: a value the page would skip is a 400 here.

    ``project`` takes the project's slug (as the API names projects) or its id (as the site's links do).
    """

    project = django_filters.CharFilter(method="filter_project")

    def filter_project(self, queryset, name: str, value: str):
        if value.isascii() and value.isdigit():
            return queryset.filter(project__pk=int(value))
        return queryset.filter(project__slug=value)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in BOOLEAN_FILTERS:
            if self.data.get(name, "") not in BOOLEAN_VALUES:
                self.form.add_error(name, _("Give true or false (or leave it empty for either)."))
        project = self.data.get("project", "")
        if project and project not in _project_keys():
            self.form.add_error("project", _("No project has this slug or id: see /api/projects/."))
        return valid and not self.form.errors


def _choice(values, description: str) -> dict:
    return {
        "schema": {"type": "string", "enum": [*(str(value) for value in values), ""]},
        "description": f"{description} Empty: any.",
    }


def _project_schema() -> dict:
    """The catalogue's slugs and ids; without a database (`manage.py check` on a new machine draws
    the schema too) only their shape."""
    try:
        return _choice(sorted(_project_keys()), "")["schema"]
    except DatabaseError:
        return {"type": "string", "pattern": "^[-a-z0-9]*$"}


def report_filter_parameters() -> list[OpenApiParameter]:
    """The report list's filters as the API accepts them (built when the schema is asked for, so
    that the project list is the catalogue's current one)."""
    date = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}]}
    described = {
        "q": ({"type": "string", "pattern": QUERY_TEXT},
              "Words of the public title and text (\"quoted phrase\", -not, or)."),
        "project": (_project_schema(), "A project's slug (see /api/projects/), or its id. Empty: any."),
        "sector": (*_choice(Sector.values, "The project's sector.").values(),),
        "region": (*_choice(Region.values, "The region.").values(),),
        "category": (*_choice(Category.values, "An impact the report names.").values(),),
        "severity": (*_choice(Severity.values, "Severity, 1 (minor) to 4.").values(),),
        "reporter_type": (*_choice(ReporterType.values, "Who reported.").values(),),
        "observed_from": (date, "Observed on or after this date (YYYY-MM-DD). Empty: any."),
        "observed_to": (date, "Observed on or before this date (YYYY-MM-DD). Empty: any."),
        "has_photos": ({"type": "string", "enum": list(BOOLEAN_VALUES)}, "With approved photos (true) or without "
                       "(false). Empty: either."),
        "ongoing": ({"type": "string", "enum": list(BOOLEAN_VALUES)}, "Still going on (true) or not (false). "
                    "Empty: either."),
        "ordering": (*_choice([value for value, _label in ORDERING_CHOICES], "The order (default: newest first; "
                              "a search without it ranks by relevance).").values(),),
    }  # fmt: skip
    return [
        OpenApiParameter(name, type=schema, location=OpenApiParameter.QUERY, required=False, description=text)
        for name, (schema, text) in described.items()
    ]


ERROR_DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
FIELD_ERRORS = {
    "type": "object",
    "description": "Each refused parameter with what is wrong with it.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


CONTROL_CHARACTERS = "An address with a control character is refused (an HTML page, kzcn.request_checks)."


def _error(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


class PublicApiSchema(AutoSchema):
    """Documents every answer the API gives: 429 anywhere, 404 for an unknown object, page or cursor,
    400 for a malformed filter or page size; and the report list's filters as ApiReportFilter reads them."""

    def get_override_parameters(self) -> list:
        parameters = super().get_override_parameters()
        if self.method == "GET" and self._is_list_view() and getattr(self.view, "filterset_class", None):
            parameters = [*parameters, *report_filter_parameters()]
        elif not self._is_list_view():
            parameters = [
                *parameters,
                OpenApiParameter(self.view.lookup_field, str, OpenApiParameter.PATH, pattern=PATH_TEXT),
            ]
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        if self._is_list_view():
            responses["400"] = _error("A parameter could not be understood.", FIELD_ERRORS)
            responses["404"] = _error("No such page or cursor.", ERROR_DETAIL)
        else:
            responses["400"] = {"description": ""}
            responses["404"] = _error("Not published, or no such object.", ERROR_DETAIL)
            # An address no route of the API matches (e.g. a "." or a line break in it) gets the site's 404 page.
            responses["404"]["content"]["text/html"] = {"schema": {"type": "string"}}
        # The site refuses an address holding a control character before the API sees it, with a page.
        responses["400"]["description"] = " ".join([responses["400"]["description"], CONTROL_CHARACTERS]).strip()
        responses["400"].setdefault("content", {})["text/html"] = {"schema": {"type": "string"}}
        responses["429"] = _error(
            "Too many requests from this address: wait as the Retry-After header says.", ERROR_DETAIL
        )
        return operation


class ProjectSummarySerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["slug", "name_en", "sector", "region", "url"]

    def get_url(self, project: Project) -> str:
        return self.context["request"].build_absolute_uri(project.get_absolute_url())


class ReportSerializer(serializers.ModelSerializer):
    """Public fields only: add a field here only if it is shown on the public report page."""

    title = serializers.CharField(source="public_title")
    text = serializers.CharField(source="public_description")
    latitude = serializers.DecimalField(source="public_latitude", max_digits=8, decimal_places=5, allow_null=True)
    longitude = serializers.DecimalField(source="public_longitude", max_digits=8, decimal_places=5, allow_null=True)
    reporter = serializers.CharField(source="public_reporter")
    # The moderator-edited copies of the typed place, never the typed values themselves.
    site = serializers.CharField(source="public_site_name")
    settlement = serializers.CharField(source="public_settlement")
    categories = serializers.SerializerMethodField()
    project = ProjectSummarySerializer(allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ImpactReport
        fields = [
            "reference", "title", "text", "project", "site", "region", "settlement", "categories", "severity",
            "reporter_type", "observed_on", "ongoing", "latitude", "longitude", "reporter", "published_at", "url",
        ]  # fmt: skip

    def get_categories(self, report: ImpactReport) -> list[str]:
        return exports.categories_of(report)

    def get_url(self, report: ImpactReport) -> str:
        return self.context["request"].build_absolute_uri(report.get_absolute_url())


# What ReportSerializer reads (with the keys of impacts.filters.ORDERINGS), for ReportViewSet's .only().
SERIALIZED_COLUMNS = [
    "reference", "public_title", "public_description", "public_site_name", "region", "public_settlement",
    "severity", "reporter_type", "observed_on", "ongoing", "public_latitude", "public_longitude",
    "public_reporter_name", "published_at", "status",
    "project__slug", "project__name_en", "project__sector", "project__region",
]  # fmt: skip


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["title", "publisher", "url", "published", "supports", "is_primary"]


class PartySerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name")
    country = serializers.CharField(source="company.country")

    class Meta:
        model = ProjectParty
        fields = ["company", "country", "role", "note"]


class FinancingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Financing
        fields = ["lender", "country", "amount_usd_million", "stage", "note"]


class ProjectSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    sources = SourceSerializer(many=True)

    class Meta:
        model = Project
        fields = [
            "slug", "name_en", "name_ru", "name_kk", "name_zh", "sector", "status", "status_as_of",
            "cost_usd_million", "region", "settlement", "latitude", "longitude", "capacity", "start_year",
            "programme_tie", "url", "sources",
        ]  # fmt: skip

    def get_url(self, project: Project) -> str:
        return self.context["request"].build_absolute_uri(project.get_absolute_url())


class ProjectDetailSerializer(ProjectSerializer):
    parties = PartySerializer(many=True)
    financings = FinancingSerializer(many=True)

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields, "overview", "environmental_notes", "chinese_partners_as_stated",
            "kazakh_partners_as_stated", "programme_tie_basis", "parties", "financings",
        ]  # fmt: skip


class LicensedMixin:
    """Names the licence of the data in a Link header on every response; conditional GET (kzcn.freshness)."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        return public_page(super().as_view(*args, **kwargs))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Link"] = f'<{exports.license_url()}>; rel="license"'
        return response


class ReportViewSet(LicensedMixin, viewsets.ReadOnlyModelViewSet):
    """Published reports, with the filters of the /reports/ page (same query parameters)."""

    serializer_class = ReportSerializer
    pagination_class = ReportPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApiReportFilter
    lookup_field = "reference"
    schema = PublicApiSchema()

    def get_queryset(self):
        # Only the columns the serializer and the keyset orderings read: a report row has some fifty
        # and its project sixty (texts, JSON of imported values), and building them cost more than
        # the query at 50 reports a page (issue 16).
        return (
            ImpactReport.objects.published()
            .select_related("project")
            .only(*SERIALIZED_COLUMNS)
            .prefetch_related("categories")
        )


class ProjectViewSet(LicensedMixin, viewsets.ReadOnlyModelViewSet):
    """The catalogue of projects, each with the sources its facts come from."""

    pagination_class = LicensedPagination
    lookup_field = "slug"
    schema = PublicApiSchema()

    def get_queryset(self):
        return Project.objects.with_related().order_by("name_en", "pk")

    def get_serializer_class(self):
        return ProjectDetailSerializer if self.action == "retrieve" else ProjectSerializer


class SchemaView(LicensedMixin, SpectacularAPIView):
    pass


router = SimpleRouter()
router.register("reports", ReportViewSet, basename="report")
router.register("projects", ProjectViewSet, basename="project")

app_name = "api"
urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    *router.urls,
]
