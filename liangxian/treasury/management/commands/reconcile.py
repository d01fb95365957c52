"""`liangxian reconcile treasury|signoff|differences`: the treasury reconciliation from the command line (Art 36)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.org.models import User
from liangxian.treasury import selectors, services
from liangxian.treasury.services import TreasuryError


def _difference_dict(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "voucher": d.voucher,
        "kind": d.kind,
        "kind_label": str(d.get_kind_display()),
        "reversal_side": d.negative,
        "insurance": d.insurance,
        "our_amount_fen": d.our_amount_fen,
        "statement_amount_fen": d.statement_amount_fen,
        "our_date": d.our_date.isoformat() if d.our_date else None,
        "statement_date": d.statement_date.isoformat() if d.statement_date else None,
        "status": d.status,
        "note": d.note,
    }


class Command(BaseCommand):
    help = "Import the People's Bank treasury statement of a month, list its differences, sign the month off (Art 36)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        treasury = sub.add_parser("treasury", help="import a month's statement (csv or xlsx) and match it")
        treasury.add_argument("--file", type=Path, required=True)
        treasury.add_argument("--as", dest="username", default="tax", help="the acting user (default: tax)")
        signoff = sub.add_parser("signoff", help="sign the month off once every difference is resolved (tax)")
        signoff.add_argument("--as", dest="username", required=True, help="the acting user")
        signoff.add_argument("--note", default="")
        differences = sub.add_parser("differences", help="list the month's differences")
        differences.add_argument("--kind", default="")
        differences.add_argument("--status", default="")
        for p in sub.choices.values():
            p.add_argument("--month", required=True, help="YYYY-MM")
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        result: Any
        try:
            if action == "treasury":
                result = self._import(options)
            elif action == "signoff":
                user = self._user(options["username"])
                the_month = services.month_signoff(by=user, month=options["month"], note=options["note"])
                result = {"month": the_month.month, "status": the_month.status, "signed_by": user.username}
            else:
                result = self._differences(options)
        except TreasuryError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if options["json"]:
            self.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
            return
        items = result if isinstance(result, list) else [result]
        for item in items:
            self.stdout.write("\t".join(f"{k}={v}" for k, v in item.items()))

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return user

    def _import(self, options: dict[str, Any]) -> dict[str, Any]:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        user = self._user(options["username"])
        result = services.statement_import(
            by=user, month=options["month"], content=path.read_bytes(), filename=path.name
        )
        counts = result.counts
        out: dict[str, Any] = {
            "month": result.statement.month.month,
            "statement": result.statement.pk,
            "created": result.created,
            **{k: counts.get(k, 0) for k in ("lines", "accepted", "repaired", "rejected", "differences")},
        }
        out.update({f"differences_{k}": v for k, v in counts.get("by_kind", {}).items()})
        return out

    def _differences(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        month = services.month_parse(options["month"])
        the_month = selectors.month_get(month)
        if the_month is None or the_month.statement_id is None:
            raise CommandError(f"no_statement: no statement of {month} has been imported")
        rows = selectors.differences_of(the_month, kind=options["kind"], status=options["status"])
        return [_difference_dict(d) for d in rows]
