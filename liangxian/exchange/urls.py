from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("kinds/<str:code>/template.xlsx", views.template_download, name="template"),
    path("kinds/<str:code>/upload/", views.upload, name="upload"),
    path("progress/<str:token>/", views.upload_progress, name="progress"),
    path("submissions/", views.submission_list, name="submission_list"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/errors.xlsx", views.errors_download, name="errors_xlsx"),
    path("submissions/<int:pk>/changes.xlsx", views.changes_download, name="changes_xlsx"),
    path("submissions/<int:pk>/approve/", views.approve, name="approve"),
    path("history/<str:code>/<str:unit_code>/", views.history, name="history"),
]
