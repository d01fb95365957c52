"""Every write of the treasury reconciliation (Art 36): one transaction and one audit row each.

- :func:`statement_import`: the People's Bank statement of a month, read (:mod:`.frames`), kept line by line with
  each line's outcome, and matched against our records; a later statement of the month replaces the earlier one
  while the month is open, keeping the resolutions of the differences that persist.
- :func:`difference_resolve`: tax resolves a difference with a note.
- :func:`month_signoff`: tax signs the month off once every difference is resolved; the month is then read-only.

What reaches the treasury, on our side: every payment record whose treasury entry date (``Payment.treasury_date``)
falls in the month, under its e-tax voucher (``Payment.etax_voucher``), for ``amount_fen + other_fen`` — the
person's own part plus the other payer's part. Finance's 代缴 batch (channel ``gov``) carries the government's part
in ``other_fen`` with a nil own part (``collection/channel_files.py``), and it is collected by tax into the treasury
like any payment. ``subsidy_fen`` (the fiscal subsidy, a 补贴 flow) is not: finance transfers it to the fiscal
special account itself (Art 9). Refunds and reversals are their own negative records, so they count negative on the
day they leave the treasury (退库). Payments that do not count toward a roster entry (the payment queue) still
reached the treasury and are included. A record without a voucher is matched as ``NOVOUCHER-<record number>``: it
can only show as "in our records only" until it gets its voucher.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import bulk_insert, read_frame
from liangxian.batch.readers import UnreadableFile, read_table
from liangxian.core.audit import audit_record
from liangxian.exchange.exports import safe_workbook
from liangxian.obligations.models import ObligationRule
from liangxian.obligations.services import obligation_fulfil, owner_units

from .frames import COLUMNS, INSURANCE_ZH, TEMPLATE_HEADERS, classify_lines
from .matching import KINDS, OURS_COLUMNS, match_duckdb
from .models import (
    Difference,
    DifferenceStatus,
    LineOutcome,
    MonthStatus,
    StatementLine,
    TreasuryMonth,
    TreasuryStatement,
)

if TYPE_CHECKING:
    from liangxian.org.models import User

STATEMENT_RULE = "treasury.statement"
NO_VOUCHER = "NOVOUCHER-"
MAX_BYTES = 50 * 1024 * 1024
MAX_PK = 2**63  # a record number beyond a 64-bit integer names no record (and SQLite cannot bind it)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class TreasuryError(Exception):
    """A rule of the treasury reconciliation refused the change; ``code`` says which."""

    def __init__(self, code: str, message: object) -> None:
        self.code = code
        self.message = str(message)
        super().__init__(self.message)


# Codes that mean "not yours to do" (403 on the API), "no such thing" (404) and "not now" (409); the rest are 400.
FORBIDDEN_CODES = frozenset({"forbidden"})
NOT_FOUND_CODES = frozenset({"not_found"})
CONFLICT_CODES = frozenset({"month_signed_off", "open_differences", "already_resolved", "superseded", "no_statement"})


# ------------------------------------------------------------------------------------------------ who may act


def _department(user: User) -> str:
    unit = user.unit
    return unit.department if unit is not None and unit.kind == "department" else ""


def may_view(user: User) -> bool:
    """Tell whether the treasury reconciliation is within the user's duty: tax, the People's Bank, finance."""
    return bool(user.is_superuser or _department(user) in ("tax", "pbc", "finance"))


def may_import(user: User) -> bool:
    """Tell whether the user may import a statement: tax, or the People's Bank delivering its own."""
    return bool(user.is_superuser or _department(user) in ("tax", "pbc"))


def may_resolve(user: User) -> bool:
    """Tell whether the user may resolve differences and sign a month off: tax only (Art 36)."""
    return bool(user.is_superuser or _department(user) == "tax")


def may_drill(user: User) -> bool:
    """Tell whether the user may see the payments behind a voucher (personal data): tax only."""
    return may_resolve(user)


