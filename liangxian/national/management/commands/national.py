"""`liangxian national duplicates|treasury-match|runs`: the jobs across counties on DuckDB or Spark (Art 9, 36)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.national import selectors, services
from liangxian.national.export import DUTY, system_actor
from liangxian.national.jobs import ENGINES, JobError
from liangxian.national.models import JobRun
from liangxian.org.cli import acting_user


def run_dict(run: JobRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "engine": run.engine,
        "data_dir": run.data_dir,
        "statement": run.statement,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "seconds": round(run.seconds, 3),
        "rows_in": run.rows_in,
        "findings": run.findings,
        "counts": run.counts,
        "by": run.by.username if run.by else None,
    }


class Command(BaseCommand):
    help = "Run the national duplicate-enrolment check or the treasury match over Parquet (DuckDB or Spark)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        dup = sub.add_parser("duplicates", help="the same ID enrolled and paid in two or more counties")
        dup.add_argument("--data", type=Path, required=True, help="the folder the counties' exports gather in")
        match = sub.add_parser("treasury-match", help="our payments against the People's Bank statement")
        match.add_argument("--payments", type=Path, required=True, help="the payments folder (or the export root)")
        match.add_argument("--statement", type=Path, required=True, help="the statement as Parquet")
        sub.add_parser("runs", help="the runs recorded")
        for p in (dup, match):
            p.add_argument("--engine", choices=ENGINES, default="duckdb")
            p.add_argument("--limit", type=int, default=50, help="rows to print (all are recorded)")
        for p in sub.choices.values():
            p.add_argument("--as", dest="username", default="", help="the acting user (default: the system)")
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["username"])
        actor = Actor.of(user) if user is not None else system_actor()
        action = options["action"]
        try:
            if action == "duplicates":
                run, output = services.duplicates_run(engine=options["engine"], data_dir=options["data"], by=user)
                rows = output.table.slice(0, options["limit"]).to_pylist()
                for row in rows:
                    row["id_number"] = selectors.shown_id(row["id_number"])
                access_log(
                    actor=actor,
                    action=AccessAction.LIST,
                    object_type="national.duplicatefinding",
                    count=len(rows),
                    duty=DUTY,
                    query=f"run={run.pk}",
                    channel="cli",
                )
                result: dict[str, Any] = {"run": run_dict(run), "findings": rows}
            elif action == "treasury-match":
                run, output = services.treasury_match_run(
                    engine=options["engine"], payments_dir=options["payments"], statement=options["statement"], by=user
                )
                rows = output.table.slice(0, options["limit"]).to_pylist()
                result = {"run": run_dict(run), "differences": rows}
            else:
                if not services.may_run(user):
                    raise JobError("forbidden", "the jobs across counties are not within your unit's duty")
                result = {"runs": [run_dict(r) for r in selectors.runs()[:200]]}
        except JobError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if options["json"]:
            self.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2, default=str).decode())
            return
        for item in result.get("runs", [result.get("run")]):
            self.stdout.write("\t".join(f"{k}={v}" for k, v in item.items()))
        for row in result.get("findings", result.get("differences", [])):
            self.stdout.write("\t".join(f"{k}={v}" for k, v in row.items()))
