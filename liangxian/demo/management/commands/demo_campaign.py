"""``liangxian demo-campaign``: the demo's coverage-2027 campaign, its plan, and the departments' lists in force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.campaigns.errors import CampaignError
from liangxian.campaigns.models import Campaign
from liangxian.demo.campaign import DEFAULT_FILES, demo_campaign_run
from liangxian.demo.roster import demo_roster_run
from liangxian.exchange.errors import ExchangeError
from liangxian.roster.build import RosterBuildError
from liangxian.roster.duelists import DueListError
from liangxian.roster.transmission import RosterLoopError


class Command(BaseCommand):
    help = (
        "Create the demo's coverage-2027 campaign from the defaults, set its expansion targets from the register, "
        "and submit and approve the demo department files. Idempotent. Demo only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--files", type=Path, default=DEFAULT_FILES, help="folder of the demo files")
        parser.add_argument("--no-files", action="store_true", help="do not submit the department files")
        parser.add_argument("--no-roster", action="store_true", help="stop before building the roster")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        files: Path = options["files"]
        if not options["no_files"] and not (files / "manifest.json").exists():
            raise CommandError(f"{files}/manifest.json not found: run `liangxian demo-data` first")
        quiet = options["json"]
        try:
            result = demo_campaign_run(
                files_dir=files,
                submit_files=not options["no_files"],
                progress=None if quiet else (lambda text: self.stderr.write(text)),
            )
            roster = None
            if not options["no_roster"]:
                roster = demo_roster_run(
                    campaign=Campaign.objects.get(coverage_year=result.coverage_year),
                    progress=None if quiet else (lambda text: self.stderr.write(text)),
                )
        except (CampaignError, ExchangeError, RosterBuildError, RosterLoopError, DueListError) as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        if quiet:
            payload = {**result.as_dict(), "roster": roster.as_dict() if roster else None}
            self.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
        else:
            self.stdout.write(
                f"campaign {result.coverage_year}: {'created' if result.created else 'exists'}, "
                f"revision {result.revision}; targets {'set' if result.targets_set else 'unchanged'}; "
                f"{len(result.submitted)} files submitted, {len(result.already)} already, "
                f"{len(result.approved)} approved"
            )
            if roster is not None:
                self.stdout.write(
                    f"roster: build #{roster.build_number} ({'new' if roster.built else 'kept'}), "
                    f"sent {', '.join(roster.sent) or 'nothing new'}, abnormal items {roster.received or '-'}, "
                    f"due-lists pushed to {roster.pushed} townships"
                )
