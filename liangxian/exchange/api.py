"""The exchange API: the catalogue, submitting a list, its rows, changes and approvals (token or session)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from liangxian.core.idnumbers import mask
from liangxian.core.scope import Actor

from . import exports, selectors, services
from .catalogue import dataset_resolve, deadline_text
from .errors import DuplicateSubmission, ExchangeError
from .models import ExchangeMethod, Submission

router = Router(tags=["exchange"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ColumnOut(Schema):
    key: str
    label: str
    synonyms: list[str] = []
    required: bool = False
    type: str = "text"
    choices: list[str] = []


class KindOut(Schema):
    code: str
    name: str
    article: str
    provider: str
    provider_kind: str
    consumers: list[str]
    needs_approval: bool
    approval_stages: list[dict[str, Any]]
    deadline_rule: dict[str, Any]
    deadline: str
    frequency: str
    columns: list[ColumnOut]


class SubmissionOut(Schema):
    id: int
    kind: str
    kind_name: str
    unit: str
    version: int | None
    previous_id: int | None
    status: str
    method: str
    period: str
    file_name: str
    sha256: str
    submitted_at: datetime
    in_force_at: datetime | None
    rows: int
    accepted: int
    repaired: int
    rejected: int


class RowOut(Schema):
    row_number: int
    outcome: str
    reasons: str
    problem_column: str
    id_number: str
    name: str
    data: dict[str, Any]


class RowPageOut(Schema):
    items: list[RowOut]
    count: int
    page: int
    page_size: int


class ChangeOut(Schema):
    kind: str
    id_number: str
    name: str
    fields: dict[str, Any]


class ExchangeErrorOut(Schema):
    code: str
    detail: str
    existing_id: int | None = None


class ApprovalOut(Schema):
    stage: str
    order: int
    approved_at: datetime
    status: str


class RowFilter(Schema):
    outcome: str = Field("", max_length=10, description="accepted, repaired or rejected; empty for all.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=1000)


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.auth)  # type: ignore[attr-defined]


def kind_out(dataset: Any) -> KindOut:
    """Describe one list of the catalogue."""
    return KindOut(
        code=dataset.code,
        name=dataset.name,
        article=dataset.article,
        provider=dataset.provider,
        provider_kind=dataset.provider_kind,
        consumers=list(dataset.consumers),
        needs_approval=dataset.needs_approval,
        approval_stages=list(dataset.approval_stages),
        deadline_rule=dict(dataset.deadline_rule),
        deadline=deadline_text(dataset.deadline_rule),
        frequency=dataset.frequency,
        columns=[ColumnOut(**{k: v for k, v in c.items() if k in ColumnOut.model_fields}) for c in dataset.columns],
    )


def submission_out(s: Submission) -> SubmissionOut:
    """Describe one submission: its version, status and counts."""
    return SubmissionOut(
        id=s.pk,
        kind=s.dataset_id,
        kind_name=s.dataset.name,
        unit=s.unit.code,
        version=s.version,
        previous_id=s.previous_id,
        status=s.status,
        method=s.method,
        period=s.period,
        file_name=s.file_name,
        sha256=s.sha256,
        submitted_at=s.submitted_at,
        in_force_at=s.in_force_at,
        rows=s.rows_total,
        accepted=s.rows_accepted,
        repaired=s.rows_repaired,
        rejected=s.rows_rejected,
    )


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@router.get("/kinds", response=list[KindOut], summary="List the kinds of department lists")
def kinds(request: HttpRequest) -> list[KindOut]:
    """List every list of the catalogue with its provider, consumers, columns, approval and deadline."""
    return [kind_out(d) for d in selectors.dataset_list(_actor(request))]


@router.get("/kinds/{code}/template.xlsx", summary="Download a list's blank template")
def kind_template(request: HttpRequest, code: str) -> HttpResponse:
    """Return the xlsx template with the Chinese headers and a help sheet."""
    try:
        dataset = dataset_resolve(code)
    except ExchangeError:
        raise HttpError(404, "Not Found") from None
    return _xlsx(exports.template_xlsx(dataset), f"{dataset.code}.xlsx")


@router.post(
    "/submissions",
    response={201: SubmissionOut, 400: ExchangeErrorOut, 403: ExchangeErrorOut, 409: ExchangeErrorOut},
    summary="Submit a list file",
)
def submit(
    request: HttpRequest,
    kind: Form[str],
    file: File[UploadedFile],
    period: Form[str] = "",
    note: Form[str] = "",
    method: Form[str] = ExchangeMethod.API,
) -> Status:
    """Submit one file of a list; each row is accepted, repaired or rejected; a refused file changes nothing."""
    try:
        submission = services.submission_submit(
            actor=request.auth,  # type: ignore[attr-defined]
            dataset=kind,
            source=file.read(),
            filename=file.name or "upload",
            method=method,
            period=period,
            note=note,
        )
    except DuplicateSubmission as exc:
        return Status(409, ExchangeErrorOut(code=exc.code, detail=exc.message, existing_id=exc.existing.pk))
    except ExchangeError as exc:
        status = 403 if exc.code == "not_provider" else 400
        return Status(status, ExchangeErrorOut(code=exc.code, detail=exc.message))
    return Status(201, submission_out(submission))


@router.get("/submissions", response=list[SubmissionOut], summary="List submissions within your scope")
def submissions(request: HttpRequest, kind: str = "", status: str = "") -> list[SubmissionOut]:
    """List your unit's submissions and those of the lists your duty uses."""
    qs = selectors.submission_list(_actor(request), dataset=kind or None, status=status or None)
    return [submission_out(s) for s in qs[:500]]


