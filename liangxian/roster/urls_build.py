from django.urls import path

from . import views_build

urlpatterns = [
    path("build/", views_build.build, name="build"),
    path("build/<int:pk>/", views_build.build_detail, name="build_detail"),
    path("entries/", views_build.entries, name="entries"),
    path("school-reminders/", views_build.school_reminders, name="school_reminders"),
    path("school-reminders.xlsx", views_build.school_reminders_export, name="school_reminders_export"),
]
