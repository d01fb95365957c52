"""The roster build as frame transforms: register, lists and survey in, one row per person and insurance out.

Frame in, frame out; no ORM. ``roster_frame`` applies ``roster.rules`` to whole frames (the scalar functions there
are its reference), ``roster_diff`` compares the result with the campaign's current entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import polars as pl

from . import rules
from .rules import DIFF_FIELDS, InsuranceRules

PERSON_SCHEMA: Final[dict[str, Any]] = {
    "person_id": pl.Int64,
    "birth_date": pl.Date,
    "status": pl.String,
    "township_code": pl.String,
    "village_code": pl.String,
}
CATEGORY_SCHEMA: Final[dict[str, Any]] = {"person_id": pl.Int64, "category": pl.String, "detail": pl.String}
MARK_SCHEMA: Final[dict[str, Any]] = {"person_id": pl.Int64, "mark": pl.String}
ROSTER_SCHEMA: Final[dict[str, Any]] = {
    "person_id": pl.Int64,
    "insurance": pl.String,
    "must_pay": pl.Boolean,
    "reason": pl.String,
    "amount_fen": pl.Int64,
    "tiers": pl.String,
    "daijiao_category": pl.String,
    "other_categories": pl.String,
    "gov_fen": pl.Int64,
    "own_fen": pl.Int64,
    "subsidy_fen": pl.Int64,
    "cash_only": pl.Boolean,
    "township_code": pl.String,
    "village_code": pl.String,
}
KEY: Final = ["person_id", "insurance"]


def _age(on: date) -> pl.Expr:
    """Whole years reached on ``on`` from the birth_date column (null where the birth date is unknown)."""
    birth = pl.col("birth_date")
    later = (birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)) > (on.month * 100 + on.day)
    return pl.lit(on.year, dtype=pl.Int32) - birth.dt.year().cast(pl.Int32) - later.cast(pl.Int32)


def _person_flags(persons: pl.DataFrame, categories: pl.DataFrame, marks: pl.DataFrame) -> pl.DataFrame:
    """Add to each person the set of lists he is on and the survey's gone and cash-only marks."""
    held = categories.group_by("person_id").agg(pl.col("category").unique().alias("held"))
    marked = marks.group_by("person_id").agg(
        (pl.col("mark") == rules.MARK_GONE).any().alias("gone"),
        (pl.col("mark") == rules.MARK_CASH_ONLY).any().alias("cash_only"),
    )
    return (
        persons.join(held, on="person_id", how="left")
        .join(marked, on="person_id", how="left")
        .with_columns(
            pl.col("held").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("gone").fill_null(False),
            pl.col("cash_only").fill_null(False),
        )
    )


def _reason(spec: InsuranceRules, on: date) -> pl.Expr:
    """The first reason that holds, in the order of ``rules.eligibility_reason``; "" if he must pay."""
    e = spec.eligibility
    steps: list[tuple[pl.Expr, str]] = [(pl.col("status") == s, s) for s in e.exclude_statuses]
    steps.append((pl.col("gone"), rules.SURVEY_GONE))
    if e.require_local_household:
        steps.append((pl.col("held").list.contains(rules.FLOATING_CATEGORY), rules.NOT_LOCAL))
    steps += [(pl.col("held").list.contains(c), c) for c in e.exclude_categories]
    if e.min_age is not None or e.max_age is not None:
        age = _age(on)
        steps.append((pl.col("birth_date").is_null(), rules.NO_BIRTH_DATE))
        if e.min_age is not None:
            steps.append((age < e.min_age, rules.UNDER_AGE))
        if e.max_age is not None:
            steps.append((age >= e.max_age, rules.OVER_AGE))
    expr: Any = pl
    for condition, code in steps:
        expr = expr.when(condition).then(pl.lit(code))
    return pl.lit("") if expr is pl else expr.otherwise(pl.lit(""))


