"""Vectorised row rules of the department lists: frame in, frame out, no ORM and no I/O (Art 10-17).

Each row of a read file ends accepted, repaired (with the reasons) or rejected (with the reasons and the column
that caused it). ID numbers and names go through batch.frames (the same answers as core's per-value rules);
the other column types, the duplicates within the file and the comparison of two versions are here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, Final

import polars as pl

from liangxian.batch import frames as batch_frames
from liangxian.core import idnumbers, names

from .errors import ROW_MESSAGES

MESSAGES: Final[dict[str, str]] = {**idnumbers.MESSAGES, **names.MESSAGES, **ROW_MESSAGES}
REASON_SEPARATOR: Final = "；"
_EMPTY: Final = pl.lit([], dtype=pl.List(pl.String))
_PHONE: Final = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"
# The date shapes clerks type: 2020-01-02, 2020/1/2, 2020.01.02, 2020年1月2日, 20200102, and Excel's "… 00:00:00".
_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y%m%d")

IdClassifier = Callable[..., pl.DataFrame]
NameClassifier = Callable[..., pl.DataFrame]


def value_column(key: str) -> str:
    """Name the frame column holding a column's canonical value."""
    return f"__v_{key}"


def _codes(when: pl.Expr, code: str) -> pl.Expr:
    return pl.when(when).then(pl.lit([code], dtype=pl.List(pl.String))).otherwise(_EMPTY)


