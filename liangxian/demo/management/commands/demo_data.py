"""``liangxian demo-data``: generate the synthetic Yengisar County, load it and write the departments' files."""

from __future__ import annotations

import time
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from liangxian.demo.county import county_generate, villages_from_csv
from liangxian.demo.files import department_files_write
from liangxian.demo.selectors import demo_villages
from liangxian.demo.services import DemoDataError, county_counts, demo_county_load

DEFAULT_PERSONS = 20_000
DEFAULT_SEED = 2025
# Below this size the files take a few seconds and a second process is not worth starting.
PARALLEL_FILES_FROM = 50_000


class Command(BaseCommand):
    help = "Generate a synthetic Yengisar County: households, residents, department files with dirty rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=DEFAULT_PERSONS, help="How many residents (default 20000).")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Same seed, same county.")
        parser.add_argument("--out", type=Path, default=None, help="Folder for the department files (var/demo/files).")
        parser.add_argument("--no-load", action="store_true", help="Do not load the register into the database.")
        parser.add_argument("--no-files", action="store_true", help="Do not write the department files.")
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["persons"] < 1:
            raise CommandError(_("--persons must be at least 1."))
        out: Path = options["out"] or Path(settings.VAR_DIR) / "demo" / "files"
        villages = demo_villages()
        if villages.is_empty():
            if not options["no_load"]:
                raise CommandError(_("No villages in the division table: run “liangxian divisions load” first."))
            villages = villages_from_csv()
        county = county_generate(persons=options["persons"], seed=options["seed"], villages=villages)
        generated = time.perf_counter()
        timings: dict[str, float] = {"generate": round(generated - started, 3)}
        load = None
        files: list[str] = []
        with ExitStack() as stack:
            pending: Future[dict[str, Any]] | None = None
            before = time.perf_counter()
            if not options["no_files"] and not options["no_load"] and county.persons.height >= PARALLEL_FILES_FROM:
                # Writing large xlsx files is pure Python work; a second process does it while this one loads.
                pool = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")))
                pending = pool.submit(department_files_write, county, out)
            if not options["no_load"]:
                try:
                    load = demo_county_load(actor=None, county=county)
                except DemoDataError as exc:
                    raise CommandError(f"{exc.code}: {exc.message}") from exc
                timings["load"] = round(load.seconds, 3)
            if not options["no_files"]:
                manifest = pending.result() if pending is not None else department_files_write(county, out)
                files = [entry["file"] for entry in manifest["files"]] + ["manifest.json"]
                timings["files"] = round(time.perf_counter() - before, 3)
        report = county_counts(county) | {
            "loaded": load is not None,
            "replaced_persons": load.replaced_persons if load else 0,
            "audit_event": load.audit_seq if load else None,
            "out": str(out) if files else None,
            "files": files,
            "seconds": round(time.perf_counter() - started, 3),
            "timings": timings,
        }
        if options["json"]:
            self.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
            return
        self.stdout.write(
            _("Synthetic county %(batch)s: %(persons)s persons in %(households)s households, %(villages)s villages.")
            % report
        )
        if load is not None:
            self.stdout.write(
                _("Loaded into the register (replaced %(replaced)s earlier demo persons); audit event #%(seq)s.")
                % {"replaced": load.replaced_persons, "seq": load.audit_seq}
            )
        if files:
            self.stdout.write(_("Wrote %(count)s files to %(out)s.") % {"count": len(files), "out": out})
        self.stdout.write(_("Done in %(seconds)s s.") % report)
