"""Read and write the channels' daily detail files (Art 26, 29): one frame of payments per file, or a refusal.

Every reader reads each field as text first, then repairs and types it in vectorised expressions; a file that
cannot be read whole is refused whole with the reason (:class:`ChannelFileError`), never half-read. The frame a
reader returns has the columns of :data:`FRAME_SCHEMA` (amounts in fen, times aware in UTC, the paying account
already hashed).

WeChat mini-program (``wechat``): the WeChat Pay merchant bill (交易账单), UTF-8, comma-separated, one header
line, every data field prefixed with a backtick, then a summary header (总交易单数,应结订单总金额,退款总金额,
充值券退款总金额,手续费总金额,订单总金额,申请退款总金额) and its values line. The columns::

    交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,
    应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,
    手续费,费率,订单金额,申请退款金额,费率备注

- 交易时间 is Beijing time (``YYYY-MM-DD HH:MM:SS``); amounts are yuan with two decimals.
- A payment line (交易状态 SUCCESS): the transaction is 微信订单号, the amount 应结订单金额.
- A refund line (交易状态 REFUND): the transaction is 微信退款单号, the amount minus 退款金额, and 微信订单号 names the
  original payment.
- Our order data rides in 商户数据包 (attach): ``id_number|insurance|coverage_year|tier_fen`` (insurance
  ``medical`` or ``pension``; tier in fen, empty for medical), and the payer's name in 商品名称 after a bar:
  ``城乡居民医疗保险 2027|阿依古丽·艾买提``.
- 用户标识 (the payer's openid) is stored only as its salted SHA-256.
- The summary must agree with the lines (count and 应结订单总金额): a truncated bill is refused.

The other channels (``hall``, ``pos``, ``etax``, ``siclient``, ``bank``, and finance's 代缴 batch ``gov``): csv,
UTF-8 (a BOM is allowed), one header row with these columns in any order (:data:`CSV_COLUMNS`)::

    txn_no,paid_at,id_number,name,insurance,coverage_year,tier,amount,kind,original_txn_no   (every channel)
    + hall: operator,etax_voucher      pos: terminal,operator      etax: etax_voucher
    + siclient: account                bank: card_no,batch_no       gov: batch_no,category

- ``paid_at`` Beijing time ``YYYY-MM-DD HH:MM:SS``; ``amount`` and ``tier`` in yuan (``400.00``); ``kind``
  ``payment`` (or empty), ``reversal`` or ``refund``, the latter two with a negative or positive amount (stored
  negative) and ``original_txn_no``.
- ``gov``: ``amount`` is the government's 代缴 part (``Payment.other_fen``); the person's own part is nil.
- ``account`` (siclient) and ``card_no`` (bank) are stored only as their salted SHA-256, never raw.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.utils.translation import gettext as _

TZ = "Asia/Shanghai"  # the channels report Beijing time

WECHAT_COLUMNS = [
    "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型",
    "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额",
    "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额",
    "费率备注",
]  # fmt: skip
WECHAT_SUMMARY = [
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
]

COMMON_COLUMNS = ["txn_no", "paid_at", "id_number", "name", "insurance", "coverage_year", "tier", "amount", "kind"]
COMMON_COLUMNS += ["original_txn_no"]
CSV_EXTRA: dict[str, list[str]] = {
    "hall": ["operator", "etax_voucher"],
    "pos": ["terminal", "operator"],
    "etax": ["etax_voucher"],
    "siclient": ["account"],
    "bank": ["card_no", "batch_no"],
    "gov": ["batch_no", "category"],
}
CSV_COLUMNS: dict[str, list[str]] = {ch: COMMON_COLUMNS + extra for ch, extra in CSV_EXTRA.items()}
CSV_REQUIRED = ["txn_no", "paid_at", "id_number", "insurance", "coverage_year", "amount"]

FRAME_SCHEMA: dict[str, Any] = {
    "txn_no": pl.String,
    "kind": pl.String,
    "original_txn_no": pl.String,
    "id_number": pl.String,
    "name": pl.String,
    "insurance": pl.String,
    "coverage_year": pl.Int64,
    "tier_fen": pl.Int64,
    "amount_fen": pl.Int64,
    "other_fen": pl.Int64,
    "paid_at": pl.Datetime("us", "UTC"),
    "account_hash": pl.String,
    "pos_terminal": pl.String,
    "operator": pl.String,
    "etax_voucher": pl.String,
    "batch_no": pl.String,
}
MAX_ERRORS_SHOWN = 5


class ChannelFileError(Exception):
    """A channel file that cannot be read whole: refused with the reason, nothing of it is kept."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def account_salt() -> str:
    return str(getattr(settings, "LIANGXIAN_ACCOUNT_SALT", "") or settings.SECRET_KEY)


