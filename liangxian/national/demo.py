"""Demo: export the demo county for the national checks, put a neighbouring county's export beside it (a few of
our paid persons enrolled and paid there too), and run the duplicate check once on DuckDB."""

from __future__ import annotations

from typing import Any

import polars as pl

from .export import export_parquet
from .models import JobKind, JobRun
from .services import duplicates_run
from .views import data_dir

NEIGHBOUR = "653124"  # 莎车县, the demo's other county
DUPLICATED = 25


def demo_seed(*, stdout: Any = None) -> dict[str, Any]:
    """Export, plant the neighbour's enrolments and check; a second call finds the run made and changes nothing."""
    folder = data_dir()
    done = JobRun.objects.filter(kind=JobKind.DUPLICATES, data_dir=str(folder.resolve())[:500]).first()
    if done is not None:
        return {"run": done.pk, "findings": done.findings, "created": False}
    exported = export_parquet(out=folder)
    ours = pl.read_parquet(folder / "enrolments" / "county=653123" / "*.parquet")
    neighbour = (
        ours.filter(pl.col("paid")).sort("id_number").head(DUPLICATED).with_columns(pl.lit("65").alias("province"))
    )
    target = folder / "enrolments" / f"county={NEIGHBOUR}"
    target.mkdir(parents=True, exist_ok=True)
    neighbour.write_parquet(target / "part-00000.parquet")
    run, _output = duplicates_run(engine="duckdb", data_dir=folder)
    if stdout is not None:
        stdout.write(
            f"national: exported {exported.payments} payments and {exported.enrolments} enrolments to {folder}; "
            f"{run.findings} enrolled and paid in two counties\n"
        )
    return {"run": run.pk, "findings": run.findings, "created": True}
