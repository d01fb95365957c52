"""The public site's URLs: the payer's pages, the proof check, the complaint form and its follow-up (Art 43), the
captcha and the language switch — nothing else.

Deployed apart from the intranet system (SPEC 10) with ``config.settings.public``, on the same database. The
``web`` namespace holds only ``home`` so that the shared page layout's brand link leads to the payer's lookup.
"""

from django.urls import include, path
from django.views.generic import RedirectView

home = RedirectView.as_view(pattern_name="portal:lookup", permanent=False)

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("liangxian.portal.urls")),
    path("complaints/", include("liangxian.complaints.urls_public")),
    path("", include(([path("", home, name="home")], "web"))),
]
