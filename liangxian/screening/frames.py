"""The screening rules (Art 40): each a vectorised function from the campaign's frames to a frame of hits.

Every rule takes :class:`Frames` and its thresholds (the rule row's data) and returns rows of ``HIT_COLUMNS``;
``key`` is what identifies the finding, so that a re-run finds the same hit again and does not duplicate it.
Money is integer fen; times are UTC, converted to the county's time where the hour matters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

LOCAL_TZ: Final = "Asia/Shanghai"

HIT_SCHEMA: Final[dict[str, Any]] = {
    "rule": pl.String,
    "key": pl.String,
    "township_code": pl.String,
    "village_code": pl.String,
    "collector_id": pl.Int64,
    "person_id": pl.Int64,
    "payment_id": pl.Int64,
    "receipt_id": pl.Int64,
    "account_hash": pl.String,
    "amount_fen": pl.Int64,
    "evidence": pl.String,
}
HIT_COLUMNS: Final = list(HIT_SCHEMA)


@dataclass(frozen=True)
class Frames:
    """What the rules read: the campaign's cash receipts, payments, refunds, persons, authorisations and tiers.

    receipts: receipt_id, collector_id, person_id, entry_id, insurance, amount_fen, tier_fen, received_at,
      township_code, village_code, off_list, payment_id, paid_in_at, entry_own_fen, entry_gov_fen, payin_fen
    payments: payment_id, kind, original_id, person_id, insurance, tier_fen, amount_fen, paid_at, settled_at,
      account_hash, pos_terminal, collector_id, township_code, village_code, household_key
    refunds: refund_id, payment_id, amount_fen, requested_at
    persons: person_id, status, status_date
    authorisations: collector_id, village_code, valid_from, valid_until
    tiers: insurance, tier_fen
    """

    receipts: pl.DataFrame
    payments: pl.DataFrame
    refunds: pl.DataFrame
    persons: pl.DataFrame
    authorisations: pl.DataFrame
    tiers: pl.DataFrame
    period_start: dt.date
    as_of: dt.datetime  # UTC


def _t(thresholds: dict[str, Any], name: str, default: int) -> int:
    value = thresholds.get(name, default)
    return int(value) if isinstance(value, int | float | str) and str(value).lstrip("-").isdigit() else default


def _finish(frame: pl.DataFrame, rule: str, evidence: list[str]) -> pl.DataFrame:
    """Shape a rule's rows to the hit columns, the evidence columns encoded as one JSON object per hit."""
    out = frame.with_columns(
        pl.lit(rule).alias("rule"),
        pl.struct(evidence).struct.json_encode().alias("evidence") if evidence else pl.lit("{}").alias("evidence"),
    )
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in HIT_SCHEMA.items() if c not in out.columns]
    return out.with_columns(missing).select([pl.col(c).cast(t) for c, t in HIT_SCHEMA.items()])


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(LOCAL_TZ).dt.strftime("%Y-%m-%d %H:%M")


# --- cash ------------------------------------------------------------------------------------------------------


