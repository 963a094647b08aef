"""This package's public addresses, included (under the language prefix) by impacts.urls."""

from django.urls import path

from . import views

urlpatterns = [
    path("reply/<str:token>/", views.company_reply, name="company_reply"),
    path("replies/<int:pk>/document/", views.reply_document, name="company_reply_document"),
]
