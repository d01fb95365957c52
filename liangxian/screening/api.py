"""The /api/screening/ endpoints (Art 40-41): the same services as the pages and the commands."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from liangxian.core.access import access_log
from liangxian.core.errors import error_status
from liangxian.core.idnumbers import mask
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.names import mask_name
from liangxian.core.scope import Actor

from . import selectors, services
from .models import Hit, Referral, Sample, ScreeningRule, ScreeningRun, SelfCheck
from .services import CONFLICT_CODES, FORBIDDEN_CODES, NOT_FOUND_CODES, ScreeningError

router = Router(tags=["screening"])


class ScreeningErrorOut(Schema):
    code: str
    detail: str


class ScreeningRuleOut(Schema):
    code: str
    title: str
    explanation: str
    enabled: bool
    thresholds: dict[str, Any]
    needs_data: str


class ScreeningRuleIn(Schema):
    enabled: bool | None = None
    thresholds: dict[str, int] | None = None


class ScreeningRunIn(Schema):
    campaign: int = Field(..., ge=2000, le=2100, description="coverage year")


class ScreeningRunOut(Schema):
    id: int
    coverage_year: int
    started_at: datetime
    as_of: datetime
    counts: dict[str, int]
    new_hits: int
    pushed_at: datetime | None
    code_version: str


class ScreeningHitOut(Schema):
    id: int
    run: int
    rule: str
    township_code: str
    village_code: str
    collector_id: int | None
    person_name: str
    id_number: str
    payment_id: int | None
    receipt_id: int | None
    amount_fen: int
    evidence: dict[str, Any]


class ScreeningSelfCheckOut(Schema):
    id: int
    run: int
    township_code: str
    pushed_at: datetime
    deadline: date
    filed_at: datetime | None
    late: bool
    perfunctory: bool
    items: int
    answered: int


class ScreeningAnswerIn(Schema):
    hit: int = Field(..., ge=1, le=2**63 - 1)
    finding: str = Field(..., max_length=12)
    evidence: str = Field(..., max_length=4000)


class ScreeningAnswerOut(Schema):
    hit: int
    finding: str
    evidence: str


class ScreeningReportIn(Schema):
    report: str = Field(..., max_length=20000)


class ScreeningSampleIn(Schema):
    run: int = Field(..., ge=1, le=2**63 - 1)
    size: int = Field(..., ge=1, le=10000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)


class ScreeningSampleOut(Schema):
    id: int
    run: int
    seed: int
    size: int
    hit_ids: list[int]


class ScreeningFindingIn(Schema):
    hit: int = Field(..., ge=1, le=2**63 - 1)
    finding: str = Field(..., max_length=12)
    note: str = Field("", max_length=4000)


class ScreeningFindingOut(Schema):
    hit: int
    finding: str
    disagrees: bool


class ScreeningReferralIn(Schema):
    hit: int = Field(..., ge=1, le=2**63 - 1)


class ScreeningReferralOut(Schema):
    id: int
    hit: int
    township_code: str
    perfunctory: bool
    leader_in_charge: str | None
    referred_at: datetime
    trail: dict[str, Any]


ERRORS: dict[int, Any] = {
    400: ScreeningErrorOut,
    403: ScreeningErrorOut,
    404: ScreeningErrorOut,
    409: ScreeningErrorOut,
}


def _error(exc: ScreeningError) -> Status:
    code = error_status(exc.code, forbidden=FORBIDDEN_CODES, not_found=NOT_FOUND_CODES, conflict=CONFLICT_CODES)
    return Status(code, ScreeningErrorOut(code=exc.code, detail=exc.message))


def _deny(detail: str = "Screening is not within your unit's duty.") -> Status:
    return Status(403, ScreeningErrorOut(code="not_allowed", detail=detail))


def _not_found() -> Status:
    return Status(404, ScreeningErrorOut(code="not_found", detail="Not found."))


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.auth)  # type: ignore[attr-defined]


def rule_out(r: ScreeningRule) -> ScreeningRuleOut:
    return ScreeningRuleOut(
        code=r.code,
        title=r.title,
        explanation=r.explanation,
        enabled=r.enabled,
        thresholds=r.thresholds,
        needs_data=r.needs_data,
    )


def run_out(r: ScreeningRun) -> ScreeningRunOut:
    return ScreeningRunOut(
        id=r.pk,
        coverage_year=r.coverage_year,
        started_at=r.started_at,
        as_of=r.as_of,
        counts=r.counts,
        new_hits=r.new_hits,
        pushed_at=r.pushed_at,
        code_version=r.code_version,
    )


def hit_out(h: Hit, actor: Actor) -> ScreeningHitOut:
    person = h.person
    number = person.id_number if person else ""
    return ScreeningHitOut(
        id=h.pk,
        run=h.run_id,
        rule=h.rule.code,
        township_code=h.township_code,
        village_code=h.village_code,
        collector_id=h.collector_id,
        person_name=mask_name(person.name) if person else "",
        id_number=(number if actor.sees_full_id else mask(number)) if number else "",
        payment_id=h.payment_id,
        receipt_id=h.receipt_id,
        amount_fen=h.amount_fen,
        evidence=h.evidence,
    )


def selfcheck_out(c: SelfCheck) -> ScreeningSelfCheckOut:
    answers = list(c.answers.values_list("finding", flat=True))
    return ScreeningSelfCheckOut(
        id=c.pk,
        run=c.run_id,
        township_code=c.township_code,
        pushed_at=c.pushed_at,
        deadline=c.deadline,
        filed_at=c.filed_at,
        late=c.late,
        perfunctory=c.perfunctory,
        items=len(answers),
        answered=sum(1 for a in answers if a),
    )


def sample_out(s: Sample) -> ScreeningSampleOut:
    return ScreeningSampleOut(id=s.pk, run=s.run_id, seed=s.seed, size=s.size, hit_ids=s.hit_ids)


def referral_out(r: Referral) -> ScreeningReferralOut:
    return ScreeningReferralOut(
        id=r.pk,
        hit=r.hit_id,
        township_code=r.township_code,
        perfunctory=r.perfunctory,
        leader_in_charge=str(r.leader_in_charge) if r.leader_in_charge_id else None,
        referred_at=r.referred_at,
        trail=r.trail,
    )


# --- rules -----------------------------------------------------------------------------------------------------


@router.get("/rules", response=list[ScreeningRuleOut], summary="The screening rules (no personal data: any user)")
def rules(request: HttpRequest) -> list[ScreeningRuleOut]:
    return [rule_out(r) for r in selectors.rule_list()]


@router.patch("/rules/{code}", response={200: ScreeningRuleOut, **ERRORS}, summary="Edit a rule (tax)")
def rule_edit(request: HttpRequest, code: str, body: ScreeningRuleIn) -> Status:
    try:
        rule = services.rule_update(
            actor=request.auth,  # type: ignore[attr-defined]
            code=code[:40],
            enabled=body.enabled,
            thresholds=body.thresholds,
        )
    except ScreeningError as exc:
        return _error(exc)
    return Status(200, rule_out(rule))


# --- runs ------------------------------------------------------------------------------------------------------


@router.post("/runs", response={201: ScreeningRunOut, **ERRORS}, summary="Run the screening over a campaign (Art 40)")
def run_start(request: HttpRequest, body: ScreeningRunIn) -> Status:
    try:
        run = services.screening_run(actor=request.auth, year=body.campaign)  # type: ignore[attr-defined]
    except ScreeningError as exc:
        return _error(exc)
    return Status(201, run_out(run))


@router.get("/runs", response={200: list[ScreeningRunOut], 403: ScreeningErrorOut}, summary="The screening runs")
def runs(request: HttpRequest) -> Status:
    actor = _actor(request)
    if not selectors.may_view(actor):
        return _deny()
    return Status(200, [run_out(r) for r in selectors.run_list(actor)[:500]])


@router.post("/runs/{run_id}/push", response={200: list[ScreeningSelfCheckOut], **ERRORS}, summary="Push to townships")
def run_push(request: HttpRequest, run_id: str) -> Status:
    key = as_key(run_id)
    if key is None:
        return _not_found()
    try:
        checks = services.run_push(actor=request.auth, run_id=key)  # type: ignore[attr-defined]
    except ScreeningError as exc:
        return _error(exc)
    return Status(200, [selfcheck_out(c) for c in checks])


@router.get("/runs/{run_id}/hits", response={200: list[ScreeningHitOut], **ERRORS}, summary="A run's hits, scoped")
def run_hits(request: HttpRequest, run_id: str, rule: str = "", township: str = "") -> Status:
    actor = _actor(request)
    key = as_key(run_id)
    if key is None:
        return _not_found()
    if not selectors.may_view(actor):
        access_log(actor=actor, action=AccessAction.DENIED, object_type="screening.hit", request=request, channel="api")
        return _deny()
    hits = list(selectors.hit_list(actor, run_id=key, rule=rule[:40], township=township[:12])[:5000])
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="screening.hit",
        object_ids=[h.pk for h in hits],
        count=len(hits),
        request=request,
        channel="api",
    )
    return Status(200, [hit_out(h, actor) for h in hits])


# --- self-checks -----------------------------------------------------------------------------------------------


@router.get("/selfchecks", response={200: list[ScreeningSelfCheckOut], 403: ScreeningErrorOut}, summary="Self-checks")
def selfchecks(request: HttpRequest) -> Status:
    actor = _actor(request)
    if not selectors.may_view(actor):
        return _deny()
    return Status(200, [selfcheck_out(c) for c in selectors.selfcheck_list(actor).order_by("-pk")[:500]])


@router.post(
    "/selfchecks/{selfcheck_id}/answers", response={200: ScreeningAnswerOut, **ERRORS}, summary="Answer one item"
)
def selfcheck_answer(request: HttpRequest, selfcheck_id: str, body: ScreeningAnswerIn) -> Status:
    key = as_key(selfcheck_id)
    if key is None:
        return _not_found()
    try:
        a = services.answer_record(
            actor=request.auth,  # type: ignore[attr-defined]
            selfcheck_id=key,
            hit_id=body.hit,
            finding=body.finding,
            evidence=body.evidence,
        )
    except ScreeningError as exc:
        return _error(exc)
    return Status(200, ScreeningAnswerOut(hit=a.hit_id, finding=a.finding, evidence=a.evidence))


@router.post("/selfchecks/{selfcheck_id}/file", response={200: ScreeningSelfCheckOut, **ERRORS}, summary="File report")
def selfcheck_file(request: HttpRequest, selfcheck_id: str, body: ScreeningReportIn) -> Status:
    key = as_key(selfcheck_id)
    if key is None:
        return _not_found()
    try:
        c = services.report_file(actor=request.auth, selfcheck_id=key, report=body.report)  # type: ignore[attr-defined]
    except ScreeningError as exc:
        return _error(exc)
    return Status(200, selfcheck_out(c))


# --- the sample ------------------------------------------------------------------------------------------------


@router.post("/samples", response={201: ScreeningSampleOut, **ERRORS}, summary="Draw the group's sample (seeded)")
def sample_draw(request: HttpRequest, body: ScreeningSampleIn) -> Status:
    try:
        s = services.sample_draw(actor=request.auth, run_id=body.run, size=body.size, seed=body.seed)  # type: ignore[attr-defined]
    except ScreeningError as exc:
        return _error(exc)
    return Status(201, sample_out(s))


@router.get("/samples", response={200: list[ScreeningSampleOut], 403: ScreeningErrorOut}, summary="Samples")
def samples(request: HttpRequest) -> Status:
    actor = _actor(request)
    if not selectors.sees_county(actor):
        return _deny()
    return Status(200, [sample_out(s) for s in selectors.sample_list(actor)[:500]])


@router.post(
    "/samples/{sample_id}/findings", response={200: ScreeningFindingOut, **ERRORS}, summary="Record a group finding"
)
def sample_finding(request: HttpRequest, sample_id: str, body: ScreeningFindingIn) -> Status:
    key = as_key(sample_id)
    if key is None:
        return _not_found()
    try:
        f = services.sample_finding_record(
            actor=request.auth,  # type: ignore[attr-defined]
            sample_id=key,
            hit_id=body.hit,
            finding=body.finding,
            note=body.note,
        )
    except ScreeningError as exc:
        return _error(exc)
    return Status(200, ScreeningFindingOut(hit=f.hit_id, finding=f.finding, disagrees=f.disagrees))


# --- referrals -------------------------------------------------------------------------------------------------


@router.post("/referrals", response={201: ScreeningReferralOut, **ERRORS}, summary="Refer to discipline inspection")
def referral_make(request: HttpRequest, body: ScreeningReferralIn) -> Status:
    try:
        r = services.referral_make(actor=request.auth, hit_id=body.hit)  # type: ignore[attr-defined]
    except ScreeningError as exc:
        return _error(exc)
    return Status(201, referral_out(r))


@router.get("/referrals", response={200: list[ScreeningReferralOut], 403: ScreeningErrorOut}, summary="Referrals")
def referrals(request: HttpRequest) -> Status:
    actor = _actor(request)
    if not selectors.sees_county(actor):
        return _deny()
    rows = list(selectors.referral_list(actor)[:500])
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="screening.referral",
        object_ids=[r.pk for r in rows],
        request=request,
        channel="api",
    )
    return Status(200, [referral_out(r) for r in rows])
