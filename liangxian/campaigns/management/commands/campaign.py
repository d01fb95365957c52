"""`liangxian campaign create|show|list`: the campaign of an insurance year from the command line (SPEC 2, 11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.campaigns import selectors, services
from liangxian.campaigns.errors import CampaignError
from liangxian.campaigns.models import Campaign
from liangxian.org.models import User


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = "Create a campaign from the default figures, show one, or list them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create the campaign of a coverage year from data/defaults.json")
        create.add_argument("--coverage-year", type=int, required=True)
        create.add_argument("--collection-year", type=int, required=True)
        create.add_argument("--start", required=True, help="first day of the concentrated period, YYYY-MM-DD")
        create.add_argument("--end", required=True, help="last day of the concentrated period, YYYY-MM-DD")
        create.add_argument("--name", default="")
        create.add_argument("--as", dest="username", help="the acting user (default: the system)")
        create.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="show one campaign: period, amounts, 代缴, eligibility, targets")
        show.add_argument("--year", type=int, required=True, help="the coverage year")
        show.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="list the campaigns")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "show":
            self._show(options["year"], as_json=options["json"])
        else:
            self._list(as_json=options["json"])

    def _out(self, payload: Any, as_json: bool, text: str) -> None:
        self.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() if as_json else text)

    def _create(self, options: dict[str, Any]) -> None:
        actor = None
        if options["username"]:
            actor = User.objects.filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(f"no such user: {options['username']}")
        try:
            campaign = services.campaign_create(
                actor=actor,
                coverage_year=options["coverage_year"],
                collection_year=options["collection_year"],
                period_start=_date(options["start"]),
                period_end=_date(options["end"]),
                name=options["name"],
            )
        except CampaignError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        snapshot = services.campaign_snapshot(campaign)
        self._out(
            {**snapshot, "revision": campaign.revision},
            options["json"],
            f"created {campaign.name} (coverage {campaign.coverage_year}, collected {campaign.collection_year}, "
            f"{campaign.period_start}—{campaign.period_end}), revision {campaign.revision}",
        )

    def _show(self, year: int, *, as_json: bool) -> None:
        try:
            campaign = selectors.campaign_get(year)
        except Campaign.DoesNotExist as exc:
            raise CommandError(f"no campaign for coverage year {year}") from exc
        snap = services.campaign_snapshot(campaign)
        snap["revision"] = campaign.revision
        lines = [
            f"{snap['name']}  coverage {snap['coverage_year']}  collected {snap['collection_year']}  "
            f"{snap['period_start']}—{snap['period_end']}  {snap['status']}  r{campaign.revision}",
        ]
        for insurance, tiers in snap["tiers"].items():
            shown = ", ".join(f"{t['amount']}(+{t['subsidy']}){'*' if t['default'] else ''}" for t in tiers)
            lines.append(f"{insurance} tiers: {shown}")
        for r in snap["daijiao"]:
            amount = r["amount"] if r["mode"] == "fixed" else ""
            lines.append(f"代缴 {r['insurance']} {r['label']} ({r['category']}) {r['mode']} {amount} p{r['priority']}")
        for insurance, e in snap["eligibility"].items():
            lines.append(
                f"eligibility {insurance}: age {e['min_age']}..{e['max_age']} on {e['age_on']}, "
                f"excluded {','.join(e['exclude_categories'])} / {','.join(e['exclude_statuses'])}"
            )
        totals: dict[str, int] = {}
        for t in snap["targets"]:
            if len(t["division"]) == 9:
                totals[t["insurance"]] = totals.get(t["insurance"], 0) + t["target"]
        lines.append(f"targets: {len(snap['targets'])} lines; township totals {totals}")
        self._out(snap, as_json, "\n".join(lines))

    def _list(self, *, as_json: bool) -> None:
        payload = [
            {
                "coverage_year": c.coverage_year,
                "collection_year": c.collection_year,
                "name": c.name,
                "period_start": c.period_start.isoformat(),
                "period_end": c.period_end.isoformat(),
                "status": c.status,
                "revision": c.revision,
            }
            for c in selectors.campaign_list()
        ]
        text = "\n".join(
            f"{c['coverage_year']}\t{c['collection_year']}\t{c['period_start']}—{c['period_end']}\t{c['status']}\t"
            f"r{c['revision']}\t{c['name']}"
            for c in payload
        )
        self._out(payload, as_json, text or "no campaign")
