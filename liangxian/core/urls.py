from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.calendar_index, name="calendar"),
    path("generate/", views.calendar_generate, name="calendar_generate"),
    path("<int:year>/", views.calendar_year, name="calendar_year"),
    path("<int:year>/confirm/", views.calendar_confirm, name="calendar_confirm"),
    path("<int:year>/regional-holiday/", views.calendar_regional_holiday_add, name="calendar_regional_holiday_add"),
    path(
        "<int:year>/regional-holiday/remove/",
        views.calendar_regional_holiday_remove,
        name="calendar_regional_holiday_remove",
    ),
    path("<int:year>/day/", views.calendar_day_set, name="calendar_day_set"),
]
