"""The treasury reconciliation API under /api/treasury (Art 36): the same services as the pages.

The People's Bank's own system may upload its statement with a token of the pbc unit; tax resolves differences
and signs the month off.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from liangxian.core.access import access_log
from liangxian.core.errors import error_status
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor

from . import selectors, services
from .models import Difference, LineOutcome, StatementLine
from .services import CONFLICT_CODES, FORBIDDEN_CODES, NOT_FOUND_CODES, TreasuryError

router = Router(tags=["treasury"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TreasuryErrorOut(Schema):
    code: str
    detail: str


class TreasuryImportOut(Schema):
    statement_id: int
    month: str
    created: bool = Field(..., description="false: the same file was imported before; its first import is shown")
    filename: str
    sha256: str
    counts: dict[str, Any]


class TreasuryMonthOut(Schema):
    month: str
    status: str = Field(..., description="no_statement, open or signed_off")
    statement_due: date | None
    statement_delivered: bool
    our_lines: int
    statement_id: int | None
    counts: dict[str, Any]
    differences: int
    open_differences: int
    signed_at: datetime | None


class DifferenceOut(Schema):
    id: int
    month: str
    voucher: str
    kind: str
    kind_label: str
    reversal_side: bool
    insurance: str
    our_amount_fen: int | None
    statement_amount_fen: int | None
    our_date: date | None
    statement_date: date | None
    our_lines: int
    statement_lines: int
    status: str
    note: str
    resolved_by: str | None
    resolved_at: datetime | None


class DifferenceQuery(Schema):
    kind: str = Field("", max_length=16)
    status: str = Field("", max_length=10)


class StatementLineOut(Schema):
    row: int
    outcome: str
    reason: str
    voucher: str
    entry_date: date | None
    amount_fen: int | None
    insurance: str
    account: str


class TreasuryNoteIn(Schema):
    note: str = Field("", max_length=2000)


ERRORS: dict[int, Any] = {400: TreasuryErrorOut, 403: TreasuryErrorOut, 404: TreasuryErrorOut, 409: TreasuryErrorOut}


def _error(exc: TreasuryError) -> Status:
    code = error_status(exc.code, forbidden=FORBIDDEN_CODES, not_found=NOT_FOUND_CODES, conflict=CONFLICT_CODES)
    return Status(code, TreasuryErrorOut(code=exc.code, detail=exc.message))


def _viewer(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not services.may_view(user):
        raise HttpError(403, "The treasury reconciliation is not within your unit's duty.")
    return user


def difference_out(d: Difference, month: str) -> DifferenceOut:
    return DifferenceOut(
        id=d.pk,
        month=month,
        voucher=d.voucher,
        kind=d.kind,
        kind_label=str(d.get_kind_display()),
        reversal_side=d.negative,
        insurance=d.insurance,
        our_amount_fen=d.our_amount_fen,
        statement_amount_fen=d.statement_amount_fen,
        our_date=d.our_date,
        statement_date=d.statement_date,
        our_lines=d.our_lines,
        statement_lines=d.statement_lines,
        status=d.status,
        note=d.note,
        resolved_by=str(d.resolved_by) if d.resolved_by_id else None,
        resolved_at=d.resolved_at,
    )


@router.post(
    "/statements",
    response={200: TreasuryImportOut, 201: TreasuryImportOut, **ERRORS},
    summary="Upload a month's statement (Art 36)",
)
def statement_upload(request: HttpRequest, month: Form[str], file: File[UploadedFile]) -> Status:
    """Import the People's Bank statement of a month (csv or xlsx, multipart) and match it; 200 for a repeat."""
    user = request.auth  # type: ignore[attr-defined]
    try:
        result = services.statement_import(by=user, month=month, content=file.read(), filename=file.name or "")
    except TreasuryError as exc:
        return _error(exc)
    s = result.statement
    out = TreasuryImportOut(
        statement_id=s.pk,
        month=s.month.month,
        created=result.created,
        filename=s.filename,
        sha256=s.sha256,
        counts=result.counts,
    )
    return Status(201 if result.created else 200, out)


