"""Reads of the treasury reconciliation (Art 36), for the pages, the API and the command alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from liangxian.campaigns.models import InsuranceType
from liangxian.collection.models import Payment
from liangxian.core.calendar import work_calendar
from liangxian.core.idnumbers import mask
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.workdays import DeadlineResult, try_deadline, working_days_after_month_end
from liangxian.obligations.models import Obligation, ObligationRule

from .models import Difference, DifferenceKind, DifferenceStatus, LineOutcome, StatementLine, TreasuryMonth
from .services import NO_VOUCHER, STATEMENT_RULE, month_bounds

if TYPE_CHECKING:
    from liangxian.org.models import User

STATEMENT_OFFSET = 3  # Art 36: within 3 working days after the month's end, when the rules are not loaded


def statement_due(month: str, cal: Any = None) -> DeadlineResult:
    """Say when the People's Bank owes the month's statement: its rule's working days after the month's end."""
    rule = ObligationRule.objects.filter(code=STATEMENT_RULE).only("offset").first()
    offset = rule.offset if rule is not None else STATEMENT_OFFSET
    year, mon = (int(p) for p in month.split("-"))
    return try_deadline(working_days_after_month_end, cal or work_calendar(), year, mon, offset)


@dataclass
class MonthRow:
    """One month on the months list: its reconciliation state and the statement's due date."""

    month: str
    record: TreasuryMonth | None
    due: DeadlineResult
    our_lines: int
    open_count: int
    difference_count: int
    obligation_fulfilled: bool

    @property
    def status(self) -> str:
        if self.record is None or self.record.statement_id is None:
            return "no_statement"
        return self.record.status

    @property
    def counts(self) -> dict[str, Any]:
        if self.record is None or self.record.statement is None:
            return {}
        return dict(self.record.statement.counts)


def months_overview() -> list[MonthRow]:
    """List every month with a statement or with receipts entered into the treasury, newest first."""
    records = {m.month: m for m in TreasuryMonth.objects.select_related("statement", "signed_by")}
    ours = _our_counts()
    months = sorted(set(records) | set(ours), reverse=True)
    diffs: dict[int, dict[str, Any]] = {
        row["statement_id"]: dict(row)
        for row in Difference.objects.filter(statement_id__in=[m.statement_id for m in records.values()])
        .values("statement_id")
        .annotate(total=Count("id"), open=Count("id", filter=Q(status=DifferenceStatus.OPEN)))
    }
    fulfilled = set(
        Obligation.objects.filter(rule_id=STATEMENT_RULE, period__in=months, fulfilled_at__isnull=False).values_list(
            "period", flat=True
        )
    )
    cal = work_calendar()
    rows = []
    for month in months:
        record = records.get(month)
        counted: dict[str, Any] = diffs.get(record.statement_id, {}) if record and record.statement_id else {}
        rows.append(
            MonthRow(
                month=month,
                record=record,
                due=statement_due(month, cal),
                our_lines=ours.get(month, 0),
                open_count=int(counted.get("open", 0)),
                difference_count=int(counted.get("total", 0)),
                obligation_fulfilled=month in fulfilled,
            )
        )
    return rows


def _our_counts() -> dict[str, int]:
    """Count our payment records per month of treasury entry (text months: no date function per row)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUBSTR(CAST(treasury_date AS TEXT), 1, 7) AS m, COUNT(*) FROM collection_payment"
            " WHERE treasury_date IS NOT NULL GROUP BY m"
        )
        return {str(m): int(n) for m, n in cursor.fetchall()}


def month_get(month: str) -> TreasuryMonth | None:
    return (
        TreasuryMonth.objects.select_related("statement", "statement__imported_by", "signed_by")
        .filter(month=month)
        .first()
    )


def differences_of(the_month: TreasuryMonth, *, kind: str = "", status: str = "") -> QuerySet[Difference]:
    """The current statement's differences of a month, filtered by kind and status."""
    qs = Difference.objects.filter(statement_id=the_month.statement_id).select_related("resolved_by")
    if kind in DifferenceKind.values:
        qs = qs.filter(kind=kind)
    if status in DifferenceStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("kind", "voucher", "pk")


