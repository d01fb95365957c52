"""The one django-ninja API under /api/, with each app's router mounted on it."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.renderers import BaseRenderer

from liangxian.core.scope import ScopeError
from liangxian.web.api_auth import api_auth


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
    # Every operation needs a caller: routers inherit this. A missing or bad credential is 401 JSON.
    # The OpenAPI document and /api/docs stay open: they describe the endpoints and hold no personal data.
    auth=api_auth,
)


# The codes an HttpError carries, so that every error body is {"code", "detail"} like the domain errors the
# endpoints document (a refused CSRF check on a session write included).
# The operations open without a login or token, and why: every other one requires auth (tested).
PUBLIC_OPERATIONS = {
    "/api/collection/notify/{channel}": "a channel's real-time notification, signed with the channel's key (HMAC)",
    "/api/portal/proofs/{token}": "the public check of a proof of payment (its QR code), showing the minimum",
    "/api/complaints/follow": "a reporter's follow-up by case number and code: status and public outcome",
}
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Answer an HttpError with a code beside its detail."""
    detail = str(exc)
    code = "csrf_failed" if "CSRF" in detail else _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return api.create_response(request, {"code": code, "detail": detail}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """Answer a missing record (get_object_or_404) with the same coded 404 as the endpoints document."""
    return api.create_response(request, {"code": "not_found", "detail": "Not Found"}, status=404)


@api.exception_handler(ScopeError)
def out_of_scope(request: HttpRequest, exc: ScopeError) -> HttpResponse:
    """Answer a record outside the caller's scope as one that does not exist."""
    return api.create_response(request, {"code": "not_found", "detail": "Not Found"}, status=404)


# Routers are mounted here, in one place, so the OpenAPI document lists every endpoint.
from liangxian.assessment.api import router as assessment_router  # noqa: E402
from liangxian.bureaus.api import router as bureaus_router  # noqa: E402
from liangxian.campaigns.api import router as campaign_router  # noqa: E402
from liangxian.cash.api import router as cash_router  # noqa: E402
from liangxian.collection.api import router as collection_router  # noqa: E402
from liangxian.complaints.api import router as complaints_router  # noqa: E402
from liangxian.core.api import router as core_router  # noqa: E402
from liangxian.entitlements.api import router as entitlements_router  # noqa: E402
from liangxian.exchange.api import router as exchange_router  # noqa: E402
from liangxian.finance.api import router as finance_router  # noqa: E402
from liangxian.national.api import router as national_router  # noqa: E402
from liangxian.obligations.api import router as obligations_router  # noqa: E402
from liangxian.org.api import router as org_router  # noqa: E402
from liangxian.outreach.api import router as outreach_router  # noqa: E402
from liangxian.portal.api import router as portal_router  # noqa: E402
from liangxian.refunds.api import router as refunds_router  # noqa: E402
from liangxian.registry.api import router as registry_router  # noqa: E402
from liangxian.reports.api import router as reports_router  # noqa: E402
from liangxian.roster.api import router as roster_router  # noqa: E402
from liangxian.screening.api import router as screening_router  # noqa: E402
from liangxian.treasury.api import router as treasury_router  # noqa: E402

api.add_router("/calendar", core_router)
api.add_router("/org", org_router)
api.add_router("/exchange", exchange_router)
api.add_router("/residents", registry_router)
api.add_router("/campaigns", campaign_router)
api.add_router("/obligations", obligations_router)
api.add_router("/roster", roster_router)
api.add_router("/collection", collection_router)
api.add_router("/cash", cash_router)
api.add_router("/refunds", refunds_router)
api.add_router("/portal", portal_router)
api.add_router("/treasury", treasury_router)
api.add_router("/bureaus", bureaus_router)
api.add_router("/entitlements", entitlements_router)
api.add_router("/finance", finance_router)
api.add_router("/reports", reports_router)
api.add_router("/national", national_router)
api.add_router("/screening", screening_router)
api.add_router("/outreach", outreach_router)
api.add_router("/complaints", complaints_router)
api.add_router("/assessment", assessment_router)
