from django.urls import include, path

from . import views

app_name = "portal"
urlpatterns = [
    path("pay/", views.lookup, name="lookup"),
    path("pay/me/", views.me, name="me"),
    path("pay/me/proof/<int:payment_id>/", views.proof_get, name="proof_get"),
    path("pay/leave/", views.leave, name="leave"),
    path("pay/proof/<str:number>.pdf", views.proof_pdf, name="proof_pdf"),
    path("pay/captcha/", include("captcha.urls")),
    path("check/<str:token>/", views.check, name="check"),
]
