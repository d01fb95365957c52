"""The reports as xlsx (Art 34): the same figures as the pages, one sheet per breakdown.

Written with xlsxwriter in ``constant_memory`` mode. Every text cell goes through ``exchange.exports.safe_cell``
(a leading ``= + - @`` is escaped); amounts are numeric cells in yuan with two decimals, written from ``Decimal``.
The first line of every sheet says who exported it, for which duty and when (Art 21).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.money import from_fen
from liangxian.exchange.exports import export_mark, safe_cell, safe_workbook
from liangxian.finance.models import Flow

from .selectors import ReportScope, Summary
from .selectors_accounts import AccountsReport


class Money(int):
    """Integer fen that the sheet writes as a yuan amount."""


def _sheet(
    book: Any, title: str, mark: str, heading: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet(title[:31])
    sheet.write_string(0, 0, safe_cell(mark))
    sheet.write_string(1, 0, safe_cell(heading), bold)
    for col, label in enumerate(headers):
        sheet.write_string(2, col, safe_cell(label), bold)
    sheet.set_column(0, len(headers) - 1, 16)
    for r, values in enumerate(rows, start=3):
        for col, value in enumerate(values):
            if isinstance(value, Money):
                sheet.write_number(r, col, from_fen(int(value)), money)
            elif isinstance(value, int | Decimal) and not isinstance(value, bool):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, safe_cell(value))


def report_xlsx(
    *,
    scope: ReportScope,
    report: Summary,
    accounts: AccountsReport | None,
    target: IO[bytes],
    request: HttpRequest | None = None,
    channel: str = "web",
) -> None:
    """Write the report by insurance type (and, for the county, by account) to ``target``; log the export."""
    access_log(
        actor=scope.actor,
        action=AccessAction.EXPORT,
        object_type="reports.summary",
        count=report.total.persons,
        duty=scope.duty,
        query=f"xlsx {report.period.key} {report.area}".strip(),
        request=request,
        channel=channel,
    )
    mark = export_mark(scope.actor, scope.duty)
    book = safe_workbook(target)
    title = _("Receipts by insurance type and by account")
    book.set_properties({"title": title, "comments": mark, "created": timezone.now().replace(tzinfo=None)})
    where = f"{report.area_name} · {report.period.label}"
    _sheet(
        book,
        _("By insurance type"),
        mark,
        f"{title} · {where}",
        [
            _("Insurance"),
            _("Payment records"),
            _("Refund records"),
            _("Reversal records"),
            _("Gross receipts"),
            _("Refunds"),
            _("Reversals"),
            _("Net receipts"),
            _("Paid by the persons"),
            _("Paid by the government (代缴)"),
            _("Persons paid"),
            _("Persons who paid their own part"),
            _("Persons paid for by the government"),
            _("Entered into the treasury"),
            _("Not yet entered into the treasury"),
        ],
        (
            [
                f.label,
                f.payments,
                f.refunds,
                f.reversals,
                Money(f.gross_fen),
                Money(f.refund_fen),
                Money(f.reversal_fen),
                Money(f.net_fen),
                Money(f.own_fen),
                Money(f.gov_fen),
                f.persons,
                f.persons_own,
                f.persons_gov,
                Money(f.treasury_fen),
                Money(f.pending_fen),
            ]
            for f in [*report.insurances, report.total]
        ),
    )
    labels = {f.insurance: f.label for f in report.insurances}
    _sheet(
        book,
        _("By channel"),
        mark,
        where,
        [
            _("Insurance"),
            _("Channel"),
            _("Records"),
            _("Gross receipts"),
            _("Refunds and reversals"),
            _("Net receipts"),
        ],
        (
            [labels[c.insurance], c.label, c.records, Money(c.gross_fen), Money(c.returned_fen), Money(c.net_fen)]
            for c in report.channels
        ),
    )
    _sheet(
        book,
        _("By township"),
        mark,
        where,
        [
            _("Insurance"),
            _("Township code"),
            _("Township"),
            _("Net receipts"),
            _("Paid by the persons"),
            _("Paid by the government (代缴)"),
            _("Entered into the treasury"),
            _("Persons paid"),
        ],
        (
            [
                labels[t.insurance],
                t.code,
                t.name,
                Money(t.net_fen),
                Money(t.own_fen),
                Money(t.gov_fen),
                Money(t.treasury_fen),
                t.persons,
            ]
            for t in report.townships
        ),
    )
    _sheet(
        book,
        _("By month"),
        mark,
        where,
        [
            _("Insurance"),
            _("Month paid"),
            _("Net receipts"),
            _("Paid by the persons"),
            _("Paid by the government (代缴)"),
        ],
        ([labels[m.insurance], m.month, Money(m.net_fen), Money(m.own_fen), Money(m.gov_fen)] for m in report.months),
    )
    if accounts is not None:
        _accounts_sheets(book, mark, where, accounts)
    book.close()


def _accounts_sheets(book: Any, mark: str, where: str, report: AccountsReport) -> None:
    insurances = {acc.insurance: acc.label for acc in report.insurances}
    flows = list(Flow.choices)
    headers = [
        _("Insurance"),
        _("Account"),
        _("Account name"),
        _("Account number"),
        _("Receipts credited"),
        _("Of which entered into the treasury"),
        *[_("In: %(flow)s") % {"flow": label} for _code, label in flows],
        *[_("Out: %(flow)s") % {"flow": label} for _code, label in flows],
        _("Balance"),
    ]
    note = "" if report.has_accounts else _("No account recorded by finance yet: the account figures are nil.")
    rows = (
        [
            acc.label,
            line.label,
            line.name,
            line.number,
            Money(line.receipts_fen),
            Money(line.treasury_fen),
            *[Money(line.in_by_flow.get(code, 0)) for code, _label in flows],
            *[Money(line.out_by_flow.get(code, 0)) for code, _label in flows],
            Money(line.balance_fen),
        ]
        for acc in report.insurances
        for line in acc.lines
    )
    _sheet(book, _("By account"), mark, f"{where} {note}".strip(), headers, rows)
    _sheet(
        book,
        _("Transfers"),
        mark,
        where,
        [_("Value date"), _("Insurance"), _("Flow"), _("From account"), _("To account"), _("Amount"), _("Reference")],
        (
            [
                str(t.value_date),
                insurances.get(t.insurance, t.insurance),
                t.flow_label,
                t.from_account,
                t.to_account,
                Money(t.amount_fen),
                t.reference,
            ]
            for t in report.transfers
        ),
    )