@router.get("/template.xlsx", summary="The statement template (xlsx, Chinese headers)")
def template(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    response = HttpResponse(services.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="treasury-statement-template.xlsx"'
    return response


@router.get("/months", response=list[TreasuryMonthOut], summary="Months: statement due, counts, differences, sign-off")
def month_list(request: HttpRequest) -> list[TreasuryMonthOut]:
    _viewer(request)
    return [
        TreasuryMonthOut(
            month=r.month,
            status=r.status,
            statement_due=r.due.due,
            statement_delivered=r.obligation_fulfilled,
            our_lines=r.our_lines,
            statement_id=r.record.statement_id if r.record else None,
            counts=r.counts,
            differences=r.difference_count,
            open_differences=r.open_count,
            signed_at=r.record.signed_at if r.record else None,
        )
        for r in selectors.months_overview()
    ]


@router.get(
    "/months/{month}/differences", response={200: list[DifferenceOut], **ERRORS}, summary="A month's differences"
)
def difference_list(request: HttpRequest, month: str, query: Query[DifferenceQuery]) -> Status:
    _viewer(request)
    try:
        month = services.month_parse(month)
    except TreasuryError as exc:
        return _error(exc)
    the_month = selectors.month_get(month)
    if the_month is None or the_month.statement_id is None:
        return Status(404, TreasuryErrorOut(code="not_found", detail="No statement of this month."))
    rows = selectors.differences_of(the_month, kind=query.kind, status=query.status)
    return Status(200, [difference_out(d, month) for d in rows[:10_000]])


@router.get(
    "/months/{month}/lines",
    response={200: list[StatementLineOut], **ERRORS},
    summary="The current statement's lines with their outcome and reason (repaired and rejected by default)",
)
def line_list(request: HttpRequest, month: str, outcome: str = "") -> Status:
    _viewer(request)
    try:
        month = services.month_parse(month)
    except TreasuryError as exc:
        return _error(exc)
    the_month = selectors.month_get(month)
    if the_month is None or the_month.statement_id is None:
        return Status(404, TreasuryErrorOut(code="not_found", detail="No statement of this month."))
    qs = StatementLine.objects.filter(statement_id=the_month.statement_id).order_by("row")
    qs = qs.filter(outcome=outcome) if outcome else qs.exclude(outcome=LineOutcome.ACCEPTED)
    return Status(
        200,
        [
            StatementLineOut(
                row=line.row,
                outcome=line.outcome,
                reason=line.reason,
                voucher=line.voucher,
                entry_date=line.entry_date,
                amount_fen=line.amount_fen,
                insurance=line.insurance,
                account=line.account,
            )
            for line in qs[:50_000]
        ],
    )


@router.post(
    "/differences/{difference_id}/resolve",
    response={200: DifferenceOut, **ERRORS},
    summary="Resolve a difference with a note (tax)",
)
def difference_resolve(request: HttpRequest, difference_id: int, body: TreasuryNoteIn) -> Status:
    user = _viewer(request)
    try:
        d = services.difference_resolve(by=user, difference=difference_id, note=body.note)
    except TreasuryError as exc:
        return _error(exc)
    d = Difference.objects.select_related("resolved_by", "month").get(pk=d.pk)
    return Status(200, difference_out(d, d.month.month))


@router.get(
    "/differences/{difference_id}/payments",
    response={200: list[dict[str, Any]], **ERRORS},
    summary="The payments behind a difference's voucher (tax; ID numbers masked; logged)",
)
def difference_payments(request: HttpRequest, difference_id: int) -> Status:
    user = _viewer(request)
    if not services.may_drill(user):
        return Status(403, TreasuryErrorOut(code="forbidden", detail="Shown to the tax bureau only."))
    d = (
        Difference.objects.select_related("statement__month").filter(pk=difference_id).first()
        if 0 < difference_id < services.MAX_PK
        else None
    )
    if d is None:
        return Status(404, TreasuryErrorOut(code="not_found", detail="No such difference."))
    rows = selectors.payments_behind(d, user)
    access_log(
        actor=Actor.of(user),
        action=AccessAction.VIEW,
        object_type="collection.payment",
        object_ids=[r.person_id or f"payment:{r.id}" for r in rows],
        query=f"treasury voucher={d.voucher}",
        request=request,
        channel="api",
    )
    return Status(
        200,
        [
            {
                "id": r.id,
                "channel": r.channel,
                "txn_no": r.txn_no,
                "kind": r.kind,
                "name": r.name,
                "id_number": r.id_number,
                "paid_at": r.paid_at,
                "treasury_date": r.treasury_date,
                "amount": str(r.amount),
                "in_month": r.in_month,
            }
            for r in rows
        ],
    )


@router.post("/months/{month}/signoff", response={200: TreasuryMonthOut, **ERRORS}, summary="Sign a month off (tax)")
def month_signoff(request: HttpRequest, month: str, body: TreasuryNoteIn) -> Status:
    user = _viewer(request)
    try:
        the_month = services.month_signoff(by=user, month=month, note=body.note)
    except TreasuryError as exc:
        return _error(exc)
    row = next(r for r in selectors.months_overview() if r.month == the_month.month)
    return Status(
        200,
        TreasuryMonthOut(
            month=row.month,
            status=row.status,
            statement_due=row.due.due,
            statement_delivered=row.obligation_fulfilled,
            our_lines=row.our_lines,
            statement_id=the_month.statement_id,
            counts=row.counts,
            differences=row.difference_count,
            open_differences=row.open_count,
            signed_at=the_month.signed_at,
        ),
    )
