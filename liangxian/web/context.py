"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """Give every page the site name and whether this is the practice site."""
    return {"site_name": settings.LIANGXIAN_SITE_NAME, "practice_site": settings.LIANGXIAN_PRACTICE_SITE}
