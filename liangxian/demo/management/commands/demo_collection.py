"""``liangxian demo-collection``: the demo's collection period so far — every channel, cash, refunds, the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.campaigns.models import Campaign
from liangxian.demo.collection import DEFAULT_DIR, demo_collection_run
from liangxian.org.models import User


class Command(BaseCommand):
    help = (
        "Simulate the demo campaign's collection period so far: channel files (WeChat bill, hall, POS, e-tax, "
        "social-insurance client, bank), real-time notifications, finance's 代缴 batches, cash in four villages "
        "(one collector short one day), refunds and a few queue items. Run after demo-campaign. Idempotent. Demo only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="folder for the channel files written")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not Campaign.objects.filter(coverage_year=2027).exists():
            raise CommandError("no 2027 campaign: run `liangxian demo-campaign` first")
        if not User.objects.filter(username__in=["tax", "finance", "collector", "township", "medical"]).count() == 5:
            raise CommandError("the demo users are missing: run `liangxian demo-users` first")
        quiet = options["json"]
        try:
            result = demo_collection_run(
                seed=options["seed"],
                folder=options["dir"],
                progress=None if quiet else (lambda text: self.stderr.write(text)),
            )
        except Exception as exc:  # the services' domain errors all carry a code and a message
            code = getattr(exc, "code", None)
            if code is None:
                raise
            raise CommandError(f"{code}: {getattr(exc, 'message', exc)}") from exc
        if quiet:
            self.stdout.write(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
        elif result.already:
            self.stdout.write("demo collection: already simulated, nothing changed")
        else:
            lines = sum(int(i.get("lines", 0)) for i in result.imports)
            self.stdout.write(
                f"demo collection: {len(result.imports)} channel files ({lines} lines), "
                f"{result.notified} real-time notifications, {result.cash_receipts} cash receipts "
                f"({result.cash_days_raised} collector-day raised), {len(result.refunds)} refunds; "
                f"{result.payments} payments, {result.open_issues} on the queue, in {result.seconds:.1f} s"
            )
