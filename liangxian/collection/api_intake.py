"""The channel files and the payment queue under /api/collection/… (Art 26, 29): the pages' services, as JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor

from .intake import ImportResult, IntakeError, channel_import, importer_check, imports_list
from .models import ChannelImport, PaymentIssue
from .queue import QueueError, QueueFilters, issue_resolve, issues_query, shown_id

router = Router()


class IntakeErrorOut(Schema):
    code: str
    detail: str
    import_id: int | None = None


class IntakeImportOut(Schema):
    id: int
    channel: str
    filename: str
    business_date: date | None
    sha256: str
    status: str
    error: str
    counts: dict[str, int]
    imported_by: str
    started_at: datetime
    finished_at: datetime | None
    repeat: bool = False


class IntakeIssueQuery(Schema):
    reason: str = Field("", max_length=20, description="An issue reason code; empty for all.")
    township: str = Field("", max_length=12, description="Township division code.")
    status: str = Field("open", max_length=10, description="open, resolved or all.")
    channel: str = Field("", max_length=10)
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=1000)


class IntakeIssueOut(Schema):
    id: int
    reason: str
    detail: str
    status: str
    township_code: str
    raised_at: datetime
    payment_id: int
    channel: str
    txn_no: str
    kind: str
    id_number: str
    name: str
    insurance: str
    coverage_year: int
    amount_fen: int
    other_fen: int
    paid_at: datetime
    resolution: str
    resolved_at: datetime | None
    note: str


class IntakeIssuePageOut(Schema):
    count: int
    page: int
    rows: list[IntakeIssueOut]


class IntakeResolveIn(Schema):
    resolution: str = Field(..., description="match, accept or refund")
    note: str = Field(..., max_length=2000)
    id_number: str = Field("", max_length=30, description="match: the corrected ID number, if any")
    refund_reason: str = Field("", max_length=20, description="refund: duplicate, wrong_tier or not_eligible")


def import_out(record: ChannelImport, repeat: bool = False) -> IntakeImportOut:
    return IntakeImportOut(
        id=record.pk,
        channel=record.channel,
        filename=record.filename,
        business_date=record.business_date,
        sha256=record.sha256,
        status=record.status,
        error=record.error,
        counts={k: int(v) for k, v in (record.counts or {}).items()},
        imported_by=str(record.imported_by or ""),
        started_at=record.started_at,
        finished_at=record.finished_at,
        repeat=repeat,
    )


def issue_out(actor: Actor, issue: PaymentIssue) -> IntakeIssueOut:
    p = issue.payment
    return IntakeIssueOut(
        id=issue.pk,
        reason=issue.reason,
        detail=issue.detail,
        status=issue.status,
        township_code=issue.township_code,
        raised_at=issue.raised_at,
        payment_id=p.pk,
        channel=p.channel,
        txn_no=p.txn_no,
        kind=p.kind,
        id_number=shown_id(actor, p.id_number),
        name=p.name,
        insurance=p.insurance,
        coverage_year=p.coverage_year,
        amount_fen=p.amount_fen,
        other_fen=p.other_fen,
        paid_at=p.paid_at,
        resolution=issue.resolution,
        resolved_at=issue.resolved_at,
        note=issue.note,
    )


@router.post(
    "/imports",
    response={
        201: IntakeImportOut,
        200: IntakeImportOut,
        400: IntakeErrorOut,
        403: IntakeErrorOut,
        409: IntakeErrorOut,
    },
    summary="Import a channel's daily file (multipart: channel, file)",
)
def import_file(request: HttpRequest, channel: Form[str], file: File[UploadedFile]) -> Status:
    """Import the file whole or refuse it whole; the same file again answers the first import (200)."""
    try:
        result: ImportResult = channel_import(
            channel=channel,
            data=file.read(),
            filename=file.name or "upload",
            by=request.auth,  # type: ignore[attr-defined]
        )
    except IntakeError as exc:
        import_id = exc.channel_import.pk if exc.channel_import else None
        return Status(
            {"forbidden": 403, "conflict": 409}.get(exc.code, 400),
            IntakeErrorOut(code=exc.code, detail=exc.message, import_id=import_id),
        )
    return Status(200 if result.repeat else 201, import_out(result.channel_import, result.repeat))


@router.get(
    "/imports",
    response={200: list[IntakeImportOut], 403: IntakeErrorOut},
    summary="The channel files imported or refused",
)
def imports(request: HttpRequest) -> Any:
    try:
        importer_check(request.auth)  # type: ignore[attr-defined]
    except IntakeError as exc:
        return Status(403, IntakeErrorOut(code=exc.code, detail=exc.message))
    return [import_out(r) for r in imports_list()]


@router.get(
    "/issues", response={200: IntakeIssuePageOut, 403: IntakeErrorOut}, summary="The payment queue within your scope"
)
def issues(request: HttpRequest, query: Query[IntakeIssueQuery]) -> Any:
    actor = Actor.of(request.auth)  # type: ignore[attr-defined]
    filters = QueueFilters.of(query.dict())
    try:
        items = issues_query(actor, filters)
    except QueueError as exc:
        return Status(403, IntakeErrorOut(code=exc.code, detail=exc.message))
    count = items.count()
    start = (query.page - 1) * query.page_size
    page = list(items[start : start + query.page_size])
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="collection.paymentissue",
        object_ids=[i.payment.person_id for i in page if i.payment.person_id],
        count=len(page),
        query=str(query.dict()),
        request=request,
        channel="api",
    )
    return IntakeIssuePageOut(count=count, page=query.page, rows=[issue_out(actor, i) for i in page])


@router.post(
    "/issues/{issue_id}/resolve",
    response={200: IntakeIssueOut, 400: IntakeErrorOut, 403: IntakeErrorOut, 404: IntakeErrorOut, 409: IntakeErrorOut},
    summary="Resolve a queue item: match after a correction, accept, or send to refund",
)
def resolve(request: HttpRequest, issue_id: int, data: IntakeResolveIn) -> Status:
    user = request.auth  # type: ignore[attr-defined]
    try:
        issue = issue_resolve(
            by=user,
            issue_id=issue_id,
            resolution=data.resolution,
            note=data.note,
            id_number=data.id_number,
            refund_reason=data.refund_reason,
        )
    except QueueError as exc:
        status = {"forbidden": 403, "not_found": 404, "resolved": 409}.get(exc.code, 400)
        return Status(status, IntakeErrorOut(code=exc.code, detail=exc.message))
    return Status(200, issue_out(Actor.of(user), issue))
