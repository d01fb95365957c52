"""The assessment API under /api/assessment (Art 38-39): the same services and selectors as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from liangxian.core.errors import error_status

from . import printing, selectors, services
from .models import AssessmentRun, Score
from .services import CONFLICT_CODES, FORBIDDEN_CODES, NOT_FOUND_CODES, AssessmentError

router = Router(tags=["assessment"])


class AssessmentErrorOut(Schema):
    code: str
    detail: str


class AssessmentWeightsIO(Schema):
    weights: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="subject kind -> criterion -> weight (0-100)"
    )
    thresholds: dict[str, int] = Field(default_factory=dict, description="threshold code -> value")


class AssessmentRunOut(Schema):
    year: int
    campaign: str
    status: str
    as_of: dt.date
    computed_at: dt.datetime
    before_period_end: bool
    screening_ran: bool
    finalised_at: dt.datetime | None
    weights: dict[str, Any]
    thresholds: dict[str, Any]
    counts: dict[str, Any]


class AssessmentScoreOut(Schema):
    subject_kind: str
    subject_code: str
    subject_label: str
    township_code: str
    rank: int
    total: str
    components: dict[str, Any] = Field(..., description="criterion -> figure, points, weight, evidence reference")
    award_lost: bool
    award_reasons: list[str]
    award_persons: list[dict[str, Any]]


class AssessmentEvidenceOut(Schema):
    ref: str
    kind: str
    subject_kind: str
    subject_code: str
    criterion: str
    numerator: int
    denominator: int
    note: str
    total_rows: int
    page: int
    pages: int
    rows: list[dict[str, Any]]


class AssessmentComputeIn(Schema):
    year: int = Field(..., ge=1, le=9999)


ERRORS: dict[int, Any] = {
    400: AssessmentErrorOut,
    403: AssessmentErrorOut,
    404: AssessmentErrorOut,
    409: AssessmentErrorOut,
}


def _error(exc: AssessmentError) -> Status:
    code = error_status(exc.code, forbidden=FORBIDDEN_CODES, not_found=NOT_FOUND_CODES, conflict=CONFLICT_CODES)
    return Status(code, AssessmentErrorOut(code=exc.code, detail=exc.message))


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def run_out(run: AssessmentRun) -> AssessmentRunOut:
    return AssessmentRunOut(
        year=run.campaign.coverage_year,
        campaign=run.campaign.name,
        status=run.status,
        as_of=run.as_of,
        computed_at=run.computed_at,
        before_period_end=run.before_period_end,
        screening_ran=run.screening_ran,
        finalised_at=run.finalised_at,
        weights=run.weights,
        thresholds=run.thresholds,
        counts=run.counts,
    )


def score_out(s: Score) -> AssessmentScoreOut:
    return AssessmentScoreOut(
        subject_kind=s.subject_kind,
        subject_code=s.subject_code,
        subject_label=s.subject_label,
        township_code=s.township_code,
        rank=s.rank,
        total=str(s.total),
        components=s.components,
        award_lost=s.award_lost,
        award_reasons=s.award_reasons,
        award_persons=s.award_persons,
    )


@router.get("/weights", response={200: AssessmentWeightsIO, **ERRORS}, summary="Weights and thresholds in force")
def weights_get(request: HttpRequest) -> Status:
    if not services.may_view(_user(request)):
        return Status(403, AssessmentErrorOut(code="forbidden", detail="Not within your unit's duty."))
    return Status(200, AssessmentWeightsIO(**services.current_criteria()))


@router.put("/weights", response={200: AssessmentWeightsIO, **ERRORS}, summary="Change weights and thresholds (tax)")
def weights_put(request: HttpRequest, body: AssessmentWeightsIO) -> Status:
    try:
        after = services.weights_update(by=_user(request), weights=body.weights, thresholds=body.thresholds)
    except AssessmentError as exc:
        return _error(exc)
    return Status(200, AssessmentWeightsIO(**after))


@router.get("/runs", response={200: list[AssessmentRunOut], **ERRORS}, summary="The campaigns' assessments")
def run_list(request: HttpRequest) -> Status:
    try:
        return Status(200, [run_out(r) for r in selectors.runs_for(_user(request))])
    except AssessmentError as exc:
        return _error(exc)


@router.post("/runs", response={201: AssessmentRunOut, **ERRORS}, summary="Compute a campaign's assessment (tax)")
def run_compute(request: HttpRequest, body: AssessmentComputeIn) -> Status:
    """Compute (again, while a draft) the assessment of a coverage year from the recorded facts."""
    try:
        run = services.assessment_compute(by=_user(request), year=body.year)
    except AssessmentError as exc:
        return _error(exc)
    return Status(201, run_out(run))


@router.get("/runs/{year}", response={200: AssessmentRunOut, **ERRORS}, summary="One campaign's assessment")
def run_detail(request: HttpRequest, year: str) -> Status:
    try:
        return Status(200, run_out(selectors.run_get(_user(request), year)))
    except AssessmentError as exc:
        return _error(exc)


@router.post("/runs/{year}/finalise", response={200: AssessmentRunOut, **ERRORS}, summary="Finalise (tax)")
def run_finalise(request: HttpRequest, year: str) -> Status:
    try:
        return Status(200, run_out(services.assessment_finalise(by=_user(request), year=year)))
    except AssessmentError as exc:
        return _error(exc)


@router.get(
    "/runs/{year}/scores",
    response={200: list[AssessmentScoreOut], **ERRORS},
    summary="Scores with their figures and evidence references",
)
def score_list(request: HttpRequest, year: str, kind: str = "") -> Status:
    user = _user(request)
    try:
        run = selectors.run_get(user, year)
    except AssessmentError as exc:
        return _error(exc)
    return Status(200, [score_out(s) for s in selectors.scores_of(user, run, kind[:12])])


@router.get(
    "/runs/{year}/evidence/{ref}",
    response={200: AssessmentEvidenceOut, **ERRORS},
    summary="The records behind one figure (persons masked, access-logged)",
)
def evidence_detail(request: HttpRequest, year: str, ref: str, page: int = 1) -> Status:
    user = _user(request)
    page = min(max(page, 1), 1_000_000)
    try:
        run = selectors.run_get(user, year)
        view = selectors.evidence_get(user, run, ref, page=page, request=request, channel="api")
    except AssessmentError as exc:
        return _error(exc)
    e = view.evidence
    rows = [{k: (str(v) if v is not None and not isinstance(v, int) else v) for k, v in r.items()} for r in view.rows]
    return Status(
        200,
        AssessmentEvidenceOut(
            ref=e.ref,
            kind=e.kind,
            subject_kind=e.subject_kind,
            subject_code=e.subject_code,
            criterion=e.criterion,
            numerator=e.numerator,
            denominator=e.denominator,
            note=e.note,
            total_rows=view.total_rows,
            page=view.page,
            pages=view.pages,
            rows=rows,
        ),
    )


@router.get("/runs/{year}/report.pdf", response={200: None, **ERRORS}, summary="The printable report (PDF)")
def report_pdf(request: HttpRequest, year: str) -> Any:
    try:
        run = selectors.run_get(_user(request), year)
    except AssessmentError as exc:
        return _error(exc)
    response = HttpResponse(printing.report_pdf(_user(request), run), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="assessment-{run.campaign.coverage_year}.pdf"'
    return response
