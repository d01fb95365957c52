from django.urls import path

from . import views, views_register

app_name = "registry"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("export.xlsx", views.person_export, name="person_export"),
    path("<int:person_id>/", views.person_detail, name="person_detail"),
    path("<int:person_id>/corrections/new/", views_register.correction_new, name="correction_new"),
    path("corrections/", views_register.correction_list, name="correction_list"),
    path("corrections/<int:request_id>/", views_register.correction_detail, name="correction_detail"),
    path("verifications/", views_register.verification_list, name="verification_list"),
    path("verifications/new/", views_register.verification_new, name="verification_new"),
    path("verifications/<int:request_id>/", views_register.verification_detail, name="verification_detail"),
    path("usage/", views_register.usage, name="usage"),
    path(
        "submissions/<int:submission_id>/not-in-register/",
        views_register.not_in_register,
        name="not_in_register",
    ),
]
