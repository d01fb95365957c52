"""Read the People's Bank treasury statement into a frame of lines, each accepted, repaired or rejected (Art 36).

The layout (csv in UTF-8, UTF-8 with BOM or GBK; or xlsx/xls), one header row, a title above it allowed, columns
in any order, headers matched tolerantly (full-width brackets, spaces, the names below):

============  =====================================================================  ==========================
header        meaning                                                                also read as
============  =====================================================================  ==========================
电子税票号    the e-tax voucher number the receipt was entered under                 税票号码, 税票号, 凭证号
入库日期      the day the treasury entered it: ``2026-10-09`` (also 2026/10/9,        入库时间, 国库入库日期
              20261009, 2026年10月9日, 2026.10.09, or an Excel date)
金额(元)      yuan with at most two decimals; negative for 退库 (refund out of the    金额, 入库金额, 实缴金额
              treasury); ¥, 元, thousands commas and full-width digits are repaired
险种          城乡居民基本医疗保险 / 城乡居民基本养老保险 (医疗, 医保, 390 → medical;  费种, 险种名称, 征收品目
              养老, 170 → pension)
收款国库/账户 the receiving treasury or account (optional)                           收款国库, 收款账户, 账户
退库标志      是 / 否 (also Y/N, 1/0, 退库/入库); 是 makes the amount negative        是否退库, 收退标志
              (optional)
============  =====================================================================  ==========================

Each line ends ``accepted`` (as written), ``repaired`` (usable after a repair, with the reason) or ``rejected``
(with the reason; not matched). Rejected: no voucher, an amount that cannot be read or has more than two decimals
or is nil, a date that cannot be read or is outside the statement's month, an insurance type that is not one of
the two, an unknown 退库标志, or a line repeating an earlier one (same voucher, date and amount). Frame in, frame out;
no Python loop over the lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import polars as pl

from liangxian.batch.readers import ColumnSpec

COLUMNS: Final = (
    ColumnSpec(
        "voucher", "电子税票号", ("电子税票号码", "税票号码", "税票号", "凭证号", "税收缴款书号"), required=True
    ),
    ColumnSpec("entry_date", "入库日期", ("入库时间", "国库入库日期", "日期"), required=True, type="date"),
    ColumnSpec("amount", "金额(元)", ("金额", "入库金额", "实缴金额", "金额（元）"), required=True),
    ColumnSpec("insurance", "险种", ("费种", "险种名称", "征收品目"), required=True),
    ColumnSpec("account", "收款国库/账户", ("收款国库", "收款账户", "账户", "收款国库账户")),
    ColumnSpec("reversal", "退库标志", ("是否退库", "收退标志", "退库")),
)
TEMPLATE_HEADERS: Final = tuple(spec.label for spec in COLUMNS)

INSURANCE_ZH: Final = {"medical": "城乡居民基本医疗保险", "pension": "城乡居民基本养老保险"}

LINE_SCHEMA: Final[dict[str, Any]] = {
    "row": pl.Int64,
    "voucher": pl.String,
    "entry_date": pl.Date,
    "amount_fen": pl.Int64,
    "insurance": pl.String,
    "account": pl.String,
    "outcome": pl.String,
    "reason": pl.String,
    "original": pl.String,
}

# The reasons a clerk reads, in Chinese (a rejected line gives the first that applies; repairs are all listed).
R_NO_VOUCHER: Final = "缺少电子税票号"
R_BAD_AMOUNT: Final = "金额无法识别"
R_PRECISE_AMOUNT: Final = "金额超过两位小数（精确到分）"
R_ZERO_AMOUNT: Final = "金额为零"
R_BAD_DATE: Final = "入库日期无法识别"
R_OUT_OF_MONTH: Final = "入库日期不在对账月份 {month} 内"
R_BAD_INSURANCE: Final = "险种无法识别（应为城乡居民基本医疗保险或城乡居民基本养老保险）"
R_BAD_FLAG: Final = "退库标志无法识别（应为“是”或“否”）"
R_DUPLICATE: Final = "与第 {row} 行重复（税票号、日期、金额相同），未计入"
F_VOUCHER: Final = "税票号去掉空格并转为半角"
F_AMOUNT: Final = "金额去掉货币符号、千分位或全角字符"
F_DATE: Final = "入库日期规范为 YYYY-MM-DD"
F_INSURANCE: Final = "险种“{value}”按{label}计"
F_NEGATIVE: Final = "金额为负但未标退库，按退库计"

_FULLWIDTH_FROM: Final = [chr(0xFF10 + d) for d in range(10)] + ["．", "，", "－", "＋", "。"]
_FULLWIDTH_TO: Final = [str(d) for d in range(10)] + [".", ",", "-", "+", "."]
_DATE_FORMATS: Final = ("%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d")
_YES: Final = ("是", "y", "yes", "1", "退库", "true", "退")
_NO: Final = ("否", "n", "no", "0", "入库", "false", "收", "")


def _halfwidth(text: pl.Expr) -> pl.Expr:
    return text.str.replace_many(_FULLWIDTH_FROM, _FULLWIDTH_TO)


def amount_fen(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Read yuan text exactly into fen: (fen or null, repaired?, too precise?). Never through a float."""
    plain = text.str.strip_chars()
    base = _halfwidth(plain).str.replace_all(r"[\s¥￥]|RMB|CNY|人民币|元整|元", "").str.replace(r"^\+", "")
    grouped = base.str.contains(r"^-?\d{1,3}(,\d{3})+(\.\d*)?$")
    cleaned = pl.when(grouped).then(base.str.replace_all(",", "")).otherwise(base)
    ok = cleaned.str.contains(r"^-?\d{1,13}(\.\d{0,2})?$")
    precise = cleaned.str.contains(r"^-?\d{1,13}\.\d{3,}$")
    whole = cleaned.str.extract(r"^-?(\d+)", 1).cast(pl.Int64, strict=False)
    cents = cleaned.str.extract(r"\.(\d{1,2})$", 1).fill_null("0").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    sign = pl.when(cleaned.str.starts_with("-")).then(-1).otherwise(1)
    fen = pl.when(ok).then(sign * (whole * 100 + cents)).otherwise(pl.lit(None, dtype=pl.Int64))
    repaired = ok & (cleaned != plain)
    return fen, repaired.fill_null(False), precise.fill_null(False)


