"""``liangxian demo-campaign``: the demo's coverage-2027 campaign, its plan, and the departments' lists in force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.campaigns.errors import CampaignError
from liangxian.demo.campaign import DEFAULT_FILES, demo_campaign_run
from liangxian.exchange.errors import ExchangeError


class Command(BaseCommand):
    help = (
        "Create the demo's coverage-2027 campaign from the defaults, set its expansion targets from the register, "
        "and submit and approve the demo department files. Idempotent. Demo only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--files", type=Path, default=DEFAULT_FILES, help="folder of the demo files")
        parser.add_argument("--no-files", action="store_true", help="do not submit the department files")
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
        except (CampaignError, ExchangeError) as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        if quiet:
            self.stdout.write(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
        else:
            self.stdout.write(
                f"campaign {result.coverage_year}: {'created' if result.created else 'exists'}, "
                f"revision {result.revision}; targets {'set' if result.targets_set else 'unchanged'}; "
                f"{len(result.submitted)} files submitted, {len(result.already)} already, "
                f"{len(result.approved)} approved"
            )
