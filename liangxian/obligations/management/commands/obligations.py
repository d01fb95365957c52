"""`liangxian obligations rules|generate|list`: the obligations of SPEC section 2 from the command line."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.campaigns.models import Campaign
from liangxian.core.scope import Actor
from liangxian.obligations import selectors, services
from liangxian.org.models import Unit


class Command(BaseCommand):
    help = "Load the obligation rules, generate a campaign's obligations, or list a unit's obligations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rules = sub.add_parser("rules", help="load the rules of SPEC section 2 (idempotent)")
        rules.add_argument(
            "--overwrite", action="store_true", help="also refresh rules already loaded (undoes edits in the admin)"
        )
        generate = sub.add_parser("generate", help="create a campaign's dated obligations (idempotent)")
        generate.add_argument("--campaign", type=int, required=True, help="the coverage year")
        generate.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="list one unit's obligations")
        listing.add_argument("--unit", required=True, help="the unit's code, e.g. 653123-civil")
        listing.add_argument("--campaign", type=int, help="the coverage year")
        listing.add_argument("--state", choices=list(selectors.STATES))
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rules":
            result = services.rules_load(actor=None, overwrite=options["overwrite"])
            self.stdout.write(
                f"rules: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            )
        elif action == "generate":
            campaign = Campaign.objects.filter(coverage_year=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"no campaign for coverage year {options['campaign']}")
            generated = services.obligations_generate(actor=None, campaign=campaign)
            if options["json"]:
                self.stdout.write(orjson.dumps(generated.as_dict(), option=orjson.OPT_INDENT_2).decode())
            else:
                self.stdout.write(
                    f"campaign {campaign.coverage_year}: {generated.created} created, {generated.redated} re-dated, "
                    f"{generated.unchanged} unchanged, {generated.pending} with the date pending, "
                    f"{generated.caught_up} fulfilled by lists already in force"
                )
        else:
            self._list(options)

    def _list(self, options: dict[str, Any]) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"no unit {options['unit']}")
        # The operator asks for one unit's list: read it as that unit would.
        actor = Actor(
            user_id=None,
            unit_code=unit.code,
            unit_kind=unit.kind,
            department=unit.department,
            role="staff",
            division_code=unit.division_id,
        )
        rows = selectors.obligation_list(actor, campaign=options["campaign"], state=options["state"], unit=unit.code)
        payload = [selectors.obligation_data(o) for o in rows]
        if options["json"]:
            self.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
            return
        for item in payload:
            due = item["due_date"] or f"待定：{item['pending_reason']}"
            self.stdout.write("\t".join([str(item["state"]), str(due), str(item["title"]), str(item["period"])]))
