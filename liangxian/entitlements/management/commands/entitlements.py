"""`liangxian entitlements import|whitelist`: the bureaus' entitlement records and the white list (Art 37)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.entitlements import selectors, services
from liangxian.entitlements.models import Bureau, Cause, EntryStatus
from liangxian.entitlements.services import EntitlementError
from liangxian.org.cli import acting_user


class Command(BaseCommand):
    help = "Import the bureaus' entitlement records and refresh or list the white list (Art 37)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="import a bureau's file of entitlement records (csv, xlsx or xls)")
        p.add_argument("--bureau", required=True, choices=Bureau.values)
        p.add_argument("--file", required=True, type=Path)
        p.add_argument("--as", dest="username", required=True, help="a user of that bureau")
        p.add_argument("--no-refresh", action="store_true", help="do not refresh the white list after")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        w = sub.add_parser("whitelist", help="refresh the white list (for the scheduler), or list it")
        w.add_argument("--refresh", action="store_true", help="bring the list up to date with payments and records")
        w.add_argument("--as", dest="username", default="", help="list as this user (default: refresh as the system)")
        w.add_argument("--insurance", default="", choices=["", "medical", "pension"])
        w.add_argument("--year", type=int, default=None)
        w.add_argument("--cause", default="", choices=["", *Cause.values])
        w.add_argument("--status", default=EntryStatus.LISTED, choices=[*EntryStatus.values, "all"])
        w.add_argument("--limit", type=int, default=1000)
        w.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options)
        else:
            self._whitelist(options)

    def _out(self, options: dict[str, Any], payload: Any, text: str) -> None:
        self.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) if options["json"] else text)

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no file {path}")
        user = acting_user(options["username"])
        try:
            result = services.entitlement_import(
                bureau=options["bureau"], by=user, path=path, via="cli", refresh=not options["no_refresh"]
            )
        except EntitlementError as exc:
            refused = {"status": "refused", "code": exc.code, "message": exc.message}
            self._out(options, refused, f"refused: {exc.message}")
            sys.stdout.flush()
            raise SystemExit(2) from None
        payload = result.as_dict()
        head = "already imported" if result.repeat else "imported"
        counts = ", ".join(f"{k} {v}" for k, v in payload["counts"].items())
        self._out(options, payload, f"{head}: {payload['bureau']} {payload['filename']}: {counts}")

    def _whitelist(self, options: dict[str, Any]) -> None:
        user = acting_user(options["username"])
        if options["refresh"]:
            run = services.whitelist_refresh(by=user, trigger="command")
            payload = {"id": run.pk, "seconds": run.seconds, "counts": run.counts}
            self._out(options, payload, "white list refreshed: " + ", ".join(f"{k} {v}" for k, v in run.counts.items()))
            if user is None:
                return
        if user is None:
            raise CommandError("give --refresh, or --as USER to list the white list")
        viewer = selectors.viewer_of(user)
        if viewer is None:
            raise CommandError("the white list is not within this user's duty")
        if options["insurance"] and options["insurance"] not in viewer.insurances:
            raise CommandError("a bureau reads the white list of its own insurance only")
        qs = selectors.whitelist_entries(
            viewer,
            insurance=options["insurance"],
            year=options["year"],
            cause=options["cause"],
            status=options["status"],
        )
        entries = list(qs[: max(1, options["limit"])])
        access_log(
            actor=Actor.of(user),
            action=AccessAction.LIST,
            object_type=selectors.OBJECT_TYPE,
            object_ids=[e.person_id or f"id:{e.pk}" for e in entries],
            duty=viewer.duty,
            query=f"insurance={options['insurance']} year={options['year']} cause={options['cause']}",
            channel="cli",
        )
        rows = [
            {
                "id": e.pk,
                "id_number": viewer.shown_id(e.id_number),
                "name": e.name,
                "insurance": e.insurance,
                "coverage_year": e.coverage_year,
                "net_paid_fen": e.net_paid_fen,
                "cause": e.cause,
                "status": e.status,
                "listed_at": e.listed_at.isoformat(),
            }
            for e in entries
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']}\t{r['insurance']}\t{r['coverage_year']}\t{r['id_number']}\t{r['name']}\t"
                f"{r['net_paid_fen']}\t{r['cause']}\t{r['status']}"
            )
        self.stdout.write(f"{len(rows)} entr(ies)")