def account_hash(raw: str) -> str:
    """Hash a paying account (openid, card number) with the settings' salt; empty stays empty."""
    raw = raw.strip()
    if not raw:
        return ""
    return hashlib.sha256((account_salt() + "\n" + raw).encode()).hexdigest()


def _hash_expr(column: pl.Expr) -> pl.Expr:
    salt = account_salt() + "\n"
    # hashlib has no Polars expression: one Python call per line (about 1 s per million).
    return (
        pl.when(column.str.strip_chars() == "")
        .then(pl.lit(""))
        .otherwise(
            (pl.lit(salt) + column.str.strip_chars()).map_elements(
                lambda s: hashlib.sha256(s.encode()).hexdigest(), return_dtype=pl.String, skip_nulls=True
            )
        )
    )


def _fen(column: pl.Expr) -> pl.Expr:
    """Yuan text (``400``, ``400.5``, ``-400.00``) to integer fen, exactly; anything else null."""
    text = column.str.strip_chars().str.replace_all(",", "")
    ok = text.str.contains(r"^-?\d{1,12}(\.\d{1,2})?$")
    whole = text.str.extract(r"^-?(\d+)", 1).cast(pl.Int64, strict=False)
    cents = text.str.extract(r"\.(\d{1,2})$", 1).fill_null("0").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    sign = pl.when(text.str.starts_with("-")).then(-1).otherwise(1)
    return pl.when(ok).then(sign * (whole * 100 + cents)).otherwise(pl.lit(None, dtype=pl.Int64))


