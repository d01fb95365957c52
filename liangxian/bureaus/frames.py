"""Vectorised transforms for the bureaus' reports and the daily detail: frame in, frame out (Art 36-37).

Money is integer fen throughout; amounts read from files are parsed from their text, never through a float.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl

from liangxian.batch.readers import ColumnSpec

# --- the report file ---------------------------------------------------------------------------------------

REPORT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("insurance", "险种", synonyms=("险种名称", "保险类型", "险种类型")),
    ColumnSpec("township", "乡镇", synonyms=("乡镇（街道）", "乡镇名称", "乡镇代码", "乡（镇）", "所属乡镇")),
    ColumnSpec("persons", "入账人数", synonyms=("人数", "缴费人数", "到账人数"), required=True),
    ColumnSpec("amount", "入账金额（元）", synonyms=("入账金额", "金额", "缴费金额", "到账金额"), required=True),
    ColumnSpec("refund_persons", "退费人数", synonyms=("退费人次",)),
    ColumnSpec("refund_amount", "退费金额（元）", synonyms=("退费金额",)),
)
REPORT_HEADERS = [c.label for c in REPORT_COLUMNS]

# What a clerk writes in the 险种 column, folded to the insurance type.
INSURANCE_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ["医保", "居民医保", "医疗保险", "城乡居民医保", "城乡居民基本医疗保险", "城乡居民医疗保险", "390", "medical"],
        "medical",
    ),
    **dict.fromkeys(
        ["养老", "居民养老", "养老保险", "城乡居民养老", "城乡居民基本养老保险", "城乡居民养老保险", "170", "pension"],
        "pension",
    ),
}
INSURANCE_LABELS = {"medical": "城乡居民基本医疗保险", "pension": "城乡居民基本养老保险"}
TOTAL_WORDS = ["合计", "总计", "全县", "全县合计", "小计"]
_DIGITS = r"^[0-9]+$"
_MONEY = r"^-?[0-9]+(\.[0-9]{1,2})?$"


def _clean_number(col: str) -> tuple[pl.Expr, pl.Expr]:
    """Return the cell with thousands separators, units and spaces removed, and whether anything was removed."""
    raw = pl.col(col).str.strip_chars()
    cleaned = raw.str.replace_all(r"[,，\s人次元¥￥]", "")
    return cleaned, cleaned != raw


def fen_of(text: pl.Expr) -> pl.Expr:
    """Convert a checked yuan text (``-?digits(.d{1,2})?``) to integer fen without a float."""
    negative = text.str.starts_with("-")
    body = text.str.strip_chars_start("-")
    whole = body.str.split(".").list.get(0).cast(pl.Int64)
    frac = body.str.split(".").list.get(1, null_on_oob=True).fill_null("").str.pad_end(2, "0").cast(pl.Int64)
    fen = whole * 100 + frac
    return pl.when(negative).then(-fen).otherwise(fen)


def _reason(*parts: tuple[pl.Expr, pl.Expr | str]) -> pl.Expr:
    """Join the reasons whose condition holds with "；"; null when none does."""
    exprs = [
        pl.when(cond.fill_null(False)).then(msg if isinstance(msg, pl.Expr) else pl.lit(msg)).otherwise(None)
        for cond, msg in parts
    ]
    joined = pl.concat_str(exprs, separator="；", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def report_clean(
    frame: pl.DataFrame, *, insurance: str, townships: Mapping[str, str], insurance_label: str
) -> pl.DataFrame:
    """Classify each report row: accepted, repaired (with reasons) or rejected (with reasons), in Chinese.

    ``frame`` has ``__row`` and the text columns of ``REPORT_COLUMNS`` (missing optional ones are added);
    ``townships`` maps township codes to names. Returns ``row, outcome, reasons, insurance, township_code,
    persons, amount_fen, refund_persons, refund_fen``; a blank township is the insurance's total.
    """
    for spec in REPORT_COLUMNS:
        if spec.key not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(spec.key))
    by_name = {name: code for code, name in townships.items()}
    # A name written without its 乡/镇/街道 suffix is recognised too.
    short = {name.removesuffix("街道").rstrip("乡镇"): code for code, name in townships.items()}
    ins_raw = pl.col("insurance").str.strip_chars()
    ins = ins_raw.replace_strict(INSURANCE_ALIASES, default=None, return_dtype=pl.String)
    town_raw = pl.col("township").str.strip_chars()
    town_code = (
        pl.when(town_raw.is_in(list(townships)))
        .then(town_raw)
        .otherwise(
            town_raw.replace_strict(by_name, default=None, return_dtype=pl.String).fill_null(
                town_raw.replace_strict(short, default=None, return_dtype=pl.String)
            )
        )
    )
    is_total = town_raw.is_null() | town_raw.is_in(TOTAL_WORDS)
    persons, persons_fixed = _clean_number("persons")
    amount, amount_fixed = _clean_number("amount")
    r_persons, r_persons_fixed = _clean_number("refund_persons")
    r_amount, r_amount_fixed = _clean_number("refund_amount")
    step = frame.with_columns(
        ins.alias("_ins"),
        town_code.alias("_town"),
        is_total.alias("_total"),
        persons.alias("_persons"),
        persons_fixed.alias("_persons_fixed"),
        amount.alias("_amount"),
        amount_fixed.alias("_amount_fixed"),
        r_persons.alias("_rp"),
        r_persons_fixed.alias("_rp_fixed"),
        r_amount.alias("_ra"),
        r_amount_fixed.alias("_ra_fixed"),
    )
    ok_persons = pl.col("_persons").str.contains(_DIGITS)
    ok_amount = pl.col("_amount").str.contains(_MONEY)
    ok_rp = pl.col("_rp").is_null() | pl.col("_rp").str.contains(_DIGITS)
    ok_ra = pl.col("_ra").is_null() | pl.col("_ra").str.contains(_MONEY)
    step = step.with_columns(
        _reason(
            (ins_raw.is_not_null() & pl.col("_ins").is_null(), pl.format("险种无法识别：{}", ins_raw)),
            (
                pl.col("_ins").is_not_null() & (pl.col("_ins") != insurance),
                pl.format("该险种不由本局报送（本局报送{}）", pl.lit(insurance_label)),
            ),
            (~pl.col("_total") & pl.col("_town").is_null(), pl.format("乡镇无法识别：{}", town_raw)),
            (pl.col("_persons").is_null(), "入账人数为空"),
            (pl.col("_persons").is_not_null() & ~ok_persons, pl.format("入账人数不是整数：{}", pl.col("persons"))),
            (pl.col("_amount").is_null(), "入账金额为空"),
            (
                pl.col("_amount").is_not_null() & ~ok_amount,
                pl.format("入账金额不是以元为单位、最多两位小数的数字：{}", pl.col("amount")),
            ),
            (ok_amount & pl.col("_amount").str.starts_with("-"), "入账金额不能为负数"),
            (~ok_rp, pl.format("退费人数不是整数：{}", pl.col("refund_persons"))),
            (~ok_ra, pl.format("退费金额不是以元为单位、最多两位小数的数字：{}", pl.col("refund_amount"))),
        ).alias("_rejected"),
        _reason(
            (ins_raw.is_null(), pl.format("险种为空，按本局险种（{}）填入", pl.lit(insurance_label))),
            (pl.col("_persons_fixed") | pl.col("_rp_fixed"), "人数去掉了单位或分隔符"),
            (pl.col("_amount_fixed") | pl.col("_ra_fixed"), "金额去掉了单位、货币符号或千位分隔符"),
            (ok_ra & pl.col("_ra").str.starts_with("-"), "退费金额写成了负数，取其绝对值"),
            (
                ~pl.col("_total") & pl.col("_town").is_not_null() & (town_raw != pl.col("_town")),
                pl.format("乡镇“{}”按名称认定为{}", town_raw, pl.col("_town")),
            ),
        ).alias("_repaired"),
    )
    step = step.with_columns(
        pl.col("_ins").fill_null(pl.when(ins_raw.is_null()).then(pl.lit(insurance))).alias("_ins"),
        pl.when(pl.col("_total")).then(pl.lit("")).otherwise(pl.col("_town")).alias("_town"),
        pl.when(ok_persons).then(pl.col("_persons").cast(pl.Int64, strict=False)).alias("persons_n"),
        pl.when(ok_amount).then(fen_of(pl.col("_amount"))).alias("amount_fen"),
        pl.when(pl.col("_rp").str.contains(_DIGITS))
        .then(pl.col("_rp").cast(pl.Int64, strict=False))
        .otherwise(0)
        .alias("refund_persons_n"),
        pl.when(pl.col("_ra").str.contains(_MONEY)).then(fen_of(pl.col("_ra")).abs()).otherwise(0).alias("refund_fen"),
    )
    # A second row for the same insurance and township is refused; the first stands.
    live = pl.col("_rejected").is_null()
    step = step.with_columns(
        pl.when(live).then(pl.concat_str([pl.col("_ins"), pl.lit("|"), pl.col("_town")])).alias("_key")
    )
    first_row = step.filter(live).group_by("_key").agg(pl.col("__row").min().alias("_first"))
    step = step.join(first_row, on="_key", how="left").with_columns(
        pl.when(live & (pl.col("__row") != pl.col("_first")))
        .then(pl.format("与第{}行重复（同一险种和乡镇）", pl.col("_first")))
        .otherwise(pl.col("_rejected"))
        .alias("_rejected")
    )
    # A total row that disagrees with its townships' rows is refused: the townships' sum stands.
    live = pl.col("_rejected").is_null()
    sums = (
        step.filter(live & (pl.col("_town") != ""))
        .group_by("_ins")
        .agg(
            pl.col("persons_n").sum().alias("_sp"),
            pl.col("amount_fen").sum().alias("_sa"),
            pl.col("refund_persons_n").sum().alias("_srp"),
            pl.col("refund_fen").sum().alias("_sra"),
        )
    )
    step = step.join(sums, on="_ins", how="left")
    mismatch = (
        live
        & (pl.col("_town") == "")
        & pl.col("_sp").is_not_null()
        & (
            (pl.col("_sp") != pl.col("persons_n"))
            | (pl.col("_sa") != pl.col("amount_fen"))
            | (pl.col("_srp") != pl.col("refund_persons_n"))
            | (pl.col("_sra") != pl.col("refund_fen"))
        )
    )
    step = step.with_columns(
        pl.when(mismatch)
        .then(pl.lit("合计行与各乡镇行之和不符，以各乡镇之和为准"))
        .otherwise(pl.col("_rejected"))
        .alias("_rejected")
    )
    rejected = pl.col("_rejected").is_not_null()
    return step.sort("__row").select(
        pl.col("__row").cast(pl.Int64).alias("row"),
        pl.when(rejected)
        .then(pl.lit("rejected"))
        .when(pl.col("_repaired").is_not_null())
        .then(pl.lit("repaired"))
        .otherwise(pl.lit("accepted"))
        .alias("outcome"),
        pl.when(rejected).then(pl.col("_rejected")).otherwise(pl.col("_repaired")).fill_null("").alias("reasons"),
        pl.col("_ins").fill_null("").alias("insurance"),
        pl.col("_town").fill_null("").alias("township_code"),
        pl.when(~rejected).then(pl.col("persons_n")).alias("persons"),
        pl.when(~rejected).then(pl.col("amount_fen")).alias("amount_fen"),
        pl.when(~rejected).then(pl.col("refund_persons_n")).alias("refund_persons"),
        pl.when(~rejected).then(pl.col("refund_fen")).alias("refund_fen"),
    )


def bureau_figures(rows: pl.DataFrame) -> pl.DataFrame:
    """The bureau's figures per insurance and township ("" the total) from the counted rows of its report.

    Where townships are given and the total is not, the total is their sum.
    """
    live = rows.filter(pl.col("outcome") != "rejected").select(
        "insurance", "township_code", "persons", "amount_fen", "refund_persons", "refund_fen"
    )
    towns = live.filter(pl.col("township_code") != "")
    totals = live.filter(pl.col("township_code") == "")
    summed = (
        towns.group_by("insurance")
        .agg(pl.col(c).sum() for c in ("persons", "amount_fen", "refund_persons", "refund_fen"))
        .with_columns(pl.lit("").alias("township_code"))
        .select(live.columns)
    )
    summed = summed.join(totals.select("insurance"), on="insurance", how="anti")
    return pl.concat([towns, totals, summed], how="vertical_relaxed")


# --- tax's own figures and the causes of the difference ----------------------------------------------------

PAYMENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "id_number": pl.String,
    "insurance": pl.String,
    "township_code": pl.String,
    "kind": pl.String,
    "channel": pl.String,
    "total_fen": pl.Int64,
    "paid_at": pl.String,
    "treasury_date": pl.Date,
}
UNKNOWN_TOWNSHIP = "?"
CAUSES: tuple[str, ...] = ("queue", "treasury_late", "government", "refunds", "timing")


def local_day(text: pl.Expr, tz: str) -> pl.Expr:
    """The local calendar day of a UTC timestamp as the database writes it in text."""
    return (
        text.str.slice(0, 19)
        .str.replace("T", " ")
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(tz)
        .dt.date()
    )


def payments_classify(
    payments: pl.DataFrame, *, open_issue_ids: pl.Series, first_sent: pl.DataFrame, month_end: date, tz: str
) -> pl.DataFrame:
    """Give each payment of the month its day and the one cause (or null) that may keep it out of the bureau's figures.

    In order: still in the payment queue; entered into the treasury after the month's end; a government 代缴
    batch; a refund or reversal; its day's detail not sent to the bureau by the month's end (``first_sent``:
    ``day``, ``insurance``, ``sent_day``).
    """
    frame = payments.with_columns(
        local_day(pl.col("paid_at"), tz).alias("day"),
        pl.col("township_code").fill_null("").replace("", UNKNOWN_TOWNSHIP),
    )
    frame = frame.join(first_sent, on=["day", "insurance"], how="left")
    cause = (
        pl.when(pl.col("id").is_in(open_issue_ids.implode()))
        .then(pl.lit("queue"))
        .when(pl.col("treasury_date").is_not_null() & (pl.col("treasury_date") > month_end))
        .then(pl.lit("treasury_late"))
        .when(pl.col("channel") == "gov")
        .then(pl.lit("government"))
        .when(pl.col("kind") != "payment")
        .then(pl.lit("refunds"))
        .when(pl.col("sent_day").is_null() | (pl.col("sent_day") > month_end))
        .then(pl.lit("timing"))
        .otherwise(None)
    )
    return frame.with_columns(cause.alias("cause"))


def _with_total(frame: pl.DataFrame, keys: Sequence[str], aggs: list[pl.Expr]) -> pl.DataFrame:
    """Aggregate by insurance and township, and again by insurance alone (township "")."""
    by_town = frame.group_by(["insurance", "township_code", *keys]).agg(aggs)
    total = frame.group_by(["insurance", *keys]).agg(aggs).with_columns(pl.lit("").alias("township_code"))
    return pl.concat([by_town, total.select(by_town.columns)])


def tax_figures(classified: pl.DataFrame) -> pl.DataFrame:
    """Tax's own figures per insurance and township ("" the total): persons and amount credited, refunds."""
    pay = pl.col("kind") == "payment"
    aggs = [
        pl.col("id_number").filter(pay).n_unique().alias("persons"),
        pl.col("total_fen").filter(pay).sum().alias("amount_fen"),
        pl.col("id_number").filter(~pay).n_unique().alias("refund_persons"),
        (-pl.col("total_fen").filter(~pay).sum()).alias("refund_fen"),
    ]
    return _with_total(classified, [], aggs).with_columns(pl.col(pl.Int64, pl.UInt32).cast(pl.Int64))


