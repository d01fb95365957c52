"""`liangxian bureaus report-import|compare|daily-detail`: monthly report (Art 36), daily detail (Art 37)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.bureaus import selectors, services
from liangxian.bureaus.api import comparison_out, report_out
from liangxian.bureaus.models import Bureau
from liangxian.bureaus.services import BureausError
from liangxian.core.money import format_yuan, from_fen
from liangxian.org.cli import acting_user


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _yuan(fen: int) -> str:
    return format_yuan(from_fen(int(fen)))


class Command(BaseCommand):
    help = "Import a bureau's monthly report, compare a month, send the daily detail to the bureaus (Art 36-37)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("report-import", help="import a bureau's monthly report file (csv or xlsx)")
        imp.add_argument("--month", required=True, help="YYYY-MM")
        imp.add_argument("--bureau", required=True, choices=Bureau.values)
        imp.add_argument("--file", required=True, type=Path)
        imp.add_argument("--as", dest="username", required=True, help="the acting user (the bureau's or tax's)")
        cmp = sub.add_parser("compare", help="compare the bureaus' figures of a month with tax's, by cause")
        cmp.add_argument("--month", required=True, help="YYYY-MM")
        cmp.add_argument("--as", dest="username", default="", help="the acting user (default: all, as the system)")
        daily = sub.add_parser("daily-detail", help="write the daily detail files (yesterday and missed days)")
        daily.add_argument("--date", default="", help="one day, YYYY-MM-DD")
        daily.add_argument("--since", default="", help="catch up from this day, YYYY-MM-DD")
        daily.add_argument("--out", type=Path, default=None, help="also copy the files to this folder")
        daily.add_argument(
            "--force", action="store_true", help="regenerate days already sent (kept as a new generation)"
        )
        daily.add_argument("--as", dest="username", default="", help="the acting tax user (default: the system)")
        for p in sub.choices.values():
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "report-import":
                result: Any = self._import(options)
            elif action == "compare":
                result = self._compare(options)
            else:
                result = self._daily(options)
        except BureausError as exc:
            if options["json"]:
                self.stdout.write(orjson.dumps({"error": exc.code, "detail": exc.message}).decode())
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if options["json"]:
            self.stdout.write(orjson.dumps(result, default=str).decode())

    def _import(self, options: dict[str, Any]) -> dict[str, Any]:
        user = acting_user(options["username"])
        assert user is not None
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file {path}")
        result = services.report_import(
            by=user, bureau=options["bureau"], month=options["month"], filename=path.name, data=path.read_bytes()
        )
        out = report_out(result.report, result.repeated)
        if not options["json"]:
            c = result.report.counts
            self.stdout.write(
                f"report {result.report.pk} {result.report.bureau} {result.report.month}"
                f"{' (already imported)' if result.repeated else ''}: "
                f"{c.get('accepted', 0)} accepted, {c.get('repaired', 0)} repaired, {c.get('rejected', 0)} rejected"
            )
            for r in result.report.rows.exclude(outcome="accepted"):
                self.stdout.write(f"  row {r.row} {r.outcome}: {r.reasons}")
        return out

    def _compare(self, options: dict[str, Any]) -> dict[str, Any]:
        user = acting_user(options["username"]) or _SystemTax()
        services.month_bounds(options["month"])
        comparison = selectors.month_comparison(user, options["month"])  # type: ignore[arg-type]
        if not options["json"]:
            for line in comparison.lines:
                bureau = line.bureau
                self.stdout.write(
                    f"{line.insurance} {line.township_name}: tax {line.tax.persons} persons {_yuan(line.tax.net_fen)}"
                    + (
                        f", bureau {bureau.persons} persons {_yuan(bureau.net_fen)}, difference {_yuan(line.net_diff)}"
                        if bureau
                        else ", not reported"
                    )
                )
                for c in line.causes:
                    mark = "*" if c.applies else " "
                    self.stdout.write(f"   {mark} {c.code}: {c.count} payments, {_yuan(c.amount_fen)}")
                if bureau:
                    self.stdout.write(f"     unexplained: {_yuan(line.unexplained_fen)}")
        return comparison_out(comparison)

    def _daily(self, options: dict[str, Any]) -> dict[str, Any]:
        user = acting_user(options["username"])
        results = services.daily_detail_run(
            by=user,
            day=_day(options["date"]) if options["date"] else None,
            since=_day(options["since"]) if options["since"] else None,
            force=options["force"],
        )
        days = []
        for r in results:
            copied = services.daily_file_copy(r.files, options["out"]) if options["out"] and r.files else []
            days.append(
                {
                    "day": r.day.isoformat(),
                    "status": "empty" if r.empty else "already_sent" if r.skipped else "generated",
                    "files": [
                        {
                            "id": f.pk,
                            "insurance": f.insurance,
                            "format": f.format,
                            "generation": f.generation,
                            "rows": f.rows,
                            "total_fen": f.total_fen,
                            "sha256": f.sha256,
                            "path": f.path,
                        }
                        for f in r.files
                    ],
                    "copied": [str(p) for p in copied],
                }
            )
            if not options["json"]:
                self.stdout.write(f"{r.day}: {days[-1]['status']}")
                for f in r.files:
                    self.stdout.write(
                        f"  {f.insurance}.{f.format} rows {f.rows} total {_yuan(f.total_fen)} {f.sha256[:12]}"
                    )
        if not options["json"] and not results:
            self.stdout.write("nothing to send")
        return {"days": days}


class _SystemTax:
    """The system acting with tax's reach, for the scheduler's and the lead's runs without a user."""

    is_superuser = True
    unit = None
    pk = None
