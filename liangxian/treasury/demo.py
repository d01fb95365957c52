"""The demo's treasury month: October 2026's statement from the People's Bank, with three deliberate differences.

Run after ``demo-collection``. First the demo payments of October and November 2026 get what the treasury gives
them, where missing: an e-tax voucher (one per payment; one per 代缴 batch and insurance for finance's ``gov``
batches; a refund or reversal under its original's voucher) and the treasury entry date, the next working day
after payment — in one bulk UPDATE. Then the People's Bank statement of October is written from those records
(one line per voucher and sign, GBK csv, as a county branch sends it) with exactly three deliberate differences —
one line missing, one wrong amount, one 退库 line we do not have — and imported by tax, so the October month page
shows exactly those three. Running it twice changes nothing: the vouchers and dates are set, and the same file
answers with its first import.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction

from liangxian.batch.bulk import read_frame, temp_table
from liangxian.core.calendar import work_calendar
from liangxian.core.workdays import CalendarNotConfirmed, add_working_days
from liangxian.org.models import User

from .frames import INSURANCE_ZH
from .services import statement_import

MONTH = "2026-10"
FIRST_PAID = "2026-09-30 16:00:00"  # 1 October 2026, 00:00 Beijing time, in UTC as stored
AFTER_PAID = "2026-11-30 16:00:00"  # 1 December 2026, 00:00 Beijing time
STATEMENT_NAME = "pbc-treasury-statement-2026-10.csv"
TREASURY = "国家金库英吉沙县支库"
ACCOUNT = {"medical": "城乡居民基本医疗保险基金收入户", "pension": "城乡居民基本养老保险基金收入户"}
INSURANCE_LETTER = {"medical": "M", "pension": "P"}

PAYMENTS_SQL = (
    "SELECT id, CAST(paid_at AS TEXT), channel, kind, original_id, insurance, batch_no, etax_voucher,"
    " CAST(treasury_date AS TEXT) FROM collection_payment WHERE paid_at >= %s AND paid_at < %s"
)
PAYMENTS_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "paid_at": pl.String,
    "channel": pl.String,
    "kind": pl.String,
    "original_id": pl.Int64,
    "insurance": pl.String,
    "batch_no": pl.String,
    "etax_voucher": pl.String,
    "treasury_date": pl.Date,
}


def demo_folder() -> Path:
    """The folder of the demo's department files (``demo/files.py``; ``demo-data --out`` default)."""
    return Path(settings.VAR_DIR) / "demo" / "files"


def _next_working_days(days: list[dt.date]) -> dict[dt.date, dt.date | None]:
    """Map each payment day to the next working day (None where the county has not confirmed the calendar)."""
    cal = work_calendar()
    out: dict[dt.date, dt.date | None] = {}
    for day in days:  # one per calendar day of the period, not per payment
        try:
            out[day] = add_working_days(cal, day, 1)
        except CalendarNotConfirmed:
            out[day] = None
    return out


def payments_enter_treasury() -> int:
    """Give the October-November payments their voucher and treasury entry date where missing; one UPDATE."""
    frame = read_frame(PAYMENTS_SQL, [FIRST_PAID, AFTER_PAID], schema=PAYMENTS_SCHEMA)
    if frame.is_empty():
        return 0
    local_day = (
        pl.col("paid_at")
        .str.slice(0, 19)
        .str.to_datetime("%Y-%m-%d %H:%M:%S")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("Asia/Shanghai")
        .dt.date()
    )
    frame = frame.with_columns(local_day.alias("day"), pl.col("etax_voucher").fill_null(""))
    days = _next_working_days(sorted(frame.get_column("day").unique().to_list()))
    # A voucher of its own for a payment; one per 代缴 batch and insurance (a batch is entered as one receipt).
    own = (
        pl.when(pl.col("channel") == "gov")
        .then(
            pl.format("SP{}{}", pl.col("batch_no"), pl.col("insurance").replace_strict(INSURANCE_LETTER, default="X"))
        )
        .otherwise(pl.format("SPT{}", pl.col("id").cast(pl.String).str.pad_start(11, "0")))
    )
    frame = frame.with_columns(
        pl.when(pl.col("etax_voucher") != "").then(pl.col("etax_voucher")).otherwise(own).alias("own_voucher"),
        pl.col("day").replace_strict(days, return_dtype=pl.Date).alias("next_day"),
    )
    originals = frame.select(pl.col("id").alias("original_id"), pl.col("own_voucher").alias("original_voucher"))
    frame = frame.join(originals, on="original_id", how="left")
    voucher = (
        pl.when(pl.col("etax_voucher") != "")
        .then(pl.col("etax_voucher"))
        .when(pl.col("original_voucher").is_not_null())  # a refund leaves the treasury under its original's voucher
        .then(pl.col("original_voucher"))
        .otherwise(pl.col("own_voucher"))
    )
    changes = frame.with_columns(
        voucher.alias("voucher"), pl.coalesce("treasury_date", "next_day").alias("entry")
    ).filter((pl.col("etax_voucher") == "") | (pl.col("treasury_date").is_null() & pl.col("entry").is_not_null()))
    if changes.is_empty():
        return 0
    changes = changes.select("id", "voucher", pl.col("entry").dt.to_string("%Y-%m-%d").alias("entry"))
    with (
        transaction.atomic(),
        temp_table(
            "treasury_demo_entry", changes, types={"id": "bigint", "voucher": "varchar(40)", "entry": "date"}
        ) as table,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"UPDATE collection_payment SET etax_voucher = t.voucher, treasury_date = t.entry"  # noqa: S608
            f" FROM {table} AS t WHERE collection_payment.id = t.id"
        )
    return changes.height


