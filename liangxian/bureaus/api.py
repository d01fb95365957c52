"""The bureaus API under /api/bureaus: monthly reports and the comparison (Art 36), the daily detail (Art 37).

A bureau's system calls it with its token (its acting user is the bureau's); a signed-in user with the session.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from . import selectors, services
from .models import DailyFile, MonthlyReport
from .services import FORBIDDEN_CODES, BureausError
from .views import daily_response

router = Router(tags=["bureaus"])


class ErrorOut(Schema):
    code: str
    detail: str


class ReportOut(Schema):
    id: int
    bureau: str
    month: str
    source: str
    filename: str
    sha256: str
    counts: dict[str, int]
    current: bool
    entered_at: datetime
    repeated: bool = False


class ReportRowOut(Schema):
    row: int
    outcome: str
    reasons: str
    insurance: str
    township_code: str
    persons: int | None
    amount_fen: int | None
    refund_persons: int | None
    refund_fen: int | None


class ReportDetailOut(ReportOut):
    rows: list[ReportRowOut]


class CauseOut(Schema):
    code: str
    label: str
    count: int
    persons: int
    amount_fen: int
    applies: bool


class BureauFiguresOut(Schema):
    persons: int
    amount_fen: int
    refund_persons: int
    refund_fen: int


class BureauLineOut(Schema):
    insurance: str
    township_code: str
    township_name: str
    tax: BureauFiguresOut
    bureau: BureauFiguresOut | None
    persons_diff: int
    net_diff_fen: int
    causes: list[CauseOut]
    unexplained_fen: int
    unexplained_persons: int
    notes: list[str]


class ComparisonOut(Schema):
    month: str
    reported: dict[str, int | None]
    lines: list[BureauLineOut]


class BureauNoteIn(Schema):
    insurance: str = Field(..., description="medical or pension")
    township_code: str = Field("", max_length=12, description="blank: the insurance's total")
    note: str = Field(..., max_length=4000)


class DailyFileOut(Schema):
    id: int
    day: date
    insurance: str
    format: str
    generation: int
    current: bool
    rows: int
    total_fen: int
    sha256: str
    generated_at: datetime


def _error(exc: BureausError) -> HttpError:
    return HttpError(403 if exc.code in FORBIDDEN_CODES else 400, exc.message)


def _scoped(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not services.visible_insurances(user):
        raise HttpError(403, "The bureaus' reports and daily detail are not within your unit's duty.")
    return user


def report_out(report: MonthlyReport, repeated: bool = False) -> dict[str, Any]:
    return {
        "id": report.pk,
        "bureau": report.bureau,
        "month": report.month,
        "source": report.source,
        "filename": report.filename,
        "sha256": report.sha256,
        "counts": report.counts,
        "current": report.current,
        "entered_at": report.entered_at,
        "repeated": repeated,
    }


def comparison_out(comparison: selectors.Comparison) -> dict[str, Any]:
    """Render a comparison as plain data (the API and the CLI's --json)."""
    return {
        "month": comparison.month,
        "reported": {i: (r.pk if r else None) for i, r in comparison.reports.items()},
        "lines": [
            {
                "insurance": line.insurance,
                "township_code": line.township_code,
                "township_name": line.township_name,
                "tax": vars(line.tax),
                "bureau": vars(line.bureau) if line.bureau else None,
                "persons_diff": line.persons_diff,
                "net_diff_fen": line.net_diff,
                "causes": [vars(c) for c in line.causes],
                "unexplained_fen": line.unexplained_fen,
                "unexplained_persons": line.unexplained_persons,
                "notes": [n.note for n in line.notes],
            }
            for line in comparison.lines
        ],
    }


@router.get("/reports", response=list[ReportOut])
def reports(request: HttpRequest, month: str = "") -> list[dict[str, Any]]:
    """List the monthly reports within the caller's duty."""
    qs = selectors.reports_visible(_scoped(request))
    if month:
        qs = qs.filter(month=month)
    return [report_out(r) for r in qs[:500]]


@router.post("/reports", response={201: ReportOut, 200: ReportOut, 400: ErrorOut, 403: ErrorOut})
def report_import(request: HttpRequest, bureau: Form[str], month: Form[str], file: File[UploadedFile]) -> Status:
    """Import a bureau's monthly report file (csv or xlsx); the same file again answers with the first import."""
    try:
        result = services.report_import(
            by=request.auth,  # type: ignore[attr-defined]
            bureau=bureau,
            month=month,
            filename=file.name or "report",
            data=file.read(),
        )
    except BureausError as exc:
        raise _error(exc) from exc
    return Status(200 if result.repeated else 201, report_out(result.report, result.repeated))


@router.get("/reports/{report_id}", response=ReportDetailOut)
def report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    """One report with its rows as given, each with its outcome and reasons."""
    found = selectors.reports_visible(_scoped(request)).filter(pk=report_id).first()
    if found is None:
        raise HttpError(404, "No such report within your unit's duty.")
    return {**report_out(found), "rows": list(found.rows.values())}


@router.get("/compare/{month}", response={200: ComparisonOut, 400: ErrorOut, 403: ErrorOut})
def compare(request: HttpRequest, month: str) -> dict[str, Any]:
    """Compare the bureaus' figures of a month with tax's, each difference analysed by cause."""
    user = _scoped(request)
    try:
        services.month_bounds(month)
    except BureausError as exc:
        raise _error(exc) from exc
    return comparison_out(selectors.month_comparison(user, month))


@router.post("/compare/{month}/notes", response={201: dict, 400: ErrorOut, 403: ErrorOut})
def note(request: HttpRequest, month: str, payload: BureauNoteIn) -> Status:
    """Record a note on one difference of the month."""
    try:
        saved = services.difference_note_set(
            by=_scoped(request),
            month=month,
            insurance=payload.insurance,
            township_code=payload.township_code,
            note=payload.note,
        )
    except BureausError as exc:
        raise _error(exc) from exc
    return Status(201, {"id": saved.pk, "note": saved.note})


@router.get("/daily", response=list[DailyFileOut])
def daily_files(request: HttpRequest, since: date | None = None) -> list[DailyFile]:
    """List the daily files within the caller's duty (the bureau: its insurance type's)."""
    qs = selectors.daily_files_visible(_scoped(request))
    if since is not None:
        qs = qs.filter(day__gte=since)
    return list(qs[:1000])


@router.get("/daily/{day}/{insurance}", response={200: None, 403: ErrorOut, 404: ErrorOut})
def daily_file(request: HttpRequest, day: date, insurance: str, format: str = "xlsx") -> FileResponse:
    """Download a day's detail of one insurance type (xlsx, or ``format=csv``); the access is logged."""
    user = _scoped(request)
    if insurance not in services.visible_insurances(user):
        raise HttpError(403, "This insurance type is not within your unit's duty.")
    found = DailyFile.objects.filter(day=day, insurance=insurance, format=format, current=True).first()
    if found is None:
        raise HttpError(404, "No file for this day and insurance type.")
    return daily_response(user, found, request, channel="api")


@router.post("/daily-runs/{day}", response={200: list[DailyFileOut], 400: ErrorOut, 403: ErrorOut})
def daily_generate(request: HttpRequest, day: date, force: bool = False) -> list[DailyFile]:
    """Generate a day's detail files (tax); a day already sent is not sent again unless forced."""
    try:
        result = services.daily_detail_generate(by=request.auth, day=day, force=force)  # type: ignore[attr-defined]
    except BureausError as exc:
        raise _error(exc) from exc
    return result.files
