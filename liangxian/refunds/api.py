"""The refunds API under /api/refunds (Art 32-33) and payment problems (Art 26): the same services as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from liangxian.collection.models import Payment
from liangxian.core.access import access_log
from liangxian.core.errors import error_status
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor

from . import selectors, services
from .models import PaymentProblem, Refund, RefundRoster
from .services import CONFLICT_CODES, FORBIDDEN_CODES, RefundError

router = Router(tags=["refunds"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RefundErrorOut(Schema):
    code: str
    detail: str


class RefundIn(Schema):
    payment_id: int | None = Field(None, description="The payment's record number; or give channel and txn_no.")
    channel: str = Field("", max_length=10)
    txn_no: str = Field("", max_length=64)
    reason: str = Field(..., description="not_eligible, wrong_tier or duplicate")
    amount: str = Field("", max_length=14, description="Yuan, e.g. '400.00'; empty for all that is refundable.")
    note: str = Field("", max_length=2000)


class RefundNoteIn(Schema):
    note: str = Field("", max_length=2000)


class RefundOut(Schema):
    id: int
    number: str
    payment_id: int
    channel: str
    txn_no: str
    name: str
    id_number: str
    insurance: str
    coverage_year: int
    amount_fen: int
    reason: str
    status: str
    bureau: str
    requested_at: datetime
    decided_at: datetime | None
    roster_due: date | None
    late: bool
    executed_at: datetime | None
    refund_payment_id: int | None
    roster: str | None


class RefundRosterOut(Schema):
    id: int
    number: str
    bureau: str
    sent_at: datetime
    count: int
    total_fen: int
    sha256: str
    received_at: datetime | None


class RefundDocumentOut(Schema):
    id: int
    title: str
    original_held_by: str
    content_type: str
    sha256: str
    uploaded_at: datetime


class RefundListQuery(Schema):
    status: str = Field("", max_length=10)
    bureau: str = Field("", max_length=10)
    q: str = Field("", max_length=40)
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(100, ge=1, le=500)


class ProblemIn(Schema):
    category: str = Field(..., description="channel_down, cannot_pay, wrong_amount or other")
    subject: str = Field(..., max_length=120)
    text: str = Field(..., max_length=5000)
    id_number: str = Field("", max_length=30)
    payment_id: int | None = None


class ProblemAnswerIn(Schema):
    answer: str = Field(..., max_length=5000)


class ProblemOut(Schema):
    id: int
    township_code: str
    category: str
    subject: str
    text: str
    status: str
    reported_at: datetime
    answer: str
    answered_at: datetime | None
    closed_at: datetime | None
    close_note: str


ERRORS: dict[int, Any] = {400: RefundErrorOut, 403: RefundErrorOut, 404: RefundErrorOut, 409: RefundErrorOut}


def _status(exc: RefundError) -> int:
    return error_status(exc.code, forbidden=FORBIDDEN_CODES, not_found=("not_found",), conflict=CONFLICT_CODES)


def _error(exc: RefundError) -> Status:
    return Status(_status(exc), RefundErrorOut(code=exc.code, detail=exc.message))


def _refund_out(user: Any, refund: Refund) -> RefundOut:
    payer = selectors.payer_of(user, refund.payment.id_number, refund.payment.name)
    return RefundOut(
        id=refund.pk,
        number=refund.number,
        payment_id=refund.payment_id,
        channel=refund.payment.channel,
        txn_no=refund.payment.txn_no,
        name=payer.name,
        id_number=payer.id_number,
        insurance=refund.payment.insurance,
        coverage_year=refund.payment.coverage_year,
        amount_fen=refund.amount_fen,
        reason=refund.reason,
        status=refund.status,
        bureau=refund.bureau,
        requested_at=refund.requested_at,
        decided_at=refund.decided_at,
        roster_due=refund.roster_due,
        late=services.is_late(refund),
        executed_at=refund.executed_at,
        refund_payment_id=refund.refund_payment_id,
        roster=refund.roster.number if refund.roster else None,
    )


def _roster_out(roster: RefundRoster) -> RefundRosterOut:
    return RefundRosterOut(
        id=roster.pk,
        number=roster.number,
        bureau=roster.bureau,
        sent_at=roster.sent_at,
        count=roster.count,
        total_fen=roster.total_fen,
        sha256=roster.sha256,
        received_at=roster.received_at,
    )


def _problem_out(problem: PaymentProblem) -> ProblemOut:
    return ProblemOut(
        id=problem.pk,
        township_code=problem.township_code,
        category=problem.category,
        subject=problem.subject,
        text=problem.text,
        status=problem.status,
        reported_at=problem.reported_at,
        answer=problem.answer,
        answered_at=problem.answered_at,
        closed_at=problem.closed_at,
        close_note=problem.close_note,
    )


def _visible(request: HttpRequest, refund_id: int) -> Refund:
    refund = selectors.refunds_visible(request.auth).filter(pk=refund_id).first()  # type: ignore[attr-defined]
    if refund is None:
        raise HttpError(404, "Not Found")
    return refund


def _log(request: HttpRequest, action: str, refunds: list[Refund], query: str = "") -> None:
    access_log(
        actor=Actor.of(request.auth),  # type: ignore[attr-defined]
        action=action,
        object_type="refunds.refund",
        object_ids=[r.payment.person_id or f"payment:{r.payment_id}" for r in refunds],
        query=query,
        request=request,
        channel="api",
    )


# ---------------------------------------------------------------------------------------------------- refunds


@router.get("/", response=list[RefundOut], summary="Refunds within your duty (Art 32)")
def refund_list(request: HttpRequest, query: Query[RefundListQuery]) -> list[RefundOut]:
    qs = selectors.refund_filters(
        selectors.refunds_visible(request.auth),  # type: ignore[attr-defined]
        status=query.status,
        bureau=query.bureau,
        q=query.q,
    )
    start = (query.page - 1) * query.page_size
    refunds = list(qs[start : start + query.page_size])
    _log(request, AccessAction.LIST, refunds, f"status={query.status} bureau={query.bureau} q={query.q}")
    return [_refund_out(request.auth, r) for r in refunds]  # type: ignore[attr-defined]


@router.post("/", response={201: RefundOut, **ERRORS}, summary="Ask for a refund of a payment (tax or township)")
def refund_request(request: HttpRequest, body: RefundIn) -> Status:
    if body.payment_id is not None:
        payment = Payment.objects.filter(pk=body.payment_id).first()
    else:
        payment = Payment.objects.filter(channel=body.channel, txn_no=body.txn_no).first()
    if payment is None:
        return Status(404, RefundErrorOut(code="not_found", detail="No such payment."))
    try:
        refund = services.refund_request(
            by=request.auth,  # type: ignore[attr-defined]
            payment=payment,
            reason=body.reason,
            amount=body.amount or None,
            note=body.note,
        )
    except RefundError as exc:
        return _error(exc)
    return Status(201, _refund_out(request.auth, refund))  # type: ignore[attr-defined]


@router.get("/rosters", response=list[RefundRosterOut], summary="Refund rosters sent to tax")
def roster_list(request: HttpRequest) -> list[RefundRosterOut]:
    return [_roster_out(r) for r in selectors.rosters_visible(request.auth)[:500]]  # type: ignore[attr-defined]


@router.post("/rosters", response={201: RefundRosterOut, **ERRORS}, summary="Send tax the refund roster (bureau)")
def roster_send(request: HttpRequest) -> Status:
    try:
        roster = services.refund_roster_send(by=request.auth)  # type: ignore[attr-defined]
    except RefundError as exc:
        return _error(exc)
    return Status(201, _roster_out(roster))


@router.get("/rosters/{roster_id}.xlsx", summary="Download a refund roster (logged)")
def roster_download(request: HttpRequest, roster_id: int) -> FileResponse:
    roster = selectors.rosters_visible(request.auth).filter(pk=roster_id).first()  # type: ignore[attr-defined]
    if roster is None:
        raise HttpError(404, "Not Found")
    _log(request, AccessAction.EXPORT, list(roster.refunds.select_related("payment")), roster.number)
    return FileResponse(roster.file.open("rb"), as_attachment=True, filename=f"{roster.number}.xlsx", content_type=XLSX)


@router.post("/rosters/{roster_id}/receive", response={200: RefundRosterOut, **ERRORS}, summary="Tax receives")
def roster_receive(request: HttpRequest, roster_id: int) -> Status:
    try:
        roster = services.refund_roster_receive(by=request.auth, roster=roster_id)  # type: ignore[attr-defined]
    except RefundError as exc:
        return _error(exc)
    return Status(200, _roster_out(roster))


# ------------------------------------------------------------------------------------------ payment problems


@router.get("/problems", response=list[ProblemOut], summary="Payment problems (Art 26)")
def problem_list(request: HttpRequest, status: str = "") -> list[ProblemOut]:
    qs = selectors.problems_visible(request.auth)  # type: ignore[attr-defined]
    if status:
        qs = qs.filter(status=status)
    return [_problem_out(p) for p in qs[:500]]


@router.post("/problems", response={201: ProblemOut, **ERRORS}, summary="Report a payment problem (township)")
def problem_report(request: HttpRequest, body: ProblemIn) -> Status:
    try:
        problem = services.problem_report(
            by=request.auth,  # type: ignore[attr-defined]
            category=body.category,
            subject=body.subject,
            text=body.text,
            id_number=body.id_number,
            payment=body.payment_id,
        )
    except RefundError as exc:
        return _error(exc)
    return Status(201, _problem_out(problem))


@router.get("/problems/{problem_id}", response={200: ProblemOut, **ERRORS}, summary="One payment problem")
def problem_get(request: HttpRequest, problem_id: int) -> Status:
    problem = selectors.problems_visible(request.auth).filter(pk=problem_id).first()  # type: ignore[attr-defined]
    if problem is None:
        return Status(404, RefundErrorOut(code="not_found", detail="Not Found"))
    return Status(200, _problem_out(problem))


@router.post("/problems/{problem_id}/answer", response={200: ProblemOut, **ERRORS}, summary="Tax answers")
def problem_answer(request: HttpRequest, problem_id: int, body: ProblemAnswerIn) -> Status:
    try:
        problem = services.problem_answer(by=request.auth, problem=problem_id, answer=body.answer)  # type: ignore[attr-defined]
    except RefundError as exc:
        return _error(exc)
    return Status(200, _problem_out(problem))


@router.post("/problems/{problem_id}/close", response={200: ProblemOut, **ERRORS}, summary="The township closes")
def problem_close(request: HttpRequest, problem_id: int, body: RefundNoteIn) -> Status:
    try:
        problem = services.problem_close(by=request.auth, problem=problem_id, note=body.note)  # type: ignore[attr-defined]
    except RefundError as exc:
        return _error(exc)
    return Status(200, _problem_out(problem))


# ------------------------------------------------------------------------------------------------ one refund


@router.get("/{refund_id}", response={200: RefundOut, **ERRORS}, summary="One refund (logged)")
def refund_get(request: HttpRequest, refund_id: int) -> Status:
    refund = _visible(request, refund_id)
    _log(request, AccessAction.VIEW, [refund], refund.number)
    return Status(200, _refund_out(request.auth, refund))  # type: ignore[attr-defined]


@router.post("/{refund_id}/approve", response={200: RefundOut, **ERRORS}, summary="The bureau approves")
def refund_approve(request: HttpRequest, refund_id: int, body: RefundNoteIn) -> Status:
    refund = _visible(request, refund_id)
    try:
        refund = services.refund_approve(by=request.auth, refund=refund, note=body.note)  # type: ignore[attr-defined]
    except RefundError as exc:
        return _error(exc)
    return Status(200, _refund_out(request.auth, refund))  # type: ignore[attr-defined]


@router.post("/{refund_id}/reject", response={200: RefundOut, **ERRORS}, summary="The bureau refuses")
def refund_reject(request: HttpRequest, refund_id: int, body: RefundNoteIn) -> Status:
    refund = _visible(request, refund_id)
    try:
        refund = services.refund_reject(by=request.auth, refund=refund, note=body.note)  # type: ignore[attr-defined]
    except RefundError as exc:
        return _error(exc)
    return Status(200, _refund_out(request.auth, refund))  # type: ignore[attr-defined]


@router.post("/{refund_id}/execute", response={200: RefundOut, **ERRORS}, summary="The bureau carries it out")
def refund_execute(request: HttpRequest, refund_id: int) -> Status:
    refund = _visible(request, refund_id)
    try:
        refund = services.refund_execute(by=request.auth, refund=refund)  # type: ignore[attr-defined]
    except RefundError as exc:
        return _error(exc)
    return Status(200, _refund_out(request.auth, refund))  # type: ignore[attr-defined]


@router.post("/{refund_id}/documents", response={201: RefundDocumentOut, **ERRORS}, summary="Upload a scan (Art 33)")
def refund_document(request: HttpRequest, refund_id: int, title: Form[str], scan: File[UploadedFile]) -> Status:
    refund = _visible(request, refund_id)
    try:
        document = services.refund_document_add(by=request.auth, refund=refund, title=title, scan=scan)  # type: ignore[attr-defined]
    except RefundError as exc:
        return _error(exc)
    return Status(
        201,
        RefundDocumentOut(
            id=document.pk,
            title=document.title,
            original_held_by=document.original_held_by,
            content_type=document.content_type,
            sha256=document.sha256,
            uploaded_at=document.uploaded_at,
        ),
    )
