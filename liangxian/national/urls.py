"""The jobs across counties under /national/: runs and duplicate findings."""

from django.urls import path

from . import views

app_name = "national"

urlpatterns = [
    path("", views.run_list, name="runs"),
    path("run/", views.run_start, name="start"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
]
