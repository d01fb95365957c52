"""``liangxian divisions load``: load the NBS division table (all of Kashgar, or one county)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from liangxian.core.divisions import DEFAULT_FILE, DIVISIONS_SOURCE, DivisionLoadError, divisions_load


class Command(BaseCommand):
    help = "Load administrative divisions (NBS 2023 codes) into the division table."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help=f"Load the division file ({DIVISIONS_SOURCE}).")
        load.add_argument("--file", type=Path, default=DEFAULT_FILE, help="CSV with columns code,name,level,parent.")
        scope = load.add_mutually_exclusive_group()
        scope.add_argument("--county", metavar="CODE", help="Load only this county (and its prefecture and province).")
        scope.add_argument("--all", action="store_true", help="Load every row of the file (the default).")
        load.add_argument(
            "--overwrite-edits", action="store_true", help="Also overwrite rows the county edited in the admin."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        try:
            result = divisions_load(
                actor=None, path=path, county=options["county"], overwrite_edits=options["overwrite_edits"]
            )
        except DivisionLoadError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            _(
                "Divisions: %(rows)s rows, %(created)s added, %(updated)s updated, %(unchanged)s unchanged, "
                "%(kept)s county edits kept (sha256 %(sha)s)."
            )
            % {
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "kept": result.kept_edits,
                "sha": result.file_sha256[:12],
            }
        )
