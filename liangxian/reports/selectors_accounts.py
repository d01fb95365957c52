"""Receipts and transfers by account (Art 9, 34): each insurance's income, fiscal special and expenditure accounts.

The insurance's net receipts (``selectors.summary``) are credited to its income account (收入户); the transfers
(``finance.Transfer``: one grouped query) move money per flow (contributions, 代缴, subsidies) to the fiscal
special account (财政专户) and on to the expenditure account. With no account or transfer recorded yet the
figures are nil and the report says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db.models import QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _

from liangxian.campaigns.models import InsuranceType
from liangxian.finance.models import AccountKind, Flow, FundAccount, Transfer

from .rules import Period
from .selectors import ReportError, ReportScope, Summary, labels_of, summary

FLOWS = tuple(Flow.values)


@dataclass
class AccountLine:
    """One account of one insurance in the period: inflows and outflows per flow, and the balance (fen)."""

    kind: str
    label: str
    name: str = ""  # the account's name; "" when finance has not recorded it yet
    number: str = ""
    bank: str = ""
    receipts_fen: int = 0  # income account only: the insurance's net receipts credited to it
    treasury_fen: int = 0  # of which entered into the treasury
    in_by_flow: dict[str, int] = field(default_factory=dict)
    out_by_flow: dict[str, int] = field(default_factory=dict)

    @property
    def recorded(self) -> bool:
        return bool(self.number)

    @property
    def in_fen(self) -> int:
        return self.receipts_fen + sum(self.in_by_flow.values())

    @property
    def out_fen(self) -> int:
        return sum(self.out_by_flow.values())

    @property
    def balance_fen(self) -> int:
        return self.in_fen - self.out_fen

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "name": self.name,
            "number": self.number,
            "bank": self.bank,
            "recorded": self.recorded,
            "receipts_fen": self.receipts_fen,
            "treasury_fen": self.treasury_fen,
            "in_by_flow": dict(self.in_by_flow),
            "out_by_flow": dict(self.out_by_flow),
            "in_fen": self.in_fen,
            "out_fen": self.out_fen,
            "balance_fen": self.balance_fen,
        }


@dataclass
class TransferRow:
    id: int
    insurance: str
    flow: str
    flow_label: str
    from_account: str
    to_account: str
    to_kind: str
    amount_fen: int
    value_date: dt.date
    reference: str
    note: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class InsuranceAccounts:
    """One insurance's income, fiscal special and expenditure accounts in the period."""

    insurance: str
    label: str
    income: AccountLine
    fiscal: AccountLine
    expenditure: AccountLine
    to_fiscal_by_flow: dict[str, int] = field(default_factory=dict)  # 收入户 → 财政专户, per flow
    budget_by_flow: dict[str, int] = field(default_factory=dict)  # into the 财政专户 from no account (the budget)

    @property
    def lines(self) -> list[AccountLine]:
        return [self.income, self.fiscal, self.expenditure]

    @property
    def to_fiscal_fen(self) -> int:
        return sum(self.to_fiscal_by_flow.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "insurance": self.insurance,
            "label": self.label,
            "income": self.income.as_dict(),
            "fiscal": self.fiscal.as_dict(),
            "expenditure": self.expenditure.as_dict(),
            "to_fiscal_by_flow": dict(self.to_fiscal_by_flow),
            "budget_by_flow": dict(self.budget_by_flow),
        }


@dataclass
class AccountsReport:
    """The report by account (Art 34): per insurance its accounts, the flows and the transfers behind them."""

    period: Period
    insurances: list[InsuranceAccounts]
    transfers: list[TransferRow]
    transfer_count: int
    has_accounts: bool

    def accounts(self, insurance: str) -> InsuranceAccounts:
        return next(a for a in self.insurances if a.insurance == insurance)


TRANSFER_LIST_MAX = 500


def _transfers_in(period: Period) -> QuerySet[Transfer]:
    if period.kind == "year":
        return Transfer.objects.filter(coverage_year=period.year)
    return Transfer.objects.filter(value_date__gte=period.start, value_date__lte=period.end)


