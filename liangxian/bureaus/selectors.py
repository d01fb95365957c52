"""Every read of the bureaus app, scoped to the user's duty: reports, the monthly comparison, the daily files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liangxian.batch.bulk import read_frame
from liangxian.collection.models import IssueStatus, Payment, PaymentIssue

from . import frames, rules
from .models import INSURANCE_BUREAU, DailyFile, DifferenceNote, MonthlyReport, ReportRow
from .services import local_start, month_bounds, payments_between, townships, visible_insurances

if TYPE_CHECKING:
    from liangxian.org.models import User

CAUSE_LABELS = {
    "queue": _("Still in the payment queue (not credited to a person)"),
    "treasury_late": _("Entered into the treasury after the month's end"),
    "government": _("Government batches paying on behalf of residents"),
    "refunds": _("Refunds and reversals in the month"),
    "timing": _("Days whose detail reached the bureau after the month's end"),
}


def reports_visible(user: User) -> QuerySet[MonthlyReport]:
    """The monthly reports the user's duty reaches: tax all, a bureau its own."""
    bureaus = [INSURANCE_BUREAU[i] for i in visible_insurances(user)]
    return MonthlyReport.objects.filter(bureau__in=bureaus).select_related("entered_by")


def daily_files_visible(user: User) -> QuerySet[DailyFile]:
    """The daily files the user's duty reaches: tax all, a bureau its insurance type's."""
    return DailyFile.objects.filter(insurance__in=visible_insurances(user)).select_related("generated_by")


# ------------------------------------------------------------------------------------------ comparison


def month_frame(month: str) -> pl.DataFrame:
    """Read the month's payments of both insurance types and classify each by the cause it may fall under."""
    first, last = month_bounds(month)
    sub, params = payments_between(first, last + timedelta(days=1))
    # ``sub`` is the ORM's own SQL for the month's payment ids; its values are parameters.
    columns = (
        "id, id_number, insurance, township_code, kind, channel, amount_fen + subsidy_fen + other_fen,"
        " CAST(paid_at AS TEXT), CAST(treasury_date AS TEXT)"
    )
    sql = f"SELECT {columns} FROM collection_payment WHERE id IN ({sub})"  # noqa: S608
    payments = read_frame(
        sql,
        params,
        schema=frames.PAYMENT_SCHEMA,
    )
    open_ids = pl.Series(
        "id",
        list(
            PaymentIssue.objects.filter(
                status=IssueStatus.OPEN,
                payment__in=Payment.objects.filter(
                    paid_at__gte=local_start(first), paid_at__lt=local_start(last + timedelta(days=1))
                ),
            ).values_list("payment_id", flat=True)
        ),
        dtype=pl.Int64,
    )
    sent = list(
        DailyFile.objects.filter(day__gte=first, day__lte=last)
        .order_by("day", "insurance", "generated_at")
        .values_list("day", "insurance", "generated_at")
    )
    first_sent = (
        pl.DataFrame(
            [(d, i, timezone.localtime(g).date()) for d, i, g in sent],
            schema={"day": pl.Date, "insurance": pl.String, "sent_day": pl.Date},
            orient="row",
        )
        .group_by("day", "insurance")
        .agg(pl.col("sent_day").min())
    )
    return frames.payments_classify(
        payments, open_issue_ids=open_ids, first_sent=first_sent, month_end=last, tz=settings.TIME_ZONE
    )


@dataclass
class Figures:
    persons: int = 0
    amount_fen: int = 0
    refund_persons: int = 0
    refund_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.refund_fen


@dataclass
class Cause:
    code: str
    label: str
    count: int
    persons: int
    amount_fen: int
    applies: bool


@dataclass
class Line:
    insurance: str
    township_code: str  # "" for the insurance's total, "?" for payments of no known township
    township_name: str
    tax: Figures
    bureau: Figures | None
    causes: list[Cause] = field(default_factory=list)
    unexplained_fen: int = 0
    unexplained_persons: int = 0
    notes: list[DifferenceNote] = field(default_factory=list)

    @property
    def persons_diff(self) -> int:
        return self.tax.persons - (self.bureau.persons if self.bureau else 0)

    @property
    def amount_diff(self) -> int:
        return self.tax.amount_fen - (self.bureau.amount_fen if self.bureau else 0)

    @property
    def refund_diff(self) -> int:
        return self.tax.refund_fen - (self.bureau.refund_fen if self.bureau else 0)

    @property
    def net_diff(self) -> int:
        return self.tax.net_fen - (self.bureau.net_fen if self.bureau else 0)

    @property
    def balanced(self) -> bool:
        return self.bureau is not None and self.net_diff == 0 and self.persons_diff == 0


@dataclass
class Comparison:
    month: str
    reports: dict[str, MonthlyReport | None]  # insurance -> the bureau's current report
    lines: list[Line]

    def lines_of(self, insurance: str) -> list[Line]:
        return [line for line in self.lines if line.insurance == insurance]


