"""Benchmark: importing a 1,000,000-line WeChat Pay bill, beside PostgreSQL's own COPY of the same rows (the floor).

Issue 5's target: ``channel_import`` (read the bill, classify every line against the roster, load the payments
and their queue items in bulk, recompute the settlements, audit — one transaction) within 3× of the floor: the
same payment rows, already as csv, COPYed by PostgreSQL into a plain table with the payment table's columns (no
index, no constraint). Both run on the same PostgreSQL server, each in a child process of its own, so the wall
time and the peak RSS are the case's own.

The synthetic roster (``prepare``, not timed): a 2027 campaign and build, N persons, one medical entry each
(own part 400 yuan), loaded in bulk. The bill: one line per person, 97 % paying the right amount, 2 % a wrong one
(queued ``wrong_amount``), 1 % an ID number not in the register (queued ``unknown_person``).

``python bench/bench_channel_import.py --postgres postgres://postgres@127.0.0.1:5432/bench_channel [--lines N]``
(the database named in the URL is dropped and created). ``--profile import`` runs the import under cProfile.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LINES = 1_000_000
YEAR = 2027
TARGET_RATIO = 3.0
OWN_FEN = 40_000


def run(persons: int = DEFAULT_LINES, postgres: str = "", profile: str = "") -> list[dict[str, Any]]:
    """Prepare the roster and the bill, then time the import and the floor; return the table's rows."""
    import os

    postgres = postgres or os.environ.get("LIANGXIAN_BENCH_POSTGRES", "")
    if not postgres:
        return [{"name": "channel import (WeChat bill)", "figure": None, "comparison": None, "unit": "s",
                 "note": "needs --postgres URL (the floor is PostgreSQL's COPY)"}]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="liangxian-bench-channel-") as tmp:
        work = Path(tmp)
        _child("prepare", persons, work, postgres=postgres, fresh=True)
        floor = _child("floor", persons, work, postgres=postgres)
        ours = _child("import", persons, work, postgres=postgres, profile=profile == "import")
    counts = ours["counts"]
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in ours.get("phases", {}).items())
    return [
        {
            "name": f"channel import, {persons:,} lines (PostgreSQL)",
            "figure": ours["seconds"],
            "comparison": floor["seconds"],
            "unit": "s",
            "note": (
                f"ours = {ours['seconds'] / floor['seconds']:.1f}× the floor (COPY of the same rows into a plain"
                f" table); target ≤ {TARGET_RATIO:g}×: "
                + ("meets" if ours["seconds"] <= TARGET_RATIO * floor["seconds"] else "MISSES")
            ),
        },
        {"name": "  import phases", "figure": None, "comparison": None, "unit": "s", "note": phases},
        {
            "name": "  peak memory (import / floor client)",
            "figure": ours["peak_mb"],
            "comparison": floor["peak_mb"],
            "unit": "MB",
            "note": f"counted {counts['counted']:,}, queued {counts['queued']:,}, new {counts['new']:,}",
        },
        {
            "name": "  lines per second",
            "figure": persons / ours["seconds"],
            "comparison": persons / floor["seconds"],
            "unit": "/s",
            "note": "read + classify + load + settle, vs COPY alone",
            "lower_is_better": False,
        },
    ]


def _child(case: str, lines: int, work: Path, *, postgres: str, fresh: bool = False, profile: bool = False) -> Any:
    from bench.common import child_env, child_run

    env = child_env(work, work / "unused.sqlite3")
    env["DATABASE_URL"] = postgres
    if fresh:
        import psycopg

        base, _slash, name = postgres.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return child_run(__file__, case, lines, work, env=env, profile=profile)


# --- the cases (run inside the child) --------------------------------------------------------------------


