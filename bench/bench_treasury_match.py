"""Benchmark: the treasury match (Art 36) of 10,000,000 payment lines against the statement, beside a bare DuckDB
FULL OUTER JOIN of the same two files on the voucher (the floor).

Issue 6's target: the match as the system runs it (``national.jobs.treasury_match('duckdb', …)``: DuckDB reads
the exported Parquet itself and runs the lead's ``MATCH_SQL``: one grouping of both sides per voucher and sign
keeps the vouchers that may differ, a second pass sums those vouchers' lines and names each difference's kind)
within 2× of the floor (one join of the two files, counting the mismatches:
no sums, no kinds). Each runs in a child process of its own, so the wall time and the peak RSS are its own.

The synthetic data (``prepare``, not timed), vectorised with Polars: N payment lines of one county as
``export parquet`` writes them (``payments/county=653123/part-00000.parquet``); 10 % of the lines are 代缴 batch
lines, ten to a voucher; 0.2 % are reversals. The statement is our lines summed per voucher and sign, then:
0.1 % of vouchers left out (``ours_only``), 0.1 % added (``statement_only``), 0.1 % with another amount
(``amount``), 0.1 % entered a day later (``date``), 10 % of the reversals left out (``reversal``).

``python bench/bench_treasury_match.py [--lines N]``; ``--arrow`` also times ``match_duckdb`` over the Parquet read
to Arrow first (the lead's entry point for tables already in memory).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LINES = 10_000_000
TARGET_RATIO = 2.0


def run(persons: int = DEFAULT_LINES, arrow: bool = False) -> list[dict[str, Any]]:
    """Prepare the two files, then time ours and the floor each in a child; return the table's rows."""
    lines = persons
    with tempfile.TemporaryDirectory(prefix="liangxian-bench-treasury-") as tmp:
        work = Path(tmp)
        prepared = _child("prepare", lines, work)
        floor = _child("floor", lines, work)
        ours = _child("ours", lines, work)
        via_arrow = _child("arrow", lines, work) if arrow else None
    ratio = ours["seconds"] / floor["seconds"]
    rows = [
        {
            "name": f"treasury match, {lines:,} lines (DuckDB over Parquet)",
            "figure": ours["seconds"],
            "comparison": floor["seconds"],
            "unit": "s",
            "note": (
                f"ours = {ratio:.2f}× the floor (bare FULL OUTER JOIN on voucher counting mismatches);"
                f" target ≤ {TARGET_RATIO:g}×: " + ("met" if ratio <= TARGET_RATIO else "missed")
            ),
        },
        {
            "name": "  peak memory (ours / floor)",
            "figure": ours["peak_mb"],
            "comparison": floor["peak_mb"],
            "unit": "MB",
            "note": f"memory multiple {ours['peak_mb'] / floor['peak_mb']:.2f}×",
        },
        {
            "name": "  differences found",
            "figure": float(ours["differences"]),
            "comparison": float(floor["mismatches"]),
            "unit": "",
            "note": ", ".join(f"{k} {v:,}" for k, v in ours["kinds"].items())
            + f"; statement {prepared['statement_lines']:,} lines",
        },
    ]
    if via_arrow is not None:
        rows.append(
            {
                "name": "  match_duckdb over Arrow (read first)",
                "figure": via_arrow["seconds"],
                "comparison": floor["seconds"],
                "unit": "s",
                "note": (
                    f"{via_arrow['seconds'] / floor['seconds']:.2f}× the floor, peak {via_arrow['peak_mb']:,.0f} MB"
                ),
            }
        )
    return rows


def _child(case: str, lines: int, work: Path) -> Any:
    from bench.common import child_env, child_run

    return child_run(__file__, case, lines, work, env=child_env(work, work / "unused.sqlite3"))


# --- the cases (run inside the child) --------------------------------------------------------------------


