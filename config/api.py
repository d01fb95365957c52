"""The one django-ninja API under /api/, with each app's router mounted on it."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.renderers import BaseRenderer


class ChineseJSONRenderer(BaseRenderer):
    """Render JSON as UTF-8 without escaping Chinese or Uyghur."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=str)


api = NinjaAPI(
    title="Liangxian API",
    version="1",
    description="两险征缴管理系统 API",
    renderer=ChineseJSONRenderer(),
    urls_namespace="api",
)
