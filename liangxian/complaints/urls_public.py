"""The public complaint pages alone (contact list, report form, follow-up), for the public site's URLs.

Mount as ``path("complaints/", include("liangxian.complaints.urls_public"))`` in ``config/urls_public.py``: the
same ``complaints`` namespace as the intranet's, so the templates' links resolve on both sites.
"""

from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("report/", views.report, name="report"),
    path("follow/", views.follow, name="follow"),
]
