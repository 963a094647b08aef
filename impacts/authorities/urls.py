"""This package's public addresses, included (under the language prefix) by impacts.urls."""

from django.urls import path

from . import views

urlpatterns = [
    path("track/<str:token>/letter/", views.reporter_letter, name="authority_letter"),
]