def case_prepare(lines: int, work: Path) -> dict[str, Any]:
    """Migrate, load the synthetic roster in bulk, write the bill and the floor's csv."""
    import io
    from datetime import UTC, datetime, timedelta

    import polars as pl
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from liangxian.batch.bulk import bulk_insert
    from liangxian.collection.channel_files import account_hash, write_wechat_bill
    from liangxian.registry.models import Person
    from liangxian.roster.models import RosterEntry
    from liangxian.roster.tests import due_fixtures as due

    started = time.perf_counter()
    call_command("migrate", verbosity=0, stdout=io.StringIO())
    campaign = due.campaign(year=YEAR)
    build = due.build(campaign)
    now = timezone.now()
    n = pl.int_range(0, lines, eager=True)
    ids = "6531231980" + n.cast(pl.String).str.pad_start(8, "0")
    village = "653123100" + (n % 20 + 1).cast(pl.String).str.pad_start(3, "0")
    persons = pl.DataFrame(
        {
            "id_number": ids,
            "name": "测试" + n.cast(pl.String),
            "name_original": pl.Series([""] * lines),
            "sex": pl.Series(["M"] * lines),
            "phone": pl.Series([""] * lines),
            "relation": pl.Series([""] * lines),
            "township_code": pl.Series(["653123100"] * lines),
            "village_code": village,
            "source": pl.Series(["bench"] * lines),
            "batch": pl.Series(["bench"] * lines),
        }
    )
    with transaction.atomic():
        _fill_defaults(Person, persons, bulk_insert)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, id_number FROM registry_person WHERE batch = 'bench' ORDER BY id_number")
        person_ids = [row[0] for row in cursor.fetchall()]
    entries = pl.DataFrame(
        {
            "campaign_id": pl.Series([campaign.pk] * lines, dtype=pl.Int64),
            "person_id": pl.Series(person_ids, dtype=pl.Int64),
            "insurance": pl.Series(["medical"] * lines),
            "must_pay": pl.Series([True] * lines),
            "reason": pl.Series([""] * lines),
            "amount_fen": pl.Series([OWN_FEN] * lines, dtype=pl.Int64),
            "own_fen": pl.Series([OWN_FEN] * lines, dtype=pl.Int64),
            "tiers": pl.Series([""] * lines),
            "daijiao_category": pl.Series([""] * lines),
            "other_categories": pl.Series([""] * lines),
            "township_code": pl.Series(["653123100"] * lines),
            "village_code": village,
            "build_id": pl.Series([build.pk] * lines, dtype=pl.Int64),
        }
    )
    with transaction.atomic():
        _fill_defaults(RosterEntry, entries, bulk_insert)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    bill = pl.DataFrame({"n": n, "ids": ids}).select(
        ("42000" + pl.col("n").cast(pl.String).str.pad_start(14, "0")).alias("txn_no"),
        pl.datetime_range(start, start + timedelta(milliseconds=lines - 1), "1ms", eager=True).alias("paid_at"),
        pl.when(pl.col("n") % 100 == 99)
        .then("1101011990" + pl.col("n").cast(pl.String).str.pad_start(8, "0"))
        .otherwise(pl.col("ids"))
        .alias("id_number"),
        ("测试" + pl.col("n").cast(pl.String)).alias("name"),
        pl.lit("medical").alias("insurance"),
        pl.lit(YEAR, dtype=pl.Int64).alias("coverage_year"),
        pl.when(pl.col("n") % 100 >= 97).then(OWN_FEN - 100).otherwise(OWN_FEN).cast(pl.Int64).alias("amount_fen"),
        ("oUpF8u" + pl.col("n").cast(pl.String)).alias("account"),
    )
    write_wechat_bill(bill, work / "wechat-20261102.csv")
    # The floor's input: the same payments as the table stores them, already csv (what COPY reads).
    stored = bill.select(
        pl.lit("wechat").alias("channel"),
        "txn_no",
        pl.lit("payment").alias("kind"),
        "id_number",
        "name",
        "insurance",
        "coverage_year",
        "amount_fen",
        pl.lit(0).alias("other_fen"),
        "paid_at",
        pl.col("account").map_elements(account_hash, return_dtype=pl.String).alias("account_hash"),
        pl.lit("file").alias("source"),
        pl.lit("653123100").alias("township_code"),
        pl.lit(now).alias("recorded_at"),
    )
    stored.write_csv(work / "floor.csv", include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f%z")
    (work / "floor_columns.json").write_text(json.dumps(stored.columns))
    return {"seconds": time.perf_counter() - started, "persons": lines}


def _fill_defaults(model: Any, frame: Any, bulk_insert: Any) -> None:
    """Load a frame into the model's table, giving every other NOT NULL column its field default."""
    import polars as pl

    extra = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in frame.columns or field.attname in frame.columns or field.null:
            continue
        extra.append(pl.lit(field.get_default()).alias(field.attname))
    bulk_insert(model, frame.with_columns(extra) if extra else frame)


def case_floor(lines: int, work: Path) -> dict[str, Any]:
    """COPY the same payment rows into a plain table with the payment's column types: no index, no constraint."""
    from django.db import connection

    columns = json.loads((work / "floor_columns.json").read_text())
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_payment")
        # CREATE TABLE AS copies the column types only: no NOT NULL, no index, no constraint.
        cursor.execute("CREATE TABLE bench_floor_payment AS SELECT * FROM collection_payment WITH NO DATA")
    data = (work / "floor.csv").read_bytes()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY bench_floor_payment ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, len(data), 8 << 20):
                copy.write(data[start : start + (8 << 20)])
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_floor_payment")
        (count,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_floor_payment")
    return {"seconds": seconds, "rows": count}


def case_import(lines: int, work: Path) -> dict[str, Any]:
    from liangxian.collection.intake import channel_import

    started = time.perf_counter()
    result = channel_import(channel="wechat", path=work / "wechat-20261102.csv", by=None)
    return {"seconds": time.perf_counter() - started, "counts": result.counts, "phases": result.seconds}


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", default=None)
    parser.add_argument("--persons", "--lines", dest="lines", type=int, default=DEFAULT_LINES)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL whose database may be dropped and created")
    parser.add_argument("--cprofile", action="store_true", help="(child) run the case under cProfile")
    parser.add_argument("--profile", default="", help="run this case (import) under cProfile")
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.case is None:
        from bench.run import table

        print(table(run(persons=args.lines, postgres=args.postgres, profile=args.profile)))
        return
    import django

    from bench.common import case_main

    django.setup()
    case_main(globals()[f"case_{args.case}"], args.lines, args.work, cprofile=args.cprofile)


if __name__ == "__main__":
    _main()