def case_prepare(lines: int, work: Path) -> dict[str, Any]:
    """Write our payment lines (as the export writes them) and the statement with each kind of difference."""
    from datetime import date

    import polars as pl

    started = time.perf_counter()
    n = pl.int_range(0, lines, dtype=pl.Int64, eager=True)
    frame = pl.DataFrame({"n": n})
    batch = pl.col("n") % 100 < 10  # 代缴 batch lines: ten to a voucher
    voucher_no = pl.when(batch).then(pl.col("n") // 10 * 10).otherwise(pl.col("n"))
    reversal = (pl.col("n") % 500 == 57) & ~batch
    day = pl.lit(date(2026, 10, 8)) + pl.duration(days=(pl.col("n") % 50))
    ours = frame.select(
        ("332026" + voucher_no.cast(pl.String).str.pad_start(12, "0")).alias("voucher"),
        day.cast(pl.Date).alias("entry_date"),
        pl.when(reversal).then(-40_000).when(batch).then(20_000).otherwise(40_000).cast(pl.Int64).alias("amount_fen"),
        pl.when(pl.col("n") % 3 == 0).then(pl.lit("pension")).otherwise(pl.lit("medical")).alias("insurance"),
        ("6531231980" + pl.col("n").cast(pl.String).str.pad_start(8, "0")).alias("id_number"),
        pl.lit(2027, dtype=pl.Int32).alias("coverage_year"),
        pl.when(reversal).then(pl.lit("reversal")).otherwise(pl.lit("payment")).alias("kind"),
        pl.lit("653123100").alias("township"),
    )
    folder = work / "payments" / "county=653123"
    folder.mkdir(parents=True)
    ours.write_parquet(folder / "part-00000.parquet", row_group_size=1_000_000)
    # The statement: our lines summed per voucher and sign, then each kind of difference on a small share.
    sums = (
        ours.lazy()
        .with_columns((pl.col("amount_fen") < 0).alias("negative"))
        .group_by("voucher", "negative")
        .agg(pl.col("amount_fen").sum(), pl.col("entry_date").max(), pl.col("insurance").max())
        .sort("voucher", "negative")
        .with_row_index("k")
        .collect()
    )
    k = pl.col("k")
    statement = sums.filter(~((k % 1000 == 1) | (pl.col("negative") & (k % 10 == 3)))).with_columns(
        pl.when(k % 1000 == 2).then(pl.col("amount_fen") + 100).otherwise(pl.col("amount_fen")).alias("amount_fen"),
        pl.when(k % 1000 == 3)
        .then(pl.col("entry_date") + pl.duration(days=1))
        .otherwise(pl.col("entry_date"))
        .cast(pl.Date)
        .alias("entry_date"),
    )
    extra = max(lines // 1000, 1)
    added = pl.DataFrame({"i": pl.int_range(0, extra, dtype=pl.Int64, eager=True)}).select(
        ("992026" + pl.col("i").cast(pl.String).str.pad_start(12, "0")).alias("voucher"),
        pl.lit(date(2026, 11, 2)).alias("entry_date"),
        pl.lit(40_000, dtype=pl.Int64).alias("amount_fen"),
        pl.lit("medical").alias("insurance"),
    )
    statement = pl.concat([statement.select("voucher", "entry_date", "amount_fen", "insurance"), added])
    statement.write_parquet(work / "statement.parquet", row_group_size=1_000_000)
    return {"seconds": time.perf_counter() - started, "statement_lines": statement.height}


def case_floor(lines: int, work: Path) -> dict[str, Any]:
    """A bare DuckDB FULL OUTER JOIN of the two files on the voucher, counting the mismatches."""
    import duckdb

    ours = work / "payments" / "county=653123" / "part-00000.parquet"
    started = time.perf_counter()
    con = duckdb.connect()
    statement = work / "statement.parquet"
    sql = (
        f"SELECT COUNT(*) FROM read_parquet('{ours}') o FULL OUTER JOIN read_parquet('{statement}') s"  # noqa: S608
        " ON o.voucher = s.voucher"
        " WHERE o.voucher IS NULL OR s.voucher IS NULL OR o.amount_fen <> s.amount_fen OR o.entry_date <> s.entry_date"
    )
    row = con.execute(sql).fetchone()
    con.close()
    return {"seconds": time.perf_counter() - started, "mismatches": int(row[0]) if row else 0}


def case_ours(lines: int, work: Path) -> dict[str, Any]:
    """The treasury match as the system runs it: the job on DuckDB over the exported Parquet."""
    from liangxian.national.jobs import treasury_match

    started = time.perf_counter()
    result = treasury_match("duckdb", work / "payments", work / "statement.parquet")
    seconds = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for kind in result.column("kind").to_pylist():
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"seconds": seconds, "differences": result.num_rows, "kinds": dict(sorted(kinds.items()))}


def case_arrow(lines: int, work: Path) -> dict[str, Any]:
    """``match_duckdb`` over the two files read to Arrow first (the columns the match needs)."""
    import pyarrow.parquet as pq

    from liangxian.treasury.matching import match_duckdb

    columns = ["voucher", "entry_date", "amount_fen", "insurance"]
    started = time.perf_counter()
    ours = pq.read_table(work / "payments" / "county=653123" / "part-00000.parquet", columns=columns)
    statement = pq.read_table(work / "statement.parquet", columns=columns)
    result = match_duckdb(ours, statement)
    return {"seconds": time.perf_counter() - started, "differences": result.num_rows}


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--case", default=None)
    parser.add_argument("--persons", "--lines", dest="lines", type=int, default=DEFAULT_LINES)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--arrow", action="store_true", help="also time match_duckdb over Arrow tables")
    parser.add_argument("--cprofile", action="store_true", help="(child) run the case under cProfile")
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.case is None:
        from bench.run import table

        print(table(run(persons=args.lines, arrow=args.arrow)))
        return
    from bench.common import case_main

    case_main(globals()[f"case_{args.case}"], args.lines, args.work, cprofile=args.cprofile)


if __name__ == "__main__":
    _main()
