"""This package's public addresses, included (under the language prefix) by impacts.urls."""

urlpatterns = []
