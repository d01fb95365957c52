"""The reports API (Art 34): ``GET /api/reports/summary`` and ``GET /api/reports/accounts`` — the pages' figures.

Amounts are integer fen. The period is one of ``month`` (YYYY-MM), ``year`` (coverage year) or ``from``/``to``
(YYYY-MM-DD, both included); the latest campaign's coverage year when none is given.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import ConfigDict, Field

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor

from . import selectors, selectors_accounts
from .rules import Period
from .selectors import ReportError, ReportScope

router = Router(tags=["reports"])
STATUS = {"forbidden": 403, "not_found": 404, "bad_period": 400}


class PeriodQuery(Schema):
    model_config = ConfigDict(populate_by_name=True)

    month: str = Field("", max_length=7, description="A month paid, YYYY-MM.")
    year: str = Field("", max_length=4, description="A coverage year (the campaign's), e.g. 2027.")
    date_from: str = Field("", alias="from", max_length=10, description="First day paid, YYYY-MM-DD.")
    date_to: str = Field("", alias="to", max_length=10, description="Last day paid, YYYY-MM-DD (included).")


class SummaryQuery(PeriodQuery):
    township: str = Field(
        "", max_length=12, description="A township's division code, or 'none' for payments that matched no one."
    )


class PeriodOut(Schema):
    kind: str = Field(description="month, year or range")
    key: str
    label: str
    start: dt.date | None
    end: dt.date | None
    year: int | None


class ReportFiguresOut(Schema):
    insurance: str = Field(description="medical, pension, or empty for both")
    label: str
    payments: int = Field(description="Payment records.")
    refunds: int = Field(description="Refund records.")
    reversals: int = Field(description="Reversal records.")
    gross_fen: int = Field(description="Receipts of the payment records (person's and 代缴 parts), fen.")
    refund_fen: int = Field(description="Refunded, positive, fen.")
    reversal_fen: int = Field(description="Reversed, positive, fen.")
    net_fen: int = Field(description="gross − refunds − reversals, fen.")
    own_fen: int = Field(description="Net paid by the persons, fen.")
    gov_fen: int = Field(description="Net paid by the government (代缴), fen.")
    treasury_fen: int = Field(description="Net entered into the treasury, fen.")
    pending_fen: int = Field(description="Net not yet entered into the treasury, fen.")
    persons: int = Field(description="ID numbers whose net is above nil.")
    persons_own: int
    persons_gov: int


class ChannelOut(Schema):
    insurance: str
    channel: str
    label: str
    records: int
    gross_fen: int
    returned_fen: int = Field(description="Refunds and reversals, positive, fen.")
    net_fen: int


class TownshipOut(Schema):
    insurance: str
    code: str = Field(description="Division code; empty for payments that matched no one.")
    name: str
    net_fen: int
    own_fen: int
    gov_fen: int
    treasury_fen: int
    persons: int


class ReportMonthOut(Schema):
    insurance: str
    month: str
    net_fen: int
    own_fen: int
    gov_fen: int


class SummaryOut(Schema):
    period: PeriodOut
    area: str = Field(description="Empty for the whole county, a township code, or 'none'.")
    area_name: str
    insurances: list[ReportFiguresOut]
    total: ReportFiguresOut
    channels: list[ChannelOut]
    townships: list[TownshipOut]
    months: list[ReportMonthOut]


class ReportAccountOut(Schema):
    kind: str = Field(description="income (收入户), fiscal (财政专户) or expenditure (支出户)")
    label: str
    name: str
    number: str
    bank: str
    recorded: bool = Field(description="False while finance has not recorded this account.")
    receipts_fen: int = Field(description="Income account: the insurance's net receipts credited, fen.")
    treasury_fen: int
    in_by_flow: dict[str, int] = Field(description="Transfers in per flow (contributions, on_behalf, subsidy), fen.")
    out_by_flow: dict[str, int] = Field(description="Transfers out per flow, fen.")
    in_fen: int
    out_fen: int
    balance_fen: int


class InsuranceAccountsOut(Schema):
    insurance: str
    label: str
    income: ReportAccountOut
    fiscal: ReportAccountOut
    expenditure: ReportAccountOut
    to_fiscal_by_flow: dict[str, int] = Field(description="From the income to the fiscal special account, fen.")
    budget_by_flow: dict[str, int] = Field(description="Into the fiscal special account from the budget, fen.")


class ReportTransferOut(Schema):
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


class AccountsOut(Schema):
    period: PeriodOut
    has_accounts: bool = Field(description="False while finance has recorded no account: every figure is nil.")
    insurances: list[InsuranceAccountsOut]
    transfer_count: int
    transfers: list[ReportTransferOut]


class ReportErrorOut(Schema):
    code: str
    detail: str


def _period_out(period: Period) -> PeriodOut:
    return PeriodOut(
        kind=period.kind, key=period.key, label=period.label, start=period.start, end=period.end, year=period.year
    )


def _scope(request: HttpRequest, object_type: str) -> ReportScope:
    actor = Actor.of(request.auth)  # type: ignore[attr-defined]
    try:
        return selectors.report_scope(actor)
    except ReportError as exc:
        access_log(actor=actor, action=AccessAction.DENIED, object_type=object_type, request=request, channel="api")
        raise HttpError(403, exc.message) from exc


def _period(query: PeriodQuery) -> Period:
    try:
        return selectors.read_period(
            month=query.month, year=query.year, date_from=query.date_from, date_to=query.date_to
        )
    except ReportError as exc:
        raise HttpError(400, exc.message) from exc


def summary_out(report: selectors.Summary) -> SummaryOut:
    """Shape the report by insurance type as the API returns it (the command line's --json too)."""
    return SummaryOut(
        period=_period_out(report.period),
        area=report.area,
        area_name=report.area_name,
        insurances=[ReportFiguresOut(**f.as_dict()) for f in report.insurances],
        total=ReportFiguresOut(**report.total.as_dict()),
        channels=[ChannelOut(**c.as_dict()) for c in report.channels],
        townships=[TownshipOut(**t.as_dict()) for t in report.townships],
        months=[ReportMonthOut(**m.as_dict()) for m in report.months],
    )


def accounts_out(report: selectors_accounts.AccountsReport) -> AccountsOut:
    """Shape the report by account as the API returns it."""
    return AccountsOut(
        period=_period_out(report.period),
        has_accounts=report.has_accounts,
        insurances=[InsuranceAccountsOut(**a.as_dict()) for a in report.insurances],
        transfer_count=report.transfer_count,
        transfers=[ReportTransferOut(**t.as_dict()) for t in report.transfers],
    )


@router.get(
    "/summary",
    response={200: SummaryOut, 400: ReportErrorOut, 403: ReportErrorOut, 404: ReportErrorOut},
    summary="Receipts by insurance type: gross, refunds, reversals, net, persons, 代缴, channels, townships, months",
)
def summary(request: HttpRequest, query: Query[SummaryQuery]) -> SummaryOut:
    scope = _scope(request, "reports.summary")
    period = _period(query)
    try:
        report = selectors.summary(scope=scope, period=period, township=query.township, request=request, channel="api")
    except ReportError as exc:
        access_log(
            actor=scope.actor,
            action=AccessAction.DENIED,
            object_type="reports.summary",
            query=f"summary {query.township}"[:200],
            request=request,
            channel="api",
        )
        raise HttpError(STATUS.get(exc.code, 400), exc.message) from exc
    return summary_out(report)


@router.get(
    "/accounts",
    response={200: AccountsOut, 400: ReportErrorOut, 403: ReportErrorOut},
    summary="Receipts and transfers by account: each insurance's income, fiscal special and expenditure accounts",
)
def accounts(request: HttpRequest, query: Query[PeriodQuery]) -> AccountsOut:
    scope = _scope(request, "reports.accounts")
    period = _period(query)
    try:
        report = selectors_accounts.accounts(scope=scope, period=period, request=request, channel="api")
    except ReportError as exc:
        access_log(
            actor=scope.actor,
            action=AccessAction.DENIED,
            object_type="reports.accounts",
            request=request,
            channel="api",
        )
        raise HttpError(STATUS.get(exc.code, 400), exc.message) from exc
    return accounts_out(report)
