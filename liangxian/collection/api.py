"""The collection API, mounted at /api/collection by config.api: one sub-router per area."""

from __future__ import annotations

from ninja import Router

from .api_dashboard import router as dashboard_router
from .api_intake import router as intake_router
from .api_realtime import router as realtime_router

router = Router(tags=["collection"])
router.add_router("", intake_router)
router.add_router("", realtime_router)
router.add_router("", dashboard_router)
