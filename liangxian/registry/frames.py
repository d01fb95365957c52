"""Vectorised transforms of the register: a list's rows against the register, frame in → frame out (SPEC 4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import polars as pl

from . import rules

# The register field each dataset column key feeds, first key present wins (the catalogue's keys, with the
# spellings other lists use for the same thing).
FIELD_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "id_type": ("id_type", "document_type"),
    "sex": ("sex", "gender"),
    "birth_date": ("birth_date", "date_of_birth"),
    "township": ("township", "township_name"),
    "village": ("village", "village_name"),
    "village_code": ("village_code", "division_code"),
    "phone": ("phone", "contact_phone", "guardian_phone"),
    "relation": ("relation", "relation_to_head"),
    "household_number": ("household_number", "household_no", "household"),
    "status": ("status", "registration_status", "reason", "deregistration_reason", "change_type"),
    "status_date": ("status_date", "change_date", "deregistration_date", "event_date"),
    "category": ("category",),
    # The first of these a list carries says which kind or grade of its category a person is in.
    "detail": (
        "disability_grade",
        "support_mode",
        "orphan_kind",
        "allowance_class",
        "monitor_type",
        "justice_kind",
        "school",
        "detail",
        "remark",
    ),
}
DATE_FORMATS: Final = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d")
# Sealed and compared: a change in one of these re-seals the person's load batch.
SEALED_FIELDS: Final = ("name", "sex", "birth_date", "village_code")
COMPARED_FIELDS: Final = (*SEALED_FIELDS, "status", "status_date", "phone", "relation", "household_id")


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().replace("", None)


def _first(keys: Sequence[str], present: Sequence[str]) -> pl.Expr:
    found = [_text(k) for k in keys if k in present]
    if not found:
        return pl.lit(None, dtype=pl.String)
    return pl.coalesce(found) if len(found) > 1 else found[0]


def _date(expr: pl.Expr) -> pl.Expr:
    return pl.coalesce([expr.str.strptime(pl.Date, fmt, strict=False) for fmt in DATE_FORMATS])


def _words(expr: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    return expr.replace_strict(list(mapping), list(mapping.values()), default=None, return_dtype=pl.String)


def listed_number() -> pl.Expr:
    """A row's ID number as list_frame reads it."""
    return _text("id_number").str.to_uppercase()


def listed_count(rows: pl.DataFrame, keys: Sequence[str]) -> int:
    """The number of persons list_frame gives for these rows (one per document type and number), computed alone."""
    data, first = _list_data(rows, keys)
    identity = data.select(_document_type(first).alias("id_type"), listed_number().alias("id_number"))
    return identity.filter(pl.col("id_number").is_not_null()).unique().height


def _document_type(first: Callable[[str], pl.Expr]) -> pl.Expr:
    return _words(first("id_type"), rules.DOCUMENT_WORDS).fill_null("resident_id")


def _list_data(rows: pl.DataFrame, keys: Sequence[str]) -> tuple[pl.DataFrame, Callable[[str], pl.Expr]]:
    """The rows with one text column ``_k_<key>`` per key the register reads, and the first of a field's keys."""
    # Only the keys the register reads: a struct of every key would decode values nobody uses.
    wanted = sorted(set(keys) & {k for ks in FIELD_KEYS.values() for k in ks})
    if "data" in rows.columns and wanted:
        # Only the keys this dataset or the register knows; a struct of every key would decode for nothing.
        decoded = rows.with_columns(
            pl.col("data").str.json_decode(pl.Struct(dict.fromkeys(wanted, pl.String))).alias("_d")
        )
        data = decoded.with_columns([pl.col("_d").struct.field(k).alias(f"_k_{k}") for k in wanted])
    else:
        # The exchange pipeline hands its classified frame over directly: one column per dataset key.
        data = rows.with_columns([pl.col(k).cast(pl.String).alias(f"_k_{k}") for k in wanted if k in rows.columns])
        wanted = [k for k in wanted if k in rows.columns]
    if "category" not in data.columns:
        data = data.with_columns(pl.lit(None, dtype=pl.String).alias("category"))
    present = [f"_k_{k}" for k in wanted]

    def first(field: str) -> pl.Expr:
        return _first([f"_k_{k}" for k in FIELD_KEYS[field]], present)

    return data, first


