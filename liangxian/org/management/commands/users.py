"""``liangxian users [--json]``: list the users (the demo logins) with their unit and role."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import orjson
from django.core.management.base import BaseCommand

from liangxian.org.selectors import user_list


class Command(BaseCommand):
    help = "List the users with their unit and role."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON array")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = [
            {
                "username": u.username,
                "full_name": u.full_name,
                "unit_code": u.unit.code if u.unit else "",
                "unit_name": u.unit.name if u.unit else "",
                "unit_kind": u.unit.kind if u.unit else "",
                "role": u.role,
                "is_superuser": u.is_superuser,
                "is_active": u.is_active,
            }
            for u in user_list()
        ]
        if options["json"]:
            self.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
            return
        for r in rows:
            self.stdout.write(
                f"{r['username']:<18} {r['role']:<16} {r['unit_code']:<20} {r['unit_name']} {r['full_name']}"
            )
