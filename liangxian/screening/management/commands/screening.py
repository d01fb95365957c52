"""`liangxian screening run|push|sample|rules`: the screening of cash data from the command line (Art 40-41)."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.org.cli import acting_user, required_user
from liangxian.screening import services
from liangxian.screening.models import ScreeningRule
from liangxian.screening.services import ScreeningError


class Command(BaseCommand):
    help = "Run the screening of cash data, push its hits to the townships, draw the group's sample, list the rules."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="run every enabled rule over a campaign's cash data (schedule it nightly)")
        run.add_argument("--campaign", type=int, required=True, help="coverage year, e.g. 2027")
        run.add_argument("--as", dest="username", default=None, help="the acting user (default: the system)")
        push = sub.add_parser("push", help="push a run's hits to the townships for self-check (15 days)")
        push.add_argument("--run", type=int, required=True)
        push.add_argument("--as", dest="username", default=None)
        sample = sub.add_parser("sample", help="draw the working group's sample of a pushed run, reproducible")
        sample.add_argument("--run", type=int, required=True)
        sample.add_argument("--size", type=int, required=True)
        sample.add_argument("--seed", type=int, default=None)
        sample.add_argument("--as", dest="username", default="tax")
        rules = sub.add_parser("rules", help="list the rules; --load loads the default rules from the app's file")
        rules.add_argument("--load", action="store_true")
        rules.add_argument("--overwrite", action="store_true", help="with --load: refresh existing rules too")
        rules.add_argument("--as", dest="username", default=None)
        for p in sub.choices.values():
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        result: Any
        try:
            if action == "run":
                run = services.screening_run(actor=acting_user(options["username"]), year=options["campaign"])
                result = {
                    "run": run.pk,
                    "coverage_year": run.coverage_year,
                    "counts": run.counts,
                    "new_hits": run.new_hits,
                }
            elif action == "push":
                checks = services.run_push(actor=acting_user(options["username"]), run_id=options["run"])
                result = [
                    {"selfcheck": c.pk, "township": c.township_code, "deadline": c.deadline.isoformat()} for c in checks
                ]
            elif action == "sample":
                s = services.sample_draw(
                    actor=required_user(options["username"]),
                    run_id=options["run"],
                    size=options["size"],
                    seed=options["seed"],
                )
                result = {"sample": s.pk, "run": s.run_id, "seed": s.seed, "size": s.size, "hits": s.hit_ids}
            else:
                if options["load"]:
                    loaded = services.rules_load(actor=acting_user(options["username"]), overwrite=options["overwrite"])
                    self.stderr.write(f"created={loaded.created} updated={loaded.updated} unchanged={loaded.unchanged}")
                result = [
                    {
                        "code": r.code,
                        "title": r.title,
                        "enabled": r.enabled,
                        "thresholds": r.thresholds,
                        "needs_data": r.needs_data,
                    }
                    for r in ScreeningRule.objects.all()
                ]
        except ScreeningError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if options["json"]:
            self.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
            return
        for item in result if isinstance(result, list) else [result]:
            self.stdout.write("\t".join(f"{k}={v}" for k, v in item.items()))
