"""The cash API under /api/cash/… (Art 29): the same services and scope as the cash pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from liangxian.core.scope import ScopeError
from liangxian.org.models import User

from . import selectors, services
from .ledger import cash_ledger_pdf
from .models import CashDay, CashReceipt
from .services import CashError

router = Router(tags=["cash"])


class CashErrorOut(Schema):
    code: str
    detail: str


class CashPayerOut(Schema):
    entry_id: int
    name: str
    id_number: str = Field(description="Masked unless the caller's duty needs the whole number.")
    insurance: str
    own_fen: int
    tiers: list[int] = Field(description="Pension: the own amounts (fen) the payer may choose.")
    cash_only: bool = Field(description="False: the payer is not on the township's cash list (cash is flagged).")
    village_code: str


class CashReceiptIn(Schema):
    entry_id: int = Field(ge=1, le=2**62)
    amount: Decimal = Field(description='Cash received in yuan, to the fen (a string such as "400.00").')
    received_at: datetime | None = Field(None, description="When the cash was received; now when omitted.")


class CashReceiptOut(Schema):
    id: int
    entry_id: int
    person_name: str
    insurance: str
    coverage_year: int
    amount_fen: int
    received_at: datetime
    business_date: date
    off_list: bool
    payment_id: int | None
    proof_number: str | None


class CashPayInIn(Schema):
    channel: str = Field(description="wechat, hall, pos, etax, siclient or bank.")
    txn_no: str = Field(max_length=64)
    paid_at: datetime | None = None


class CashPayInOut(Schema):
    receipt: CashReceiptOut
    payment_id: int
    linked: bool = Field(description="True: the channel's own record arrived first and was linked.")
    reason: str | None = Field(description="The payment's open queue reason, when it does not count yet.")
    proof_number: str | None


class CashBalanceOut(Schema):
    day: date
    receipts: int
    received_fen: int
    paid_in_fen: int
    open_fen: int


class CashDayOut(Schema):
    id: int
    collector_id: int
    collector: str
    day: date
    township_code: str
    village_code: str
    receipts: int
    received_fen: int
    paid_in_fen: int
    open_fen: int
    off_list: int
    status: str
    raised_at: datetime | None
    cleared_at: datetime | None
    note: str
    scans: int


class CashDayQuery(Schema):
    day: date | None = None
    status: str = Field("", max_length=10)
    township: str = Field("", max_length=12)


class CashClearIn(Schema):
    note: str = Field(min_length=1, max_length=2000)


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _error(exc: CashError) -> Status:
    status = 404 if exc.code in ("no_entry", "no_receipt", "no_day") else 403 if exc.code == "not_authorised" else 400
    if exc.code in ("already_paid", "already_open", "already_paid_in", "payin_mismatch", "scan_duplicate"):
        status = 409
    return Status(status, CashErrorOut(code=exc.code, detail=exc.message))


def _receipt_out(r: CashReceipt) -> CashReceiptOut:
    proof = getattr(r.payment, "proof", None) if r.payment_id else None
    return CashReceiptOut(
        id=r.pk,
        entry_id=r.entry_id,
        person_name=r.person.name,
        insurance=r.insurance,
        coverage_year=r.coverage_year,
        amount_fen=r.amount_fen,
        received_at=r.received_at,
        business_date=r.business_date,
        off_list=r.off_list,
        payment_id=r.payment_id,
        proof_number=proof.number if proof else None,
    )


def _day_out(d: CashDay) -> CashDayOut:
    return CashDayOut(
        id=d.pk,
        collector_id=d.collector_id,
        collector=d.collector.full_name or d.collector.username,
        day=d.day,
        township_code=d.township_code,
        village_code=d.village_code,
        receipts=d.receipts,
        received_fen=d.received_fen,
        paid_in_fen=d.paid_in_fen,
        open_fen=d.open_fen,
        off_list=d.off_list,
        status=d.status,
        raised_at=d.raised_at,
        cleared_at=d.cleared_at,
        note=d.note,
        scans=d.scans.count(),
    )


ERRORS = {400: CashErrorOut, 403: CashErrorOut, 404: CashErrorOut, 409: CashErrorOut}


@router.get("/payers", response=list[CashPayerOut], summary="Find a payer on the collector's due-lists")
def payers(request: HttpRequest, q: str) -> list[CashPayerOut]:
    """Search by name, or by the last 4 or more digits of the ID number; at most 20 payers still to pay."""
    rows = selectors.payers_find(user=_user(request), q=q, request=request, channel="api")
    return [CashPayerOut(**{k: getattr(r, k) for k in CashPayerOut.model_fields}) for r in rows]


@router.post("/receipts", response={201: CashReceiptOut, **ERRORS}, summary="Record cash received (Art 29)")
def receipt_create(request: HttpRequest, body: CashReceiptIn) -> Status:
    try:
        receipt = services.cash_receipt_record(
            by=_user(request), entry_id=body.entry_id, amount=str(body.amount), received_at=body.received_at
        )
    except CashError as exc:
        return _error(exc)
    return Status(201, _receipt_out(receipt))


@router.get("/receipts", response=list[CashReceiptOut], summary="The caller's cash receipts of a day")
def receipts(request: HttpRequest, day: date | None = None) -> list[CashReceiptOut]:
    return [_receipt_out(r) for r in selectors.receipts_of(_user(request), day or timezone.localdate())]


@router.post("/receipts/{receipt_id}/payin", response={201: CashPayInOut, **ERRORS}, summary="Record the cash's pay-in")
def payin_create(request: HttpRequest, receipt_id: int, body: CashPayInIn) -> Status:
    try:
        result = services.cash_payin_record(
            by=_user(request), receipt_id=receipt_id, channel=body.channel, txn_no=body.txn_no, paid_at=body.paid_at
        )
    except CashError as exc:
        return _error(exc)
    receipt = CashReceipt.objects.select_related("person", "payment", "payment__proof").get(pk=result.receipt.pk)
    return Status(
        201,
        CashPayInOut(
            receipt=_receipt_out(receipt),
            payment_id=result.payment.pk,
            linked=result.linked,
            reason=result.reason,
            proof_number=result.proof.number if result.proof else None,
        ),
    )


@router.get("/balance", response=CashBalanceOut, summary="The caller's cash balance of a day")
def balance(request: HttpRequest, day: date | None = None) -> CashBalanceOut:
    the_day = day or timezone.localdate()
    t = services.day_totals(_user(request).pk, the_day)
    return CashBalanceOut(
        day=the_day, receipts=t.receipts, received_fen=t.received_fen, paid_in_fen=t.paid_in_fen, open_fen=t.open_fen
    )


@router.get("/days", response=list[CashDayOut], summary="The collectors' cash days the caller oversees")
def days(request: HttpRequest, query: Query[CashDayQuery]) -> list[CashDayOut]:
    filters = selectors.DayFilters(day=query.day, status=query.status, township=query.township)
    return [_day_out(d) for d in selectors.cash_days(user=_user(request), filters=filters)[:1000]]


@router.post("/days/{day_id}/clear", response={200: CashDayOut, **ERRORS}, summary="Clear a raised difference")
def day_clear(request: HttpRequest, day_id: int, body: CashClearIn) -> Status:
    try:
        cash_day = services.cash_day_clear(by=_user(request), day_id=day_id, note=body.note)
    except CashError as exc:
        return _error(exc)
    return Status(200, _day_out(CashDay.objects.select_related("collector").get(pk=cash_day.pk)))


class CashScanOut(Schema):
    id: int
    day_id: int
    sha256: str
    content_type: str
    size: int
    uploaded_at: datetime


@router.post(
    "/days/{day_id}/scans", response={201: CashScanOut, **ERRORS}, summary="Upload the signed cash ledger's scan"
)
def scan_upload(request: HttpRequest, day_id: int, scan: File[UploadedFile]) -> Status:
    """Keep the scan (PDF, PNG or JPEG by its content, at most 10 MB) of a collector's signed ledger of a day."""
    try:
        kept = services.cash_ledger_scan_upload(by=_user(request), day_id=day_id, upload=scan)
    except CashError as exc:
        return _error(exc)
    return Status(
        201,
        CashScanOut(
            id=kept.pk,
            day_id=kept.day_id,
            sha256=kept.sha256,
            content_type=kept.content_type,
            size=kept.size,
            uploaded_at=kept.uploaded_at,
        ),
    )


@router.get("/ledger", summary="A collector's cash ledger of one day (PDF)", response={200: None, 404: CashErrorOut})
def ledger(request: HttpRequest, collector: int, day: date) -> HttpResponse | Status:
    the_collector = get_object_or_404(User, pk=collector)
    try:
        pdf = cash_ledger_pdf(viewer=_user(request), collector=the_collector, day=day, request=request, channel="api")
    except (CashError, ScopeError):
        return Status(404, CashErrorOut(code="not_found", detail="Not Found"))
    return HttpResponse(pdf, content_type="application/pdf")
