"""The collection progress API: ``GET /api/collection/progress`` — the dashboard's numbers as JSON (Art 4, 27)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.roster import duelists

from .selectors_dashboard import AreaProgress, DashboardError, collection_progress, dashboard_scope

router = Router()


class CollectionProgressQuery(Schema):
    level: str = Field("", max_length=10, description="county, township or village; the caller's own when empty.")
    code: str = Field("", max_length=12, description="Division code of the area; the caller's own when empty.")
    campaign: int | None = Field(None, description="Coverage year; the current campaign when empty.")
    insurance: str = Field("", max_length=10, description="medical or pension; empty for both.")


class CollectionAreaOut(Schema):
    code: str
    name: str
    level: str
    entries: int = Field(description="Roster entries that must pay.")
    paid_entries: int
    outstanding_entries: int
    due_fen: int = Field(description="Own and 代缴 parts due, in fen.")
    own_paid_fen: int = Field(description="Paid by the payers, net of refunds, in fen.")
    gov_paid_fen: int = Field(description="Paid by the government (代缴), in fen.")
    paid_fen: int
    outstanding_fen: int
    cash_fen: int = Field(description="Own payments paid in from cash by collectors, in fen.")
    payments: int
    open_issues: int
    paid_share: float | None = Field(description="Percent of entries fully paid.")
    cash_share: float | None = Field(description="Percent of the own payments that came in cash.")


class CollectionDayOut(Schema):
    day: dt.date
    payments: int
    own_paid_fen: int
    gov_paid_fen: int
    cash_fen: int
    cumulative_fen: int


class CollectionProgressOut(Schema):
    campaign: int
    insurance: str
    level: str
    total: CollectionAreaOut
    rows: list[CollectionAreaOut]
    days: list[CollectionDayOut]


class CollectionErrorOut(Schema):
    code: str
    detail: str


def _area(row: AreaProgress) -> CollectionAreaOut:
    return CollectionAreaOut(**row.as_dict())


@router.get(
    "/progress",
    response={200: CollectionProgressOut, 403: CollectionErrorOut, 404: CollectionErrorOut},
    summary="Collection progress of an area: by the areas below it and by day",
)
def progress(request: HttpRequest, query: Query[CollectionProgressQuery]) -> CollectionProgressOut:
    actor = Actor.of(request.auth)  # type: ignore[attr-defined]
    try:
        scope = dashboard_scope(actor)
    except DashboardError as exc:
        access_log(
            actor=actor, action=AccessAction.DENIED, object_type="collection_progress", request=request, channel="api"
        )
        raise HttpError(403, exc.message) from exc
    try:
        campaign = duelists.campaign_current(query.campaign)
    except duelists.DueListError as exc:
        raise HttpError(404, exc.message) from exc
    try:
        result = collection_progress(
            scope=scope,
            campaign=campaign,
            level=query.level,
            code=query.code,
            insurance=query.insurance,
            request=request,
            channel="api",
        )
    except DashboardError as exc:
        access_log(
            actor=actor,
            action=AccessAction.DENIED,
            object_type="collection_progress",
            query=f"{query.level} {query.code}"[:200],
            request=request,
            channel="api",
        )
        raise HttpError(404, exc.message) from exc
    return CollectionProgressOut(
        campaign=campaign.coverage_year,
        insurance=result.insurance,
        level=result.level,
        total=_area(result.total),
        rows=[_area(r) for r in result.rows],
        days=[CollectionDayOut(**d.__dict__) for d in result.days],
    )
