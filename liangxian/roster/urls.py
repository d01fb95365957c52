"""The roster's pages: build (urls_build), abnormal data (urls_abnormal), due-lists and survey (urls_due)."""

from . import urls_abnormal, urls_build, urls_due

app_name = "roster"
urlpatterns = [*urls_build.urlpatterns, *urls_abnormal.urlpatterns, *urls_due.urlpatterns]
