"""The entitlement file's layout and checks, and the white list computed from frames (Art 37): no ORM, no I/O.

``classify_rows`` turns the text cells of a bureau's file into records, each row accepted, repaired (with the
reason) or rejected (with the reason), in vectorised expressions. ``whitelist_compute`` joins what was paid with
what was recorded, in Polars, and names each listed person's cause.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Final

import polars as pl

from liangxian.batch.frames import classify_ids, classify_names
from liangxian.batch.readers import ColumnSpec
from liangxian.core.idnumbers import MESSAGES as ID_MESSAGES
from liangxian.core.names import MESSAGES as NAME_MESSAGES

COLUMNS: Final = (
    ColumnSpec(
        "id_number",
        "身份证号码",
        ("身份证号", "公民身份号码", "证件号码", "身份号码", "社会保障号码", "社会保障号"),
        required=True,
        type="id_number",
    ),
    ColumnSpec("name", "姓名", ("参保人姓名", "参保人", "名字"), required=True, type="name"),
    ColumnSpec("insurance", "险种", ("险种名称", "险种类型", "参保险种", "险种代码"), required=True),
    ColumnSpec(
        "coverage_year", "缴费年度", ("参保年度", "待遇年度", "所属年度", "费款所属年度", "年度"), required=True
    ),
    ColumnSpec(
        "record_date", "权益记录日期", ("记录日期", "权益日期", "记账日期", "权益记账日期"), required=True, type="date"
    ),
    ColumnSpec("amount", "记账金额(元)", ("记账金额", "金额", "记账金额元", "个人账户记账金额")),
)
LABELS: Final = {c.key: c.label for c in COLUMNS}

# What a bureau writes in the 险种 column: the national codes (SPEC 11) and the names in use.
INSURANCE_CODES: Final = {"390": "medical", "170": "pension"}
INSURANCE_WORDS: Final = (("医", "medical"), ("养老", "pension"))
INSURANCE_NAMES: Final = {"medical": "城乡居民基本医疗保险", "pension": "城乡居民基本养老保险"}
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2099

MESSAGES: Final = {
    "insurance_empty": "险种为空，已按报送部门补为{insurance}",
    "insurance_unknown": "险种无法识别（可填“城乡居民基本医疗保险”“城乡居民基本养老保险”或代码 390、170）",
    "insurance_other": "本部门只能报送{insurance}的权益记录",
    "year_empty": "缴费年度为空",
    "year_repaired": "缴费年度已统一为四位年份",
    "year_invalid": "缴费年度无法识别（应为四位年份，如 2027）",
    "date_empty": "权益记录日期为空",
    "date_repaired": "权益记录日期格式已统一",
    "date_serial": "权益记录日期为 Excel 日期序号，已转换",
    "date_invalid": "权益记录日期无法识别（应为 2027-01-05 这样的日期）",
    "date_future": "权益记录日期晚于今天",
    "date_too_early": "权益记录日期早于 2000 年",
    "amount_invalid": "记账金额无法识别，已留空",
    "amount_negative": "记账金额为负数，已留空",
    "duplicate": "与第 {row} 行重复（同一身份证号码、险种、缴费年度）",
}
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_SEP: Final = "；"


def _msg(code: str, **values: object) -> str:
    return MESSAGES[code].format(**values)


def _id_reason(code: pl.Expr) -> pl.Expr:
    return code.replace_strict(list(ID_MESSAGES), list(ID_MESSAGES.values()), default=code, return_dtype=pl.String)


def _name_reason(code: pl.Expr) -> pl.Expr:
    return code.replace_strict(list(NAME_MESSAGES), list(NAME_MESSAGES.values()), default=code, return_dtype=pl.String)


def _insurance(text: pl.Expr) -> pl.Expr:
    """Return medical, pension or null for what the 险种 cell says."""
    cleaned = text.str.replace_all(r"\s+", "")
    by_code = cleaned.replace_strict(list(INSURANCE_CODES), list(INSURANCE_CODES.values()), default=None)
    by_word = pl.lit(None, dtype=pl.String)
    for word, value in reversed(INSURANCE_WORDS):
        by_word = pl.when(cleaned.str.contains(word, literal=True)).then(pl.lit(value)).otherwise(by_word)
    by_key = pl.when(cleaned.str.to_lowercase().is_in(["medical", "pension"])).then(cleaned.str.to_lowercase())
    # Employees' medical insurance (310) is not a residents' insurance: it matches nothing here.
    return pl.coalesce(by_code, pl.when(cleaned != "310").then(by_word), by_key)


def _fen(text: pl.Expr) -> pl.Expr:
    """Return yuan text ("400", "¥1,200.50", "400元") as integer fen, exactly; null when it is not an amount."""
    cleaned = text.str.replace_all(r"[\s,，¥￥]|元$|RMB|CNY", "")
    ok = cleaned.str.contains(r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$")
    whole = cleaned.str.extract(r"^-?([0-9]+)", 1).cast(pl.Int64, strict=False)
    cents = cleaned.str.extract(r"\.([0-9]{1,2})$", 1).fill_null("0").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    sign = pl.when(cleaned.str.starts_with("-")).then(-1).otherwise(1)
    return pl.when(ok).then(sign * (whole * 100 + cents)).otherwise(pl.lit(None, dtype=pl.Int64))


def classify_rows(
    frame: pl.DataFrame, *, insurance: str, today: date, known_areas: Collection[str] | None = None
) -> pl.DataFrame:
    """Check each row of an entitlement file sent by the bureau of ``insurance``; return records and reasons.

    The frame holds ``__row`` and the text columns of :data:`COLUMNS` (``amount`` may be missing). Returns the
    same rows with ``id_value``, ``name_value``, ``insurance_value``, ``year_value``, ``date_value``,
    ``amount_fen``, ``outcome``, ``reasons`` (Chinese, joined) and ``problem_column``.
    """
    if "amount" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("amount"))
    numeric = "id_number__numeric" if "id_number__numeric" in frame.columns else None
    frame = classify_ids(frame, "id_number", numeric_column=numeric, today=today, known_areas=known_areas)
    frame = classify_names(frame, "name")
    own_name = INSURANCE_NAMES[insurance]
    other = "pension" if insurance == "medical" else "medical"

    ins_text = pl.col("insurance").fill_null("").str.strip_chars()
    ins_read = _insurance(ins_text)
    year_text = pl.col("coverage_year").fill_null("").str.strip_chars()
    year_digits = year_text.str.extract(r"^([0-9]{4})(?:\.0+|年度?|年)?$", 1)
    date_text = pl.col("record_date").fill_null("").str.strip_chars()
    serial = date_text.str.extract(r"^([0-9]{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    amount_text = pl.col("amount").fill_null("").str.strip_chars()
    frame = frame.with_columns(
        ins_read.alias("__ins"),
        year_digits.cast(pl.Int32, strict=False).alias("__year"),
        pl.coalesce(
            date_text.str.to_date("%Y-%m-%d", strict=False),
            date_text.str.to_date("%Y/%m/%d", strict=False),
            date_text.str.to_date("%Y.%m.%d", strict=False),
            date_text.str.to_date("%Y%m%d", strict=False),
            date_text.str.to_date("%Y年%m月%d日", strict=False),
            date_text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        ).alias("__date_text"),
        (pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial)).cast(pl.Date).alias("__date_serial"),
        _fen(amount_text).alias("__amount"),
    )
    ins, year = pl.col("__ins"), pl.col("__year")
    the_date = pl.coalesce(pl.col("__date_text"), pl.col("__date_serial"))
    canonical_date = date_text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    frame = frame.with_columns(the_date.alias("__date"))
    when_date = pl.col("__date")

    def code_list(items: list[tuple[pl.Expr, pl.Expr | str, str]]) -> tuple[pl.Expr, pl.Expr]:
        texts = [pl.when(cond).then(text if isinstance(text, pl.Expr) else pl.lit(text)) for cond, text, _ in items]
        columns = [pl.when(cond).then(pl.lit(LABELS[column])) for cond, _, column in items]
        return (
            pl.concat_str(texts, separator=_SEP, ignore_nulls=True),
            pl.coalesce(columns),
        )

    id_rejected = pl.col("id_number__outcome") == "rejected"
    name_rejected = pl.col("name__outcome") == "rejected"
    id_codes = pl.col("id_number__codes").list.eval(_id_reason(pl.element())).list.join("、")
    name_codes = pl.col("name__codes").list.eval(_name_reason(pl.element())).list.join("、")
    rejections: list[tuple[pl.Expr, pl.Expr | str, str]] = [
        (id_rejected, pl.lit("身份证号码：") + id_codes, "id_number"),
        (name_rejected, pl.lit("姓名：") + name_codes, "name"),
        ((ins_text != "") & ins.is_null(), _msg("insurance_unknown"), "insurance"),
        (ins == other, _msg("insurance_other", insurance=own_name), "insurance"),
        (year_text == "", _msg("year_empty"), "coverage_year"),
        (
            (year_text != "") & (year.is_null() | ~year.is_between(FIRST_YEAR, LAST_YEAR)),
            _msg("year_invalid"),
            "coverage_year",
        ),
        (date_text == "", _msg("date_empty"), "record_date"),
        ((date_text != "") & when_date.is_null(), _msg("date_invalid"), "record_date"),
        (when_date > pl.lit(today), _msg("date_future"), "record_date"),
        (when_date < pl.lit(date(FIRST_YEAR, 1, 1)), _msg("date_too_early"), "record_date"),
    ]
    repairs: list[tuple[pl.Expr, pl.Expr | str, str]] = [
        (pl.col("id_number__outcome") == "repaired", pl.lit("身份证号码：") + id_codes, "id_number"),
        (pl.col("name__outcome") == "repaired", pl.lit("姓名：") + name_codes, "name"),
        (ins_text == "", _msg("insurance_empty", insurance=own_name), "insurance"),
        (year.is_not_null() & (year_text != year.cast(pl.String)), _msg("year_repaired"), "coverage_year"),
        (pl.col("__date_text").is_not_null() & ~canonical_date, _msg("date_repaired"), "record_date"),
        (pl.col("__date_text").is_null() & pl.col("__date_serial").is_not_null(), _msg("date_serial"), "record_date"),
        ((amount_text != "") & pl.col("__amount").is_null(), _msg("amount_invalid"), "amount"),
        (pl.col("__amount") < 0, _msg("amount_negative"), "amount"),
    ]
    rejected_text, rejected_column = code_list(rejections)
    repaired_text, repaired_column = code_list(repairs)
    frame = frame.with_columns(
        rejected_text.alias("__rejected"),
        repaired_text.alias("__repaired"),
        rejected_column.alias("__rejected_column"),
        repaired_column.alias("__repaired_column"),
    )
    frame = frame.with_columns(
        pl.col("id_number__value").alias("id_value"),
        pl.col("name__value").alias("name_value"),
        pl.coalesce(ins, pl.when(ins_text == "").then(pl.lit(insurance))).alias("insurance_value"),
        year.alias("year_value"),
        when_date.alias("date_value"),
        pl.when(pl.col("__amount") >= 0).then(pl.col("__amount")).alias("amount_fen"),
    )
    # A second row of the same person, insurance and year in the file says nothing new: it is not used.
    usable = pl.col("__rejected") == ""
    first_row = pl.col("__row").min().over(["insurance_value", "id_value", "year_value"])
    frame = frame.with_columns(
        pl.when(usable).then(first_row).alias("__first"),
    )
    duplicate = usable & (pl.col("__first") != pl.col("__row"))
    frame = frame.with_columns(
        pl.when(duplicate)
        .then(pl.lit("与第 ") + pl.col("__first").cast(pl.String) + pl.lit(" 行重复（同一身份证号码、险种、缴费年度）"))
        .otherwise(pl.col("__rejected"))
        .alias("__rejected"),
        pl.when(duplicate)
        .then(pl.lit(LABELS["id_number"]))
        .otherwise(pl.col("__rejected_column"))
        .alias("__rejected_column"),
    )
    rejected = pl.col("__rejected") != ""
    return frame.with_columns(
        pl.when(rejected)
        .then(pl.lit("rejected"))
        .when(pl.col("__repaired") != "")
        .then(pl.lit("repaired"))
        .otherwise(pl.lit("accepted"))
        .alias("outcome"),
        pl.when(rejected).then(pl.col("__rejected")).otherwise(pl.col("__repaired")).alias("reasons"),
        pl.when(rejected)
        .then(pl.col("__rejected_column"))
        .otherwise(pl.col("__repaired_column"))
        .fill_null("")
        .alias("problem_column"),
    )


# --- the white list -----------------------------------------------------------------------------------------

PAID_SCHEMA: Final = {
    "id_number": pl.String,
    "person_id": pl.Int64,
    "name": pl.String,
    "insurance": pl.String,
    "coverage_year": pl.Int64,
    "net_paid_fen": pl.Int64,
    "first_paid_at": pl.Datetime("us", "UTC"),
    "last_paid_at": pl.Datetime("us", "UTC"),
    "township_code": pl.String,
    "village_code": pl.String,
}


def paid_by_person(payments: pl.DataFrame) -> pl.DataFrame:
    """Sum the payments per ID number, insurance and coverage year: net of refunds and reversals.

    ``payments`` holds ``id_number``, ``person_id``, ``name``, ``insurance``, ``coverage_year``, ``kind``,
    ``total_fen`` (own and 代缴 parts, negative for a refund or reversal), ``paid_at``, ``township_code``,
    ``village_code``.
    """
    positive = pl.col("kind") == "payment"
    return (
        payments.group_by(["id_number", "insurance", "coverage_year"])
        .agg(
            pl.col("person_id").drop_nulls().first().alias("person_id"),
            pl.col("name").filter(pl.col("name") != "").last().alias("name"),
            pl.col("total_fen").sum().alias("net_paid_fen"),
            pl.col("paid_at").filter(positive).min().alias("first_paid_at"),
            pl.col("paid_at").filter(positive).max().alias("last_paid_at"),
            pl.col("township_code").filter(pl.col("township_code") != "").first().alias("township_code"),
            pl.col("village_code").filter(pl.col("village_code") != "").first().alias("village_code"),
        )
        .with_columns(
            pl.col("name").fill_null(""),
            pl.col("township_code").fill_null(""),
            pl.col("village_code").fill_null(""),
        )
        .select(list(PAID_SCHEMA))
    )


def _hamming(a: pl.Expr, b: pl.Expr, width: int = 18) -> pl.Expr:
    """Count the positions where two ID numbers differ (a longer or shorter one counts each missing place)."""
    diff = [(a.str.slice(i, 1).fill_null("") != b.str.slice(i, 1).fill_null("")).cast(pl.Int32) for i in range(width)]
    return pl.sum_horizontal(diff) + (a.str.len_chars() - b.str.len_chars()).abs().cast(pl.Int32)


def whitelist_compute(
    paid: pl.DataFrame,
    entitlements: pl.DataFrame,
    *,
    rejected_rows: pl.DataFrame,
    pending_refunds: pl.DataFrame,
    latest_dates: dict[str, date],
    tz: str = "Asia/Shanghai",
) -> pl.DataFrame:
    """Return who belongs on the white list now, with the cause the data shows (Art 37).

    ``paid``: :func:`paid_by_person`. ``entitlements``: ``id_number``, ``name``, ``insurance``, ``coverage_year``.
    ``rejected_rows``: rows of the bureaus' files that could not be recorded, same columns (their ID as written).
    ``pending_refunds``: ``id_number``, ``insurance``, ``coverage_year`` with a refund asked and not carried out.
    ``latest_dates``: per insurance, the latest 权益记录日期 the bureau has sent; a payment on that day or later is
    taken as not yet processed (a record date says nothing of the hour).
    A person is listed when he paid (net > 0) and no entitlement is recorded under his ID number for that
    insurance and year. Causes, first that applies: ``id_mistyped`` (an entitlement or a rejected row for the same
    name, insurance and year under another ID number nobody paid under), ``refund_pending``, ``not_processed``
    (paid on or after the bureau's latest record date, or the bureau sent nothing yet), else ``investigate``.
    """
    key = ["id_number", "insurance", "coverage_year"]
    recorded = entitlements.select(key).unique()
    listed = paid.filter(pl.col("net_paid_fen") > 0).join(recorded, on=key, how="anti")

    # Entitlements nobody paid under: the other half of a mistyped ID.
    orphans = pl.concat(
        [
            entitlements.join(paid.filter(pl.col("net_paid_fen") > 0).select(key), on=key, how="anti").select(
                "id_number", "name", "insurance", "coverage_year"
            ),
            rejected_rows.select("id_number", "name", "insurance", "coverage_year"),
        ]
    ).filter(pl.col("name") != "")
    mistyped = (
        listed.select(*key, "name")
        .join(orphans.rename({"id_number": "other_id"}), on=["name", "insurance", "coverage_year"], how="inner")
        .filter(pl.col("other_id") != pl.col("id_number"))
        .with_columns(_hamming(pl.col("id_number"), pl.col("other_id")).alias("distance"))
        .sort(["distance", "other_id"])
        .group_by(key, maintain_order=True)
        .agg(pl.col("other_id").first().alias("cause_id_number"))
    )
    refunds = pending_refunds.select(key).unique().with_columns(pl.lit(True).alias("refund_pending"))
    latest = pl.DataFrame(
        {"insurance": list(latest_dates), "latest_record_date": list(latest_dates.values())},
        schema={"insurance": pl.String, "latest_record_date": pl.Date},
    )
    paid_day = pl.col("last_paid_at").dt.convert_time_zone(tz).dt.date()  # the county's day
    out = (
        listed.join(mistyped, on=key, how="left")
        .join(refunds, on=key, how="left")
        .join(latest, on="insurance", how="left")
        .with_columns(
            pl.when(pl.col("cause_id_number").is_not_null())
            .then(pl.lit("id_mistyped"))
            .when(pl.col("refund_pending").fill_null(False))
            .then(pl.lit("refund_pending"))
            .when(pl.col("latest_record_date").is_null() | (paid_day >= pl.col("latest_record_date")))
            .then(pl.lit("not_processed"))
            .otherwise(pl.lit("investigate"))
            .alias("cause"),
            pl.col("cause_id_number").fill_null(""),
        )
    )
    return out.select(*PAID_SCHEMA, "cause", "cause_id_number")
