"""`liangxian reports summary`: receipts by insurance type and by account from the command line (Art 34)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.core.money import from_fen
from liangxian.core.scope import Actor
from liangxian.org.cli import required_user
from liangxian.reports import selectors, selectors_accounts
from liangxian.reports.api import accounts_out, summary_out
from liangxian.reports.exports import report_xlsx
from liangxian.reports.selectors import ReportError


class Command(BaseCommand):
    help = "Report receipts by insurance type and by account for a month, a coverage year or a date range (Art 34)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        summary = sub.add_parser("summary", help="receipts by insurance type (and, for the county, by account)")
        period = summary.add_mutually_exclusive_group()
        period.add_argument("--month", default="", help="a month paid, YYYY-MM")
        period.add_argument("--year", default="", help="a coverage year (the campaign's), e.g. 2027")
        period.add_argument("--from", dest="date_from", default="", help="first day paid, YYYY-MM-DD (with --to)")
        summary.add_argument("--to", dest="date_to", default="", help="last day paid, YYYY-MM-DD (included)")
        summary.add_argument("--township", default="", help="a township's division code (county users)")
        summary.add_argument("--xlsx", type=Path, default=None, help="also write the figures to this xlsx file")
        summary.add_argument("--json", action="store_true", help="print the figures as JSON (amounts in fen)")
        summary.add_argument("--as", dest="username", required=True, help="the acting user")

    def handle(self, *args: Any, **options: Any) -> None:
        user = required_user(options["username"])
        if options["date_to"] and not options["date_from"]:
            raise CommandError("bad_period: --to needs --from")
        try:
            scope = selectors.report_scope(Actor.of(user))
            period = selectors.read_period(
                month=options["month"],
                year=options["year"],
                date_from=options["date_from"],
                date_to=options["date_to"],
            )
            report = selectors.summary(scope=scope, period=period, township=options["township"], channel="cli")
            accounts = (
                selectors_accounts.accounts(scope=scope, period=period, receipts=report, channel="cli")
                if scope.sees_accounts and not report.area
                else None
            )
        except ReportError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if options["xlsx"] is not None:
            with options["xlsx"].open("wb") as target:
                report_xlsx(scope=scope, report=report, accounts=accounts, target=target, channel="cli")
        if options["json"]:
            body: dict[str, Any] = {"summary": summary_out(report).model_dump(mode="json")}
            if accounts is not None:
                body["accounts"] = accounts_out(accounts).model_dump(mode="json")
            self.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
            return
        self.stdout.write(f"{report.area_name} {report.period.label}")
        for f in [*report.insurances, report.total]:
            self.stdout.write(
                "\t".join(
                    [
                        f.label,
                        f"gross={from_fen(f.gross_fen)}",
                        f"refunds={from_fen(f.refund_fen)}",
                        f"reversals={from_fen(f.reversal_fen)}",
                        f"net={from_fen(f.net_fen)}",
                        f"own={from_fen(f.own_fen)}",
                        f"gov={from_fen(f.gov_fen)}",
                        f"persons={f.persons}",
                        f"treasury={from_fen(f.treasury_fen)}",
                        f"pending={from_fen(f.pending_fen)}",
                    ]
                )
            )
        if accounts is not None:
            for acc in accounts.insurances:
                for line in acc.lines:
                    self.stdout.write(
                        f"{acc.label}\t{line.label}\t{line.number or '-'}\tin={from_fen(line.in_fen)}"
                        f"\tout={from_fen(line.out_fen)}\tbalance={from_fen(line.balance_fen)}"
                    )
            if not accounts.has_accounts:
                self.stdout.write("no accounts recorded by finance yet: the account figures are nil")