def cause_figures(classified: pl.DataFrame) -> pl.DataFrame:
    """Per insurance, township ("" the total) and cause: payments, persons and the signed amount in fen."""
    caused = classified.filter(pl.col("cause").is_not_null())
    aggs = [
        pl.len().alias("count"),
        pl.col("id_number").filter(pl.col("kind") == "payment").n_unique().alias("persons"),
        pl.col("total_fen").sum().alias("amount_fen"),
    ]
    return _with_total(caused, ["cause"], aggs).with_columns(pl.col(pl.Int64, pl.UInt32).cast(pl.Int64))


# --- the daily detail --------------------------------------------------------------------------------------

DAILY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "id_number": pl.String,
    "name": pl.String,
    "insurance": pl.String,
    "coverage_year": pl.Int64,
    "tier_fen": pl.Int64,
    "amount_fen": pl.Int64,
    "subsidy_fen": pl.Int64,
    "other_fen": pl.Int64,
    "channel": pl.String,
    "txn_no": pl.String,
    "etax_voucher": pl.String,
    "paid_at": pl.String,
    "kind": pl.String,
    "original_txn": pl.String,
}
DAILY_HEADERS = [
    "身份证号码",
    "姓名",
    "险种",
    "缴费年度",
    "档次",
    "个人缴费",
    "补贴",
    "其他缴费",
    "合计",
    "渠道",
    "交易流水号",
    "电子税票号",
    "缴费时间",
    "冲正/退费标志",
    "原交易流水号",
]
CHANNEL_LABELS = {
    "wechat": "微信小程序",
    "hall": "办税服务厅",
    "pos": "POS机",
    "etax": "电子税务局",
    "siclient": "社保费客户端",
    "bank": "银行批量代扣",
    "gov": "政府代缴（财政）",
}
KIND_LABELS = {"payment": "正常", "reversal": "冲正", "refund": "退费"}


