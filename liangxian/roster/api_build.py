"""The roster build's API: build, list and read builds, and page through the entries (token or session)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from liangxian.core.scope import Actor

from . import selectors
from .build import RosterBuildError, roster_build
from .models import RosterBuild

router = Router()


class BuildIn(Schema):
    campaign: int = Field(..., description="The campaign's coverage year.", ge=2000, le=2100)


class BuildOut(Schema):
    id: int
    campaign: int
    number: int
    campaign_revision: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    built_by: str
    seconds: float | None
    counts: dict[str, Any]
    changes: dict[str, Any]
    sources: dict[str, Any]
    error: str


class RosterChangeOut(Schema):
    person_id: int
    name: str
    id_number: str
    village_code: str
    insurance: str
    kind: str
    fields: dict[str, list[str]]


class BuildDetailOut(BuildOut):
    changes_in_scope: int
    change_list: list[RosterChangeOut]


class EntryOut(Schema):
    id: int
    person_id: int
    name: str
    id_number: str
    village_code: str
    insurance: str
    must_pay: bool
    reason: str
    reason_label: str
    amount_fen: int
    tiers: list[int]
    daijiao_category: str
    other_categories: list[str]
    gov_fen: int
    own_fen: int
    subsidy_fen: int
    cash_only: bool
    build: int


class EntryPageOut(Schema):
    items: list[EntryOut]
    count: int
    page: int
    page_size: int


class EntryFilter(Schema):
    campaign: int | None = Field(None, description="Coverage year; the latest campaign when empty.")
    village: str = Field("", max_length=12, description="Village or township code within your scope.")
    insurance: str = Field("", max_length=10, description="medical or pension; empty for both.")
    must_pay: str = Field("", max_length=5, description="1 or 0; empty for both.")
    reason: str = Field("", max_length=40, description="A reason code (deceased, under_age, …).")
    category: str = Field("", max_length=40, description="A 代缴 category code (special_hardship, …).")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=selectors.MAX_PAGE_SIZE)


class BuildErrorOut(Schema):
    code: str
    detail: str
    build_id: int | None = None


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.auth)  # type: ignore[attr-defined]


def build_out(b: RosterBuild) -> BuildOut:
    """Describe one build: its status, counts, changes and the lists it read."""
    return BuildOut(
        id=b.pk,
        campaign=b.campaign.coverage_year,
        number=b.number,
        campaign_revision=b.campaign_revision,
        status=b.status,
        started_at=b.started_at,
        finished_at=b.finished_at,
        built_by=str(b.built_by) if b.built_by else "",
        seconds=b.seconds,
        counts=b.counts or {},
        changes=b.changes or {},
        sources=b.sources or {},
        error=b.error,
    )


def _campaign(year: int | None) -> Any:
    campaign = selectors.campaign_for(year)
    if campaign is None:
        raise HttpError(404, "Not Found")
    return campaign


@router.post(
    "/builds",
    response={201: BuildOut, 400: BuildErrorOut, 403: BuildErrorOut, 404: BuildErrorOut},
    summary="Build the roster",
)
def build_create(request: HttpRequest, payload: BuildIn) -> Status:
    """Build (or rebuild) a campaign's roster; only what changed since the last build is written."""
    campaign = selectors.campaign_for(payload.campaign)
    if campaign is None:
        return Status(404, BuildErrorOut(code="no_campaign", detail=f"no campaign for {payload.campaign}"))
    try:
        done = roster_build(actor=request.auth, campaign=campaign)  # type: ignore[attr-defined]
    except RosterBuildError as exc:
        status = 403 if exc.code == "not_allowed" else 400
        return Status(
            status, BuildErrorOut(code=exc.code, detail=exc.message, build_id=exc.build.pk if exc.build else None)
        )
    return Status(201, build_out(done))


@router.get("/builds", response=list[BuildOut], summary="List a campaign's roster builds")
def builds(request: HttpRequest, campaign: int | None = None) -> list[BuildOut]:
    """List the builds of a campaign (the latest campaign when none is given), newest first."""
    found = _campaign(campaign)
    return [build_out(b) for b in selectors.build_list(campaign=found)[:200]]


@router.get("/builds/{build_id}", response=BuildDetailOut, summary="One roster build and what it changed")
def build_detail(request: HttpRequest, build_id: int, kind: str = "") -> BuildDetailOut:
    """Return one build with its changes within your scope (the first 5000); the read is logged."""
    try:
        found = selectors.build_get(build_id=build_id)
    except RosterBuild.DoesNotExist:
        raise HttpError(404, "Not Found") from None
    total, rows = selectors.change_rows(
        actor=_actor(request), build=found, kind=kind[:10], limit=5000, request=request, channel="api"
    )
    return BuildDetailOut(
        **build_out(found).model_dump(),
        changes_in_scope=total,
        change_list=[
            RosterChangeOut(
                person_id=r.person_id,
                name=r.name,
                id_number=r.id_number,
                village_code=r.village_code,
                insurance=r.insurance,
                kind=r.kind,
                fields={f["field"]: [f["before"], f["after"]] for f in r.fields},
            )
            for r in rows
        ],
    )


@router.get("/entries", response=EntryPageOut, summary="The roster entries within your scope")
def entries(request: HttpRequest, filters: Query[EntryFilter]) -> EntryPageOut:
    """Return a page of a campaign's entries within your scope, ID numbers masked unless needed; logged."""
    campaign = _campaign(filters.campaign)
    wanted = {k: getattr(filters, k) for k in ("village", "insurance", "must_pay", "reason", "category")}
    page, rows = selectors.entry_page(
        actor=_actor(request),
        campaign=campaign,
        filters=wanted,
        page=filters.page,
        page_size=filters.page_size,
        request=request,
        channel="api",
    )
    return EntryPageOut(
        items=[
            EntryOut(
                id=r.id,
                person_id=r.person_id,
                name=r.name,
                id_number=r.id_number,
                village_code=r.village_code,
                insurance=r.insurance,
                must_pay=r.must_pay,
                reason=r.reason,
                reason_label=r.reason_label,
                amount_fen=r.amount_fen,
                tiers=[int(t) for t in r.tiers.split(",") if t],
                daijiao_category=r.daijiao_category,
                other_categories=[c for c in r.other_categories_codes.split(",") if c],
                gov_fen=r.gov_fen,
                own_fen=r.own_fen,
                subsidy_fen=r.subsidy_fen,
                cash_only=r.cash_only,
                build=r.build_number,
            )
            for r in rows
        ],
        count=page.paginator.count,
        page=page.number,
        page_size=filters.page_size,
    )
