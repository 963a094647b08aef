"""This package's public addresses, included (under the language prefix) by impacts.urls."""

from django.urls import path

from . import views

urlpatterns = [
    path("alerts/", views.subscribe, name="alerts_subscribe"),
    path("alerts/confirm/<str:token>/", views.confirm, name="alerts_confirm"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="alerts_unsubscribe"),
]
