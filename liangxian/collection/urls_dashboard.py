"""The collection progress dashboard (Art 4, 27)."""

from django.urls import path

from . import views_dashboard

urlpatterns = [
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
]
