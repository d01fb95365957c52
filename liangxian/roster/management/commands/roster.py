"""`liangxian roster build --campaign YEAR [--json]`: build the campaign's roster and print what changed (Art 7)."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.org.models import User
from liangxian.roster import selectors
from liangxian.roster.build import RosterBuildError, roster_build
from liangxian.roster.models import RosterChange

SAMPLE = 20


class Command(BaseCommand):
    help = "Build a campaign's roster from the register, the lists in force and the village survey."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="build (or rebuild) the roster of a campaign")
        build.add_argument("--campaign", required=True, type=int, help="the campaign's coverage year")
        build.add_argument("--as", dest="username", default="", help="act as this user (default: the system)")
        build.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "build":
            self._build(options)

    def _build(self, options: dict[str, Any]) -> None:
        campaign = selectors.campaign_for(options["campaign"])
        if campaign is None:
            raise CommandError(f"no campaign for coverage year {options['campaign']}")
        actor = None
        if options["username"]:
            actor = User.objects.select_related("unit").filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(f"no user {options['username']}")
        try:
            done = roster_build(actor=actor, campaign=campaign)
        except RosterBuildError as exc:
            refused = {"status": "failed", "code": exc.code, "message": exc.message}
            self._print(refused, options["json"], f"failed: {exc.message}")
            sys.stdout.flush()
            raise SystemExit(2) from None
        sample: list[dict[str, Any]] = [
            {"person_id": c.person_id, "insurance": c.insurance, "kind": c.kind, "fields": c.fields}
            for c in RosterChange.objects.filter(build=done).order_by("kind", "person_id", "insurance")[:SAMPLE]
        ]
        payload = {
            "build": done.pk,
            "campaign": campaign.coverage_year,
            "number": done.number,
            "revision": done.campaign_revision,
            "status": done.status,
            "seconds": done.seconds,
            "counts": done.counts,
            "changes": done.changes,
            "change_sample": sample,
            "sources": done.sources,
        }
        counts, changes = done.counts, done.changes
        lines = [
            f"roster {campaign.coverage_year} build #{done.number} ({done.seconds:.2f} s): "
            f"{counts['persons']} persons, {counts['entries']} entries, {counts['must_pay']} must pay, "
            f"{counts['not_liable']} not liable",
            f"changes: {changes['added']} added, {changes['changed']} changed, {changes['removed']} removed, "
            f"{changes['unchanged']} unchanged",
        ]
        for insurance, figures in counts["by_insurance"].items():
            reasons = ", ".join(f"{k} {v}" for k, v in figures["by_reason"].items()) or "-"
            categories = ", ".join(f"{k} {v}" for k, v in figures["by_category"].items()) or "-"
            lines.append(f"  {insurance}: {figures['must_pay']} must pay; not liable: {reasons}; 代缴: {categories}")
        lines += [f"  {c['kind']} {c['person_id']} {c['insurance']} {c['fields']}" for c in sample]
        self._print(payload, options["json"], "\n".join(lines))

    def _print(self, payload: dict[str, Any], as_json: bool, text: str) -> None:
        if as_json:
            self.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
        else:
            self.stdout.write(text)
