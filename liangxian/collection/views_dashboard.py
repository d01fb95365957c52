"""The collection progress dashboard (Art 4, 27): the county, a township or a village, by area and day."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.roster import duelists

from .selectors_dashboard import DashboardError, collection_progress, dashboard_scope, progress_chart


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the campaign's collection: due, paid, 代缴, outstanding and cash share, with drill-down."""
    actor = Actor.of(request.user)  # type: ignore[arg-type]
    try:
        scope = dashboard_scope(actor)
    except DashboardError as exc:
        access_log(actor=actor, action=AccessAction.DENIED, object_type="collection_progress", request=request)
        raise PermissionDenied(exc.message) from exc
    try:
        campaign = duelists.campaign_current(request.GET.get("campaign"))
    except duelists.DueListError as exc:
        raise Http404(exc.message) from exc
    try:
        progress = collection_progress(
            scope=scope,
            campaign=campaign,
            level=request.GET.get("level", ""),
            code=request.GET.get("code", ""),
            insurance=request.GET.get("insurance", ""),
            request=request,
        )
    except DashboardError as exc:
        access_log(
            actor=actor,
            action=AccessAction.DENIED,
            object_type="collection_progress",
            query=request.get_full_path()[:200],
            request=request,
        )
        raise Http404(exc.message) from exc
    context: dict[str, Any] = {
        "campaign": campaign,
        "campaigns": Campaign.objects.order_by("-coverage_year"),
        "insurances": InsuranceType.choices,
        "progress": progress,
        "scope": scope,
        "chart": progress_chart(progress),
        "up": _up(scope, progress),
    }
    return render(request, "collection/dashboard/dashboard.html", context)


def _up(scope: Any, progress: Any) -> dict[str, str] | None:
    """The level above, when the actor may read it (for the way back up the drill-down)."""
    if progress.level == "village" and not scope.village_code:
        return {"level": "township", "code": progress.total.code[:9]}
    if progress.level == "township" and scope.is_county:
        return {"level": "county", "code": progress.total.code[:6]}
    return None
