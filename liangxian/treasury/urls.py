"""The treasury reconciliation (Art 36) under /treasury/."""

from django.urls import path

from . import views

app_name = "treasury"
urlpatterns = [
    path("", views.month_list, name="months"),
    path("upload/", views.upload, name="upload"),
    path("template.xlsx", views.template_download, name="template"),
    path("<str:month>/", views.month_detail, name="month"),
    path("<str:month>/signoff/", views.signoff, name="signoff"),
    path("<str:month>/differences/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<str:month>/differences/<int:pk>/payments/", views.payments, name="payments"),
]
