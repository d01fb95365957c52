"""The campaign API, mounted at /api/campaigns by config.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["campaigns"])
