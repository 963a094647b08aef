from django.urls import path

from . import views

app_name = "impacts"

urlpatterns = [
    path("report/", views.report_create, name="report_create"),
    path("report/sent/", views.report_sent, name="report_sent"),
    path("track/<str:token>/", views.track, name="track"),
    path("reports/<str:reference>/", views.report_detail, name="report_detail"),
    path("evidence/<int:pk>/<str:variant>/", views.evidence_file, name="evidence_file"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/export.csv", views.report_export_csv, name="report_export_csv"),
    path("reports/export.geojson", views.report_export_geojson, name="report_export_geojson"),
    path("map/", views.report_map, name="map"),
]