def month_parse(text: str) -> str:
    """Return a month as ``YYYY-MM`` or refuse it."""
    found = _MONTH.match((text or "").strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise TreasuryError("bad_month", _("Give the month as YYYY-MM, e.g. 2026-10."))
    return found[0]


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """Return the first day of the month and the first day of the next."""
    year, mon = (int(p) for p in month.split("-"))
    return dt.date(year, mon, 1), dt.date(year + mon // 12, mon % 12 + 1, 1)


# ------------------------------------------------------------------------------------------------- our side


OURS_SQL = (
    "SELECT CASE WHEN etax_voucher = '' THEN %s || CAST(id AS TEXT) ELSE etax_voucher END,"
    " CAST(treasury_date AS TEXT), amount_fen + other_fen, insurance"
    " FROM collection_payment WHERE treasury_date >= %s AND treasury_date < %s AND amount_fen + other_fen <> 0"
)
OURS_SCHEMA: dict[str, Any] = {
    "voucher": pl.String,
    "entry_date": pl.Date,
    "amount_fen": pl.Int64,
    "insurance": pl.String,
}


def ours_frame(month: str) -> pl.DataFrame:
    """Read what our records say reached the treasury in the month: one row per payment record."""
    first, after = month_bounds(month)
    return read_frame(OURS_SQL, [NO_VOUCHER, first.isoformat(), after.isoformat()], schema=OURS_SCHEMA)


def _arrow(frame: pl.DataFrame) -> pa.Table:
    return frame.select(list(OURS_COLUMNS)).to_arrow().cast(pa.schema(list(OURS_COLUMNS.items())))


# --------------------------------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportResult:
    statement: TreasuryStatement
    created: bool  # False: the same file was imported before; its first import is returned

    @property
    def counts(self) -> dict[str, Any]:
        return dict(self.statement.counts)


def statement_import(*, by: User, month: str, content: bytes, filename: str) -> ImportResult:
    """Import the People's Bank statement of a month and match it against our records (Art 36).

    The same file twice answers with its first import. A file that cannot be read, has no usable line, or is for
    a month already signed off changes nothing.
    """
    if not may_import(by):
        raise TreasuryError("forbidden", _("Only the tax bureau or the People's Bank imports the treasury statement."))
    month = month_parse(month)
    if len(content) > MAX_BYTES:
        raise TreasuryError("too_large", _("The file is larger than 50 MB."))
    sha = hashlib.sha256(content).hexdigest()
    first = TreasuryStatement.objects.filter(sha256=sha).first()
    if first is not None:
        return ImportResult(first, False)
    _refuse_signed(TreasuryMonth.objects.filter(month=month).first())
    try:
        read = read_table(content, filename=filename, columns=COLUMNS)
    except UnreadableFile as exc:
        raise TreasuryError("unreadable", exc.message) from exc
    lines = classify_lines(read.frame, month)
    usable = lines.filter(pl.col("outcome") != LineOutcome.REJECTED)
    if usable.is_empty():
        raise TreasuryError("no_usable_line", _("No line of the file can be used: every line was rejected."))
    try:
        with transaction.atomic():
            statement = _import(by, month, filename, sha, len(content), read.format, read.encoding, lines, read)
    except IntegrityError:
        # The same file imported at the same moment by another request: answer with that import.
        found = TreasuryStatement.objects.filter(sha256=sha).first()
        if found is None:
            raise
        return ImportResult(found, False)
    return ImportResult(statement, True)


def _refuse_signed(the_month: TreasuryMonth | None) -> None:
    if the_month is not None and the_month.status == MonthStatus.SIGNED_OFF:
        raise TreasuryError(
            "month_signed_off",
            _("The month %(month)s was signed off: its statement can no longer be replaced.")
            % {"month": the_month.month},
        )


def _import(
    by: User,
    month: str,
    filename: str,
    sha: str,
    size: int,
    fmt: str,
    encoding: str,
    lines: pl.DataFrame,
    read: Any,
) -> TreasuryStatement:
    now = timezone.now()
    the_month, _created = TreasuryMonth.objects.get_or_create(month=month)
    the_month = TreasuryMonth.objects.select_for_update().get(pk=the_month.pk)
    _refuse_signed(the_month)
    previous = the_month.statement
    outcome = lines.get_column("outcome")
    counts: dict[str, Any] = {
        "lines": lines.height,
        "accepted": int((outcome == LineOutcome.ACCEPTED).sum()),
        "repaired": int((outcome == LineOutcome.REPAIRED).sum()),
        "rejected": int((outcome == LineOutcome.REJECTED).sum()),
        "blank_rows": read.blank_rows,
    }
    statement = TreasuryStatement.objects.create(
        month=the_month,
        filename=filename[:200],
        sha256=sha,
        size=size,
        format=fmt,
        encoding=encoding,
        counts=counts,
        imported_by=by,
        imported_at=now,
    )
    bulk_insert(StatementLine, lines.with_columns(pl.lit(statement.pk, dtype=pl.Int64).alias("statement_id")))
    counts.update(_match(the_month, statement, lines, previous))
    statement.counts = counts
    statement.save(update_fields=["counts"])
    if previous is not None:
        TreasuryStatement.objects.filter(pk=previous.pk).update(superseded_at=now)
    the_month.statement = statement
    the_month.matched_at = now
    the_month.save(update_fields=["statement", "matched_at"])
    audit_record(
        actor=by,
        action="treasury.statement_import",
        obj=statement,
        payload={
            "month": month,
            "filename": statement.filename,
            "sha256": sha,
            "replaces": previous.pk if previous else None,
            "counts": counts,
        },
    )
    _statement_obligation_fulfil(by, statement)
    return statement


DIFF_SCHEMA: dict[str, Any] = {
    "voucher": pl.String,
    "kind": pl.String,
    "negative": pl.Boolean,
    "status": pl.String,
    "note": pl.String,
    "resolved_by_id": pl.Int64,
    "resolved_at": pl.Datetime("us", "UTC"),
}


def _match(
    the_month: TreasuryMonth, statement: TreasuryStatement, lines: pl.DataFrame, previous: TreasuryStatement | None
) -> dict[str, Any]:
    """Match the statement's usable lines against our records on frames, and load the differences in bulk."""
    ours = ours_frame(the_month.month)
    theirs = lines.filter(pl.col("outcome") != LineOutcome.REJECTED)
    found = pl.from_arrow(match_duckdb(_arrow(ours), _arrow(theirs)))
    assert isinstance(found, pl.DataFrame)
    found = found.with_columns(
        (pl.coalesce("our_amount_fen", "statement_amount_fen") < 0).alias("negative"),
        pl.col("insurance").fill_null(""),
        pl.col("voucher").str.slice(0, 40),
    ).unique(["voucher", "kind", "negative"], keep="first", maintain_order=True)
    kept = _kept_resolutions(previous)
    found = found.join(kept, on=["voucher", "kind", "negative"], how="left").with_columns(
        pl.col("status").fill_null(DifferenceStatus.OPEN), pl.col("note").fill_null("")
    )
    bulk_insert(
        Difference,
        found.with_columns(
            pl.lit(the_month.pk, dtype=pl.Int64).alias("month_id"),
            pl.lit(statement.pk, dtype=pl.Int64).alias("statement_id"),
        ),
    )
    by_kind = found.group_by("kind").len()
    kinds = dict.fromkeys(KINDS, 0) | dict(zip(by_kind["kind"].to_list(), by_kind["len"].to_list(), strict=True))
    return {
        "differences": found.height,
        "kept_resolved": int((found.get_column("status") == DifferenceStatus.RESOLVED).sum()),
        "by_kind": kinds,
        "our_lines": ours.height,
        "our_total_fen": int(ours.get_column("amount_fen").sum() or 0),
        "statement_lines": theirs.height,
        "statement_total_fen": int(theirs.get_column("amount_fen").sum() or 0),
    }


def _kept_resolutions(previous: TreasuryStatement | None) -> pl.DataFrame:
    """The resolutions of the previous statement's differences, to keep where the same difference persists."""
    if previous is None:
        return pl.DataFrame(schema=DIFF_SCHEMA)
    rows = Difference.objects.filter(statement=previous, status=DifferenceStatus.RESOLVED).values_list(
        "voucher", "kind", "negative", "status", "note", "resolved_by_id", "resolved_at"
    )
    return pl.DataFrame(list(rows), schema=DIFF_SCHEMA, orient="row")


def _statement_obligation_fulfil(by: User, statement: TreasuryStatement) -> None:
    """Meet the People's Bank's obligation to give tax the month's statement (Art 36: month end + 3 working days)."""
    rule = ObligationRule.objects.filter(code=STATEMENT_RULE).first()
    if rule is None:
        return  # the obligation rules are not loaded (a bare test database): the statement itself still shows
    for unit in owner_units(rule):
        obligation_fulfil(
            rule_code=STATEMENT_RULE,
            unit=unit,
            ref=f"treasury_statement:{statement.pk}",
            label=_("Treasury statement of %(month)s imported") % {"month": statement.month.month},
            at=statement.imported_at,
            actor=by,
            period=statement.month.month,
        )


# ------------------------------------------------------------------------------------------ resolve, sign off


def difference_resolve(*, by: User, difference: Difference | int, note: str) -> Difference:
    """Resolve one difference of an open month with a note saying its cause and what was done (Art 36)."""
    if not may_resolve(by):
        raise TreasuryError("forbidden", _("Only the tax bureau resolves treasury differences."))
    text = (note or "").strip()
    if not text:
        raise TreasuryError("note_required", _("Say in a note what caused the difference and how it was settled."))
    with transaction.atomic():
        pk = difference.pk if isinstance(difference, Difference) else int(difference)
        locked = Difference.objects.select_for_update().filter(pk=pk).first() if 0 < pk < MAX_PK else None
        if locked is None:
            raise TreasuryError("not_found", _("No such difference."))
        the_month = TreasuryMonth.objects.get(pk=locked.month_id)
        _refuse_signed(the_month)
        if the_month.statement_id != locked.statement_id:
            raise TreasuryError("superseded", _("This difference belongs to a statement that has been replaced."))
        if locked.status == DifferenceStatus.RESOLVED:
            raise TreasuryError("already_resolved", _("This difference is already resolved."))
        locked.status = DifferenceStatus.RESOLVED
        locked.note = text[:2000]
        locked.resolved_by = by
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
        audit_record(
            actor=by,
            action="treasury.difference_resolve",
            obj=locked,
            payload={"month": the_month.month, "voucher": locked.voucher, "kind": locked.kind, "note": locked.note},
        )
    return locked


def month_signoff(*, by: User, month: str, note: str = "") -> TreasuryMonth:
    """Sign the month's reconciliation off for tax: only once every difference is resolved; then read-only."""
    if not may_resolve(by):
        raise TreasuryError("forbidden", _("Only the tax bureau signs the treasury reconciliation off."))
    month = month_parse(month)
    with transaction.atomic():
        the_month = TreasuryMonth.objects.select_for_update().filter(month=month).first()
        if the_month is None or the_month.statement_id is None:
            raise TreasuryError("no_statement", _("No statement of %(month)s has been imported.") % {"month": month})
        _refuse_signed(the_month)
        still_open = Difference.objects.filter(
            statement_id=the_month.statement_id, status=DifferenceStatus.OPEN
        ).count()
        if still_open:
            raise TreasuryError(
                "open_differences",
                _("%(count)s differences are still open: resolve every difference before signing the month off.")
                % {"count": still_open},
            )
        the_month.status = MonthStatus.SIGNED_OFF
        the_month.signed_by = by
        the_month.signed_at = timezone.now()
        the_month.sign_note = (note or "").strip()[:2000]
        the_month.save(update_fields=["status", "signed_by", "signed_at", "sign_note"])
        audit_record(
            actor=by,
            action="treasury.month_signoff",
            obj=the_month,
            payload={"month": month, "statement": the_month.statement_id, "note": the_month.sign_note},
        )
    return the_month


# ------------------------------------------------------------------------------------------------- template


def template_xlsx() -> bytes:
    """Write the statement template: the Chinese headers, and a sheet describing each column."""
    buffer = io.BytesIO()
    book = safe_workbook(buffer, constant_memory=False, in_memory=True)
    sheet = book.add_worksheet("入库对账单")
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    for col, header in enumerate(TEMPLATE_HEADERS):
        sheet.write_string(0, col, header, bold)
    sheet.set_column(0, 0, 24, text)
    sheet.set_column(1, 1, 14, text)
    sheet.set_column(2, 2, 14, text)
    sheet.set_column(3, 3, 24, text)
    sheet.set_column(4, 4, 28, text)
    sheet.set_column(5, 5, 10, text)
    notes = book.add_worksheet("填写说明")
    rows = [
        ("列名", "说明"),
        ("电子税票号", "入库所依据的电子税票号码（必填）"),
        ("入库日期", "国库入库日期，格式 YYYY-MM-DD，须在对账月份内（必填）"),
        ("金额(元)", "以元为单位，最多两位小数；退库填负数，或填正数并在“退库标志”填“是”（必填）"),
        ("险种", f"{INSURANCE_ZH['medical']} 或 {INSURANCE_ZH['pension']}（必填）"),
        ("收款国库/账户", "收款国库名称或账户（可选）"),
        ("退库标志", "是 / 否（可选，空为否）"),
        ("文件格式", "xlsx、xls 或 CSV（UTF-8、带 BOM 的 UTF-8 或 GBK 编码）；首行为表头，表头上方可有标题行"),
    ]
    for r, (name, meaning) in enumerate(rows):
        notes.write_string(r, 0, name, bold if r == 0 else None)
        notes.write_string(r, 1, meaning, bold if r == 0 else None)
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 90)
    book.close()
    return buffer.getvalue()
