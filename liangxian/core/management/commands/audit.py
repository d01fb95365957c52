"""``liangxian audit verify|head``: check the audit chain and the sealed batches, or print the chain's head."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from liangxian.core.audit import chain_head, chain_verify
from liangxian.core.sealing import seals_verify


class Command(BaseCommand):
    help = "Verify the audit chain and the sealed bulk loads, or print the chain's head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="Recompute every event's hash and every sealed batch's digest.")
        verify.add_argument("--json", action="store_true", help="Print the report as JSON.")
        verify.add_argument(
            "--expect-head",
            metavar="HASH",
            help="A head hash recorded earlier (liangxian audit head); it must still be in the chain.",
        )
        head = sub.add_parser("head", help="Print the newest event's seq and hash, to record elsewhere.")
        head.add_argument("--json", action="store_true", help="Print the head as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "head":
            self._head(as_json=options["json"])
        else:
            self._verify(as_json=options["json"], expect_head=options.get("expect_head"))

    def _head(self, *, as_json: bool) -> None:
        head = chain_head()
        if as_json:
            self.stdout.write(orjson.dumps(dataclasses.asdict(head)).decode())
        else:
            self.stdout.write(f"{head.hash} seq={head.seq} count={head.count} at={head.at}")

    def _verify(self, *, as_json: bool, expect_head: str | None) -> None:
        report = chain_verify(expect_head=expect_head)
        problems = report.problems + seals_verify(report.seals.values())
        if as_json:
            self.stdout.write(
                orjson.dumps(
                    {
                        "ok": not problems,
                        "events": report.events,
                        "sealed_batches": len(report.seals),
                        "head": dataclasses.asdict(report.head) if report.head else None,
                        "problems": [dataclasses.asdict(p) for p in problems],
                    },
                    option=orjson.OPT_INDENT_2,
                ).decode()
            )
        else:
            for problem in problems:
                self.stdout.write(problem.message)
            head = report.head
            self.stdout.write(
                _("%(events)s events, %(batches)s sealed batches checked; head %(hash)s (#%(seq)s).")
                % {
                    "events": report.events,
                    "batches": len(report.seals),
                    "hash": head.hash if head else "",
                    "seq": head.seq if head else "",
                }
            )
        if problems:
            raise CommandError(_("The audit chain has %(count)s problems.") % {"count": len(problems)})
        if not as_json:
            self.stdout.write(self.style.SUCCESS(_("The audit chain is intact.")))
