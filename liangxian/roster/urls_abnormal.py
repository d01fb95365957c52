"""Pages of the roster's passage to tax and the abnormal-data loop (Art 7, 8); names under the roster namespace."""

from django.urls import path

from . import views_abnormal as views

urlpatterns = [
    path("transmissions/", views.transmissions, name="transmissions"),
    path("transmissions/approve/", views.transmission_approve, name="transmission_approve"),
    path("transmissions/<int:pk>/send/", views.transmission_send, name="transmission_send"),
    path("transmissions/<int:pk>/receive/", views.transmission_receive, name="transmission_receive"),
    path("abnormal/", views.abnormal_queue, name="abnormal_queue"),
    path("abnormal/act/", views.abnormal_act, name="abnormal_act"),
    path("abnormal/<int:pk>/", views.abnormal_detail, name="abnormal_detail"),
]
