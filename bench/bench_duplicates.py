"""Benchmark: the national duplicate-enrolment check on 50,000,000 synthetic enrolments, DuckDB and Spark local mode
side by side, with Spark extrapolated per added machine (an estimate, its model printed).

The job (``national.jobs.duplicates``) is the same SQL on both engines over the same Parquet, as ``export parquet``
writes it per county (``enrolments/county=…/part-00000.parquet``). Each engine runs in a child process of its own;
Spark's peak memory is the Python driver's plus its JVM's high-water mark (``VmHWM``), as both run at once.

The synthetic data (``prepare``, not timed), vectorised with Polars, one county at a time so memory stays bounded:
N enrolments over 100 counties in 10 provinces, 90 % paid; 0.5 % of each county's rows carry the ID number of a
row of the county before it (a person enrolled in two counties; across a province line every tenth county).

The extrapolation: Spark's measured rate per core (rows / (job seconds × cores used)) and a fixed cost (the
session's start); for ``m`` machines of ``c`` cores each, ``fixed + N / (rate × c × m)``. It leaves out the
shuffle over the network and the skew, so it is a lower bound on the time, stated as an estimate.

``python bench/bench_duplicates.py [--rows N] [--machine-cores C] [--spark-memory 8g]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROWS = 50_000_000
COUNTIES = 100
MACHINE_CORES = 8


def run(
    persons: int = DEFAULT_ROWS, machine_cores: int = MACHINE_CORES, spark_memory: str = ""
) -> list[dict[str, Any]]:
    """Prepare the enrolments, run the check on DuckDB and on Spark, each in a child; return the table's rows."""
    rows = persons
    if spark_memory:
        os.environ["LIANGXIAN_SPARK_DRIVER_MEMORY"] = spark_memory
    with tempfile.TemporaryDirectory(prefix="liangxian-bench-duplicates-") as tmp:
        work = Path(tmp)
        prepared = _child("prepare", rows, work)
        duck = _child("duckdb", rows, work)
        spark = _child("spark", rows, work)
    cores = spark["cores"]
    rate = rows / (spark["job_seconds"] * cores)
    estimate = [
        f"{m} machine{'s' if m > 1 else ''} × {machine_cores} cores ≈ {seconds:,.0f} s"
        for m in (1, 2, 4, 8)
        for seconds in [spark["start_seconds"] + rows / (rate * machine_cores * m)]
    ]
    same = "same findings" if duck["findings"] == spark["findings"] else "FINDINGS DIFFER"
    return [
        {
            "name": f"duplicate enrolments, {rows:,} rows, {COUNTIES} counties: DuckDB / Spark local[{cores}]",
            "figure": duck["seconds"],
            "comparison": spark["seconds"],
            "unit": "s",
            "note": f"{duck['findings']:,} duplicates found by each ({same}); {prepared['planted']:,} planted pairs",
        },
        {
            "name": "  Spark: session start / job",
            "figure": spark["start_seconds"],
            "comparison": spark["job_seconds"],
            "unit": "s",
            "note": f"measured rate {rate:,.0f} rows/s per core ({cores} cores, local mode)",
        },
        {
            "name": "  peak memory (DuckDB / Spark driver + JVM)",
            "figure": duck["peak_mb"],
            "comparison": spark["peak_mb"] + spark["jvm_peak_mb"],
            "unit": "MB",
            "note": f"Spark: Python {spark['peak_mb']:,.0f} MB + JVM {spark['jvm_peak_mb']:,.0f} MB",
        },
        {
            "name": "  Spark per added machine (ESTIMATE)",
            "figure": None,
            "comparison": None,
            "unit": "s",
            "note": "estimate, start + rows / (measured rate per core × cores), no shuffle cost: "
            + "; ".join(estimate),
        },
    ]


def _child(case: str, rows: int, work: Path) -> Any:
    from bench.common import child_env, child_run

    return child_run(__file__, case, rows, work, env=child_env(work, work / "unused.sqlite3"))


