"""The collection pages: channel files and the payment queue (urls_intake), progress dashboards (urls_dashboard)."""

from . import urls_dashboard, urls_intake

app_name = "collection"
urlpatterns = [*urls_intake.urlpatterns, *urls_dashboard.urlpatterns]
