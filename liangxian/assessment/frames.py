"""Vectorised counts of the assessment (Art 38): frames of facts in, one row per subject out, with record keys."""

from __future__ import annotations

from typing import Any

import polars as pl


def _by(frame: pl.DataFrame, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in frame.iter_rows(named=True)}


def collection_rate(roster: pl.DataFrame, key: str) -> dict[Any, dict[str, Any]]:
    """Per ``key`` (township_code or village_code): entries due, paid, and the keys of each."""
    out = roster.group_by(key).agg(
        pl.len().alias("due"),
        pl.col("paid").sum().cast(pl.Int64).alias("paid_n"),
        pl.col("id").filter(pl.col("paid")).sort().alias("paid"),
        pl.col("id").filter(~pl.col("paid")).sort().alias("unpaid"),
    )
    return _by(out, key)


def coverage(targets: pl.DataFrame, enrolled: pl.DataFrame) -> dict[Any, dict[str, Any]]:
    """Per township: persons to enrol by the plan, and the entries paid where and in what the plan names.

    A township's target counts the paid entries of the whole township in that insurance; a village's target
    those of that village only (a plan may name a township, some of its villages, or both).
    """
    planned = targets.group_by("township_code").agg(
        pl.col("target").sum().alias("target"), pl.col("id").sort().alias("targets")
    )
    by_township = targets.filter(pl.col("division").str.len_chars() == 9).select("township_code", "insurance")
    by_village = targets.filter(pl.col("division").str.len_chars() > 9).select(
        pl.col("division").alias("village_code"), "insurance"
    )
    counted_ids = pl.concat(
        [
            enrolled.join(by_township.unique(), on=["township_code", "insurance"], how="semi"),
            enrolled.join(by_village.unique(), on=["village_code", "insurance"], how="semi"),
        ]
    ).unique("id")
    counted = counted_ids.group_by("township_code").agg(
        pl.len().alias("enrolled_n"), pl.col("id").sort().alias("enrolled")
    )
    out = planned.join(counted, on="township_code", how="left").with_columns(pl.col("enrolled_n").fill_null(0))
    return _by(out, "township_code")


def timeliness(obligations: pl.DataFrame, late_beyond_days: int) -> dict[Any, dict[str, Any]]:
    """Per owner unit: obligations due, met on time, and the keys of the late, open and long-overdue ones."""
    out = obligations.group_by("unit_id").agg(
        pl.len().alias("due"),
        (~pl.col("late")).sum().cast(pl.Int64).alias("on_time_n"),
        pl.col("id").filter(~pl.col("late")).sort().alias("on_time"),
        pl.col("id").filter(pl.col("late") & ~pl.col("open")).sort().alias("late"),
        pl.col("id").filter(pl.col("open")).sort().alias("open"),
        pl.col("id").filter(pl.col("days_late") > late_beyond_days).sort().alias("beyond"),
    )
    return _by(out, "unit_id")


def data_quality(submissions: pl.DataFrame, rejected_pct: int) -> dict[Any, dict[str, Any]]:
    """Per provider unit: rows submitted, rows usable (accepted or repaired), refused lists and poor lists."""
    poor = (pl.col("rows_rejected") * 100 > pl.col("rows_total") * rejected_pct) & (pl.col("rows_total") > 0)
    out = submissions.group_by("unit_id").agg(
        pl.col("rows_total").sum().alias("rows"),
        (pl.col("rows_accepted") + pl.col("rows_repaired")).sum().alias("usable"),
        pl.col("rows_rejected").sum().alias("rejected_rows"),
        pl.col("id").sort().alias("submissions"),
        pl.col("id").filter(pl.col("status") == "refused").sort().alias("refused"),
        pl.col("id").filter(poor).sort().alias("poor"),
    )
    return _by(out, "unit_id")


def findings(frame: pl.DataFrame, key: str) -> dict[Any, dict[str, Any]]:
    """Sum screening findings per key (townships or collectors)."""
    if frame.is_empty():
        return {}
    cols = [c for c in frame.columns if c != key]
    return _by(frame.group_by(key).agg(pl.col(cols).sum()), key)
