"""The pages under /screening/ (Art 40-41)."""

from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.home, name="home"),
    path("rules/", views.rules, name="rules"),
    path("runs/", views.run_start, name="run_start"),
    path("runs/<str:pk>/", views.run_detail, name="run"),
    path("runs/<str:pk>/push/", views.run_push, name="push"),
    path("runs/<str:pk>/sample/", views.sample_draw, name="sample_draw"),
    path("hits/<str:pk>/", views.hit_detail, name="hit"),
    path("selfchecks/<str:pk>/", views.selfcheck_detail, name="selfcheck"),
    path("samples/<str:pk>/", views.sample_detail, name="sample"),
    path("referrals/", views.referrals, name="referrals"),
]
