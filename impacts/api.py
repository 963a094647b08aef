"""The read-only open-data API (/api/): published reports and the project catalogue.

Anonymous, read-only (GET/HEAD/OPTIONS only), throttled per client address (REST_FRAMEWORK in
settings), and paged with a bounded page size. Reports start from ``published()`` and the
serializer names only public fields: the public (redacted) title and text, the coarsened public
coordinates and the reporter as they chose to be shown. Every response carries the licence in a
``Link: rel="license"`` header; the report list also carries it in its envelope.
"""

from django.urls import path
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kzcn.freshness import public_page
from projects.models import Financing, Project, ProjectParty, Source

from . import exports
from .filters import ImpactReportFilter
from .models import ImpactReport

MAX_PAGE_SIZE = 100


class LicensedPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "license": {"name": exports.license_name(), "url": exports.license_url()},
                "attribution": exports.attribution(),
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"]["license"] = {
            "type": "object",
            "properties": {"name": {"type": "string"}, "url": {"type": "string", "format": "uri"}},
        }
        envelope["properties"]["attribution"] = {"type": "string"}
        return envelope


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
    pagination_class = LicensedPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ImpactReportFilter
    lookup_field = "reference"

    def get_queryset(self):
        return ImpactReport.objects.published().select_related("project").prefetch_related("categories")


class ProjectViewSet(LicensedMixin, viewsets.ReadOnlyModelViewSet):
    """The catalogue of projects, each with the sources its facts come from."""

    pagination_class = LicensedPagination
    lookup_field = "slug"

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