def _as_list(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(_EMPTY).cast(pl.List(pl.String))


def _date_rule(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    cleaned = (
        raw.str.replace(r"[T ].*$", "").str.replace_all(r"[./年月]", "-").str.replace(r"日$", "").str.strip_chars("-")
    )
    parsed = pl.coalesce([cleaned.str.strptime(pl.Date, fmt, strict=False) for fmt in _DATE_FORMATS])
    return parsed.dt.to_string("%Y-%m-%d"), raw.is_not_null() & parsed.is_null()


def _number_rule(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok = raw.str.contains(r"^[0-9]+(\.0+)?$")
    return pl.when(ok).then(raw.str.replace(r"\.0+$", "")).otherwise(raw), raw.is_not_null() & ~ok.fill_null(False)


def _phone_rule(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    cleaned = raw.str.replace_all(r"[\s\u3000()（）]", "")
    return cleaned, cleaned.is_not_null() & ~cleaned.str.contains(_PHONE).fill_null(False)


def _column_rules(
    frame: pl.DataFrame,
    column: Mapping[str, Any],
    *,
    today: date,
    known_areas: Collection[str] | None,
    classify_ids: IdClassifier,
    classify_names: NameClassifier,
) -> pl.DataFrame:
    """Add the column's canonical value and its reject, repair and warning code lists."""
    key = column["key"]
    kind = column.get("type", "text")
    required = bool(column.get("required", False))
    raw = pl.col(key)
    empty = raw.is_null()
    value = value_column(key)
    if kind == "id_number":
        numeric = f"{key}__numeric"
        if numeric not in frame.columns:
            frame = frame.with_columns(pl.lit(False).alias(numeric))
        frame = classify_ids(frame, key, numeric_column=numeric, today=today, known_areas=known_areas)
        outcome, codes = pl.col(f"{key}__outcome"), _as_list(pl.col(f"{key}__codes"))
        # An optional ID column left empty (a guardian's number) is no fault; a wrong one rejects the row.
        skip = empty & ~pl.col(numeric).fill_null(False) & pl.lit(not required)
        return frame.with_columns(
            pl.col(f"{key}__value").alias(value),
            pl.when(~skip & (outcome == "rejected")).then(codes).otherwise(_EMPTY).alias(f"__rej_{key}"),
            pl.when(~skip & (outcome == "repaired")).then(codes).otherwise(_EMPTY).alias(f"__rep_{key}"),
            pl.when(~skip).then(_as_list(pl.col(f"{key}__warnings"))).otherwise(_EMPTY).alias(f"__warn_{key}"),
        )
    if kind == "name":
        frame = classify_names(frame, key)
        outcome, codes = pl.col(f"{key}__outcome"), _as_list(pl.col(f"{key}__codes"))
        skip = empty & pl.lit(not required)
        return frame.with_columns(
            pl.col(f"{key}__value").alias(value),
            pl.when(~skip & (outcome == "rejected")).then(codes).otherwise(_EMPTY).alias(f"__rej_{key}"),
            pl.when(~skip & (outcome == "repaired")).then(codes).otherwise(_EMPTY).alias(f"__rep_{key}"),
            _EMPTY.alias(f"__warn_{key}"),
        )
    warn = pl.lit(False)
    if kind == "date":
        canonical, bad = _date_rule(raw)
        reject = _codes(bad, "bad_date")
    elif kind == "number":
        canonical, bad = _number_rule(raw)
        reject = _codes(bad, "bad_number")
    elif kind == "phone":
        # A wrong phone number is worth telling, not worth refusing the person for.
        canonical, warn = _phone_rule(raw)
        reject = _EMPTY
    elif kind == "enum":
        canonical = raw
        reject = _codes(raw.is_not_null() & ~raw.is_in(list(column.get("choices", []))), "bad_choice")
    else:
        canonical, reject = raw, _EMPTY
    if required:
        reject = pl.when(empty).then(pl.lit(["required_empty"], dtype=pl.List(pl.String))).otherwise(reject)
    return frame.with_columns(
        canonical.alias(value),
        reject.alias(f"__rej_{key}"),
        _EMPTY.alias(f"__rep_{key}"),
        _codes(warn, "bad_phone").alias(f"__warn_{key}"),
    )


def _messages(codes: pl.Expr) -> pl.Expr:
    return codes.list.eval(pl.element().replace(MESSAGES)).list.join(REASON_SEPARATOR)


def rows_classify(
    frame: pl.DataFrame,
    *,
    columns: Sequence[Mapping[str, Any]],
    person_column: str,
    category: str,
    headers: Mapping[str, str],
    today: date,
    known_areas: Collection[str] | None = None,
    classify_ids: IdClassifier | None = None,
    classify_names: NameClassifier | None = None,
) -> pl.DataFrame:
    """Classify every row of a read file; return one row per input row, ready for SubmissionRow.

    ``frame`` is a readers' frame ("__row", "__original", one text column per matched key, "K__numeric" for ID
    columns; ``__original`` as JSON text or as a struct of the cells); ``headers`` maps each key to the header as
    written in the file (for the problem column). The result has row_number, outcome, reasons, reason_codes,
    problem_column, id_number, name, category, data, original (the row as written, for the rows that carry a
    reason; "{}" for the others), and the canonical value of every column (``value_column(key)``).
    """
    classify_ids = classify_ids or batch_frames.classify_ids
    classify_names = classify_names or batch_frames.classify_names
    missing = [c["key"] for c in columns if c["key"] not in frame.columns]
    if missing:
        frame = frame.with_columns([pl.lit(None, dtype=pl.String).alias(k) for k in missing])
    # The person's number and name first: their faults are the ones the clerk must see first.
    ordered = sorted(columns, key=lambda c: (c["key"] != person_column, c.get("type") != "name"))
    base = set(frame.columns)

    def rules(column: Mapping[str, Any]) -> list[pl.Series]:
        ruled = _column_rules(
            frame,
            column,
            today=today,
            known_areas=known_areas,
            classify_ids=classify_ids,
            classify_names=classify_names,
        )
        return [ruled[c] for c in ruled.columns if c not in base]

    # Each column's rules read only its own cells: the columns are checked side by side, one per core (Polars lets
    # go of the GIL; an ID column's stages alone leave the other core idle), and their results put together.
    with ThreadPoolExecutor(max_workers=min(len(ordered), os.cpu_count() or 1) or 1) as pool:
        added = [series for part in pool.map(rules, ordered) for series in part]
    frame = frame.hstack(added)
    keys = [c["key"] for c in ordered]
    headers = {c["key"]: headers.get(c["key"]) or c["label"] for c in columns}
    person_value = pl.col(value_column(person_column))
    rejected_before = pl.any_horizontal([pl.col(f"__rej_{k}").list.len() > 0 for k in keys])
    # Only the first of several rows of one person stands; the later ones are refused, whatever they hold.
    candidate = pl.when(~rejected_before & person_value.is_not_null()).then(person_value)
    frame = (
        frame.with_row_index("__idx")
        .with_columns(
            (candidate.is_not_null() & ~candidate.is_first_distinct()).alias("__duplicate"),
        )
        .with_columns(
            pl.when(pl.col("__duplicate"))
            .then(pl.lit(["duplicate_in_file"], dtype=pl.List(pl.String)))
            .otherwise(pl.col(f"__rej_{person_column}"))
            .alias(f"__rej_{person_column}")
        )
    )
    any_rejects = pl.any_horizontal([pl.col(f"__rej_{k}").list.len() > 0 for k in keys])
    any_repairs = pl.any_horizontal([pl.col(f"__rep_{k}").list.len() > 0 for k in keys])
    any_warnings = pl.any_horizontal([pl.col(f"__warn_{k}").list.len() > 0 for k in keys])
    frame = frame.with_columns(
        any_rejects.alias("__rejected"), (any_rejects | any_repairs | any_warnings).alias("__has_codes")
    )
    is_rejected = pl.col("__rejected")
    outcome = pl.when(is_rejected).then(pl.lit("rejected")).when(any_repairs).then(pl.lit("repaired"))
    # Joining, de-duplicating and translating the code lists is the costly part; only the few rows that carry a
    # code need it, the others have no reason and no problem column. The row as written is kept for those rows
    # alone (the error report shows it beside the reason): an accepted row without a code is exactly its values.
    explained = _explain(frame.filter(pl.col("__has_codes")), keys, headers)
    name_key = next((c["key"] for c in columns if c.get("type") == "name" and c["key"] == "name"), None)
    name_key = name_key or next((c["key"] for c in columns if c.get("type") == "name"), None)
    name_value = (
        pl.coalesce([pl.col(value_column(name_key)), pl.col(name_key)]) if name_key else pl.lit(None, pl.String)
    )
    data = pl.struct([pl.col(value_column(c["key"])).alias(c["key"]) for c in columns]).struct.json_encode()
    out = frame.select(
        pl.col("__row").cast(pl.Int64).alias("row_number"),
        outcome.otherwise(pl.lit("accepted")).alias("outcome"),
        pl.col("__idx"),
        pl.coalesce([person_value, pl.col(person_column)]).str.slice(0, 30).fill_null("").alias("id_number"),
        name_value.str.slice(0, 80).fill_null("").alias("name"),
        pl.lit(category).alias("category"),
        data.alias("data"),
        pl.when(~is_rejected).then(person_value).alias("__person"),
        *[pl.col(value_column(c["key"])) for c in columns],
    )
    out = out.join(explained, on="__idx", how="left", maintain_order="left")
    return out.select(
        "row_number",
        "outcome",
        pl.col("reasons").fill_null(""),
        pl.col("reason_codes").fill_null(""),
        pl.col("problem_column").fill_null(""),
        "id_number",
        "name",
        "category",
        "data",
        pl.col("__written").fill_null("{}").alias("original"),
        "__person",
        *[value_column(c["key"]) for c in columns],
    )


def _explain(frame: pl.DataFrame, keys: Sequence[str], headers: Mapping[str, str]) -> pl.DataFrame:
    """Give each row that carries a code its reasons, reason codes and problem column, by ``__idx``."""
    rejects = pl.concat_list([pl.col(f"__rej_{k}") for k in keys]).list.unique(maintain_order=True)
    repairs = pl.concat_list([pl.col(f"__rep_{k}") for k in keys]).list.unique(maintain_order=True)
    warnings = pl.concat_list([pl.col(f"__warn_{k}") for k in keys]).list.unique(maintain_order=True)
    shown = pl.when(pl.col("__rejected")).then(rejects).otherwise(repairs)
    problem = pl.coalesce(
        [pl.when(pl.col(f"__rej_{k}").list.len() > 0).then(pl.lit(headers.get(k, k))) for k in keys]
        + [pl.when(pl.col(f"__rep_{k}").list.len() > 0).then(pl.lit(headers.get(k, k))) for k in keys]
        + [pl.when(pl.col(f"__warn_{k}").list.len() > 0).then(pl.lit(headers.get(k, k))) for k in keys]
    )
    all_codes = pl.concat_list([shown, warnings])
    if "__original" not in frame.columns:
        written = pl.lit("{}")
    elif isinstance(frame.schema["__original"], pl.Struct):
        written = pl.col("__original").struct.json_encode()
    else:
        written = pl.col("__original").fill_null("{}")
    return frame.select(
        pl.col("__idx"),
        _messages(all_codes).fill_null("").alias("reasons"),
        all_codes.list.join(",").str.slice(0, 200).fill_null("").alias("reason_codes"),
        problem.str.slice(0, 60).fill_null("").alias("problem_column"),
        written.alias("__written"),
    )


def compare_keys(columns: Sequence[Mapping[str, Any]], person_column: str) -> list[str]:
    """List the column keys whose change between versions is a change of the person's record."""
    return [c["key"] for c in columns if c.get("diff", True) and c["key"] != person_column]


def _json_string(expr: pl.Expr) -> pl.Expr:
    # A JSON string literal, escaped by Polars: encode a one-field struct and keep the value part.
    return pl.struct(expr.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")


def versions_diff(current: pl.DataFrame, previous: pl.DataFrame, *, keys: Sequence[str]) -> pl.DataFrame:
    """Compare two versions' usable rows by person; return id_number, name, kind (added|removed|changed), fields.

    Both frames have ``id_number``, ``name`` and one text column per key. ``fields`` is a JSON object of the
    changed keys, each ``[before, after]``; empty for added and removed persons.
    """
    keys = [k for k in keys if k != "name"]
    cols = ["id_number", "name", *keys]
    # Each side marks its rows, so that after the full join a null marker says the person is absent there.
    cur = current.select(cols).unique("id_number", keep="first").with_columns(pl.lit(True).alias("__cur"))
    prev = previous.select(cols).unique("id_number", keep="first").with_columns(pl.lit(True).alias("__prev"))
    joined = cur.join(prev, on="id_number", how="full", suffix="__before", coalesce=True)
    compared = [*keys, "name"]
    both = pl.col("__cur").is_not_null() & pl.col("__prev").is_not_null()
    differs = {k: pl.col(k).ne_missing(pl.col(f"{k}__before")) for k in compared}
    # Most persons are the same in both versions: drop them on plain comparisons before any text is built.
    joined = joined.filter(~both | pl.any_horizontal(list(differs.values())))
    kind = (
        pl.when(pl.col("__cur").is_null())
        .then(pl.lit("removed"))
        .when(pl.col("__prev").is_null())
        .then(pl.lit("added"))
        .otherwise(pl.lit("changed"))
    )
    entries = [
        pl.when(both & differs[k]).then(
            pl.concat_str(
                pl.lit(f'"{k}":['),
                _json_string(pl.col(f"{k}__before")),
                pl.lit(","),
                _json_string(pl.col(k)),
                pl.lit("]"),
            )
        )
        for k in compared
    ]
    fields = pl.concat_str(entries, separator=",", ignore_nulls=True) if entries else pl.lit("")
    out = joined.with_columns(kind.alias("kind"), fields.fill_null("").alias("__fields"))
    out = out.filter((pl.col("kind") != "changed") | (pl.col("__fields") != ""))
    return out.select(
        "id_number",
        pl.coalesce([pl.col("name"), pl.col("name__before")]).fill_null("").str.slice(0, 80).alias("name"),
        "kind",
        pl.concat_str(pl.lit("{"), pl.col("__fields"), pl.lit("}")).alias("fields"),
    ).sort("kind", "id_number")


def comparison_frame(classified: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Reduce classified rows to the usable ones, as versions_diff compares them (person, name, the keys)."""
    return classified.filter(pl.col("__person").is_not_null()).select(
        pl.col("__person").alias("id_number"),
        *[pl.col(value_column(k)).alias(k) for k in keys if k != "name"],
        pl.col("name"),
    )
