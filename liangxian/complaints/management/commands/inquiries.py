"""`liangxian inquiries overdue`: inquiries not answered within the working days allowed (Art 24)."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandParser

from liangxian.complaints import selectors
from liangxian.complaints.models import Inquiry
from liangxian.org.cli import acting_user


class Command(BaseCommand):
    help = "List the inquiries left unanswered past the deadline (first-question responsibility, Art 24)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        overdue = sub.add_parser("overdue", help="open inquiries past N working days")
        overdue.add_argument("--as", dest="username", default=None, help="only what this user's unit sees")
        overdue.add_argument("--days", type=int, default=None, help="working days allowed (default: the setting)")
        overdue.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["username"])
        qs = selectors.inquiries_for(user) if user is not None else Inquiry.objects.all()
        qs = qs.select_related("received_by", "received_unit", "holder", "holder_unit")
        found, pending = selectors.overdue(qs, days=options["days"])
        data = [
            {
                "id": o.inquiry.pk,
                "asker": o.inquiry.asker,
                "received_at": o.inquiry.received_at.isoformat(),
                "due": o.due.isoformat(),
                "first_receiver": o.inquiry.received_by.username,
                "receiving_unit": o.inquiry.received_unit.code,
                "holder": o.inquiry.holder.username,
                "handed_over": o.inquiry.holder_id != o.inquiry.received_by_id,
            }
            for o in found
        ]
        if options["json"]:
            self.stdout.write(
                orjson.dumps({"overdue": data, "pending_calendar": pending}, option=orjson.OPT_INDENT_2).decode()
            )
            return
        for d in data:
            self.stdout.write(f"#{d['id']}\tdue {d['due']}\t{d['first_receiver']} → {d['holder']}\t{d['asker']}")
        self.stdout.write(
            f"{len(data)} overdue" + (f", {pending} wait for the working-day calendar" if pending else "")
        )