def _daijiao_rules(spec: InsuranceRules) -> pl.DataFrame:
    """One row per 代缴 rule and detail it accepts (detail null: any), with its government part and amount."""
    rows = []
    for rule in spec.daijiao:
        amount, gov, subsidy = rules.daijiao_parts(rule, spec)
        for detail in rule.details or (None,):
            rows.append(
                {
                    "category": rule.category,
                    "rule_detail": detail,
                    "mode": rule.mode,
                    "priority": rule.priority,
                    "d_gov": gov,
                    "d_amount": amount,
                    "d_subsidy": subsidy,
                }
            )
    schema = {
        "category": pl.String,
        "rule_detail": pl.String,
        "mode": pl.String,
        "priority": pl.Int64,
        "d_gov": pl.Int64,
        "d_amount": pl.Int64,
        "d_subsidy": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _daijiao(categories: pl.DataFrame, spec: InsuranceRules) -> pl.DataFrame:
    """Per person on a 代缴 list: the chosen category with its parts and the other lists, by favour."""
    table = _daijiao_rules(spec)
    matched = (
        categories.join(table, on="category", how="inner")
        .filter(pl.col("rule_detail").is_null() | (pl.col("rule_detail") == pl.col("detail")))
        .unique(["person_id", "category"])
        .sort(["person_id", "d_gov", "priority", "category"], descending=[False, True, False, False])
    )
    chosen = (
        matched.filter(pl.col("mode") != "none")
        .group_by("person_id", maintain_order=True)
        .first()
        .select(
            "person_id",
            pl.col("category").alias("daijiao_category"),
            pl.col("d_gov"),
            pl.col("d_amount"),
            pl.col("d_subsidy"),
        )
    )
    others = (
        matched.join(chosen.select("person_id", "daijiao_category"), on="person_id", how="left")
        .filter(pl.col("daijiao_category").is_null() | (pl.col("category") != pl.col("daijiao_category")))
        .group_by("person_id", maintain_order=True)
        .agg(pl.col("category").str.join(",").alias("other_categories"))
    )
    return chosen.join(others, on="person_id", how="full", coalesce=True)


def roster_frame(
    persons: pl.DataFrame,
    categories: pl.DataFrame,
    marks: pl.DataFrame,
    specs: Sequence[InsuranceRules],
    *,
    coverage_year: int,
) -> pl.DataFrame:
    """Build the roster: for each person and insurance type, must he pay (why not), how much, who pays which part.

    ``persons``: PERSON_SCHEMA; ``categories``: the open lists (CATEGORY_SCHEMA); ``marks``: the campaign's open
    survey marks (MARK_SCHEMA). A person not liable keeps an entry with the reason and zero amounts.
    """
    people = _person_flags(persons, categories, marks)
    parts = []
    for spec in specs:
        on = rules.age_on_day(coverage_year, spec.eligibility.age_on)
        default = spec.default_tier
        reasoned = people.select(
            "person_id", "township_code", "village_code", "cash_only", _reason(spec, on).alias("reason")
        )
        chosen = _daijiao(categories, spec)
        liable = pl.col("reason") == ""
        part = reasoned.join(chosen, on="person_id", how="left").select(
            "person_id",
            pl.lit(spec.insurance).alias("insurance"),
            liable.alias("must_pay"),
            "reason",
            pl.when(liable).then(pl.col("d_amount").fill_null(default.amount_fen)).otherwise(0).alias("amount_fen"),
            pl.when(liable).then(pl.lit(spec.tiers_text)).otherwise(pl.lit("")).alias("tiers"),
            pl.when(liable)
            .then(pl.col("daijiao_category").fill_null(""))
            .otherwise(pl.lit(""))
            .alias("daijiao_category"),
            pl.when(liable)
            .then(pl.col("other_categories").fill_null(""))
            .otherwise(pl.lit(""))
            .alias("other_categories"),
            pl.when(liable).then(pl.col("d_gov").fill_null(0)).otherwise(0).alias("gov_fen"),
            pl.lit(0).alias("own_fen"),
            pl.when(liable).then(pl.col("d_subsidy").fill_null(default.subsidy_fen)).otherwise(0).alias("subsidy_fen"),
            "cash_only",
            "township_code",
            "village_code",
        )
        parts.append(part.with_columns(own_fen=pl.col("amount_fen") - pl.col("gov_fen")))
    if not parts:
        return pl.DataFrame(schema=ROSTER_SCHEMA)
    return pl.concat(parts).cast(ROSTER_SCHEMA).sort(KEY)  # type: ignore[arg-type]


def _json_value(expr: pl.Expr, dtype: Any) -> pl.Expr:
    """Write a column's values as JSON text (strings quoted and escaped, booleans true/false)."""
    if dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("true")).otherwise(pl.lit("false"))
    if dtype == pl.String:
        escaped = expr.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
        return pl.lit('"') + escaped + pl.lit('"')
    return expr.cast(pl.String)


def changed_fields(joined: pl.DataFrame) -> pl.Expr:
    """The JSON object {field: [before, after]} of the fields that differ between ``f_old`` and ``f`` columns."""
    pieces = []
    for name in DIFF_FIELDS:
        dtype = ROSTER_SCHEMA[name]
        new, old = pl.col(name), pl.col(f"{name}_old")
        pieces.append(
            pl.when(new != old).then(
                pl.lit(f'"{name}":[') + _json_value(old, dtype) + pl.lit(",") + _json_value(new, dtype) + pl.lit("]")
            )
        )
    return pl.lit("{") + pl.concat_str(pieces, separator=",", ignore_nulls=True) + pl.lit("}")


def roster_diff(new: pl.DataFrame, current: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Compare a built roster with the current entries (ROSTER_SCHEMA plus ``id``).

    Return (added: rows of ``new``; removed: ``id``, person_id, insurance; changed: ``id`` and the new values
    with ``fields``, the JSON of what changed).
    """
    if current.is_empty():  # a first build: everything is added (no join needed to say so)
        changed_schema: dict[str, Any] = {"id": current.schema["id"], **new.schema, "fields": pl.String}
        return new, current.select("id", *KEY), pl.DataFrame(schema=changed_schema)
    added = new.join(current.select(KEY), on=KEY, how="anti")
    removed = current.join(new.select(KEY), on=KEY, how="anti").select("id", *KEY)
    old = current.select("id", *KEY, *[pl.col(f).alias(f"{f}_old") for f in DIFF_FIELDS])
    joined = new.join(old, on=KEY, how="inner")
    differs = pl.any_horizontal([pl.col(f) != pl.col(f"{f}_old") for f in DIFF_FIELDS])
    changed = joined.filter(differs)
    changed = changed.with_columns(changed_fields(changed).alias("fields")).select("id", *new.columns, "fields")
    return added, removed, changed
