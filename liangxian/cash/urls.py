from django.urls import path

from . import views

app_name = "cash"
urlpatterns = [
    path("", views.home, name="home"),
    path("receipts/", views.receipt_create, name="receipt_create"),
    path("receipts/<int:receipt_id>/payin/", views.payin_create, name="payin_create"),
    path("ledger/<int:collector_id>/<str:day>.pdf", views.ledger_pdf, name="ledger_pdf"),
    path("township/", views.township, name="township"),
    path("days/<int:day_id>/clear/", views.day_clear, name="day_clear"),
    path("days/<int:day_id>/scans/", views.scan_upload, name="scan_upload"),
    path("scans/<int:scan_id>/", views.scan_file, name="scan_file"),
]
