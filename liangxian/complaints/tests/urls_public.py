"""The public site's URLs as ``config/urls_public.py`` will hold them once the complaint pages are mounted."""

from django.urls import include, path

from config.urls_public import urlpatterns as public_urlpatterns

urlpatterns = [path("complaints/", include("liangxian.complaints.urls_public")), *public_urlpatterns]
