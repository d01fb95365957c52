"""The pages under /complaints/."""

from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.home, name="home"),
    path("export.xlsx", views.export, name="export"),
    path("new/", views.intake, name="intake"),
    path("channel/", views.channel_edit, name="channel_edit"),
    path("contact/", views.contact, name="contact"),
    path("report/", views.report, name="report"),
    path("follow/", views.follow, name="follow"),
    path("inquiries/", views.inquiries, name="inquiries"),
    path("inquiries/<str:inquiry_id>/", views.inquiry, name="inquiry"),
    path("<str:complaint_id>/", views.case, name="case"),
    path("<str:complaint_id>/assign/", views.assign, name="assign"),
    path("<str:complaint_id>/unassign/", views.unassign, name="unassign"),
    path("<str:complaint_id>/step/", views.step, name="step"),
    path("<str:complaint_id>/conclude/", views.conclude, name="conclude"),
    path("<str:complaint_id>/reveal/", views.reveal, name="reveal"),
]
