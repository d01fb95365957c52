"""Bank statements of the fund accounts (Art 9): read as MT940 or as the documented csv/xlsx, matched to transfers.

**csv / xlsx layout** (one header row; Chinese or English headers, in any order; the template is on the page)::

    交易日期 (value_date)  贷方金额 (credit)  借方金额 (debit)  金额 (amount)  参考号 (reference)
    对方户名 (counterparty)  摘要 (description)

- 交易日期: ``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``YYYYMMDD``.
- Either 贷方金额 / 借方金额 (yuan, unsigned; one of them on each line) or 金额 (yuan, signed: negative a debit).
- A line whose date or amount cannot be read is rejected with the reason; a thousands separator or a currency
  mark is repaired and the repair recorded. A file without a date or amount column is refused whole.

**MT940**: read with the ``mt-940`` library: :61: bookings (credit positive, debit negative), the customer
reference (or, for NONREF, the bank reference) as the line's reference, :86: as its description; :25: must
name the account the statement is imported for (its number) when it is given.

**Matching**: a statement line is matched to a recorded transfer of the same account and signed amount
(a credit to a transfer *into* the account, a debit to one *out of* it): the same reference first, else the
nearest value date within :data:`DATE_WINDOW` days. Each line and each transfer is matched at most once.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.readers import ColumnSpec, UnreadableFile, read_table
from liangxian.core.audit import audit_record
from liangxian.core.money import AmountError, parse_yuan, to_fen
from liangxian.org.models import User

from .models import BankStatement, FundAccount, StatementFormat, StatementLine, Transfer
from .services import FinanceError, require_finance

DATE_WINDOW = 5
COLUMNS = [
    ColumnSpec("value_date", "交易日期", ("记账日期", "日期", "value_date", "date", "起息日"), required=True),
    ColumnSpec("credit", "贷方金额", ("收入金额", "收入", "贷方", "credit")),
    ColumnSpec("debit", "借方金额", ("支出金额", "支出", "借方", "debit")),
    ColumnSpec("amount", "金额", ("交易金额", "amount")),
    ColumnSpec("reference", "参考号", ("流水号", "凭证号", "交易流水号", "reference", "ref")),
    ColumnSpec("counterparty", "对方户名", ("对方账户名称", "对方名称", "counterparty")),
    ColumnSpec("description", "摘要", ("用途", "附言", "description", "memo")),
]
TEMPLATE = (
    "交易日期,贷方金额,借方金额,参考号,对方户名,摘要\n2026-11-15,1500.00,,DJ2027M01,英吉沙县财政局,代缴资金划转\n"
)


@dataclass
class ParsedStatement:
    format: str
    reference: str = ""
    account: str = ""
    date_from: date | None = None
    date_to: date | None = None
    opening_fen: int | None = None
    closing_fen: int | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _is_mt940(data: bytes) -> bool:
    head = data[:4000].lstrip(b"\xef\xbb\xbf \r\n\t")
    return head.startswith(b":20:") or head.startswith(b"{1:") or b"\n:61:" in data[:20000]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FinanceError("unreadable", _("The statement is neither UTF-8 nor GBK text."))


def parse_mt940(data: bytes) -> ParsedStatement:
    """Read an MT940 statement (one or more :20: blocks) into lines; refuse it whole when it cannot be read."""
    import mt940  # the PyPI library ``mt-940``

    text = _decode(data)
    try:
        parsed = mt940.models.Transactions()
        parsed.parse(text)
    except Exception as exc:  # the library raises plain exceptions on a broken tag
        raise FinanceError(
            "unreadable", _("The MT940 statement cannot be read: %(error)s") % {"error": str(exc)[:200]}
        ) from exc
    out = ParsedStatement(format=StatementFormat.MT940)
    head = parsed.data
    out.reference = str(head.get("transaction_reference") or "")[:60]
    out.account = str(head.get("account_identification") or "").replace(" ", "")
    opening, closing = head.get("final_opening_balance"), head.get("final_closing_balance")
    if opening is not None:
        out.opening_fen = to_fen(Decimal(opening.amount.amount), rounding=True)
        out.date_from = date(opening.date.year, opening.date.month, opening.date.day)
    if closing is not None:
        out.closing_fen = to_fen(Decimal(closing.amount.amount), rounding=True)
        out.date_to = date(closing.date.year, closing.date.month, closing.date.day)
    for n, booking in enumerate(parsed, start=1):
        d = booking.data
        when = d.get("date")
        amount = d.get("amount")
        if when is None or amount is None:
            out.rejected.append({"row": n, "reason": _("A booking without a date or amount.")})
            continue
        reference = str(d.get("customer_reference") or "")
        if reference.upper() in ("", "NONREF"):
            reference = str(d.get("bank_reference") or "")
        out.lines.append(
            {
                "line_no": n,
                "value_date": date(when.year, when.month, when.day),
                "amount_fen": to_fen(Decimal(amount.amount), rounding=True),
                "reference": reference[:60],
                "counterparty": "",
                "description": str(d.get("transaction_details") or d.get("extra_details") or "")[:300],
                "repair": "",
            }
        )
    if not out.lines and not out.rejected:
        raise FinanceError("empty", _("The statement has no bookings."))
    return out


def _parse_date(text: str) -> date | None:
    t = text.strip().replace("/", "-").replace(".", "-").split(" ")[0]
    if len(t) == 8 and t.isdigit():
        t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    try:
        return date.fromisoformat(t)
    except ValueError:
        return None


def _amount(text: str | None) -> tuple[int | None, str, str]:
    """Return (fen or None, repair note, error) for a yuan cell."""
    if text is None or not str(text).strip():
        return None, "", ""
    raw = str(text).strip()
    try:
        value = parse_yuan(raw)
        fen = to_fen(value)
    except AmountError as exc:
        return None, "", exc.message
    repair = (
        ""
        if raw.lstrip("+-").replace(".", "", 1).isdigit()
        else _("amount %(raw)s read as %(value)s")
        % {
            "raw": raw,
            "value": value,
        }
    )
    return fen, repair, ""


def parse_table(data: bytes, filename: str) -> ParsedStatement:
    """Read the csv/xlsx layout of the module docstring; reject unreadable lines with the reason."""
    try:
        result = read_table(data, filename=filename, columns=COLUMNS)
    except UnreadableFile as exc:
        raise FinanceError("unreadable", exc.message) from exc
    frame = result.frame
    if "credit" not in frame.columns and "debit" not in frame.columns and "amount" not in frame.columns:
        raise FinanceError("missing_columns", _("The statement needs an amount column (amount, or credit and debit)."))
    if "value_date" not in frame.columns:
        raise FinanceError("missing_columns", _("The statement needs a date column (value date)."))
    out = ParsedStatement(format=StatementFormat.XLSX if result.format in ("xlsx", "xls") else StatementFormat.CSV)
    for row in frame.iter_rows(named=True):
        n = int(row["__row"])
        when = _parse_date(row.get("value_date") or "")
        if when is None:
            out.rejected.append(
                {"row": n, "reason": _("The date %(value)s cannot be read.") % {"value": row.get("value_date") or ""}}
            )
            continue
        credit, r1, e1 = _amount(row.get("credit"))
        debit, r2, e2 = _amount(row.get("debit"))
        signed, r3, e3 = _amount(row.get("amount"))
        error = e1 or e2 or e3
        if error:
            out.rejected.append({"row": n, "reason": error})
            continue
        if credit and debit:
            out.rejected.append({"row": n, "reason": _("Both a credit and a debit on one line.")})
            continue
        fen = credit if credit else (-abs(debit) if debit else signed)
        if not fen:
            out.rejected.append({"row": n, "reason": _("The line has no amount.")})
            continue
        out.lines.append(
            {
                "line_no": n,
                "value_date": when,
                "amount_fen": int(fen),
                "reference": (row.get("reference") or "")[:60],
                "counterparty": (row.get("counterparty") or "")[:120],
                "description": (row.get("description") or "")[:300],
                "repair": "; ".join(x for x in (r1, r2, r3) if x)[:200],
            }
        )
    if not out.lines and not out.rejected:
        raise FinanceError("empty", _("The statement has no bookings."))
    dates = [x["value_date"] for x in out.lines]
    out.date_from, out.date_to = (min(dates), max(dates)) if dates else (None, None)
    return out


@dataclass
class StatementResult:
    statement: BankStatement
    repeat: bool = False


def statement_import(*, by: User | None, account_id: int, data: bytes, filename: str) -> StatementResult:
    """Import a statement of an account whole or not at all; the same file twice answers with the first import."""
    if by is not None:
        require_finance(by)
    account = FundAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise FinanceError("no_account", _("No such account."))
    digest = hashlib.sha256(data).hexdigest()
    first = BankStatement.objects.filter(sha256=digest).first()
    if first is not None:
        return StatementResult(first, repeat=True)
    parsed = parse_mt940(data) if _is_mt940(data) else parse_table(data, filename)
    if parsed.account and parsed.account not in (account.number, account.number.replace(" ", "")):
        raise FinanceError(
            "wrong_account",
            _("The statement is of account %(number)s, not of %(name)s.")
            % {"number": parsed.account, "name": account.name},
        )
    with transaction.atomic():
        statement = BankStatement.objects.create(
            account=account,
            format=parsed.format,
            filename=(filename or "statement")[:200],
            sha256=digest,
            reference=parsed.reference,
            date_from=parsed.date_from,
            date_to=parsed.date_to,
            opening_fen=parsed.opening_fen,
            closing_fen=parsed.closing_fen,
            counts={
                "lines": len(parsed.lines),
                "rejected": parsed.rejected[:200],
                "repaired": sum(1 for x in parsed.lines if x["repair"]),
                "credit_fen": sum(x["amount_fen"] for x in parsed.lines if x["amount_fen"] > 0),
                "debit_fen": sum(-x["amount_fen"] for x in parsed.lines if x["amount_fen"] < 0),
            },
            imported_by=by,
            imported_at=timezone.now(),
        )
        StatementLine.objects.bulk_create(StatementLine(statement=statement, **x) for x in parsed.lines)
        audit_record(
            actor=by,
            action="finance.statement.import",
            obj=statement,
            payload={"account": account.number, "sha256": digest, "counts": statement.counts},
        )
        statement_match(account_ids=[account.pk])
    statement.refresh_from_db()
    return StatementResult(statement)


def statement_match(*, account_ids: list[int]) -> int:
    """Match the accounts' unmatched statement lines to unmatched transfers; return how many were matched."""
    lines = pl.DataFrame(
        list(
            StatementLine.objects.filter(statement__account_id__in=account_ids, transfer__isnull=True).values(
                "id", "statement__account_id", "amount_fen", "value_date", "reference"
            )
        ),
        schema={
            "id": pl.Int64,
            "statement__account_id": pl.Int64,
            "amount_fen": pl.Int64,
            "value_date": pl.Date,
            "reference": pl.String,
        },
        orient="row",
    ).rename({"statement__account_id": "account_id"})
    if lines.is_empty():
        return 0
    taken = StatementLine.objects.filter(transfer__isnull=False).values("transfer_id")
    fields = ("id", "amount_fen", "value_date", "reference")
    rows: list[tuple[Any, ...]] = [
        (t[0], t[4], t[1], t[2], t[3])
        for t in Transfer.objects.filter(to_account_id__in=account_ids)
        .exclude(pk__in=taken)
        .values_list(*fields, "to_account_id")
    ]
    rows += [
        (t[0], t[4], -t[1], t[2], t[3])
        for t in Transfer.objects.filter(from_account_id__in=account_ids)
        .exclude(pk__in=taken)
        .values_list(*fields, "from_account_id")
    ]
    transfers = pl.DataFrame(
        rows,
        schema={
            "transfer_id": pl.Int64,
            "account_id": pl.Int64,
            "amount_fen": pl.Int64,
            "t_date": pl.Date,
            "t_ref": pl.String,
        },
        orient="row",
    )
    if transfers.is_empty():
        return 0
    candidates = (
        lines.join(transfers, on=["account_id", "amount_fen"], how="inner")
        .with_columns(
            ((pl.col("reference") != "") & (pl.col("reference") == pl.col("t_ref"))).alias("same_ref"),
            (pl.col("value_date") - pl.col("t_date")).dt.total_days().abs().alias("days"),
        )
        .filter(pl.col("same_ref") | (pl.col("days") <= DATE_WINDOW))
        .sort(["same_ref", "days", "id", "transfer_id"], descending=[True, False, False, False])
    )
    used_lines: set[int] = set()
    used_transfers: set[int] = set()
    chosen: list[StatementLine] = []
    for line_id, transfer_id, same_ref in candidates.select("id", "transfer_id", "same_ref").iter_rows():
        if line_id in used_lines or transfer_id in used_transfers:
            continue
        used_lines.add(line_id)
        used_transfers.add(transfer_id)
        chosen.append(
            StatementLine(id=line_id, transfer_id=transfer_id, match_kind="reference" if same_ref else "amount_date")
        )
    StatementLine.objects.bulk_update(chosen, ["transfer_id", "match_kind"])
    return len(chosen)


