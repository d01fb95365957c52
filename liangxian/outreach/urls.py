"""The pages under /outreach/."""

from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("", views.home, name="home"),
    path("activities/new/", views.record, name="record"),
    path("activities/<int:pk>/", views.activity, name="activity"),
    path("activities/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("activities/<int:pk>/attach/", views.attach, name="attach"),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
    path("shortfall/", views.shortfall, name="shortfall"),
    path("drill/", views.drill, name="drill"),
    path("notices/", views.notices, name="notices"),
    path("notices/county/", views.county_notice, name="county_notice"),
    path("notices/county.pdf", views.county_notice_pdf, name="county_notice_pdf"),
    path("notices/villages/<str:code>/", views.village_notice, name="village_notice"),
    path("notices/villages/<str:code>.pdf", views.village_notice_pdf, name="village_notice_pdf"),
    path("notices/villages/<str:code>/proofs/", views.proof_upload, name="proof_upload"),
    path("proofs/<int:pk>/", views.proof_photo, name="proof_photo"),
]