@router.get("/submissions/{submission_id}", response=SubmissionOut, summary="One submission")
def submission(request: HttpRequest, submission_id: int) -> SubmissionOut:
    """Return one submission with its counts."""
    return submission_out(selectors.submission_get(_actor(request), submission_id))


@router.get("/submissions/{submission_id}/rows", response=RowPageOut, summary="A submission's rows")
def submission_rows(request: HttpRequest, submission_id: int, filters: Query[RowFilter]) -> RowPageOut:
    """Return a page of a submission's rows with their outcome and reasons; the read is logged."""
    actor = _actor(request)
    found = selectors.submission_get(actor, submission_id)
    qs = selectors.rows(actor, found, outcome=filters.outcome or None, request=request, channel="api")
    start = (filters.page - 1) * filters.page_size
    full = selectors.sees_full_ids(actor, found)
    items = [
        RowOut(
            row_number=r.row_number,
            outcome=r.outcome,
            reasons=r.reasons,
            problem_column=r.problem_column,
            id_number=r.id_number if full else mask(r.id_number),
            name=r.name,
            data=r.data if full else {k: v for k, v in r.data.items() if "id_number" not in k},
        )
        for r in qs[start : start + filters.page_size]
    ]
    return RowPageOut(items=items, count=qs.count(), page=filters.page, page_size=filters.page_size)


@router.get("/submissions/{submission_id}/changes", response=list[ChangeOut], summary="A version's changes")
def submission_changes(request: HttpRequest, submission_id: int, kind: str = "") -> list[ChangeOut]:
    """Return the persons added, removed or changed against the version before; the read is logged."""
    actor = _actor(request)
    found = selectors.submission_get(actor, submission_id)
    full = selectors.sees_full_ids(actor, found)
    qs = selectors.changes(actor, found, kind=kind or None, request=request, channel="api")
    return [
        ChangeOut(kind=c.kind, id_number=c.id_number if full else mask(c.id_number), name=c.name, fields=c.fields)
        for c in qs[:5000]
    ]


@router.get("/submissions/{submission_id}/errors.xlsx", summary="A submission's error report")
def submission_errors(request: HttpRequest, submission_id: int) -> HttpResponse:
    """Return the rejected and repaired rows as written, with the reason and the column; the export is logged."""
    actor = _actor(request)
    found = selectors.submission_get(actor, submission_id)
    content = exports.error_report_xlsx(actor, found, request=request, channel="api")
    return _xlsx(content, f"errors-{found.pk}.xlsx")


@router.get("/submissions/{submission_id}/changes.xlsx", summary="A version's changes as a spreadsheet")
def submission_changes_xlsx(request: HttpRequest, submission_id: int) -> HttpResponse:
    """Return the version's changes as xlsx; the export is logged."""
    actor = _actor(request)
    found = selectors.submission_get(actor, submission_id)
    return _xlsx(exports.changes_xlsx(actor, found, request=request, channel="api"), f"changes-{found.pk}.xlsx")


@router.post(
    "/submissions/{submission_id}/approvals",
    response={201: ApprovalOut, 400: ExchangeErrorOut, 403: ExchangeErrorOut},
    summary="Approve a stage of a list",
)
def approve(
    request: HttpRequest,
    submission_id: int,
    stage: Form[str],
    scan: File[UploadedFile] | None = None,
    note: Form[str] = "",
) -> Status:
    """Record one approval stage with its signed-and-stamped scan; the last stage puts the list in force."""
    found = selectors.submission_get(_actor(request), submission_id)
    try:
        approval = services.approval_record(
            actor=request.auth,  # type: ignore[attr-defined]
            submission=found,
            stage=stage,
            scan=scan,
            note=note,
        )
    except ExchangeError as exc:
        return Status(403 if exc.code == "not_allowed" else 400, ExchangeErrorOut(code=exc.code, detail=exc.message))
    found.refresh_from_db()
    return Status(
        201,
        ApprovalOut(stage=approval.stage, order=approval.order, approved_at=approval.approved_at, status=found.status),
    )
