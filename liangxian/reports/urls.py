"""The report pages under /reports/ (Art 34)."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/", views.accounts, name="accounts"),
    path("report.xlsx", views.xlsx, name="xlsx"),
    path("payments/", views.payments, name="payments"),
]
