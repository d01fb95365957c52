"""The bureaus' monthly reports (Art 36) and daily detail (Art 37) under /bureaus/."""

from django.urls import path

from . import views

app_name = "bureaus"
urlpatterns = [
    path("", views.report_list, name="reports"),
    path("reports/template.xlsx", views.report_template, name="template"),
    path("reports/import/", views.report_import_view, name="import"),
    path("reports/enter/", views.report_enter_view, name="enter"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("compare/<str:month>/", views.compare_view, name="compare"),
    path("compare/<str:month>/note/", views.note_view, name="note"),
    path("compare/<str:month>/cause/", views.cause_view, name="cause"),
    path("daily/", views.daily_list, name="daily"),
    path("daily/generate/", views.daily_generate_view, name="daily_generate"),
    path("daily/files/<int:pk>/", views.daily_download, name="daily_file"),
]