@dataclass
class InsuranceTotal:
    insurance: str
    label: str
    our_fen: int
    statement_fen: int

    @property
    def difference_fen(self) -> int:
        return self.statement_fen - self.our_fen

    @property
    def ours(self) -> str:
        return format_yuan(from_fen(self.our_fen))

    @property
    def statement(self) -> str:
        return format_yuan(from_fen(self.statement_fen))

    @property
    def difference(self) -> str:
        return format_yuan(from_fen(self.difference_fen))


def totals_by_insurance(the_month: TreasuryMonth) -> list[InsuranceTotal]:
    """The month's totals by insurance type on both sides: our records and the statement's usable lines."""
    first, after = month_bounds(the_month.month)
    amount = Coalesce(Sum("amount_fen"), 0) + Coalesce(Sum("other_fen"), 0)
    ours = dict(
        Payment.objects.filter(treasury_date__gte=first, treasury_date__lt=after)
        .values("insurance")
        .annotate(total=amount)
        .values_list("insurance", "total")
    )
    theirs: dict[str, int] = {}
    if the_month.statement_id is not None:
        theirs = dict(
            StatementLine.objects.filter(statement_id=the_month.statement_id)
            .exclude(outcome=LineOutcome.REJECTED)
            .values("insurance")
            .annotate(total=Sum("amount_fen"))
            .values_list("insurance", "total")
        )
    rows = [
        InsuranceTotal(code, str(label), int(ours.get(code) or 0), int(theirs.get(code) or 0))
        for code, label in InsuranceType.choices
    ]
    rows.append(InsuranceTotal("", gettext("Total"), sum(r.our_fen for r in rows), sum(r.statement_fen for r in rows)))
    return rows


def totals_by_account(the_month: TreasuryMonth) -> list[dict[str, Any]]:
    """The statement's usable lines totalled by insurance type and receiving treasury or account (Art 34)."""
    if the_month.statement_id is None:
        return []
    rows = (
        StatementLine.objects.filter(statement_id=the_month.statement_id)
        .exclude(outcome=LineOutcome.REJECTED)
        .values("insurance", "account")
        .annotate(total=Sum("amount_fen"), lines=Count("id"))
        .order_by("insurance", "account")
    )
    return [
        {
            "insurance": str(dict(InsuranceType.choices).get(r["insurance"], r["insurance"])),
            "account": r["account"],
            "lines": r["lines"],
            "total": format_yuan(from_fen(int(r["total"] or 0))),
        }
        for r in rows
    ]


def flagged_lines(the_month: TreasuryMonth, limit: int = 500) -> QuerySet[StatementLine]:
    """The current statement's repaired and rejected lines, with their reasons."""
    return (
        StatementLine.objects.filter(statement_id=the_month.statement_id)
        .exclude(outcome=LineOutcome.ACCEPTED)
        .order_by("row")[:limit]
    )


@dataclass
class PaymentBehind:
    """A payment record behind a voucher, as shown to tax: the ID number masked."""

    id: int
    channel: str
    txn_no: str
    kind: str
    name: str
    id_number: str
    insurance: str
    paid_at: Any
    treasury_date: date | None
    amount: Decimal
    in_month: bool
    person_id: int | None


def payments_behind(difference: Difference, user: User) -> list[PaymentBehind]:
    """List the payment records behind a difference's voucher (any month, the month's own marked)."""
    del user  # tax only (checked by the caller); the reconciliation never needs the whole ID number
    first, after = month_bounds(difference.statement.month.month if difference.statement_id else "2000-01")
    if difference.voucher.startswith(NO_VOUCHER):
        qs = Payment.objects.filter(pk=int(difference.voucher.removeprefix(NO_VOUCHER) or 0), etax_voucher="")
    else:
        qs = Payment.objects.filter(etax_voucher=difference.voucher)
    rows = []
    for p in qs.order_by("paid_at", "pk")[:2000]:
        rows.append(
            PaymentBehind(
                id=p.pk,
                channel=p.get_channel_display(),
                txn_no=p.txn_no,
                kind=p.get_kind_display(),
                name=p.name,
                id_number=mask(p.id_number),
                insurance=p.get_insurance_display(),
                paid_at=p.paid_at,
                treasury_date=p.treasury_date,
                amount=from_fen(p.amount_fen + p.other_fen),
                in_month=p.treasury_date is not None and first <= p.treasury_date < after,
                person_id=p.person_id,
            )
        )
    return rows
