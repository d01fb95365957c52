"""The obligations API, mounted at /api/obligations by config.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["obligations"])
