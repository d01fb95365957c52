"""`liangxian duelist push|export`: tax pushes the townships their due-lists; anyone in scope exports one (Art 27)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.core.scope import Actor
from liangxian.org.cli import required_user
from liangxian.org.models import User
from liangxian.roster import duelists
from liangxian.roster.duelists import DueFilters, DueListError
from liangxian.roster.pdf import duelist_pdf


class Command(BaseCommand):
    help = "Push the due-lists to the townships (tax), or export a township's due-list as xlsx or PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        push = sub.add_parser("push", help="push every township (or those named) its due-list from the latest build")
        push.add_argument("--campaign", required=True, type=int, help="coverage year")
        push.add_argument("--township", action="append", default=None, help="township unit or division code")
        push.add_argument("--as", dest="username", required=True, help="the tax user pushing")
        push.add_argument("--json", action="store_true")
        export = sub.add_parser("export", help="write a township's due-list to a file")
        export.add_argument("--campaign", required=True, type=int, help="coverage year")
        export.add_argument("--township", required=True, help="township division code")
        export.add_argument("--village", default="", help="one village's code")
        export.add_argument("--format", choices=("xlsx", "pdf"), default="xlsx")
        export.add_argument("--out", required=True, type=Path)
        export.add_argument("--as", dest="username", required=True, help="the user exporting")

    def handle(self, *args: Any, **options: Any) -> None:
        user = required_user(options["username"])
        try:
            campaign = duelists.campaign_current(options["campaign"])
            if options["action"] == "push":
                self._push(user, campaign, options)
            else:
                self._export(user, campaign, options)
        except DueListError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _push(self, user: User, campaign: Any, options: dict[str, Any]) -> None:
        pushes = duelists.duelist_push(actor=user, campaign=campaign, townships=options["township"])
        payload = [
            {"township": p.township.code, "name": p.township.name, "build": p.build.number, "entries": p.entries}
            for p in pushes
        ]
        if options["json"]:
            self.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
            return
        for item in payload:
            self.stdout.write(f"{item['township']}\t{item['name']}\tbuild {item['build']}\t{item['entries']} to pay")
        self.stdout.write(f"pushed {len(pushes)} due-lists for {campaign.coverage_year}")

    def _export(self, user: User, campaign: Any, options: dict[str, Any]) -> None:
        scope = duelists.due_scope(Actor.of(user))
        township = options["township"]
        if not scope.is_tax and township != scope.township_code:
            duelists.log_denied(scope.actor, query=f"township={township}", channel="cli")
            raise CommandError("out_of_scope: that township's due-list is not within your unit's duty")
        filters = DueFilters(village=options["village"], township=township)
        out: Path = options["out"]
        if options["format"] == "pdf":
            data = duelist_pdf(
                scope=scope,
                campaign=campaign,
                township_code=township,
                filters=filters,
                printed_by=str(user),
                channel="cli",
            )
            out.write_bytes(data)
            self.stdout.write(f"wrote {out} ({len(data)} bytes)")
            return
        with out.open("wb") as target:
            count = duelists.duelist_xlsx(
                scope=scope, campaign=campaign, filters=filters, target=target, exporter=str(user), channel="cli"
            )
        self.stdout.write(f"wrote {out} ({count} entries)")
