"""The assessment (Art 38-39) under /assessment/."""

from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.home, name="home"),
    path("weights/", views.weights, name="weights"),
    path("compute/", views.compute, name="compute"),
    path("<str:year>/", views.run_detail, name="run"),
    path("<str:year>/finalise/", views.finalise, name="finalise"),
    path("<str:year>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<str:year>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("<str:year>/discipline.pdf", views.discipline_pdf, name="discipline_pdf"),
    path("<str:year>/evidence/<str:ref>/", views.evidence, name="evidence"),
]