# --- the cases (run inside the child) --------------------------------------------------------------------


def _county(i: int) -> str:
    # 10 provinces (65, 64, …), 10 counties each.
    return f"{65 - i // 10:02d}{(i % 10) + 1:02d}23"


def case_prepare(rows: int, work: Path) -> dict[str, Any]:
    """Write the enrolments per county, each county generated and written on its own (memory of one county)."""
    import polars as pl

    started = time.perf_counter()
    per_county = rows // COUNTIES
    planted = 0
    for i in range(COUNTIES):
        code = _county(i)
        previous = _county(i - 1) if i else code
        k = pl.int_range(0, per_county, dtype=pl.Int64, eager=True)
        frame = pl.DataFrame({"k": k}).select(
            pl.when((pl.col("k") % 200 == 100) & pl.lit(i > 0))
            .then(pl.lit(previous) + "1980" + (pl.col("k") - 100).cast(pl.String).str.pad_start(8, "0"))
            .otherwise(pl.lit(code) + "1980" + pl.col("k").cast(pl.String).str.pad_start(8, "0"))
            .alias("id_number"),
            pl.when(pl.col("k") % 2 == 0).then(pl.lit("medical")).otherwise(pl.lit("pension")).alias("insurance"),
            pl.lit(2027, dtype=pl.Int32).alias("coverage_year"),
            pl.lit(code[:2]).alias("province"),
            (pl.col("k") % 10 != 9).alias("paid"),
            pl.when(pl.col("k") % 10 != 9).then(40_000).otherwise(0).cast(pl.Int64).alias("paid_fen"),
        )
        if i:
            planted += len(range(100, per_county, 200))
        folder = work / "enrolments" / f"county={code}"
        folder.mkdir(parents=True)
        frame.write_parquet(folder / "part-00000.parquet", row_group_size=250_000)
    return {"seconds": time.perf_counter() - started, "planted": planted}


def case_duckdb(rows: int, work: Path) -> dict[str, Any]:
    from liangxian.national.jobs import run_duplicates

    started = time.perf_counter()
    out = run_duplicates("duckdb", work)
    return {"seconds": time.perf_counter() - started, "findings": out.table.num_rows, "rows_in": out.rows_in}


def case_spark(rows: int, work: Path) -> dict[str, Any]:
    from liangxian.national.jobs import run_duplicates, spark_session

    started = time.perf_counter()
    spark = spark_session()
    started_job = time.perf_counter()
    out = run_duplicates("spark", work)
    finished = time.perf_counter()
    cores = spark.sparkContext.defaultParallelism
    jvm_peak = _jvm_peak_mb(spark)
    spark.stop()
    return {
        "seconds": finished - started,
        "start_seconds": started_job - started,
        "job_seconds": finished - started_job,
        "findings": out.table.num_rows,
        "rows_in": out.rows_in,
        "cores": cores,
        "jvm_peak_mb": jvm_peak,
    }


def _jvm_peak_mb(spark: Any) -> float:
    """The high-water mark of the Spark JVM this driver started (Linux ``VmHWM``, in MB)."""
    try:
        pid = spark.sparkContext._gateway.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (AttributeError, OSError, ValueError):
        pass
    return 0.0


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--case", default=None)
    parser.add_argument("--persons", "--rows", dest="rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--machine-cores", type=int, default=MACHINE_CORES, help="cores per machine (estimate)")
    parser.add_argument("--spark-memory", default="", help="Spark driver memory, e.g. 8g (default 2g)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cprofile", action="store_true", help="(child) run the case under cProfile")
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.case is None:
        from bench.run import table

        rows = run(persons=args.rows, machine_cores=args.machine_cores, spark_memory=args.spark_memory)
        print(json.dumps(rows, ensure_ascii=False, indent=2) if args.json else table(rows))
        return
    from bench.common import case_main

    case_main(globals()[f"case_{args.case}"], args.rows, args.work, cprofile=args.cprofile)


if __name__ == "__main__":
    _main()