def yuan_text(fen: pl.Expr) -> pl.Expr:
    """Write integer fen as yuan text with two places ("-400.00"), exactly."""
    magnitude = fen.abs()
    return pl.concat_str(
        [
            pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (magnitude // 100).cast(pl.String),
            pl.lit("."),
            (magnitude % 100).cast(pl.String).str.pad_start(2, "0"),
        ]
    )


def daily_rows(payments: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Shape a day's payments of one insurance into the columns the bureau receives, in time order."""
    total = pl.col("amount_fen") + pl.col("subsidy_fen") + pl.col("other_fen")
    local = (
        pl.col("paid_at")
        .str.slice(0, 19)
        .str.replace("T", " ")
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(tz)
    )
    return (
        payments.with_columns(local.alias("_local"), total.alias("total_fen"))
        .sort(["_local", "id"])
        .select(
            pl.col("id_number").fill_null("").alias("身份证号码"),
            pl.col("name").fill_null("").alias("姓名"),
            pl.col("insurance").replace_strict(INSURANCE_LABELS, default=pl.col("insurance")).alias("险种"),
            pl.col("coverage_year").cast(pl.String).alias("缴费年度"),
            pl.when(pl.col("tier_fen").is_not_null())
            .then(yuan_text(pl.col("tier_fen")))
            .otherwise(pl.lit(""))
            .alias("档次"),
            yuan_text(pl.col("amount_fen")).alias("个人缴费"),
            yuan_text(pl.col("subsidy_fen")).alias("补贴"),
            yuan_text(pl.col("other_fen")).alias("其他缴费"),
            yuan_text(pl.col("total_fen")).alias("合计"),
            pl.col("channel").replace_strict(CHANNEL_LABELS, default=pl.col("channel")).alias("渠道"),
            pl.col("txn_no").fill_null("").alias("交易流水号"),
            pl.col("etax_voucher").fill_null("").alias("电子税票号"),
            pl.col("_local").dt.strftime("%Y-%m-%d %H:%M:%S").alias("缴费时间"),
            pl.col("kind").replace_strict(KIND_LABELS, default=pl.col("kind")).alias("冲正/退费标志"),
            pl.col("original_txn").fill_null("").alias("原交易流水号"),
            pl.col("total_fen"),
        )
    )
