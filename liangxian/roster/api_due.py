"""The due-list API under /api/roster/duelist… (Art 27): the same services and scope as the pages."""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse, HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from liangxian.campaigns.models import Campaign
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor

from . import duelists
from .duelists import DueFilters, DueListError, DueScope

router = Router()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DueQuery(Schema):
    campaign: int | None = Field(None, description="Coverage year; the current campaign when empty.")
    township: str = Field("", max_length=12, description="Township division code (tax only).")
    village: str = Field("", max_length=12)
    insurance: str = Field("", max_length=10, description="medical or pension; empty for both.")
    category: str = Field("", max_length=40, description="代缴 category; 'none' for none.")
    cash_only: bool = False
    q: str = Field("", max_length=100, description="Name, or the exact ID number.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=1000)


class DueRowOut(Schema):
    person_id: int
    name: str
    id_number: str
    township_code: str
    village_code: str
    village_name: str
    insurance: str
    own_fen: int
    daijiao_category: str
    cash_only: bool


class DuePageOut(Schema):
    campaign: int
    count: int
    page: int
    rows: list[DueRowOut]


class PushIn(Schema):
    campaign: int
    townships: list[str] | None = Field(None, description="Township unit or division codes; all when omitted.")


class PushOut(Schema):
    township: str
    township_name: str
    build: int
    entries: int
    pushed_at: datetime


class ProgressOut(Schema):
    code: str
    name: str
    must_pay: int
    paid: int
    to_pay: int
    target: int | None
    coverage: float | None
    villages: list[ProgressOut] = []


ProgressOut.model_rebuild()


def _scope(request: HttpRequest) -> DueScope:
    actor = Actor.of(request.auth)  # type: ignore[attr-defined]
    try:
        return duelists.due_scope(actor)
    except DueListError as exc:
        duelists.log_denied(actor, query="api", request=request, channel="api")
        raise HttpError(403, exc.message) from exc


def _campaign(year: int | None) -> Campaign:
    try:
        return duelists.campaign_current(year)
    except DueListError as exc:
        raise HttpError(404, exc.message) from exc


def _township(scope: DueScope, asked: str, request: HttpRequest) -> str:
    if scope.is_tax:
        return asked
    if asked and asked != scope.township_code:
        duelists.log_denied(scope.actor, query=f"township={asked}", request=request, channel="api")
        raise HttpError(404, "Not Found")
    return scope.township_code or ""


def _filters(query: DueQuery, township: str) -> DueFilters:
    return DueFilters(
        village=query.village,
        insurance=query.insurance,
        category=query.category,
        cash_only=query.cash_only,
        q=query.q,
        township=township,
    )


@router.get("/duelist", response=DuePageOut, summary="Who still has to pay, within your scope (Art 27)")
def duelist(request: HttpRequest, query: Query[DueQuery]) -> DuePageOut:
    scope = _scope(request)
    campaign = _campaign(query.campaign)
    township = _township(scope, query.township, request)
    filters = _filters(query, township)
    try:
        duelists.check_pushed(scope, campaign, township or None)
    except DueListError as exc:
        raise HttpError(409, exc.message) from exc
    entries = duelists.due_entries(scope=scope, campaign=campaign, filters=filters).select_related("person")
    count = entries.count()
    start = (query.page - 1) * query.page_size
    rows = duelists.due_rows(scope, entries[start : start + query.page_size])
    duelists.log_due_access(
        scope,
        action=AccessAction.LIST,
        ids=[r.person_id for r in rows],
        query=f"{campaign.coverage_year} {filters.describe()}".strip(),
        request=request,
        channel="api",
    )
    return DuePageOut(
        campaign=campaign.coverage_year,
        count=count,
        page=query.page,
        rows=[DueRowOut(**{k: getattr(r, k) for k in DueRowOut.model_fields}) for r in rows],
    )


@router.get("/duelist/export.xlsx", summary="The due-list as xlsx, marked with who exported it")
def duelist_export(request: HttpRequest, query: Query[DueQuery]) -> FileResponse:
    scope = _scope(request)
    campaign = _campaign(query.campaign)
    township = _township(scope, query.township, request)
    try:
        spool, _count = duelists.duelist_xlsx_file(
            scope=scope,
            campaign=campaign,
            filters=_filters(query, township),
            exporter=str(request.auth),  # type: ignore[attr-defined]
            request=request,
            channel="api",
        )
    except DueListError as exc:
        raise HttpError(409, exc.message) from exc
    return FileResponse(spool, as_attachment=True, filename=f"duelist-{campaign.coverage_year}.xlsx", content_type=XLSX)


@router.post("/duelist/push", response=list[PushOut], summary="Push the townships their due-lists (tax)")
def duelist_push(request: HttpRequest, body: PushIn) -> list[PushOut]:
    campaign = _campaign(body.campaign)
    try:
        pushes = duelists.duelist_push(
            actor=request.auth,  # type: ignore[attr-defined]
            campaign=campaign,
            townships=body.townships,
        )
    except DueListError as exc:
        raise HttpError(403 if exc.code == "forbidden" else 409, exc.message) from exc
    return [
        PushOut(
            township=p.township.code,
            township_name=p.township.name,
            build=p.build.number,
            entries=p.entries,
            pushed_at=p.pushed_at,
        )
        for p in pushes
    ]


def _progress_out(row: duelists.ProgressRow) -> ProgressOut:
    return ProgressOut(
        code=row.code,
        name=row.name,
        must_pay=row.must_pay,
        paid=row.paid,
        to_pay=row.to_pay,
        target=row.target,
        coverage=row.coverage,
        villages=[_progress_out(c) for c in row.children],
    )


@router.get("/duelist/progress", response=list[ProgressOut], summary="Progress towards not one missed (不漏一人)")
def duelist_progress(
    request: HttpRequest, campaign: int | None = None, insurance: str = "medical", township: str = ""
) -> list[ProgressOut]:
    scope = _scope(request)
    found = _campaign(campaign)
    code = _township(scope, township[:12], request)
    try:
        rows = duelists.progress(
            scope=scope, campaign=found, insurance=insurance, township=code, request=request, channel="api"
        )
    except DueListError as exc:
        raise HttpError(409, exc.message) from exc
    return [_progress_out(r) for r in rows]
