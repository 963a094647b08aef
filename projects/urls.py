from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/suggest/", views.suggest, name="suggest"),
    path("projects/suggest/sent/", views.suggestion_sent, name="suggestion_sent"),
    path("projects/<slug:slug>/", views.project_detail, name="project_detail"),
    path("projects/<slug:slug>/timeline.csv", views.project_timeline_csv, name="project_timeline_csv"),
]
