"""``liangxian demo-users``: create one demo login per role and department, and print them."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from liangxian.demo.users import DEMO_PASSWORD, demo_users_create
from liangxian.org.errors import OrgError

WARNING = "演示账号，密码公开，切勿用于生产 / DEMO LOGINS ONLY: the passwords are public; never use them in production."


class Command(BaseCommand):
    help = "Create the demo logins (idempotent) and print each with its password. Demo only."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--password-file",
            type=Path,
            help="read the demo password from the first line of this file instead of the fixed demo password",
        )
        parser.add_argument("--county", default=getattr(settings, "LIANGXIAN_COUNTY_CODE", "653123"))
        parser.add_argument("--json", action="store_true", help="print the logins as a JSON array")
        parser.add_argument(
            "--write", type=Path, help="also write the printed logins to this file (e.g. var/demo/logins.txt)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = DEMO_PASSWORD
        if options["password_file"]:
            try:
                password = options["password_file"].read_text(encoding="utf-8").splitlines()[0].strip()
            except (OSError, IndexError) as exc:
                raise CommandError(f"cannot read a password from {options['password_file']}: {exc}") from exc
            if len(password) < 10:
                raise CommandError("the password must have at least 10 characters")
        try:
            logins = demo_users_create(password=password, county_code=options["county"])
        except OrgError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            text = orjson.dumps([x.as_dict() for x in logins], option=orjson.OPT_INDENT_2).decode() + "\n"
        else:
            self.stderr.write(self.style.WARNING(WARNING))
            lines = [
                f"{x.username:<16} {x.password:<18} {x.role:<16} {x.unit_name or '-'}  {x.full_name}" for x in logins
            ]
            text = "\n".join(lines) + "\n"
        self.stdout.write(text, ending="")
        if options["write"]:
            path: Path = options["write"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text if options["json"] else f"# {WARNING}\n{text}", encoding="utf-8")
