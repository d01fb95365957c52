"""The channel files and the payment queue (Art 26, 29)."""

from django.urls import path

from . import views_intake

urlpatterns = [
    path("imports/", views_intake.imports, name="imports"),
    path("imports/template/<str:channel>.csv", views_intake.import_template, name="import_template"),
    path("queue/", views_intake.queue, name="queue"),
    path("queue/<int:issue_id>/resolve/", views_intake.issue_resolve_view, name="issue_resolve"),
]