def list_frame(rows: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Turn a submission's accepted rows into register terms.

    ``rows`` has row_number, id_number, name, category and either ``data`` (the row's values as JSON text) or one
    String column per dataset column key.

    The ID number's own birth date and sex stand in where the list gives none: on a resident ID they are facts
    of the number itself.
    """
    data, first = _list_data(rows, keys)
    id_number = _text("id_number")
    resident = pl.col("id_type") == "resident_id"
    id_birth = id_number.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
    id_sex = (
        pl.when(id_number.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1)
        .then(pl.lit("M"))
        .otherwise(pl.lit("F"))
    )
    out = data.select(
        pl.col("row_number").cast(pl.Int64),
        _document_type(first).alias("id_type"),
        listed_number().alias("id_number"),
        _text("name").alias("name"),
        _words(first("sex"), rules.SEX_WORDS).alias("_sex"),
        _date(first("birth_date")).alias("_birth"),
        first("township").alias("township"),
        first("village").alias("village"),
        first("village_code").alias("_village_code"),
        first("phone").alias("phone"),
        first("relation").alias("relation"),
        first("household_number").alias("household_number"),
        _words(first("status"), rules.STATUS_WORDS).alias("status"),
        _date(first("status_date")).alias("status_date"),
        pl.coalesce([_text("category"), first("category")]).alias("category"),
        first("detail").alias("detail"),
    )
    out = out.with_columns(
        pl.coalesce([pl.col("_sex"), pl.when(resident & (id_number.str.len_chars() == 18)).then(id_sex)]).alias("sex"),
        pl.coalesce([pl.col("_birth"), pl.when(resident).then(id_birth)]).alias("birth_date"),
    ).drop("_sex", "_birth")
    # A person twice in one list is rejected by the exchange; should one slip through, the first row speaks.
    return out.filter(pl.col("id_number").is_not_null()).unique(
        ["id_type", "id_number"], keep="first", maintain_order=True
    )


def village_lookup(villages: pl.DataFrame) -> pl.DataFrame:
    """Index villages (code, name, township_name) by the short names the bureaus write."""
    return villages.with_columns(
        pl.col("name").map_elements(rules.short_village, return_dtype=pl.String).alias("short"),
        pl.col("township_name").str.replace_all(r"\s+", "").alias("township_short"),
    )


def resolve_villages(frame: pl.DataFrame, lookup: pl.DataFrame) -> pl.DataFrame:
    """Add village_code: a code written in the list, else the village named within its township, else a unique name."""
    short = (
        pl.col("village")
        .str.replace_all(r"\s+", "")
        .str.replace(r"(社区)?居委会$", "社区")
        .str.replace(r"村委会$", "村")
    )
    work = frame.with_columns(_short=short, _town=pl.col("township").str.replace_all(r"\s+", ""))
    by_town = lookup.select(
        pl.col("township_short").alias("_town"), pl.col("short").alias("_short"), pl.col("code").alias("_by_town")
    ).unique(["_town", "_short"], keep="none")
    unique_names = lookup.group_by("short").agg(pl.col("code").first(), pl.len().alias("n")).filter(pl.col("n") == 1)
    by_name = unique_names.select(pl.col("short").alias("_short"), pl.col("code").alias("_by_name"))
    codes = set(lookup["code"].to_list())
    written = pl.col("_village_code")
    work = work.join(by_town, on=["_town", "_short"], how="left").join(by_name, on="_short", how="left")
    written_code = pl.when(written.is_in(list(codes))).then(written)
    village_as_code = pl.when(pl.col("village").is_in(list(codes))).then(pl.col("village"))
    return work.with_columns(
        pl.coalesce([written_code, village_as_code, pl.col("_by_town"), pl.col("_by_name")]).alias("village_code")
    ).drop("_short", "_town", "_by_town", "_by_name", "_village_code")


def match_register(listed: pl.DataFrame, register: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a list into the persons the register holds (with their register values, suffixed _old) and the rest.

    The found persons lack row_number, township and village; the rest keep every column of the list.
    """
    old = register.rename({c: f"{c}_old" for c in register.columns if c not in ("id_type", "id_number")})
    key = ["id_type", "id_number"]
    # An inner and an anti join rather than one left join split in two: a large list is not held twice. The found
    # persons leave behind what only placing a new person or reporting a row needs (row, township and village).
    kept = [c for c in listed.columns if c not in ("row_number", "township", "village")]
    found = listed.select(kept).join(old, on=key, how="inner", maintain_order="left")
    missing = listed.join(old.select(key), on=key, how="anti", maintain_order="left")
    return found, missing


def identity_changes(found: pl.DataFrame) -> pl.DataFrame:
    """Take the authority's values where it gives one and they differ; add `changed` (the fields) per person.

    Returns one row per person with a change: person_id, every compared field's new value, batch_old, changed
    (List[String]) and sealed (Boolean: a sealed column changed).
    """
    flags = []
    for field in COMPARED_FIELDS:
        new = pl.col(field) if field in found.columns else pl.lit(None)
        old = pl.col(f"{field}_old")
        flags.append((new.is_not_null() & (old.is_null() | (new != old))).fill_null(False).alias(f"_c_{field}"))
    # Most persons of a list are unchanged: find the changed ones with plain flags first, and build the values and
    # the list of changed fields for those few only.
    work = found.with_columns(flags).filter(pl.any_horizontal([pl.col(f"_c_{f}") for f in COMPARED_FIELDS]))
    work = work.with_columns(
        [
            pl.coalesce([pl.col(f) if f in found.columns else pl.lit(None), pl.col(f"{f}_old")]).alias(f)
            for f in COMPARED_FIELDS
        ]
    )
    changed = pl.concat_list(
        [pl.when(pl.col(f"_c_{f}")).then(pl.lit(f)).otherwise(pl.lit(None)) for f in COMPARED_FIELDS]
    ).list.drop_nulls()
    work = work.with_columns(changed.alias("changed"))
    return work.select(
        pl.col("person_id_old").alias("person_id"),
        *COMPARED_FIELDS,
        pl.col("batch_old").alias("batch"),
        "changed",
        pl.any_horizontal([pl.col(f"_c_{f}") for f in SEALED_FIELDS]).alias("sealed"),
    )


def person_rows(
    new: pl.DataFrame,
    *,
    source: str,
    batch: str,
    household_id: pl.Expr | None = None,
    status: pl.Expr | None = None,
    status_date: pl.Expr | None = None,
) -> pl.DataFrame:
    """Shape the persons to create as rows of the register, by ID number, text cut to the columns' widths.

    Without ``household_id``, ``status`` or ``status_date`` a person has no household, is active, and has no date.
    """
    return new.sort("id_number").select(
        "id_type",
        "id_number",
        pl.col("name").str.slice(0, 80),
        pl.col("name").str.slice(0, 80).alias("name_original"),
        pl.col("sex").fill_null(""),
        "birth_date",
        pl.col("phone").fill_null("").str.slice(0, 20),
        (pl.lit(None, dtype=pl.Int64) if household_id is None else household_id).alias("household_id"),
        pl.col("relation").fill_null("").str.slice(0, 20),
        pl.col("village_code").str.slice(0, 9).alias("township_code"),
        "village_code",
        (pl.lit("active") if status is None else status).alias("status"),
        (pl.lit(None, dtype=pl.Date) if status_date is None else status_date).alias("status_date"),
        pl.lit(source).alias("source"),
        pl.lit(batch).alias("batch"),
    )


def fact_rows(changes: pl.DataFrame) -> pl.DataFrame:
    """One row per person and changed field with the new value as text (for PersonFact)."""
    as_text = changes.select("person_id", "changed", *[pl.col(f).cast(pl.String).alias(f) for f in COMPARED_FIELDS])
    long = as_text.explode("changed").rename({"changed": "field"})
    value = pl.coalesce([pl.when(pl.col("field") == f).then(pl.col(f)) for f in COMPARED_FIELDS] + [pl.lit("")])
    return long.select("person_id", pl.col("field").str.replace("household_id", "household"), value.alias("value"))


def category_rows(found: pl.DataFrame, *, fallback: str) -> pl.DataFrame:
    """The (person, category, detail) a list puts a person in: the row's category, else the dataset's."""
    return found.select(
        pl.col("person_id_old").alias("person_id"),
        pl.coalesce([pl.col("category"), pl.lit(fallback)]).str.slice(0, 40).alias("category"),
        pl.col("detail").fill_null("").str.slice(0, 100).alias("detail"),
    ).unique(["person_id", "category"], keep="first", maintain_order=True)


def category_delta(current: pl.DataFrame, listed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Compare the open categories of a provider's list with its new version: (ids to close, rows to open)."""
    key = ["person_id", "category", "detail"]
    close = current.join(listed, on=key, how="anti").select("id")
    open_ = listed.join(current.select(key), on=key, how="anti")
    return close, open_