def unmatched(account_id: int) -> dict[str, list[Any]]:
    """The statement lines with no recorded transfer, and the recorded transfers no statement line shows."""
    lines = list(
        StatementLine.objects.filter(statement__account_id=account_id, transfer__isnull=True)
        .select_related("statement")
        .order_by("value_date", "id")
    )
    transfers = list(
        Transfer.objects.filter(statement_line__isnull=True)
        .filter(Q(to_account_id=account_id) | Q(from_account_id=account_id))
        .order_by("value_date", "id")
    )
    return {"lines": lines, "transfers": transfers}


def template_csv() -> bytes:
    return ("\ufeff" + TEMPLATE).encode("utf-8")


def write_mt940(account: FundAccount, bookings: list[dict[str, Any]], *, reference: str, opening_fen: int = 0) -> str:
    """Write an MT940 statement of the bookings (value_date, amount_fen signed, reference, description)."""
    buf = io.StringIO()

    def amount(fen: int) -> str:
        return f"{abs(fen) // 100},{abs(fen) % 100:02d}"

    ordered = sorted(bookings, key=lambda b: b["value_date"])
    first = ordered[0]["value_date"] if ordered else timezone.localdate()
    last = ordered[-1]["value_date"] if ordered else first
    buf.write(f":20:{reference}\n:25:{account.number}\n:28C:00001/001\n")
    buf.write(f":60F:{'C' if opening_fen >= 0 else 'D'}{first:%y%m%d}CNY{amount(opening_fen)}\n")
    balance = opening_fen
    for b in ordered:
        fen = int(b["amount_fen"])
        balance += fen
        mark = "C" if fen >= 0 else "D"
        ref = b.get("reference") or "NONREF"
        buf.write(f":61:{b['value_date']:%y%m%d}{b['value_date']:%m%d}{mark}{amount(fen)}NTRF{ref}\n")
        buf.write(f":86:{b.get('description', '')}\n")
    buf.write(f":62F:{'C' if balance >= 0 else 'D'}{last:%y%m%d}CNY{amount(balance)}\n")
    return buf.getvalue()
