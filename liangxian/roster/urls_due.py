"""Due-lists, progress and the village survey (Art 17, 27, 29)."""

from django.urls import path

from . import views_due

urlpatterns = [
    path("due/", views_due.duelist, name="duelist"),
    path("due/export.xlsx", views_due.duelist_export, name="duelist_export"),
    path("due/print.pdf", views_due.duelist_pdf, name="duelist_pdf"),
    path("due/push/", views_due.duelist_push, name="duelist_push"),
    path("due/progress/", views_due.progress, name="progress"),
    path("survey/", views_due.survey_view, name="survey"),
]
