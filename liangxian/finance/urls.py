from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("persons/", views.persons, name="persons"),
    path("accounts/", views.accounts, name="accounts"),
    path("applications/", views.applications, name="applications"),
    path("applications/act/", views.application_act, name="application_act"),
    path("batches/<int:batch_id>.csv", views.batch_file, name="batch_file"),
    path("subsidies/", views.subsidies, name="subsidies"),
    path("transfers/", views.transfers, name="transfers"),
    path("statements/template.csv", views.statement_template, name="statement_template"),
]
