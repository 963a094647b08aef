from django.contrib import admin
from django.db.models import ForeignKey, URLField
from django.http import HttpRequest

from .models import Company, Financing, ProgrammeFigure, Project, ProjectParty, Source

# An address typed without a scheme is taken as https (Django 6's default, chosen now).
HTTPS_URLS = {URLField: {"assume_scheme": "https"}}


class ProjectSourceInline(admin.TabularInline):
    """Lets a party or financing row cite only the sources of its own project."""

    extra = 0

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs):
        if db_field.name == "source":
            project_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Source.objects.filter(project_id=project_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProjectPartyInline(ProjectSourceInline):
    model = ProjectParty
    fields = ["company", "role", "note", "source"]
    autocomplete_fields = ["company"]


class FinancingInline(ProjectSourceInline):
    model = Financing
    fields = ["lender", "country", "amount_usd_million", "stage", "note", "source"]


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0
    formfield_overrides = HTTPS_URLS
    fields = [("title", "publisher"), "url", ("published", "is_primary"), "supports"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name_en", "sector", "status", "status_as_of", "region", "cost_usd_million", "programme_tie"]
    list_filter = ["sector", "status", "region", "programme_tie"]
    search_fields = ["name_en", "name_ru", "name_kk", "name_zh", "settlement", "parties__company__name"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["created", "updated"]
    inlines = [ProjectPartyInline, FinancingInline, SourceInline]
    fieldsets = [
        (None, {"fields": ["name_en", "name_ru", "name_kk", "name_zh", "slug"]}),
        (None, {"fields": ["sector", ("status", "status_as_of"), "cost_usd_million", "capacity", "start_year"]}),
        (None, {"fields": ["region", "settlement", ("latitude", "longitude")]}),
        (None, {"fields": ["programme_tie", "programme_tie_basis"]}),
        (None, {"fields": ["overview", "environmental_notes"]}),
        (None, {"fields": ["chinese_partners_as_stated", "kazakh_partners_as_stated"]}),
        (None, {"fields": ["created", "updated"]}),
    ]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    list_filter = ["country"]
    search_fields = ["name"]


@admin.register(ProgrammeFigure)
class ProgrammeFigureAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "value", "unit", "as_of_year", "as_of_month", "position"]
    list_editable = ["position"]
    formfield_overrides = HTTPS_URLS
    search_fields = ["key", "label", "source_title"]
