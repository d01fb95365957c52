"""Run a job across counties and record it: the run, its findings, the audit event (Art 9, 36)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from liangxian.batch.bulk import bulk_insert
from liangxian.core.audit import audit_record
from liangxian.org.models import User
from liangxian.treasury.matching import KINDS

from . import jobs
from .export import may_run
from .jobs import ENGINES, JobError
from .models import DuplicateFinding, JobKind, JobRun


def _check(by: User | None, engine: str) -> None:
    if not may_run(by):
        raise JobError("forbidden", "the jobs across counties are not within your unit's duty")
    if engine not in ENGINES:
        raise JobError("unknown_engine", f"unknown engine {engine!r}: duckdb or spark")


def duplicates_run(*, engine: str, data_dir: str | Path, by: User | None = None) -> tuple[JobRun, jobs.JobOutput]:
    """Run the duplicate-enrolment check and record the run with its findings."""
    _check(by, engine)
    started = timezone.now()
    output = jobs.run_duplicates(engine, data_dir)
    finished = timezone.now()
    table = output.table
    with transaction.atomic():
        run = JobRun.objects.create(
            kind=JobKind.DUPLICATES,
            engine=engine,
            data_dir=str(Path(data_dir).resolve())[:500],
            started_at=started,
            finished_at=finished,
            rows_in=output.rows_in,
            findings=table.num_rows,
            counts={"duplicates": table.num_rows},
            by=by,
        )
        if table.num_rows:
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            bulk_insert(
                DuplicateFinding,
                frame.select(
                    pl.lit(run.pk, dtype=pl.Int64).alias("run_id"),
                    "id_number",
                    "insurance",
                    "coverage_year",
                    pl.col("counties").str.slice(0, 400),
                    "county_count",
                    "province_count",
                    "paid_fen",
                ),
            )
        audit_record(actor=by, action="national.duplicates", obj=run, payload=_payload(run))
    return run, output


def treasury_match_run(
    *, engine: str, payments_dir: str | Path, statement: str | Path, by: User | None = None
) -> tuple[JobRun, jobs.JobOutput]:
    """Run the treasury match and record the run with its differences counted by kind."""
    _check(by, engine)
    started = timezone.now()
    output = jobs.run_treasury_match(engine, payments_dir, statement)
    finished = timezone.now()
    kinds = output.table.column("kind").to_pylist()
    counts = {kind: kinds.count(kind) for kind in KINDS}
    with transaction.atomic():
        run = JobRun.objects.create(
            kind=JobKind.TREASURY_MATCH,
            engine=engine,
            data_dir=str(Path(payments_dir).resolve())[:500],
            statement=str(Path(statement).resolve())[:500],
            started_at=started,
            finished_at=finished,
            rows_in=output.rows_in,
            findings=output.table.num_rows,
            counts=counts,
            by=by,
        )
        audit_record(actor=by, action="national.treasury_match", obj=run, payload=_payload(run))
    return run, output


def _payload(run: JobRun) -> dict[str, Any]:
    return {
        "kind": run.kind,
        "engine": run.engine,
        "data_dir": run.data_dir,
        "statement": run.statement,
        "rows_in": run.rows_in,
        "findings": run.findings,
        "counts": run.counts,
    }
