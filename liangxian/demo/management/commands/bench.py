"""``liangxian bench``: run the benchmarks in bench/ (the same as ``make bench``)."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the benchmarks in bench/ and print each beside its comparison run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=None, help="Scale: residents to generate (default 300000).")
        parser.add_argument("--only", default="", help="Run only bench modules whose name contains this text.")
        parser.add_argument("--case", action="append", default=None, help="Run only these cases (repeatable).")
        parser.add_argument("--json", action="store_true", help="Print the rows as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = settings.BASE_DIR / "bench" / "run.py"
        spec = importlib.util.spec_from_file_location("bench_run", path)
        if spec is None or spec.loader is None or not path.is_file():
            raise CommandError(f"No benchmark runner at {path}")
        runner = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runner)
        argv = ["--only", options["only"]]
        if options["persons"] is not None:
            argv += ["--persons", str(options["persons"])]
        for case in options["case"] or []:
            argv += ["--case", case]
        if options["json"]:
            argv.append("--json")
        runner.main(argv)