def _insurance(text: pl.Expr) -> pl.Expr:
    folded = _halfwidth(text.str.strip_chars()).str.to_lowercase()
    return (
        # The employees' schemes (职工, code 310) are not the residents' insurances this county collects.
        pl.when(folded.str.contains("职工") | (folded == "310"))
        .then(pl.lit(None, dtype=pl.String))
        .when(folded.is_in(["medical", "390"]) | folded.str.contains("居民.*医|医疗|医保"))
        .then(pl.lit("medical"))
        .when(folded.is_in(["pension", "170"]) | folded.str.contains("养老"))
        .then(pl.lit("pension"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _joined(parts: list[pl.Expr]) -> pl.Expr:
    """Join the non-null reasons with "；" ("" when none)."""
    return (
        pl.concat_list([p.fill_null("") for p in parts])
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.join("；")
    )


def classify_lines(frame: pl.DataFrame, month: str) -> pl.DataFrame:
    """Classify the statement's text lines (``read_table``'s frame) into :data:`LINE_SCHEMA`, one row per line."""
    year, mon = (int(part) for part in month.split("-"))
    first = dt.date(year, mon, 1)
    after = dt.date(year + mon // 12, mon % 12 + 1, 1)
    for key in ("account", "reversal"):
        if key not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(key))

    voucher_raw = pl.col("voucher").fill_null("")
    voucher = _halfwidth(voucher_raw).str.replace_all(r"\s", "").str.to_uppercase()
    voucher_repaired = (voucher != voucher_raw.str.strip_chars()) & (voucher != "")

    fen, amount_repaired, precise = amount_fen(pl.col("amount").fill_null(""))

    date_text = _halfwidth(pl.col("entry_date").fill_null("")).str.strip_chars()
    iso = date_text.str.to_date("%Y-%m-%d", strict=False)
    other = pl.coalesce([date_text.str.to_date(f, strict=False) for f in _DATE_FORMATS])
    entry_date = pl.coalesce([iso, other])
    date_repaired = iso.is_null() & other.is_not_null() | (
        iso.is_not_null() & ~date_text.str.contains(r"^\d{4}-\d{2}-\d{2}$")
    )

    insurance = _insurance(pl.col("insurance").fill_null(""))
    insurance_plain = pl.col("insurance").fill_null("").str.strip_chars()
    insurance_repaired = insurance.is_not_null() & ~insurance_plain.is_in(
        ["medical", "pension", *INSURANCE_ZH.values()]
    )

    flag = pl.col("reversal").fill_null("").str.strip_chars().str.to_lowercase()
    flag_yes = flag.is_in(list(_YES))
    flag_known = flag_yes | flag.is_in(list(_NO))

    shaped = frame.with_columns(
        voucher.alias("_voucher"),
        voucher_repaired.alias("_voucher_repaired"),
        fen.alias("_fen"),
        amount_repaired.alias("_amount_repaired"),
        precise.alias("_precise"),
        entry_date.alias("_date"),
        date_repaired.fill_null(False).alias("_date_repaired"),
        insurance.alias("_insurance"),
        insurance_repaired.fill_null(False).alias("_insurance_repaired"),
        flag_yes.alias("_flag_yes"),
        flag_known.alias("_flag_known"),
    )
    signed = pl.when(pl.col("_flag_yes")).then(-pl.col("_fen").abs()).otherwise(pl.col("_fen"))
    shaped = shaped.with_columns(
        signed.alias("_signed"),
        ((pl.col("_fen") < 0) & ~pl.col("_flag_yes") & (flag != "")).fill_null(False).alias("_negative_unflagged"),
    )
    reject = (
        pl.when(pl.col("_voucher") == "")
        .then(pl.lit(R_NO_VOUCHER))
        .when(pl.col("_precise"))
        .then(pl.lit(R_PRECISE_AMOUNT))
        .when(pl.col("_fen").is_null())
        .then(pl.lit(R_BAD_AMOUNT))
        .when(pl.col("_fen") == 0)
        .then(pl.lit(R_ZERO_AMOUNT))
        .when(pl.col("_date").is_null())
        .then(pl.lit(R_BAD_DATE))
        .when((pl.col("_date") < first) | (pl.col("_date") >= after))
        .then(pl.lit(R_OUT_OF_MONTH.format(month=month)))
        .when(pl.col("_insurance").is_null())
        .then(pl.lit(R_BAD_INSURANCE))
        .when(~pl.col("_flag_known"))
        .then(pl.lit(R_BAD_FLAG))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    shaped = shaped.with_columns(reject.alias("_reject"))
    # A line repeating an earlier usable one (same voucher, date and amount) is the same receipt listed twice.
    same_line = ["_voucher", "_date", "_signed"]
    usable = pl.col("_reject").is_null()
    shaped = shaped.with_columns(
        pl.when(usable).then(pl.col("__row").min().over([*same_line, usable])).alias("_first_row"),
    )
    shaped = shaped.with_columns(
        pl.when(usable & (pl.col("_first_row") < pl.col("__row")))
        .then(pl.format(R_DUPLICATE.replace("{row}", "{}"), pl.col("_first_row")))
        .otherwise(pl.col("_reject"))
        .alias("_reject")
    )
    insurance_note = pl.format(
        F_INSURANCE.replace("{value}", "{}").replace("{label}", "{}"),
        insurance_plain,
        pl.col("_insurance").replace_strict(INSURANCE_ZH, default=""),
    )
    repairs = _joined(
        [
            pl.when(pl.col("_voucher_repaired")).then(pl.lit(F_VOUCHER)),
            pl.when(pl.col("_amount_repaired")).then(pl.lit(F_AMOUNT)),
            pl.when(pl.col("_date_repaired")).then(pl.lit(F_DATE)),
            pl.when(pl.col("_insurance_repaired")).then(insurance_note),
            pl.when(pl.col("_negative_unflagged")).then(pl.lit(F_NEGATIVE)),
        ]
    )
    rejected = pl.col("_reject").is_not_null()
    outcome = pl.when(rejected).then(pl.lit("rejected")).when(repairs != "").then(pl.lit("repaired"))
    out = shaped.with_columns(repairs.alias("_repairs")).select(
        pl.col("__row").cast(pl.Int64).alias("row"),
        pl.col("_voucher").str.slice(0, 40).alias("voucher"),
        pl.when(rejected).then(None).otherwise(pl.col("_date")).alias("entry_date"),
        pl.when(rejected).then(None).otherwise(pl.col("_signed")).alias("amount_fen"),
        pl.col("_insurance").fill_null("").alias("insurance"),
        pl.col("account").fill_null("").str.slice(0, 80).alias("account"),
        outcome.otherwise(pl.lit("accepted")).alias("outcome"),
        pl.when(rejected).then(pl.col("_reject")).otherwise(pl.col("_repairs")).str.slice(0, 300).alias("reason"),
        pl.col("__original").cast(pl.String).fill_null("").alias("original"),
    )
    return out.cast(LINE_SCHEMA)  # type: ignore[arg-type]
