"""``liangxian org bootstrap``: create the county's units from its divisions."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from liangxian.org.errors import OrgError
from liangxian.org.services import org_bootstrap


class Command(BaseCommand):
    help = "Organisation tasks. bootstrap: create the department, township, village and bank units (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="task", required=True)
        boot = sub.add_parser("bootstrap", help="create the county's units from its loaded divisions")
        boot.add_argument("--county", default=getattr(settings, "LIANGXIAN_COUNTY_CODE", "653123"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["task"] == "bootstrap":
            try:
                result = org_bootstrap(actor=None, county_code=options["county"])
            except OrgError as exc:
                raise CommandError(exc.message) from exc
            counts = ", ".join(f"{kind} {n}" for kind, n in result.created.items())
            self.stdout.write(f"org bootstrap {options['county']}: created {counts}")
