"""The demo's entitlement records: the bureaus record everyone who paid, except a deliberate handful (Art 37).

Medical insurance withholds 8 payers, social security 5; one medical record is written under a mistyped ID number.
The bureaus record a payment the day after it (never after the last day anybody paid), so a withheld payer who paid
on that last day shows as not yet processed; one whose refund is still pending shows that; the rest are to be
investigated. Run twice, it imports nothing new: the same files answer with the first import.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import polars as pl
from django.conf import settings

from liangxian.batch.bulk import read_frame
from liangxian.core.idnumbers import check_digit
from liangxian.org.models import User

from . import frames, services
from .models import Bureau, WhitelistEntry

WITHHELD = {"medical": 8, "pension": 5}
LATE = {"medical": 3, "pension": 2}  # of the withheld, how many paid on the last day (not yet processed)
FILE_NAMES = {"medical": "医保局权益记录-2027年度.csv", "pension": "社保局权益记录-2027年度.csv"}
BUREAUS = {"medical": Bureau.MEDICAL, "pension": Bureau.SOCIAL}


def _order(frame: pl.DataFrame, salt: str) -> pl.DataFrame:
    """Shuffle the payers the same way on every run: by a hash of their ID number."""
    return frame.with_columns(
        pl.col("id_number")
        .map_elements(lambda s: hashlib.sha256(f"{salt}:{s}".encode()).hexdigest(), return_dtype=pl.String)
        .alias("__order")
    ).sort("__order")


def mistyped(id_number: str, taken: set[str]) -> str:
    """Swap two digits of the sequence part and recompute the check digit: a typo the check digit does not catch."""
    body = id_number[:14] + id_number[15] + id_number[14] + id_number[16]
    n = 0
    while body == id_number[:17] or body + check_digit(body) in taken:
        body = id_number[:14] + f"{(int(id_number[14:17]) + 7 + n) % 1000:03d}"
        n += 1
    return body + check_digit(body)


def _bureau_user(department: str) -> User | None:
    return (
        User.objects.filter(unit__kind="department", unit__department=department, is_active=True).order_by("pk").first()
    )


def demo_seed(*, stdout: Any = None) -> dict[str, Any]:
    """Import both bureaus' entitlement records for the demo's payers but a handful; return what the list shows."""
    payments = services.payments_frame()
    paid = frames.paid_by_person(payments).filter(pl.col("net_paid_fen") > 0)
    if paid.is_empty():
        return {"imports": [], "whitelist": {}}
    paid = paid.with_columns(
        pl.col("last_paid_at").dt.convert_time_zone(settings.TIME_ZONE).dt.date().alias("paid_day"),
    )
    last_day = paid["paid_day"].max()
    pending_payments = read_frame(
        "SELECT payment_id FROM refunds_refund WHERE status IN ('requested', 'approved')",
        [],
        schema={"payment_id": pl.Int64},
    )
    pending = (
        pending_payments.join(payments, on="payment_id")
        .select("id_number", "insurance", "coverage_year")
        .unique()
        .with_columns(pl.lit(True).alias("pending"))
    )
    paid = paid.join(pending, on=["id_number", "insurance", "coverage_year"], how="left").with_columns(
        pl.col("pending").fill_null(False)
    )
    taken = set(paid["id_number"].to_list())
    results: list[dict[str, Any]] = []
    for insurance, count in WITHHELD.items():
        mine = _order(paid.filter(pl.col("insurance") == insurance), insurance)
        if mine.is_empty():
            continue
        late = mine.filter((pl.col("paid_day") == last_day) & ~pl.col("pending")).head(LATE[insurance])
        refund = mine.filter(pl.col("pending")).head(1)
        chosen = pl.concat([late, refund])
        rest = mine.filter((pl.col("paid_day") < last_day) & ~pl.col("pending")).join(
            chosen.select("id_number"), on="id_number", how="anti"
        )
        chosen = pl.concat([chosen, rest.head(count - chosen.height)])
        withheld = set(chosen["id_number"].to_list())
        recorded = mine.filter(~pl.col("id_number").is_in(list(withheld)))
        rows = recorded.select(
            "id_number",
            "name",
            "coverage_year",
            pl.min_horizontal(pl.col("paid_day") + timedelta(days=1), pl.lit(last_day)).alias("record_date"),
            "net_paid_fen",
        )
        if insurance == "medical":
            # One withheld payer's record is sent, but under a mistyped ID number: he stays listed with that cause.
            victim = chosen.filter(~pl.col("pending") & (pl.col("paid_day") < last_day)).head(1)
            if victim.height:
                wrong = mistyped(victim["id_number"][0], taken)
                rows = pl.concat(
                    [
                        rows,
                        victim.select(
                            pl.lit(wrong).alias("id_number"),
                            "name",
                            "coverage_year",
                            pl.min_horizontal(pl.col("paid_day") + timedelta(days=1), pl.lit(last_day)).alias(
                                "record_date"
                            ),
                            "net_paid_fen",
                        ),
                    ]
                )
        data = _csv(rows.sort("id_number"), insurance)
        bureau = BUREAUS[insurance]
        user = _bureau_user(str(bureau))
        result = services.entitlement_import(
            bureau=str(bureau), by=user, data=data, filename=FILE_NAMES[insurance], via="cli", refresh=False
        )
        results.append(result.as_dict())
        if stdout is not None:
            head = "already imported" if result.repeat else "imported"
            stdout.write(f"entitlements: {head} {FILE_NAMES[insurance]}: {result.source.counts}\n")
    run = services.whitelist_refresh(by=None, trigger="demo")
    listed = WhitelistEntry.objects.filter(status="listed")
    summary: dict[str, dict[str, int]] = {}
    for insurance, cause in listed.values_list("insurance", "cause"):
        summary.setdefault(insurance, {}).setdefault(cause, 0)
        summary[insurance][cause] += 1
    if stdout is not None:
        stdout.write(f"entitlements: white list {summary} (refresh {run.counts})\n")
    return {"imports": results, "whitelist": summary, "refresh": run.counts}


def _csv(rows: pl.DataFrame, insurance: str) -> bytes:
    """Write the bureau's file as it sends it: the documented headers, the insurance's name, yuan amounts."""
    name = frames.INSURANCE_NAMES[insurance]
    out = rows.select(
        pl.col("id_number").alias("身份证号码"),
        pl.col("name").alias("姓名"),
        pl.lit(name).alias("险种"),
        pl.col("coverage_year").cast(pl.String).alias("缴费年度"),
        pl.col("record_date").dt.strftime("%Y-%m-%d").alias("权益记录日期"),
        (
            (pl.col("net_paid_fen") // 100).cast(pl.String)
            + "."
            + (pl.col("net_paid_fen") % 100).cast(pl.String).str.zfill(2)
        ).alias("记账金额(元)"),
    )
    return out.write_csv().encode("utf-8")
