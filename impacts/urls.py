from django.urls import path

from . import feeds, views
from .alerts import urls as alerts
from .authorities import urls as authorities
from .neighbours import urls as neighbours
from .places import views as places
from .replies import urls as replies

app_name = "impacts"

urlpatterns = [
    path("report/", views.report_create, name="report_create"),
    path("report/sent/", views.report_sent, name="report_sent"),
    path("report/place.json", places.report_place, name="report_place"),
    path("report/nearby/", places.report_nearby, name="report_nearby"),
    # Before track, which would otherwise take "lost" for a token.
    path("track/lost/", views.track_lost, name="track_lost"),
    path("track/<str:token>/", views.track, name="track"),
    # Before report_detail, which would otherwise take "feed" for a reference.
    path("reports/feed/", feeds.PublishedReportsFeed(), name="feed"),
    path("reports/<str:reference>/", views.report_detail, name="report_detail"),
    # Before evidence_file, which would otherwise take "record" for a variant.
    path("evidence/<int:pk>/record/", views.evidence_record, name="evidence_record"),
    path("evidence/<int:pk>/<str:variant>/", views.evidence_file, name="evidence_file"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/export.csv", views.report_export_csv, name="report_export_csv"),
    path("reports/export.geojson", views.report_export_geojson, name="report_export_geojson"),
    path("map/", views.report_map, name="map"),
    path("map/points.json", places.map_points, name="map_points"),
    path("reports/feed/project/<slug:slug>/", feeds.ProjectReportsFeed(), name="project_feed"),
    path("reports/feed/region/<str:region>/", feeds.RegionReportsFeed(), name="region_feed"),
    path("stats/", views.stats, name="stats"),
    # After publication (each package's own addresses, in this one namespace).
    *replies.urlpatterns,
    *authorities.urlpatterns,
    *neighbours.urlpatterns,
    *alerts.urlpatterns,
]
