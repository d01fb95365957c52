"""`liangxian exchange submit|kinds|catalogue`: the department lists from the command line (Art 10-18)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.exchange import services
from liangxian.exchange.catalogue import catalogue_load, deadline_text
from liangxian.exchange.errors import DuplicateSubmission, ExchangeError
from liangxian.exchange.models import Dataset, ExchangeMethod
from liangxian.org.models import User


class Command(BaseCommand):
    help = "Submit a department list file, list the kinds of lists, or load the catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        submit = sub.add_parser("submit", help="submit one list file as a user of the providing unit")
        submit.add_argument("--kind", required=True, help="the list's code (see `exchange kinds`)")
        submit.add_argument("--file", required=True, type=Path)
        submit.add_argument("--as", dest="username", required=True, help="the submitting user")
        submit.add_argument("--method", default=ExchangeMethod.CLI, choices=ExchangeMethod.values)
        submit.add_argument("--period", default="")
        submit.add_argument("--note", default="")
        submit.add_argument("--json", action="store_true", help="print the result as JSON")
        kinds = sub.add_parser("kinds", help="list the kinds of lists with their providers and columns")
        kinds.add_argument("--json", action="store_true")
        sub.add_parser("catalogue", help="load or refresh the catalogue of lists (idempotent)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "catalogue":
            result = catalogue_load()
            self.stdout.write(
                f"catalogue: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            )
        elif action == "kinds":
            self._kinds(as_json=options["json"])
        else:
            self._submit(options)

    def _print(self, payload: dict[str, Any] | list[Any], as_json: bool, text: str) -> None:
        if as_json:
            self.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
        else:
            self.stdout.write(text)

    def _kinds(self, *, as_json: bool) -> None:
        payload = [
            {
                "code": d.code,
                "name": d.name,
                "article": d.article,
                "provider": d.provider or d.provider_kind,
                "consumers": d.consumers,
                "needs_approval": d.needs_approval,
                "deadline": deadline_text(d.deadline_rule),
                "columns": [c["label"] for c in d.columns],
            }
            for d in Dataset.objects.filter(active=True).order_by("code")
        ]
        lines = [
            "\t".join(
                [
                    k["code"],
                    k["name"],
                    k["provider"],
                    "需签字盖章" if k["needs_approval"] else "",
                    "、".join(k["columns"]),
                ]
            )
            for k in payload
        ]
        self._print(payload, as_json, "\n".join(lines))

    def _submit(self, options: dict[str, Any]) -> None:
        as_json = options["json"]
        user = User.objects.select_related("unit").filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']}")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no file {path}")
        try:
            submission = services.submission_submit(
                actor=user,
                dataset=options["kind"],
                source=path,
                filename=path.name,
                method=options["method"],
                period=options["period"],
                note=options["note"],
            )
        except DuplicateSubmission as exc:
            existing = exc.existing
            payload = {"status": "duplicate", "code": exc.code, "message": exc.message, "submission": existing.pk}
            self._print(payload, as_json, exc.message)
            return
        except ExchangeError as exc:
            payload = {"status": "refused", "code": exc.code, "message": exc.message}
            self._print(payload, as_json, f"refused: {exc.message}")
            sys.stdout.flush()
            raise SystemExit(2) from None
        payload = {
            "submission": submission.pk,
            "kind": submission.dataset_id,
            "version": submission.version,
            "status": submission.status,
            "rows": submission.rows_total,
            "accepted": submission.rows_accepted,
            "repaired": submission.rows_repaired,
            "rejected": submission.rows_rejected,
        }
        text = (
            f"{submission.dataset.name} v{submission.version} ({submission.status}): rows {submission.rows_total}, "
            f"accepted {submission.rows_accepted}, repaired {submission.rows_repaired}, "
            f"rejected {submission.rows_rejected}"
        )
        self._print(payload, as_json, text)
