"""``liangxian demo-supervise``: the demo's supervision (Art 15, 23-25, 38-43) after its reconciliation."""

from __future__ import annotations

import importlib
import time
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.cash.models import CashReceipt

# In the order they build on each other: the assessment reads the screening's findings and the activities.
STEPS = ("screening", "outreach", "complaints", "assessment")


class Command(BaseCommand):
    help = (
        "Simulate the demo's supervision: three planted cash frauds caught by the screening and pushed to their "
        "townships, trainings, drills, inspections and publicity, the public notices, complaints and inquiries, "
        "and the campaign's assessment. Run after demo-reconcile. Idempotent. Demo only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=2027, help="the campaign's coverage year")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not CashReceipt.objects.exists():
            raise CommandError("no cash receipts: run `liangxian demo-collection` first")
        quiet = options["json"]
        results: dict[str, Any] = {}
        for app in STEPS:
            module = importlib.import_module(f"liangxian.{app}.demo")
            started = time.perf_counter()
            results[app] = module.demo_seed(year=options["year"])
            if not quiet:
                self.stdout.write(f"demo-supervise: {app} done in {time.perf_counter() - started:.1f} s")
                # The follow-up codes are shown once (only their hashes are kept): the demo's reporters' codes.
                for number, code in (results[app].get("follow_codes") or {}).items():
                    self.stdout.write(f"  complaint {number}: follow-up code {code} (/complaints/follow/)")
        if quiet:
            self.stdout.write(orjson.dumps(results, option=orjson.OPT_INDENT_2, default=str).decode())
