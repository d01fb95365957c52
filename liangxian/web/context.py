"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .navigation import nav_sections

# The settings name the site lazily; repeating the msgid here puts it in the web app's catalogue.
SITE_NAME = _("Liangxian collection management system")


def site(request: HttpRequest) -> dict[str, Any]:
    """Give every page the system's name, whether this is the practice site, and the user's sections."""
    user = getattr(request, "user", None)
    return {
        # "system_name", not "site_name": Django's login view puts the request's host in "site_name".
        "system_name": settings.LIANGXIAN_SITE_NAME,
        "site_name": settings.LIANGXIAN_SITE_NAME,
        "practice_site": settings.LIANGXIAN_PRACTICE_SITE,
        "nav": nav_sections(user, request.path) if user is not None else [],
    }
