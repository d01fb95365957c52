from django.urls import path

from . import views

app_name = "obligations"
urlpatterns = [
    path("", views.obligation_list, name="list"),
    path("<int:pk>/", views.obligation_detail, name="detail"),
    path("<int:pk>/fulfil/", views.obligation_fulfil, name="fulfil"),
]
