"""Entitlements and the white list (Art 37) under /entitlements/."""

from django.urls import path

from . import views

app_name = "entitlements"

urlpatterns = [
    path("", views.whitelist, name="whitelist"),
    path("whitelist.xlsx", views.whitelist_export, name="whitelist_export"),
    path("refresh/", views.whitelist_refresh, name="refresh"),
    path("<int:pk>/", views.entry_detail, name="entry"),
    path("<int:pk>/resolve/", views.entry_resolve, name="resolve"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("template.<str:fmt>", views.template_download, name="template"),
]