def cash_not_paid_in(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Collectors holding at least ``min_receipts`` receipts not paid in ``days`` after they were taken."""
    days, least = _t(th, "days", 3), _t(th, "min_receipts", 2)
    cutoff = f.as_of - dt.timedelta(days=days)
    open_ = f.receipts.filter(pl.col("payment_id").is_null(), pl.col("received_at") <= cutoff)
    per = (
        open_.group_by("collector_id")
        .agg(
            pl.len().alias("open_receipts"),
            pl.col("amount_fen").sum(),
            pl.col("township_code").first(),
            pl.col("village_code").first(),
            pl.col("received_at").min().alias("oldest"),
            pl.col("receipt_id").sort().alias("receipt_ids"),
        )
        .filter(pl.col("open_receipts") >= least)
    )
    per = per.with_columns(
        pl.format("collector:{}", pl.col("collector_id")).alias("key"),
        _iso("oldest").alias("oldest_received"),
        pl.col("receipt_ids").list.head(50).cast(pl.List(pl.String)).list.join(",").alias("receipts"),
        pl.lit(days).alias("days_allowed"),
    )
    return _finish(
        per, "cash_not_paid_in", ["open_receipts", "amount_fen", "oldest_received", "receipts", "days_allowed"]
    )


def overcharge(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Receipts above the payer's own part of the chosen tier, or above what was paid in."""
    tolerance = _t(th, "tolerance_fen", 0)
    expected = (
        pl.when(pl.col("tier_fen").is_not_null())
        .then(pl.col("tier_fen") - pl.col("entry_gov_fen"))
        .otherwise(pl.col("entry_own_fen"))
    )
    rows = f.receipts.with_columns(expected.alias("due_fen")).with_columns(
        pl.max_horizontal(
            pl.col("amount_fen") - pl.col("due_fen"),
            pl.when(pl.col("payin_fen").is_not_null()).then(pl.col("amount_fen") - pl.col("payin_fen")).otherwise(0),
        ).alias("extra_fen")
    )
    rows = rows.filter(pl.col("extra_fen") > tolerance).with_columns(
        pl.format("receipt:{}", pl.col("receipt_id")).alias("key"),
        pl.col("amount_fen").alias("received_fen"),
        pl.col("extra_fen").alias("amount_fen_out"),
        _iso("received_at").alias("received"),
    )
    rows = rows.drop("amount_fen").rename({"amount_fen_out": "amount_fen"})
    return _finish(rows, "overcharge", ["received_fen", "due_fen", "payin_fen", "extra_fen", "received"])


def held_back(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Cash paid in, but more than ``days`` after it was taken."""
    days = _t(th, "days", 3)
    rows = f.receipts.filter(pl.col("paid_in_at").is_not_null()).with_columns(
        ((pl.col("paid_in_at") - pl.col("received_at")).dt.total_hours() / 24).floor().cast(pl.Int64).alias("days_held")
    )
    rows = rows.filter(pl.col("days_held") > days).with_columns(
        pl.format("receipt:{}", pl.col("receipt_id")).alias("key"),
        _iso("received_at").alias("received"),
        _iso("paid_in_at").alias("paid_in"),
        pl.lit(days).alias("days_allowed"),
    )
    return _finish(rows, "held_back", ["received", "paid_in", "days_held", "days_allowed", "amount_fen"])


def before_period(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Cash taken before the campaign's collection period started."""
    start = dt.datetime.combine(f.period_start, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(hours=8)
    rows = f.receipts.filter(pl.col("received_at") < start).with_columns(
        pl.format("receipt:{}", pl.col("receipt_id")).alias("key"),
        _iso("received_at").alias("received"),
        pl.lit(f.period_start.isoformat()).alias("period_start"),
    )
    return _finish(rows, "before_period", ["received", "period_start", "amount_fen"])


def off_list_cash(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Collectors who took cash from at least ``min_receipts`` payers not on the township's cash list."""
    least = _t(th, "min_receipts", 1)
    per = (
        f.receipts.filter(pl.col("off_list"))
        .group_by("collector_id")
        .agg(
            pl.len().alias("off_list_receipts"),
            pl.col("amount_fen").sum(),
            pl.col("township_code").first(),
            pl.col("village_code").first(),
            pl.col("receipt_id").sort().head(50).cast(pl.String).str.join(",").alias("receipts"),
        )
        .filter(pl.col("off_list_receipts") >= least)
        .with_columns(pl.format("collector:{}", pl.col("collector_id")).alias("key"))
    )
    return _finish(per, "off_list_cash", ["off_list_receipts", "amount_fen", "receipts"])


def collector_outside_village(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Cash a collector took in a village for which he held no authorisation on the day."""
    rows = f.receipts.with_columns(
        pl.col("received_at").dt.convert_time_zone(LOCAL_TZ).dt.date().alias("day"),
    )
    auth = f.authorisations.join(
        rows.select("receipt_id", "collector_id", "village_code", "day"), on=["collector_id", "village_code"]
    )
    covered = auth.filter(
        pl.col("valid_from") <= pl.col("day"),
        pl.col("valid_until").is_null() | (pl.col("valid_until") >= pl.col("day")),
    ).select("receipt_id")
    out = rows.join(covered, on="receipt_id", how="anti").with_columns(
        pl.format("receipt:{}", pl.col("receipt_id")).alias("key"), _iso("received_at").alias("received")
    )
    return _finish(out, "collector_outside_village", ["received", "village_code", "amount_fen"])


def refund_soon_after_cash(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Refunds requested within ``days`` of the cash they refund being paid in."""
    days = _t(th, "days", 30)
    cash = f.receipts.filter(pl.col("payment_id").is_not_null())
    rows = f.refunds.join(cash.drop("amount_fen"), on="payment_id").with_columns(
        ((pl.col("requested_at") - pl.col("paid_in_at")).dt.total_hours() / 24)
        .floor()
        .cast(pl.Int64)
        .alias("days_after")
    )
    rows = rows.filter(pl.col("days_after") <= days).with_columns(
        pl.format("refund:{}", pl.col("refund_id")).alias("key"),
        _iso("paid_in_at").alias("paid_in"),
        _iso("requested_at").alias("refund_requested"),
        pl.col("amount_fen").abs().alias("amount_fen"),
    )
    return _finish(rows, "refund_soon_after_cash", ["paid_in", "refund_requested", "days_after", "amount_fen"])


# --- channels --------------------------------------------------------------------------------------------------


def card_many_households(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """One card or account paying for at least ``min_households`` different households (套现)."""
    least = _t(th, "min_households", 10)
    paid = f.payments.filter(pl.col("kind") == "payment", pl.col("account_hash") != "")
    per = (
        paid.group_by("account_hash")
        .agg(
            pl.col("household_key").n_unique().alias("households"),
            pl.col("person_id").n_unique().alias("persons"),
            pl.len().alias("payments"),
            pl.col("amount_fen").sum(),
            pl.col("township_code").mode().sort().first(),
            pl.col("village_code").mode().sort().first(),
            pl.col("pos_terminal").unique().sort().str.join(",").alias("terminals"),
        )
        .filter(pl.col("households") >= least)
    )
    per = per.with_columns(pl.format("account:{}", pl.col("account_hash")).alias("key"))
    return _finish(per, "card_many_households", ["households", "persons", "payments", "amount_fen", "terminals"])


def reversed_after_settlement(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Payments reversed after they were settled."""
    rev = f.payments.filter(pl.col("kind") == "reversal").select(
        pl.col("payment_id").alias("reversal_id"),
        pl.col("original_id").alias("payment_id"),
        pl.col("paid_at").alias("reversed_at"),
    )
    rows = f.payments.join(rev, on="payment_id").filter(
        pl.col("settled_at").is_not_null(), pl.col("reversed_at") > pl.col("settled_at")
    )
    rows = rows.with_columns(
        pl.format("payment:{}", pl.col("payment_id")).alias("key"),
        _iso("settled_at").alias("settled"),
        _iso("reversed_at").alias("reversed"),
    )
    return _finish(rows, "reversed_after_settlement", ["settled", "reversed", "amount_fen", "pos_terminal"])


def odd_hours_burst(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """At least ``min_payments`` payments between ``start_hour`` and ``end_hour`` on one terminal or account."""
    start, end, least = _t(th, "start_hour", 0), _t(th, "end_hour", 5), _t(th, "min_payments", 3)
    local = pl.col("paid_at").dt.convert_time_zone(LOCAL_TZ)
    night = f.payments.filter(pl.col("kind") == "payment").with_columns(
        local.dt.hour().alias("hour"), local.dt.date().cast(pl.String).alias("day")
    )
    night = (
        night.filter(pl.col("hour") >= start, pl.col("hour") < end)
        .with_columns(
            pl.when(pl.col("pos_terminal") != "")
            .then(pl.format("terminal:{}", pl.col("pos_terminal")))
            .otherwise(pl.format("account:{}", pl.col("account_hash")))
            .alias("source")
        )
        .filter(pl.col("source") != "account:")
    )
    per = (
        night.group_by("source", "day")
        .agg(
            pl.len().alias("payments"),
            pl.col("amount_fen").sum(),
            pl.col("township_code").mode().sort().first(),
            pl.col("village_code").mode().sort().first(),
        )
        .filter(pl.col("payments") >= least)
    )
    per = per.with_columns(pl.format("{}@{}", pl.col("source"), pl.col("day")).alias("key"))
    return _finish(per, "odd_hours_burst", ["source", "day", "payments", "amount_fen"])


def deceased_or_deregistered(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Payments made for a person after his death or moving away was registered."""
    gone = f.persons.filter(pl.col("status").is_in(["deceased", "moved_away"]))
    rows = f.payments.filter(pl.col("kind") == "payment").join(gone, on="person_id")
    rows = rows.filter(
        pl.col("status_date").is_null()
        | (pl.col("status_date") <= pl.col("paid_at").dt.convert_time_zone(LOCAL_TZ).dt.date())
    ).with_columns(
        pl.format("payment:{}", pl.col("payment_id")).alias("key"),
        _iso("paid_at").alias("paid"),
        pl.col("status_date").cast(pl.String).alias("status_since"),
    )
    return _finish(rows, "deceased_or_deregistered", ["status", "status_since", "paid", "amount_fen"])


def amount_matches_no_tier(f: Frames, th: dict[str, Any]) -> pl.DataFrame:
    """Payments or cash whose recorded tier is none of the campaign's tiers."""
    tiers = f.tiers.with_columns(pl.lit(True).alias("known"))
    pay = (
        f.payments.filter(pl.col("kind") == "payment", pl.col("tier_fen").is_not_null())
        .join(tiers, on=["insurance", "tier_fen"], how="left")
        .filter(pl.col("known").is_null())
        .with_columns(pl.format("payment:{}", pl.col("payment_id")).alias("key"), pl.lit("payment").alias("what"))
    )
    cash = (
        f.receipts.filter(pl.col("tier_fen").is_not_null())
        .join(tiers, on=["insurance", "tier_fen"], how="left")
        .filter(pl.col("known").is_null())
        .with_columns(pl.format("receipt:{}", pl.col("receipt_id")).alias("key"), pl.lit("cash").alias("what"))
        .drop("payment_id")
    )
    both = pl.concat([_finish(x, "amount_matches_no_tier", ["what", "tier_fen", "amount_fen"]) for x in (pay, cash)])
    return both


RULES: Final[dict[str, Callable[[Frames, dict[str, Any]], pl.DataFrame]]] = {
    "cash_not_paid_in": cash_not_paid_in,
    "overcharge": overcharge,
    "held_back": held_back,
    "before_period": before_period,
    "off_list_cash": off_list_cash,
    "card_many_households": card_many_households,
    "reversed_after_settlement": reversed_after_settlement,
    "odd_hours_burst": odd_hours_burst,
    "deceased_or_deregistered": deceased_or_deregistered,
    "collector_outside_village": collector_outside_village,
    "refund_soon_after_cash": refund_soon_after_cash,
    "amount_matches_no_tier": amount_matches_no_tier,
}


def run_rules(frames: Frames, rules: dict[str, dict[str, Any]]) -> pl.DataFrame:
    """Run the named rules (code → thresholds) and stack their hits; an unknown code finds nothing."""
    parts = [RULES[code](frames, th) for code, th in rules.items() if code in RULES]
    if not parts:
        return pl.DataFrame(schema=HIT_SCHEMA)
    return pl.concat(parts)
