"""Refunds (Art 32-33) and payment problems (Art 26) under /refunds/."""

from django.urls import path

from . import views

app_name = "refunds"
urlpatterns = [
    path("", views.refund_list, name="list"),
    path("request/", views.refund_request_view, name="request"),
    path("<int:pk>/", views.refund_detail, name="detail"),
    path("<int:pk>/approve/", views.refund_approve_view, name="approve"),
    path("<int:pk>/reject/", views.refund_reject_view, name="reject"),
    path("<int:pk>/execute/", views.refund_execute_view, name="execute"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("rosters/", views.roster_list, name="rosters"),
    path("rosters/send/", views.roster_send, name="roster_send"),
    path("rosters/<int:pk>/receive/", views.roster_receive, name="roster_receive"),
    path("rosters/<int:pk>.xlsx", views.roster_download, name="roster_download"),
    path("problems/", views.problem_list, name="problems"),
    path("problems/report/", views.problem_report_view, name="problem_report"),
    path("problems/<int:pk>/", views.problem_detail, name="problem"),
    path("problems/<int:pk>/answer/", views.problem_answer_view, name="problem_answer"),
    path("problems/<int:pk>/close/", views.problem_close_view, name="problem_close"),
]
