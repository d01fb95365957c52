"""The entitlements API under /api/entitlements (Art 37): the bureaus send their records and fetch the white list.

A bureau's system calls with its token (``Authorization: Bearer <prefix>.<secret>``), a person with his session;
either acts for its unit. Each fetch of the white list is written to the access log.
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
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor

from . import exports, selectors, services
from .models import INSURANCE_OF_BUREAU, Bureau, EntitlementImport, ImportRow, WhitelistEntry
from .selectors import Viewer
from .services import FORBIDDEN_CODES, EntitlementError

router = Router(tags=["entitlements"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EntitlementErrorOut(Schema):
    code: str
    detail: str
    import_id: int | None = None


ERRORS: dict[int, Any] = {
    400: EntitlementErrorOut,
    403: EntitlementErrorOut,
    404: EntitlementErrorOut,
    409: EntitlementErrorOut,
}


class EntitlementImportOut(Schema):
    id: int
    bureau: str
    insurance: str
    filename: str
    sha256: str
    status: str
    error: str
    via: str
    repeat: bool = False
    latest_record_date: date | None
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    whitelist: dict[str, int] | None = None


class EntitlementRowOut(Schema):
    row_number: int
    outcome: str
    reasons: str
    id_number: str
    name: str
    insurance: str
    coverage_year: int | None
    original: dict[str, Any]


class WhitelistEntryOut(Schema):
    id: int
    person_id: int | None
    id_number: str
    name: str
    insurance: str
    coverage_year: int
    township_code: str
    village_code: str
    net_paid_fen: int
    first_paid_at: datetime
    last_paid_at: datetime
    listed_at: datetime
    cause: str
    cause_id_number: str
    status: str
    left_at: datetime | None
    left_reason: str
    resolution_note: str
    resolved_by: str
    resolved_at: datetime | None


class CauseCountOut(Schema):
    cause: str
    label: str
    count: int
    net_paid_fen: int


class WhitelistPageOut(Schema):
    items: list[WhitelistEntryOut]
    count: int
    page: int
    page_size: int
    by_cause: list[CauseCountOut]


class PaymentLineOut(Schema):
    id: int
    channel: str
    txn_no: str
    kind: str
    coverage_year: int
    amount_fen: int
    other_fen: int
    paid_at: datetime


class EntitlementLineOut(Schema):
    coverage_year: int
    record_date: date
    amount_fen: int | None
    import_id: int


class PersonLineOut(Schema):
    entry: WhitelistEntryOut
    payments: list[PaymentLineOut]
    entitlements: list[EntitlementLineOut]
    history: list[WhitelistEntryOut]


class WhitelistQuery(Schema):
    insurance: str = Field("", max_length=10, description="medical or pension; a bureau sees its own only.")
    year: int | None = Field(None, ge=2000, le=2099, description="Coverage year.")
    cause: str = Field("", max_length=16)
    status: str = Field("listed", max_length=10, description="listed (default), left or all.")
    township: str = Field("", max_length=12)
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(500, ge=1, le=5000)


class ResolveIn(Schema):
    note: str = Field(..., max_length=2000)


class RefreshOut(Schema):
    id: int
    started_at: datetime
    seconds: float | None
    counts: dict[str, int]


def _error(exc: EntitlementError) -> Status:
    status = 403 if exc.code in FORBIDDEN_CODES else 404 if exc.code == "not_found" else 400
    return Status(
        status,
        EntitlementErrorOut(code=exc.code, detail=exc.message, import_id=exc.source.pk if exc.source else None),
    )


def import_out(
    source: EntitlementImport, *, repeat: bool = False, whitelist: dict[str, int] | None = None
) -> EntitlementImportOut:
    return EntitlementImportOut(
        id=source.pk,
        bureau=source.bureau,
        insurance=source.insurance,
        filename=source.filename,
        sha256=source.sha256,
        status=source.status,
        error=source.error,
        via=source.via,
        repeat=repeat,
        latest_record_date=source.latest_record_date,
        started_at=source.started_at,
        finished_at=source.finished_at,
        counts={k: int(v) for k, v in (source.counts or {}).items()},
        whitelist=whitelist,
    )


def entry_out(viewer: Viewer, e: WhitelistEntry) -> WhitelistEntryOut:
    return WhitelistEntryOut(
        id=e.pk,
        person_id=e.person_id,
        id_number=viewer.shown_id(e.id_number),
        name=e.name,
        insurance=e.insurance,
        coverage_year=e.coverage_year,
        township_code=e.township_code,
        village_code=e.village_code,
        net_paid_fen=e.net_paid_fen,
        first_paid_at=e.first_paid_at,
        last_paid_at=e.last_paid_at,
        listed_at=e.listed_at,
        cause=e.cause,
        cause_id_number=viewer.shown_id(e.cause_id_number) if e.cause_id_number else "",
        status=e.status,
        left_at=e.left_at,
        left_reason=e.left_reason,
        resolution_note=e.resolution_note,
        resolved_by=str(e.resolved_by) if e.resolved_by else "",
        resolved_at=e.resolved_at,
    )


def _viewer(request: HttpRequest) -> Viewer:
    viewer = selectors.viewer_of(request.auth)  # type: ignore[attr-defined]
    if viewer is None:
        raise HttpError(403, "The white list is not within your unit's duty.")
    return viewer


def _channel(request: HttpRequest) -> str:
    return "token" if getattr(request, "api_token", None) is not None else "api"


# ------------------------------------------------------------------------------------------------- imports


@router.get("/template.xlsx", summary="The blank entitlement file template (xlsx)")
def template_xlsx(request: HttpRequest, bureau: str = "medical") -> HttpResponse:
    insurance = str(INSURANCE_OF_BUREAU.get(Bureau(bureau) if bureau in Bureau.values else Bureau.MEDICAL))
    response = HttpResponse(exports.template_xlsx(insurance), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="entitlements-template.xlsx"'
    return response


@router.get("/template.csv", summary="The blank entitlement file template (csv, UTF-8)")
def template_csv(request: HttpRequest, bureau: str = "medical") -> HttpResponse:
    insurance = str(INSURANCE_OF_BUREAU.get(Bureau(bureau) if bureau in Bureau.values else Bureau.MEDICAL))
    response = HttpResponse(exports.template_csv(insurance), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="entitlements-template.csv"'
    return response


@router.post(
    "/imports",
    response={201: EntitlementImportOut, 200: EntitlementImportOut, **ERRORS},
    summary="Send a file of entitlement records (the bureau; Art 37)",
)
def import_create(request: HttpRequest, file: File[UploadedFile], bureau: Form[str] = "") -> Status:
    user = request.auth  # type: ignore[attr-defined]
    bureau = bureau or services.department_of(user)
    try:
        result = services.entitlement_import(
            bureau=bureau, by=user, data=file.read(), filename=file.name or "upload", via=_channel(request)
        )
    except EntitlementError as exc:
        return _error(exc)
    out = import_out(result.source, repeat=result.repeat, whitelist=result.refresh.counts if result.refresh else None)
    return Status(200 if result.repeat else 201, out)


@router.get("/imports", response=list[EntitlementImportOut], summary="Entitlement files imported (a bureau: its own)")
def import_list(request: HttpRequest) -> list[EntitlementImportOut]:
    return [import_out(s) for s in selectors.imports_visible(request.auth)[:200]]  # type: ignore[attr-defined]


@router.get(
    "/imports/{import_id}", response={200: EntitlementImportOut, **ERRORS}, summary="One entitlement file's result"
)
def import_get(request: HttpRequest, import_id: int) -> Status:
    source = selectors.imports_visible(request.auth).filter(pk=import_id).first()  # type: ignore[attr-defined]
    if source is None:
        return Status(404, EntitlementErrorOut(code="not_found", detail="Not Found"))
    return Status(200, import_out(source))


@router.get(
    "/imports/{import_id}/rows",
    response={200: list[EntitlementRowOut], **ERRORS},
    summary="The repaired and rejected rows of a file, with the reasons (logged)",
)
def import_rows(request: HttpRequest, import_id: int, outcome: str = "") -> Status:
    user = request.auth  # type: ignore[attr-defined]
    source = selectors.imports_visible(user).filter(pk=import_id).first()
    if source is None:
        return Status(404, EntitlementErrorOut(code="not_found", detail="Not Found"))
    rows: Any = ImportRow.objects.filter(source=source)
    if outcome:
        rows = rows.filter(outcome=outcome)
    rows = list(rows.order_by("row_number")[:5000])
    full = services.department_of(user) == source.bureau
    access_log(
        actor=Actor.of(user),
        action=AccessAction.LIST,
        object_type="entitlements.importrow",
        object_ids=[source.pk],
        count=len(rows),
        duty="entitlement_records",
        query=f"import={source.pk} outcome={outcome}",
        request=request,
        channel=_channel(request),
    )
    viewer = Viewer(insurances=(), full_ids=full, bureau="", duty="")
    return Status(
        200,
        [
            EntitlementRowOut(
                row_number=r.row_number,
                outcome=r.outcome,
                reasons=r.reasons,
                id_number=viewer.shown_id(r.id_number),
                name=r.name,
                insurance=r.insurance,
                coverage_year=r.coverage_year,
                original=r.original if full and isinstance(r.original, dict) else {},
            )
            for r in rows
        ],
    )


# ---------------------------------------------------------------------------------------------- white list


def _whitelist_qs(request: HttpRequest, viewer: Viewer, query: WhitelistQuery) -> Any:
    if query.insurance and query.insurance not in viewer.insurances:
        access_log(
            actor=Actor.of(request.auth),  # type: ignore[attr-defined]
            action=AccessAction.DENIED,
            object_type=selectors.OBJECT_TYPE,
            query=f"insurance={query.insurance}",
            duty=viewer.duty,
            request=request,
            channel=_channel(request),
        )
        raise HttpError(403, "A bureau fetches the white list of its own insurance only.")
    return selectors.whitelist_entries(
        viewer,
        insurance=query.insurance,
        year=query.year,
        cause=query.cause,
        status=query.status,
        township=query.township,
    )


@router.get(
    "/whitelist",
    response={200: WhitelistPageOut, **ERRORS},
    summary="The current white list (a bureau: its own insurance, full ID numbers; logged)",
)
def whitelist(request: HttpRequest, query: Query[WhitelistQuery]) -> Status:
    viewer = _viewer(request)
    qs = _whitelist_qs(request, viewer, query)
    start = (query.page - 1) * query.page_size
    items = list(qs[start : start + query.page_size])
    access_log(
        actor=Actor.of(request.auth),  # type: ignore[attr-defined]
        action=AccessAction.LIST,
        object_type=selectors.OBJECT_TYPE,
        object_ids=[e.person_id or f"id:{e.pk}" for e in items],
        duty=viewer.duty,
        query=f"insurance={query.insurance} year={query.year} cause={query.cause} status={query.status} "
        f"township={query.township} page={query.page}",
        request=request,
        channel=_channel(request),
    )
    by_cause = [
        CauseCountOut(cause=c["cause"], label=str(c["label"]), count=c["count"], net_paid_fen=c["fen"])
        for c in selectors.cause_counts(qs)
    ]
    return Status(
        200,
        WhitelistPageOut(
            items=[entry_out(viewer, e) for e in items],
            count=qs.count(),
            page=query.page,
            page_size=query.page_size,
            by_cause=by_cause,
        ),
    )


@router.get("/whitelist.xlsx", summary="The white list as xlsx (logged)")
def whitelist_export(request: HttpRequest, query: Query[WhitelistQuery]) -> HttpResponse:
    viewer = _viewer(request)
    qs = _whitelist_qs(request, viewer, query)
    user = request.auth  # type: ignore[attr-defined]
    actor = Actor.of(user)
    access_log(
        actor=actor,
        action=AccessAction.EXPORT,
        object_type=selectors.OBJECT_TYPE,
        count=qs.count(),
        duty=viewer.duty,
        query=f"insurance={query.insurance} year={query.year} cause={query.cause} status={query.status}",
        request=request,
        channel=_channel(request),
    )
    data = exports.whitelist_xlsx(viewer, qs, who=str(user), unit_code=actor.unit_code)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="whitelist.xlsx"'
    return response


@router.post(
    "/whitelist/refresh",
    response={200: RefreshOut, **ERRORS},
    summary="Refresh the white list now (tax or a bureau)",
)
def whitelist_refresh(request: HttpRequest) -> Status:
    user = request.auth  # type: ignore[attr-defined]
    if not (user.is_superuser or services.department_of(user) in ("tax", *Bureau.values)):
        return Status(403, EntitlementErrorOut(code="forbidden", detail="Only tax and the bureaus refresh the list."))
    run = services.whitelist_refresh(by=user, trigger="api")
    return Status(200, RefreshOut(id=run.pk, started_at=run.started_at, seconds=run.seconds, counts=run.counts))


@router.get("/whitelist/{entry_id}", response={200: PersonLineOut, **ERRORS}, summary="One person's line (logged)")
def whitelist_entry(request: HttpRequest, entry_id: int) -> Status:
    viewer = _viewer(request)
    entry = selectors.entry_visible(viewer, entry_id)
    if entry is None:
        return Status(404, EntitlementErrorOut(code="not_found", detail="Not Found"))
    line = selectors.person_line(entry)
    access_log(
        actor=Actor.of(request.auth),  # type: ignore[attr-defined]
        action=AccessAction.VIEW,
        object_type=selectors.OBJECT_TYPE,
        object_ids=[entry.person_id or f"id:{entry.pk}"],
        duty=viewer.duty,
        request=request,
        channel=_channel(request),
    )
    return Status(
        200,
        PersonLineOut(
            entry=entry_out(viewer, entry),
            payments=[
                PaymentLineOut(
                    id=p.pk,
                    channel=p.channel,
                    txn_no=p.txn_no,
                    kind=p.kind,
                    coverage_year=p.coverage_year,
                    amount_fen=p.amount_fen,
                    other_fen=p.other_fen,
                    paid_at=p.paid_at,
                )
                for p in line["payments"]
            ],
            entitlements=[
                EntitlementLineOut(
                    coverage_year=x.coverage_year,
                    record_date=x.record_date,
                    amount_fen=x.amount_fen,
                    import_id=x.source_id,
                )
                for x in line["entitlements"]
            ],
            history=[entry_out(viewer, h) for h in line["history"]],
        ),
    )


@router.post(
    "/whitelist/{entry_id}/resolve",
    response={200: WhitelistEntryOut, **ERRORS},
    summary="Record how the cause was resolved",
)
def whitelist_resolve(request: HttpRequest, entry_id: int, body: ResolveIn) -> Status:
    viewer = _viewer(request)
    entry = selectors.entry_visible(viewer, entry_id)
    if entry is None:
        return Status(404, EntitlementErrorOut(code="not_found", detail="Not Found"))
    try:
        entry = services.whitelist_resolve(by=request.auth, entry=entry, note=body.note)  # type: ignore[attr-defined]
    except EntitlementError as exc:
        return _error(exc)
    return Status(200, entry_out(viewer, entry))
