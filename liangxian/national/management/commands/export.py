"""`liangxian export parquet --out DIR [--county CODE]`: payments and enrolments as Parquet per county."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.national.export import export_parquet
from liangxian.national.jobs import JobError
from liangxian.org.cli import acting_user


class Command(BaseCommand):
    help = "Export data for the jobs across counties (logged: it is personal data)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="format", required=True)
        parquet = sub.add_parser(
            "parquet", help="payments and enrolments as Parquet partitioned by county (payments/county=…/)"
        )
        parquet.add_argument("--out", type=Path, required=True, help="the folder to write into")
        parquet.add_argument("--county", default="", help="only this county (6-digit code); default all on record")
        parquet.add_argument("--as", dest="username", default="", help="the acting user (default: the system)")
        parquet.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["username"])
        try:
            result = export_parquet(out=options["out"], county=options["county"], by=user)
        except JobError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if options["json"]:
            self.stdout.write(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
            return
        self.stdout.write(
            f"payments={result.payments} enrolments={result.enrolments} files={result.files} "
            f"counties={','.join(result.counties) or '-'} out={result.out} seconds={result.seconds:.2f}"
        )
