"""The roster API, mounted at /api/roster by config.api: one sub-router per area."""

from __future__ import annotations

from ninja import Router

from .api_abnormal import router as abnormal_router
from .api_build import router as build_router
from .api_due import router as due_router

router = Router(tags=["roster"])
router.add_router("", build_router)
router.add_router("/abnormal", abnormal_router)
router.add_router("", due_router)