def _figures(row: dict[str, Any] | None) -> Figures | None:
    if row is None:
        return None
    return Figures(
        persons=int(row.get("persons") or 0),
        amount_fen=int(row.get("amount_fen") or 0),
        refund_persons=int(row.get("refund_persons") or 0),
        refund_fen=int(row.get("refund_fen") or 0),
    )


def _persons_explained(classified: pl.DataFrame, insurance: str, township: str, chosen: set[str]) -> int:
    """Count the payers whose every payment of the month falls under the chosen causes (persons are not additive)."""
    if not chosen:
        return 0
    paid = classified.filter((pl.col("insurance") == insurance) & (pl.col("kind") == "payment"))
    if township:
        paid = paid.filter(pl.col("township_code") == township)
    rest = paid.filter(~pl.col("cause").is_in(list(chosen)).fill_null(False))
    return paid.get_column("id_number").n_unique() - rest.get_column("id_number").n_unique()


def _township_name(code: str, names: dict[str, str]) -> str:
    if code == "":
        return str(_("Whole county"))
    return names.get(code) or str(_("No known township"))


def month_comparison(user: User, month: str) -> Comparison:
    """Compare each bureau's current report with tax's own figures and analyse each difference by cause (Art 36)."""
    insurances = visible_insurances(user)
    classified = month_frame(month).filter(pl.col("insurance").is_in(insurances))
    tax = {(r["insurance"], r["township_code"]): r for r in frames.tax_figures(classified).iter_rows(named=True)}
    causes: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in frames.cause_figures(classified).iter_rows(named=True):
        causes.setdefault((r["insurance"], r["township_code"]), {})[r["cause"]] = r
    reports = {
        i: MonthlyReport.objects.filter(bureau=INSURANCE_BUREAU[i], month=month, current=True).first()
        for i in insurances
    }
    names = townships()
    notes: dict[tuple[str, str], list[DifferenceNote]] = {}
    for n in DifferenceNote.objects.filter(month=month, insurance__in=insurances).select_related("written_by"):
        notes.setdefault((n.insurance, n.township_code), []).append(n)
    lines: list[Line] = []
    for insurance in insurances:
        report = reports[insurance]
        bureau: dict[tuple[str, str], dict[str, Any]] = {}
        if report is not None:
            rows = pl.DataFrame(
                list(
                    ReportRow.objects.filter(report=report).values(
                        "outcome", "insurance", "township_code", "persons", "amount_fen", "refund_persons", "refund_fen"
                    )
                ),
                schema={
                    "outcome": pl.String,
                    "insurance": pl.String,
                    "township_code": pl.String,
                    "persons": pl.Int64,
                    "amount_fen": pl.Int64,
                    "refund_persons": pl.Int64,
                    "refund_fen": pl.Int64,
                },
                orient="row",
            )
            bureau = {
                (r["insurance"], r["township_code"]): r for r in frames.bureau_figures(rows).iter_rows(named=True)
            }
        has_towns = any(t for (i, t) in bureau if i == insurance and t)
        codes = {t for (i, t) in tax if i == insurance} | {t for (i, t) in bureau if i == insurance}
        if report is not None and not has_towns:
            codes = {""}  # the bureau gave only its total: compare the totals
        for code in sorted(codes, key=lambda c: (c != "", c)):
            key = (insurance, code)
            line = Line(
                insurance=insurance,
                township_code=code,
                township_name=_township_name(code, names),
                tax=_figures(tax.get(key)) or Figures(),
                bureau=(_figures(bureau.get(key)) or Figures()) if report is not None else None,
                notes=notes.get(key, []),
            )
            found = causes.get(key, {})
            candidates = [(c, int(found[c]["amount_fen"])) for c in frames.CAUSES if c in found]
            chosen, left = rules.explain(line.net_diff, candidates) if line.bureau is not None else (set(), 0)
            line.causes = [
                Cause(
                    code=c,
                    label=str(CAUSE_LABELS[c]),
                    count=int(found[c]["count"]),
                    persons=int(found[c]["persons"]),
                    amount_fen=int(found[c]["amount_fen"]),
                    applies=c in chosen,
                )
                for c in frames.CAUSES
                if c in found
            ]
            line.unexplained_fen = left
            line.unexplained_persons = line.persons_diff - _persons_explained(classified, insurance, code, chosen)
            lines.append(line)
    return Comparison(month=month, reports=reports, lines=lines)


def cause_payments(user: User, month: str, insurance: str, township_code: str, cause: str) -> QuerySet[Payment]:
    """The payments behind one cause of one difference (for the drill-down), within the user's duty."""
    if insurance not in visible_insurances(user) or cause not in frames.CAUSES:
        return Payment.objects.none()
    classified = month_frame(month).filter((pl.col("insurance") == insurance) & (pl.col("cause") == cause))
    if township_code:
        classified = classified.filter(pl.col("township_code") == township_code)
    ids = classified.get_column("id").to_list()
    return Payment.objects.filter(pk__in=ids).order_by("paid_at", "pk")
