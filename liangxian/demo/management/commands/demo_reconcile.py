"""``liangxian demo-reconcile``: the demo's reconciliation (Art 9, 34-37) after its collection period."""

from __future__ import annotations

import importlib
import time
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.collection.models import Payment

# In the order they build on each other: finance's 代缴 batches are payments; the treasury gives the payments
# their entry dates, which the bureaus' comparison reads; the entitlements come back last.
STEPS = ("finance", "treasury", "bureaus", "entitlements", "reports", "national")


class Command(BaseCommand):
    help = (
        "Simulate the demo's reconciliation: fund accounts and finance's flows, the People's Bank statement of "
        "October 2026 with three deliberate differences, the daily detail to the bureaus and their monthly "
        "reports, the entitlement records with a handful withheld (the white list). Run after demo-collection. "
        "Idempotent. Demo only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not Payment.objects.exists():
            raise CommandError("no payments: run `liangxian demo-collection` first")
        quiet = options["json"]
        results: dict[str, Any] = {}
        for app in STEPS:
            module = importlib.import_module(f"liangxian.{app}.demo")
            started = time.perf_counter()
            results[app] = module.demo_seed(stdout=None if quiet else self.stderr)
            if not quiet:
                self.stdout.write(f"demo-reconcile: {app} done in {time.perf_counter() - started:.1f} s")
        if quiet:
            self.stdout.write(orjson.dumps(results, option=orjson.OPT_INDENT_2, default=str).decode())
