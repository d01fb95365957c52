"""`liangxian complaints list|reveal|rotate-key`: complaints and reports from the command line (Art 43)."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.complaints import seal, selectors, services
from liangxian.complaints.models import Complaint
from liangxian.complaints.services import ComplaintError
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.org.cli import acting_user, required_user


def _case_dict(c: Complaint) -> dict[str, Any]:
    return {
        "id": c.pk,
        "number": c.number,
        "received_via": c.received_via,
        "received_at": c.received_at.isoformat(),
        "subject": c.subject,
        "township_code": c.township_code,
        "anonymous": c.anonymous,
        "status": c.status,
    }


class Command(BaseCommand):
    help = "List complaints (never the identity), open one's identity as its assigned investigator, rotate the key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list the cases (no identity)")
        listing.add_argument("--as", dest="username", default=None, help="list as this user (default: all cases)")
        listing.add_argument("--status", default="")
        listing.add_argument("--json", action="store_true")
        reveal = sub.add_parser("reveal", help="open the reporter's identity (assigned investigators only; logged)")
        reveal.add_argument("case", help="the case number (JB2026-00001) or id")
        reveal.add_argument("--as", dest="username", required=True)
        reveal.add_argument("--json", action="store_true")
        rotate = sub.add_parser("rotate-key", help="put a new seal key in front and re-encrypt every identity")
        rotate.add_argument("--as", dest="username", default=None)
        rotate.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options)
        elif action == "reveal":
            self._reveal(options)
        else:
            self._rotate(options)

    def _out(self, options: dict[str, Any], data: Any, text: str) -> None:
        self.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() if options["json"] else text)

    def _list(self, options: dict[str, Any]) -> None:
        user = acting_user(options["username"])
        if user is not None:
            rows = list(selectors.complaints_for(user, status=options["status"]))
        else:
            qs = Complaint.objects.order_by("-received_at", "-pk")
            rows = list(qs.filter(status=options["status"]) if options["status"] else qs)
        if user is not None:
            access_log(
                actor=Actor.of(user),
                action=AccessAction.LIST,
                object_type="complaints.complaint",
                object_ids=[c.pk for c in rows],
                duty="supervision",
                channel="cli",
            )
        data = [_case_dict(c) for c in rows]
        lines = [
            f"{c['number']}\t{c['received_at'][:16]}\t{c['received_via']}\t{c['status']}\t{c['subject']}" for c in data
        ]
        self._out(options, data, "\n".join(lines) if lines else "no complaints")

    def _reveal(self, options: dict[str, Any]) -> None:
        user = required_user(options["username"])
        ref = str(options["case"]).strip()
        complaint = Complaint.objects.filter(number=ref.upper()).first()
        if complaint is None and ref.isascii() and ref.isdigit():
            complaint = Complaint.objects.filter(pk=int(ref)).first()
        if complaint is None:
            raise CommandError(f"no case {ref!r}")
        try:
            identity = services.identity_reveal(by=user, complaint_id=complaint.pk, channel="cli")
        except ComplaintError as exc:
            raise CommandError(exc.message) from exc
        text = "\n".join(f"{k}: {v or '—'}" for k, v in identity.items())
        self._out(options, {"number": complaint.number, **identity}, f"{complaint.number}\n{text}")

    def _rotate(self, options: dict[str, Any]) -> None:
        user = acting_user(options["username"])
        try:
            count = services.seal_key_rotate(by=user)
        except seal.SealKeyError as exc:
            raise CommandError(str(exc)) from exc
        path = seal.key_file()
        self._out(
            options,
            {"resealed": count, "key_file": str(path) if path else None},
            f"re-sealed {count} identities under the new key" + (f" ({path})" if path else ""),
        )