def _time(column: pl.Expr) -> pl.Expr:
    return (
        column.str.strip_chars()
        .str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        .dt.replace_time_zone(TZ, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


def _check(frame: pl.DataFrame, bad: pl.Expr, code: str, message: str, line_offset: int) -> None:
    """Refuse the file when any line is bad, naming the first few lines."""
    lines = frame.with_row_index("_line").filter(bad).get_column("_line")
    if lines.len():
        shown = ", ".join(str(n + line_offset) for n in lines.head(MAX_ERRORS_SHOWN).to_list())
        more = _(" and %(n)d more") % {"n": lines.len() - MAX_ERRORS_SHOWN} if lines.len() > MAX_ERRORS_SHOWN else ""
        raise ChannelFileError(
            code, _("%(problem)s: line %(lines)s%(more)s.") % {"problem": message, "lines": shown, "more": more}
        )


def _finish(frame: pl.DataFrame, line_offset: int) -> pl.DataFrame:
    """Check the typed frame line by line; refuse the whole file at the first kind of error."""
    _check(frame, pl.col("txn_no").fill_null("") == "", "no_txn", _("A line has no transaction number"), line_offset)
    _check(frame, pl.col("paid_at").is_null(), "bad_time", _("A payment time is not YYYY-MM-DD HH:MM:SS"), line_offset)
    _check(frame, pl.col("amount_fen").is_null() | pl.col("other_fen").is_null(), "bad_amount",
           _("An amount is not in yuan with at most two decimals"), line_offset)  # fmt: skip
    _check(frame, ~pl.col("insurance").is_in(["medical", "pension"]), "bad_insurance",
           _("The insurance type is neither medical nor pension"), line_offset)  # fmt: skip
    _check(frame, pl.col("coverage_year").is_null(), "bad_year", _("The coverage year is not a year"), line_offset)
    _check(frame, ~pl.col("kind").is_in(["payment", "reversal", "refund"]), "bad_kind",
           _("The kind of line is not payment, reversal or refund"), line_offset)  # fmt: skip
    refund = pl.col("kind") != "payment"
    _check(frame, refund & (pl.col("original_txn_no").fill_null("") == ""), "refund_without_original",
           _("A refund or reversal does not name its original transaction"), line_offset)  # fmt: skip
    _check(frame, pl.col("txn_no").is_duplicated(), "duplicate_txn",
           _("The same transaction number appears twice in the file"), line_offset)  # fmt: skip
    return frame.select([pl.col(c).cast(t) for c, t in FRAME_SCHEMA.items()])


# ------------------------------------------------------------------------------------------------ WeChat


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ChannelFileError("encoding", _("The file is neither UTF-8 nor GBK text.")) from exc


def _utf8(data: bytes) -> bytes:
    """The file as UTF-8 bytes (a GBK file is converted), without a BOM; refuse anything else."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(data).encode("utf-8")
    return data


def read_wechat_bill(data: bytes) -> pl.DataFrame:
    """Read a WeChat Pay merchant bill (交易账单) into the payment frame, or refuse it whole."""
    # Work on the bytes: a million-line bill is never split into a Python string per line.
    data = _utf8(data).replace(b"\r\n", b"\n").rstrip()
    head, _nl, _rest = data.partition(b"\n")
    if [c.strip() for c in head.decode().split(",")] != WECHAT_COLUMNS:
        raise ChannelFileError("bad_header", _("The first line is not the WeChat Pay bill's header (交易账单)."))
    marker = b"\n" + WECHAT_SUMMARY[0].encode()
    at = data.rfind(marker)
    if at < 0:
        raise ChannelFileError(
            "no_summary", _("The bill has no summary block at its end: it may be cut short.")
        ) from None
    tail = data[at + 1 :].decode().split("\n")
    if len(tail) != 2:
        raise ChannelFileError("no_summary", _("The bill's summary block must be its last two lines."))
    body = data[: at + 1]
    try:
        raw = pl.read_csv(body, infer_schema=False, has_header=True, quote_char=None, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as exc:
        raise ChannelFileError(
            "unreadable", _("The file is not a readable csv: %(error)s") % {"error": str(exc)[:200]}
        ) from exc
    del body, data
    if raw.columns != WECHAT_COLUMNS:
        raise ChannelFileError("bad_header", _("The first line is not the WeChat Pay bill's header (交易账单)."))
    raw = raw.with_columns(pl.all().fill_null("").str.strip_prefix("`").str.strip_chars())
    summary = [v.strip().removeprefix("`") for v in tail[1].split(",")]
    attach = pl.col("商户数据包").str.split_exact("|", 3)
    refund = pl.col("交易状态") == "REFUND"
    frame = raw.select(
        pl.when(refund).then(pl.col("微信退款单号")).otherwise(pl.col("微信订单号")).alias("txn_no"),
        pl.when(refund).then(pl.lit("refund")).otherwise(pl.lit("payment")).alias("kind"),
        pl.when(refund).then(pl.col("微信订单号")).otherwise(pl.lit(None, dtype=pl.String)).alias("original_txn_no"),
        attach.struct.field("field_0").str.strip_chars().str.to_uppercase().alias("id_number"),
        pl.col("商品名称").str.split("|").list.last().fill_null("").str.strip_chars().alias("name"),
        attach.struct.field("field_1").str.strip_chars().alias("insurance"),
        attach.struct.field("field_2").str.strip_chars().cast(pl.Int64, strict=False).alias("coverage_year"),
        attach.struct.field("field_3").str.strip_chars().cast(pl.Int64, strict=False).alias("tier_fen"),
        pl.when(refund).then(-_fen(pl.col("退款金额"))).otherwise(_fen(pl.col("应结订单金额"))).alias("amount_fen"),
        pl.lit(0, dtype=pl.Int64).alias("other_fen"),
        _time(pl.col("交易时间")).alias("paid_at"),
        _hash_expr(pl.col("用户标识")).alias("account_hash"),
        pl.col("设备号").alias("pos_terminal"),
        pl.lit("").alias("operator"),
        pl.lit("").alias("etax_voucher"),
        pl.lit("").alias("batch_no"),
        pl.col("交易状态").alias("_status"),
        _fen(pl.col("应结订单金额")).alias("_settle_fen"),
    )
    _check(frame, ~pl.col("_status").is_in(["SUCCESS", "REFUND", "REVOKED"]), "bad_status",
           _("The transaction status is not SUCCESS or REFUND"), 2)  # fmt: skip
    frame = frame.filter(pl.col("_status") != "REVOKED")  # a revoked order was never paid
    if len(summary) < 2:
        raise ChannelFileError("bad_summary", _("The bill's summary line is incomplete."))
    count = summary[0]
    total = pl.DataFrame({"t": [summary[1]]}).select(_fen(pl.col("t"))).item()
    settle = int(frame.get_column("_settle_fen").fill_null(0).sum())
    if count != str(raw.height) or total is None or total != settle:
        raise ChannelFileError(
            "summary_mismatch",
            _("The bill's summary (%(count)s lines, %(total)s yuan) does not agree with its lines (%(lines)d).")
            % {"count": count, "total": summary[1], "lines": raw.height},
        )
    return _finish(frame.drop("_status", "_settle_fen"), 2)


def write_wechat_bill(rows: Iterable[Mapping[str, Any]] | pl.DataFrame, path: Path | str) -> Path:
    """Write a WeChat Pay bill from payment dicts (see :func:`write_channel_csv` for the keys) with its summary.

    A refund row (``kind == "refund"``) takes ``original_txn_no`` as 微信订单号 and ``txn_no`` as 微信退款单号.
    """
    path = Path(path)
    frame = _rows_frame(rows)
    refund = pl.col("kind") == "refund"
    yuan = _yuan_expr
    zero = pl.lit("0.00")
    out = frame.select(
        pl.col("paid_at").alias("交易时间"),
        pl.lit("wx5d1c0e1f2a3b4c5d").alias("公众账号ID"),
        pl.lit("1600000001").alias("商户号"),
        pl.lit("0").alias("特约商户号"),
        pl.col("terminal").alias("设备号"),
        pl.when(refund).then(pl.col("original_txn_no")).otherwise(pl.col("txn_no")).alias("微信订单号"),
        pl.format("LX{}", pl.when(refund).then(pl.col("original_txn_no")).otherwise(pl.col("txn_no"))).alias(
            "商户订单号"
        ),
        pl.col("account").alias("用户标识"),
        pl.lit("JSAPI").alias("交易类型"),
        pl.when(refund).then(pl.lit("REFUND")).otherwise(pl.lit("SUCCESS")).alias("交易状态"),
        pl.lit("OTHERS").alias("付款银行"),
        pl.lit("CNY").alias("货币种类"),
        pl.when(refund).then(zero).otherwise(yuan(pl.col("amount_fen"))).alias("应结订单金额"),
        zero.alias("代金券金额"),
        pl.when(refund).then(pl.col("txn_no")).otherwise(pl.lit("0")).alias("微信退款单号"),
        pl.when(refund).then(pl.format("LXR{}", pl.col("txn_no"))).otherwise(pl.lit("0")).alias("商户退款单号"),
        pl.when(refund).then(yuan(pl.col("amount_fen").abs())).otherwise(zero).alias("退款金额"),
        zero.alias("充值券退款金额"),
        pl.when(refund).then(pl.lit("ORIGINAL")).otherwise(pl.lit("")).alias("退款类型"),
        pl.when(refund).then(pl.lit("SUCCESS")).otherwise(pl.lit("")).alias("退款状态"),
        pl.format(
            "{}|{}",
            pl.when(pl.col("insurance") == "pension")
            .then(pl.lit("城乡居民养老保险"))
            .otherwise(pl.lit("城乡居民医疗保险")),
            pl.col("name"),
        ).alias("商品名称"),
        pl.format(
            "{}|{}|{}|{}", "id_number", "insurance", "coverage_year", pl.col("tier_fen").cast(pl.String).fill_null("")
        ).alias("商户数据包"),
        zero.alias("手续费"),
        pl.lit("0.00%").alias("费率"),
        pl.when(refund).then(zero).otherwise(yuan(pl.col("amount_fen"))).alias("订单金额"),
        pl.when(refund).then(yuan(pl.col("amount_fen").abs())).otherwise(zero).alias("申请退款金额"),
        pl.lit("").alias("费率备注"),
    )
    out = out.with_columns([(pl.lit("`") + pl.col(c).fill_null("")).alias(c) for c in out.columns])
    settle = int(frame.filter(pl.col("kind") != "refund").get_column("amount_fen").sum() or 0)
    refunded = int(-frame.filter(pl.col("kind") == "refund").get_column("amount_fen").sum() or 0)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(WECHAT_COLUMNS) + "\n")
        handle.write(out.write_csv(include_header=False, quote_style="never", line_terminator="\n"))
        handle.write(",".join(WECHAT_SUMMARY) + "\n")
        values = [str(frame.height), _yuan(settle), _yuan(refunded), "0.00", "0.00", _yuan(settle), _yuan(refunded)]
        handle.write(",".join("`" + v for v in values) + "\n")
    return path


# ------------------------------------------------------------------------------------------------ csv


def read_channel_csv(channel: str, data: bytes) -> pl.DataFrame:
    """Read one channel's csv daily file (layout in the module docstring) into the payment frame, or refuse it."""
    if channel not in CSV_COLUMNS:
        raise ChannelFileError("bad_channel", _("No csv layout for this channel."))
    text = _decode(data)
    if not text.strip():
        raise ChannelFileError("empty", _("The file is empty."))
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError as exc:
        raise ChannelFileError(
            "unreadable", _("The file is not a readable csv: %(error)s") % {"error": str(exc)[:200]}
        ) from exc
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    missing = [c for c in CSV_REQUIRED if c not in raw.columns]
    if missing:
        raise ChannelFileError(
            "missing_columns", _("Columns missing from the header: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    for column in CSV_COLUMNS[channel]:
        if column not in raw.columns:
            raw = raw.with_columns(pl.lit("").alias(column))
    raw = raw.with_columns(pl.col(CSV_COLUMNS[channel]).fill_null("").str.strip_chars())
    kind = pl.when(pl.col("kind") == "").then(pl.lit("payment")).otherwise(pl.col("kind").str.to_lowercase())
    amount = _fen(pl.col("amount"))
    signed = pl.when(kind == "payment").then(amount).otherwise(-amount.abs())
    gov = channel == "gov"
    account = "card_no" if channel == "bank" else "account"
    frame = raw.select(
        pl.col("txn_no"),
        kind.alias("kind"),
        pl.when(pl.col("original_txn_no") == "")
        .then(None)
        .otherwise(pl.col("original_txn_no"))
        .alias("original_txn_no"),
        pl.col("id_number").str.to_uppercase().alias("id_number"),
        pl.col("name"),
        pl.col("insurance").str.to_lowercase().alias("insurance"),
        pl.col("coverage_year").cast(pl.Int64, strict=False).alias("coverage_year"),
        _fen(pl.col("tier")).alias("tier_fen"),
        (pl.lit(0, dtype=pl.Int64) if gov else signed).alias("amount_fen"),
        (signed if gov else pl.lit(0, dtype=pl.Int64)).alias("other_fen"),
        _time(pl.col("paid_at")).alias("paid_at"),
        (_hash_expr(pl.col(account)) if account in raw.columns else pl.lit("")).alias("account_hash"),
        (pl.col("terminal") if "terminal" in raw.columns else pl.lit("")).alias("pos_terminal"),
        (pl.col("operator") if "operator" in raw.columns else pl.lit("")).alias("operator"),
        (pl.col("etax_voucher") if "etax_voucher" in raw.columns else pl.lit("")).alias("etax_voucher"),
        (pl.col("batch_no") if "batch_no" in raw.columns else pl.lit("")).alias("batch_no"),
    )
    return _finish(frame, 2)


def write_channel_csv(channel: str, rows: Iterable[Mapping[str, Any]] | pl.DataFrame, path: Path | str) -> Path:
    """Write a channel's csv daily file from payment dicts (or a frame with those columns).

    Keys: ``txn_no``, ``paid_at`` (aware datetime or ``YYYY-MM-DD HH:MM:SS`` Beijing time), ``id_number``,
    ``name``, ``insurance``, ``coverage_year``, ``amount_fen`` (for ``gov`` the 代缴 part), optional ``tier_fen``,
    ``kind``, ``original_txn_no``, ``terminal``, ``operator``, ``etax_voucher``, ``account``, ``card_no``,
    ``batch_no``, ``category``. Raw accounts and cards go into the file as a channel would send them.
    """
    path = Path(path)
    frame = _rows_frame(rows)
    columns = CSV_COLUMNS[channel]
    out = frame.with_columns(
        _yuan_expr(pl.col("amount_fen")).alias("amount"),
        pl.when(pl.col("tier_fen").is_null()).then(pl.lit("")).otherwise(_yuan_expr(pl.col("tier_fen"))).alias("tier"),
        pl.col("coverage_year").cast(pl.String),
    ).select(columns)
    out.write_csv(path, line_terminator="\n")
    return path


def csv_template(channel: str) -> str:
    """Return an empty csv with the channel's header and one example line (the page's download)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = CSV_COLUMNS[channel]
    writer.writerow(columns)
    example = {
        "txn_no": f"{channel.upper()}20261102000001", "paid_at": "2026-11-02 12:30:00",
        "id_number": "653123198001010014", "name": "阿卜杜拉·买买提", "insurance": "medical",
        "coverage_year": "2027", "tier": "", "amount": "400.00", "kind": "payment", "original_txn_no": "",
        "operator": "0001", "etax_voucher": "", "terminal": "T0001", "account": "", "card_no": "6222020000000000000",
        "batch_no": "B20261102", "category": "minimum_allowance",
    }  # fmt: skip
    writer.writerow([example.get(c, "") for c in columns])
    return buffer.getvalue()


def wechat_template() -> str:
    """Return the WeChat bill's header and an empty summary (the page's download)."""
    return ",".join(WECHAT_COLUMNS) + "\n" + ",".join(WECHAT_SUMMARY) + "\n`0,`0.00,`0.00,`0.00,`0.00,`0.00,`0.00\n"


def read_channel_file(channel: str, data: bytes) -> pl.DataFrame:
    """Read a channel's daily file in its layout (WeChat bill or the channel's csv)."""
    return read_wechat_bill(data) if channel == "wechat" else read_channel_csv(channel, data)


def write_channel_file(channel: str, rows: Iterable[Mapping[str, Any]] | pl.DataFrame, path: Path | str) -> Path:
    return write_wechat_bill(rows, path) if channel == "wechat" else write_channel_csv(channel, rows, path)


# ------------------------------------------------------------------------------------------------ helpers


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _yuan_expr(fen: pl.Expr) -> pl.Expr:
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.format("{}{}.{}", sign, fen.abs() // 100, (fen.abs() % 100).cast(pl.String).str.pad_start(2, "0"))


ROW_SCHEMA: dict[str, Any] = {
    "txn_no": pl.String, "paid_at": pl.String, "id_number": pl.String, "name": pl.String, "insurance": pl.String,
    "coverage_year": pl.Int64, "amount_fen": pl.Int64, "tier_fen": pl.Int64, "kind": pl.String,
    "original_txn_no": pl.String, "terminal": pl.String, "operator": pl.String, "etax_voucher": pl.String,
    "account": pl.String, "card_no": pl.String, "batch_no": pl.String, "category": pl.String,
}  # fmt: skip


def _rows_frame(rows: Iterable[Mapping[str, Any]] | pl.DataFrame) -> pl.DataFrame:
    """Rows (dicts or a frame) with every key of :data:`ROW_SCHEMA`, times as Beijing-time text."""
    if isinstance(rows, pl.DataFrame):
        frame = rows
    else:
        frame = pl.DataFrame(list(rows), infer_schema_length=None) if rows else pl.DataFrame()
    if "paid_at" in frame.columns and isinstance(frame.schema["paid_at"], pl.Datetime):
        at = pl.col("paid_at")
        if frame.schema["paid_at"].time_zone is None:
            at = at.dt.replace_time_zone("UTC")
        frame = frame.with_columns(at.dt.convert_time_zone(TZ).dt.strftime("%Y-%m-%d %H:%M:%S").alias("paid_at"))
    for column, dtype in ROW_SCHEMA.items():
        if column not in frame.columns:
            default: Any = None if dtype == pl.Int64 else ("payment" if column == "kind" else "")
            frame = frame.with_columns(pl.lit(default, dtype=dtype).alias(column))
    text = [c for c, t in ROW_SCHEMA.items() if t == pl.String]
    frame = frame.with_columns(pl.col(text).cast(pl.String).fill_null(""))
    return frame.with_columns(pl.col("kind").replace("", "payment"))
