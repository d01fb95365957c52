from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:year>/", views.campaign_detail, name="detail"),
    path("<int:year>/edit/period/", views.edit_period, name="edit_period"),
    path("<int:year>/edit/tiers/<str:insurance>/", views.edit_tiers, name="edit_tiers"),
    path("<int:year>/edit/daijiao/", views.edit_daijiao, name="edit_daijiao"),
    path("<int:year>/edit/eligibility/<str:insurance>/", views.edit_eligibility, name="edit_eligibility"),
    path("<int:year>/edit/targets/", views.edit_targets, name="edit_targets"),
    path("<int:year>/revisions/", views.revision_history, name="revisions"),
]
