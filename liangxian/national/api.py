"""The API of the jobs across counties under /api/national: the runs and a run's duplicate findings (masked)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.org.models import User

from . import selectors
from .export import DUTY
from .models import JobRun

router = Router(tags=["national"])


class RunOut(Schema):
    id: int
    kind: str
    engine: str
    data_dir: str
    statement: str
    started_at: datetime
    finished_at: datetime
    seconds: float
    rows_in: int
    findings: int
    counts: dict[str, int]
    by: str | None


class FindingOut(Schema):
    id_number: str = Field(..., description="Masked: the first 6 and the last 4 characters.")
    insurance: str
    coverage_year: int
    counties: list[str]
    county_count: int
    province_count: int
    paid_fen: int


class PageQuery(Schema):
    kind: str = Field("", description="duplicates or treasury_match; empty for both")
    page: int = Field(1, ge=1)
    page_size: int = Field(100, ge=1, le=1000)


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.may_view(user):
        raise HttpError(403, "The jobs across counties are not within your unit's duty.")
    return user


def _run_out(run: JobRun) -> RunOut:
    return RunOut(
        id=run.pk,
        kind=run.kind,
        engine=run.engine,
        data_dir=run.data_dir,
        statement=run.statement,
        started_at=run.started_at,
        finished_at=run.finished_at,
        seconds=round(run.seconds, 3),
        rows_in=run.rows_in,
        findings=run.findings,
        counts=run.counts,
        by=run.by.username if run.by else None,
    )


@router.get("/runs", response=list[RunOut], summary="Runs of the duplicate check and the treasury match")
def run_list(request: HttpRequest, query: Query[PageQuery]) -> list[RunOut]:
    _user(request)
    qs = selectors.runs()
    if query.kind:
        qs = qs.filter(kind=query.kind)
    start = (query.page - 1) * query.page_size
    return [_run_out(r) for r in qs[start : start + query.page_size]]


@router.get("/runs/{run_id}/findings", response=list[FindingOut], summary="A run's duplicate enrolments (logged)")
def finding_list(request: HttpRequest, run_id: int, query: Query[PageQuery]) -> list[FindingOut]:
    user = _user(request)
    run = selectors.runs().filter(pk=run_id).first()
    if run is None:
        raise HttpError(404, "Not Found")
    start = (query.page - 1) * query.page_size
    findings = list(selectors.findings_of(run)[start : start + query.page_size])
    access_log(
        actor=Actor.of(user),
        action=AccessAction.LIST,
        object_type="national.duplicatefinding",
        object_ids=[f.pk for f in findings],
        duty=DUTY,
        query=f"run={run.pk} page={query.page}",
        request=request,
        channel="api",
    )
    return [
        FindingOut(
            id_number=selectors.shown_id(f.id_number),
            insurance=f.insurance,
            coverage_year=f.coverage_year,
            counties=f.counties.split(","),
            county_count=f.county_count,
            province_count=f.province_count,
            paid_fen=f.paid_fen,
        )
        for f in findings
    ]
