"""The campaign API, mounted at /api/campaigns by config.api: read campaigns, edit each part (token or session)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from liangxian.core.scope import Actor

from . import rules, selectors, services
from .errors import CampaignError
from .models import Campaign

router = Router(tags=["campaigns"])


class CampaignOut(Schema):
    coverage_year: int
    collection_year: int
    name: str
    period_start: dt.date
    period_end: dt.date
    status: str
    revision: int


class CampaignIn(Schema):
    coverage_year: int
    collection_year: int
    period_start: dt.date
    period_end: dt.date
    name: str = ""
    from_defaults: bool = True


class CampaignPatch(Schema):
    name: str | None = None
    collection_year: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    status: str | None = None
    county_deadlines: dict[str, str] | None = None
    reason: str = ""


class TierIn(Schema):
    amount: Decimal
    subsidy: Decimal = Decimal(0)
    default: bool = False
    region: bool = False


class TiersIn(Schema):
    tiers: list[TierIn]
    reason: str = ""


class DaijiaoIn(Schema):
    category: str
    label: str = ""
    details: list[str] = []
    insurance: str
    mode: str
    amount: Decimal = Decimal(0)
    priority: int = 100


class DaijiaoSetIn(Schema):
    rules: list[DaijiaoIn]
    reason: str = ""


class EligibilityIn(Schema):
    min_age: int | None = None
    max_age: int | None = None
    age_on: str = "01-01"
    over_age_reason: str = ""
    exclude_categories: list[str] = []
    exclude_statuses: list[str] = []
    require_local_household: bool = True
    reason: str = ""


class TargetIn(Schema):
    division: str
    insurance: str
    target: int | None
    tax_opinion: str = ""


class TargetsIn(Schema):
    targets: list[TargetIn]
    replace: bool = False
    reason: str = ""


class RevisionOut(Schema):
    number: int
    changed_at: dt.datetime
    changed_by: str
    reason: str
    changed: list[dict[str, Any]]


def _campaign(year: int) -> Campaign:
    try:
        return selectors.campaign_get(year)
    except Campaign.DoesNotExist:
        raise HttpError(404, "Not Found") from None


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _edit(request: HttpRequest) -> Any:
    user = _user(request)
    if not services.may_edit(user):
        raise HttpError(403, "Only the tax bureau, medical insurance and social security may edit a campaign.")
    return user


class CampaignErrorOut(Schema):
    code: str
    detail: str
    problems: list[str] = []


EDITED = {200: dict[str, Any], 400: CampaignErrorOut}


def _fail(exc: CampaignError) -> Status:
    return Status(400, CampaignErrorOut(code=exc.code, detail=exc.message, problems=exc.problems))


def _detail(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    campaign.refresh_from_db()
    return selectors.snapshot_for(Actor.of(_user(request)), campaign)


@router.get("/", response=list[CampaignOut], summary="List the campaigns")
def campaign_list(request: HttpRequest) -> Any:
    return list(selectors.campaign_list())


@router.post(
    "/", response={201: dict[str, Any], 400: CampaignErrorOut}, summary="Create a campaign from the default figures"
)
def campaign_create(request: HttpRequest, body: CampaignIn) -> Any:
    user = _edit(request)
    try:
        campaign = services.campaign_create(actor=user, **body.dict())
    except CampaignError as exc:
        return _fail(exc)
    return Status(201, _detail(request, campaign))


@router.get("/{year}", response=dict[str, Any], summary="One campaign: period, tiers, 代缴, eligibility, targets")
def campaign_detail(request: HttpRequest, year: int) -> Any:
    return _detail(request, _campaign(year))


@router.patch(
    "/{year}",
    response=EDITED,
    summary="Change the period, status, name or county deadlines",
)
def campaign_update(request: HttpRequest, year: int, body: CampaignPatch) -> Any:
    user = _edit(request)
    campaign = _campaign(year)
    try:
        services.campaign_update(actor=user, campaign=campaign, **body.dict())
    except CampaignError as exc:
        return _fail(exc)
    return _detail(request, campaign)


@router.put("/{year}/tiers/{insurance}", response=EDITED, summary="Replace an insurance's amounts")
def tiers_set(request: HttpRequest, year: int, insurance: str, body: TiersIn) -> Any:
    user = _edit(request)
    campaign = _campaign(year)
    try:
        tiers = [
            rules.Tier(
                services.fen_of(t.amount, what="amount"),
                services.fen_of(t.subsidy, what="subsidy"),
                t.default,
                t.region,
            )
            for t in body.tiers
        ]
        services.campaign_tiers_set(actor=user, campaign=campaign, insurance=insurance, tiers=tiers, reason=body.reason)
    except CampaignError as exc:
        return _fail(exc)
    return _detail(request, campaign)


@router.put("/{year}/daijiao", response=EDITED, summary="Replace the 代缴 rules")
def daijiao_set(request: HttpRequest, year: int, body: DaijiaoSetIn) -> Any:
    user = _edit(request)
    campaign = _campaign(year)
    try:
        items = [
            rules.Daijiao(
                category=r.category,
                insurance=r.insurance,
                mode=r.mode,
                amount_fen=services.fen_of(r.amount, what=r.category),
                priority=r.priority,
                details=tuple(r.details),
                label=r.label,
            )
            for r in body.rules
        ]
        services.campaign_daijiao_rules_set(actor=user, campaign=campaign, items=items, reason=body.reason)
    except CampaignError as exc:
        return _fail(exc)
    return _detail(request, campaign)


@router.put(
    "/{year}/eligibility/{insurance}",
    response=EDITED,
    summary="Set an insurance's eligibility",
)
def eligibility_set(request: HttpRequest, year: int, insurance: str, body: EligibilityIn) -> Any:
    user = _edit(request)
    campaign = _campaign(year)
    try:
        services.campaign_eligibility_set(actor=user, campaign=campaign, insurance=insurance, **body.dict())
    except CampaignError as exc:
        return _fail(exc)
    return _detail(request, campaign)


@router.put(
    "/{year}/targets",
    response=EDITED,
    summary="Set expansion targets per township or village",
)
def targets_set(request: HttpRequest, year: int, body: TargetsIn) -> Any:
    user = _edit(request)
    campaign = _campaign(year)
    lines = [services.TargetSpec(t.division, t.insurance, t.target, t.tax_opinion) for t in body.targets]
    try:
        services.campaign_targets_set(
            actor=user, campaign=campaign, targets=lines, replace=body.replace, reason=body.reason
        )
    except CampaignError as exc:
        return _fail(exc)
    return _detail(request, campaign)


@router.get("/{year}/revisions", response=list[RevisionOut], summary="The campaign's revisions, latest first")
def revision_list(request: HttpRequest, year: int) -> Any:
    return [
        {
            "number": r.number,
            "changed_at": r.changed_at,
            "changed_by": r.changed_by.username if r.changed_by else "",
            "reason": r.reason,
            "changed": r.changed,
        }
        for r in selectors.revisions(_campaign(year))
    ]
