"""This package's public addresses, included (under the language prefix) by impacts.urls."""

from django.urls import path

from . import views

urlpatterns = [
    path("reports/<str:reference>/affects-me/", views.affects_me, name="affects_me"),
    path("reports/<str:reference>/update/", views.update_create, name="update_create"),
    path("reports/<str:reference>/update/sent/", views.update_sent, name="update_sent"),
]