OURS_MONTH_SQL = (
    "SELECT etax_voucher, CAST(treasury_date AS TEXT), amount_fen + other_fen, insurance FROM collection_payment"
    " WHERE treasury_date >= %s AND treasury_date < %s AND etax_voucher <> '' AND amount_fen + other_fen <> 0"
)


def statement_lines(month: str = MONTH) -> tuple[pl.DataFrame, dict[str, str]]:
    """The People's Bank's lines of the month from our records (one per voucher and sign), three of them altered.

    Returns the lines (Chinese headers, as written) and the three vouchers altered by kind.
    """
    year, mon = (int(p) for p in month.split("-"))
    first = dt.date(year, mon, 1)
    after = dt.date(year + mon // 12, mon % 12 + 1, 1)
    ours = read_frame(
        OURS_MONTH_SQL,
        [first.isoformat(), after.isoformat()],
        schema={"voucher": pl.String, "entry_date": pl.Date, "amount_fen": pl.Int64, "insurance": pl.String},
    )
    lines = (
        ours.with_columns((pl.col("amount_fen") < 0).alias("negative"))
        .group_by("voucher", "negative")
        .agg(pl.col("amount_fen").sum(), pl.col("entry_date").max(), pl.col("insurance").max())
        .sort("entry_date", "voucher", "negative")
    )
    with_reversal = lines.filter(pl.col("negative")).get_column("voucher")
    plain = lines.filter(~pl.col("negative"), ~pl.col("voucher").is_in(with_reversal.implode()))
    # Three different own payments (not 代缴 batches), chosen by their place in the month: the same every run.
    picks = plain.filter(pl.col("voucher").str.starts_with("SPT") | pl.col("voucher").str.starts_with("SP0"))
    picks = picks if picks.height >= 3 else plain
    missing, wrong, reversed_ = (picks.item(picks.height * k // 4, "voucher") for k in (1, 2, 3))
    reversal = lines.filter(pl.col("voucher") == reversed_).with_columns(
        (-pl.col("amount_fen")).alias("amount_fen"),
        pl.lit(True).alias("negative"),
        (pl.col("entry_date") + pl.duration(days=2)).alias("entry_date"),
    )
    altered = (
        pl.concat([lines.filter(pl.col("voucher") != missing), reversal])
        .with_columns(
            pl.when(pl.col("voucher") == wrong)
            .then(pl.col("amount_fen") + 10000)
            .otherwise(pl.col("amount_fen"))
            .alias("amount_fen")
        )
        .with_columns(
            pl.when(pl.col("entry_date") >= after)
            .then(pl.lit(after - dt.timedelta(days=1)))
            .otherwise(pl.col("entry_date"))
            .alias("entry_date")
        )
        .sort("entry_date", "voucher", "negative")
    )
    yuan = pl.col("amount_fen").abs()
    written = altered.select(
        pl.col("voucher").alias("电子税票号"),
        pl.col("entry_date").dt.to_string("%Y-%m-%d").alias("入库日期"),
        pl.format(
            "{}{}.{}",
            pl.when(pl.col("negative")).then(pl.lit("-")).otherwise(pl.lit("")),
            (yuan // 100).cast(pl.String),
            (yuan % 100).cast(pl.String).str.pad_start(2, "0"),
        ).alias("金额(元)"),
        pl.col("insurance").replace_strict(INSURANCE_ZH, default="").alias("险种"),
        pl.format("{}/{}", pl.lit(TREASURY), pl.col("insurance").replace_strict(ACCOUNT, default="")).alias(
            "收款国库/账户"
        ),
        pl.when(pl.col("negative")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("退库标志"),
    )
    return written, {"ours_only": missing, "amount": wrong, "reversal": reversed_}


def statement_write(lines: pl.DataFrame, path: Path, month: str = MONTH) -> Path:
    """Write the statement as the county branch sends it: a title line, then the csv, in GBK."""
    year, mon = month.split("-")
    title = f"中国人民银行英吉沙县支行 社会保险费入库对账单（{year}年{int(mon)}月）\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((title + lines.write_csv(line_terminator="\r\n")).encode("gbk"))
    return path


def demo_seed(*, stdout: Any = None) -> dict[str, Any]:
    """Enter the demo payments into the treasury and import October's statement with its three differences."""
    updated = payments_enter_treasury()
    lines, altered = statement_lines(MONTH)
    path = statement_write(lines, demo_folder() / STATEMENT_NAME)
    tax = User.objects.get(username="tax")
    result = statement_import(by=tax, month=MONTH, content=path.read_bytes(), filename=path.name)
    report = {
        "payments_updated": updated,
        "statement": str(path),
        "created": result.created,
        "altered": altered,
        "counts": result.counts,
    }
    if stdout is not None:
        counts = result.counts
        stdout.write(
            f"treasury: {updated} payments given a voucher and entry date; statement {MONTH}: "
            f"{counts.get('lines')} lines, {counts.get('differences')} differences "
            f"({'imported' if result.created else 'imported before'})\n"
        )
    return report
