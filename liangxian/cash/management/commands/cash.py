"""`liangxian cash close-day|ledger`: the evening close of the collectors' days, and a day's cash ledger as PDF."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from liangxian.cash.ledger import cash_ledger_pdf
from liangxian.cash.services import CashError, cash_day_close
from liangxian.core.keys import as_key
from liangxian.org.models import User


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from exc


def _user(text: str) -> User:
    pk = as_key(text)
    match = Q(username=text) | Q(pk=pk) if pk is not None else Q(username=text)
    found = User.objects.filter(match).first()
    if found is None:
        raise CommandError(f"no such user: {text}")
    return found


class Command(BaseCommand):
    help = "Close the collectors' cash days (raise every unbalanced day), or print a collector's cash ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        close = sub.add_parser("close-day", help="Balance every collector's day; raise each difference (Art 29).")
        close.add_argument("--date", type=_day, default=None, help="Business day (default: today).")
        close.add_argument("--json", action="store_true")
        ledger = sub.add_parser("ledger", help="Write a collector's cash ledger of one day as PDF.")
        ledger.add_argument("--collector", required=True, help="The collector's user name or id.")
        ledger.add_argument("--date", type=_day, required=True)
        ledger.add_argument("--out", required=True, type=Path)
        ledger.add_argument("--as", dest="as_user", default=None, help="Print as this user (default: the system).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "close-day":
            result = cash_day_close(by=None, day=options["date"])
            raised = [
                {"collector": d.collector.username, "township": d.township_code, "open_fen": d.open_fen}
                for d in result.raised
            ]
            summary: dict[str, Any] = {
                "day": result.day.isoformat(),
                "collectors": result.collectors,
                "balanced": result.balanced,
                "raised": raised,
            }
            if options["json"]:
                self.stdout.write(json.dumps(summary, ensure_ascii=False))
            else:
                self.stdout.write(
                    f"{summary['day']}: {result.collectors} collectors, {result.balanced} balanced, "
                    f"{len(result.raised)} raised"
                )
                for item in raised:
                    self.stdout.write(f"  raised: {item['collector']} {item['township']} open {item['open_fen']} fen")
            return
        collector = _user(options["collector"])
        viewer = _user(options["as_user"]) if options["as_user"] else None
        try:
            pdf = cash_ledger_pdf(viewer=viewer, collector=collector, day=options["date"], channel="cli")
        except CashError as exc:
            raise CommandError(exc.message) from exc
        options["out"].write_bytes(pdf)
        self.stdout.write(f"{options['out']} ({len(pdf)} bytes)")