def accounts(
    *,
    scope: ReportScope,
    period: Period,
    flow: str = "",
    insurance: str = "",
    request: HttpRequest | None = None,
    channel: str = "web",
    receipts: Summary | None = None,
) -> AccountsReport:
    """Show each insurance's accounts: receipts credited, transfers out per flow, transfers in per flow, balances.

    County only (a township has no accounts part). With no accounts or transfers recorded the figures are nil.
    ``flow`` and ``insurance`` narrow the list of transfers shown (the drill-down), never the figures.
    """
    if not scope.sees_accounts:
        raise ReportError("forbidden", _("The accounts are read by the county departments only."))
    if receipts is None:
        receipts = summary(scope=scope, period=period, request=request, channel=channel)
    transfers = _transfers_in(period)
    grouped = (
        transfers.values("insurance", "flow", "from_account__kind", "to_account__kind")
        .annotate(amount=Coalesce(Sum("amount_fen"), Value(0)))
        .order_by()
        .values_list("insurance", "flow", "from_account__kind", "to_account__kind", "amount")
    )
    schema = {"insurance": pl.String, "flow": pl.String, "src": pl.String, "dst": pl.String, "amount": pl.Int64}
    flows = pl.DataFrame(list(grouped), schema=schema, orient="row")  # one row per group, a few dozen at most
    outs = flows.filter(pl.col("src").is_not_null()).group_by("insurance", "src", "flow").agg(pl.col("amount").sum())
    inflows = flows.group_by("insurance", "dst", "flow").agg(pl.col("amount").sum())
    pairs = flows.group_by("insurance", "src", "dst", "flow").agg(pl.col("amount").sum())
    out_map = {(r[0], r[1], r[2]): int(r[3]) for r in outs.iter_rows()}
    in_map = {(r[0], r[1], r[2]): int(r[3]) for r in inflows.iter_rows()}
    pair_map = {(r[0], r[1] or "", r[2], r[3]): int(r[4]) for r in pairs.iter_rows()}
    known = {(a.insurance, a.kind): a for a in FundAccount.objects.all()}
    kind_labels = labels_of(AccountKind.choices)
    ins_labels = labels_of(InsuranceType.choices)

    def line(ins: str, kind: str) -> AccountLine:
        account = known.get((ins, kind))
        return AccountLine(
            kind=kind,
            label=kind_labels[kind],
            name=account.name if account else "",
            number=account.number if account else "",
            bank=account.bank if account else "",
            in_by_flow={f: in_map.get((ins, kind, f), 0) for f in FLOWS},
            out_by_flow={f: out_map.get((ins, kind, f), 0) for f in FLOWS},
        )

    result = []
    for ins in InsuranceType.values:  # two insurances, three accounts each
        income = line(ins, AccountKind.INCOME)
        figures = receipts.figures(ins)
        income.receipts_fen = figures.net_fen
        income.treasury_fen = figures.treasury_fen
        fiscal = line(ins, AccountKind.FISCAL)
        result.append(
            InsuranceAccounts(
                insurance=ins,
                label=ins_labels[ins],
                income=income,
                fiscal=fiscal,
                expenditure=line(ins, AccountKind.EXPENDITURE),
                to_fiscal_by_flow={f: pair_map.get((ins, AccountKind.INCOME, AccountKind.FISCAL, f), 0) for f in FLOWS},
                budget_by_flow={
                    f: fiscal.in_by_flow[f]
                    - sum(v for (i, s, d, fl), v in pair_map.items() if (i, d, fl) == (ins, "fiscal", f) and s)
                    for f in FLOWS
                },
            )
        )
    listed = transfers.select_related("from_account", "to_account").order_by("value_date", "pk")
    if flow in FLOWS:
        listed = listed.filter(flow=flow)
    if insurance in InsuranceType.values:
        listed = listed.filter(insurance=insurance)
    flow_labels = labels_of(Flow.choices)
    rows = [
        TransferRow(
            id=t.pk,
            insurance=t.insurance,
            flow=t.flow,
            flow_label=flow_labels.get(t.flow, t.flow),
            from_account=t.from_account.name if t.from_account else _("Finance (budget)"),
            to_account=t.to_account.name,
            to_kind=t.to_account.kind,
            amount_fen=t.amount_fen,
            value_date=t.value_date,
            reference=t.reference,
            note=t.note,
        )
        for t in listed[:TRANSFER_LIST_MAX]
    ]
    return AccountsReport(
        period=period,
        insurances=result,
        transfers=rows,
        transfer_count=listed.count(),
        has_accounts=bool(known),
    )
