"""`liangxian collection import` (a channel's daily file) and `liangxian collection issues` (the payment queue)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from liangxian.core.scope import Actor
from liangxian.org.models import User

from .intake import IntakeError, channel_import
from .models import Channel, IssueReason, IssueStatus
from .queue import QueueError, QueueFilters, issues_query, shown_id

# The system itself reads the whole county's queue (the scheduler, the lead's checks).
SYSTEM = Actor(user_id=None, unit_code="", unit_kind="", department="", role="", division_code="", is_superuser=True)


def add_parsers(sub: Any) -> None:
    """Add this area's subcommands to `liangxian collection`."""
    p = sub.add_parser("import", help="import a channel's daily detail file (WeChat bill or the channel's csv)")
    p.add_argument("--channel", required=True, choices=Channel.values)
    p.add_argument("--file", required=True, type=Path)
    p.add_argument("--as", dest="username", default="", help="a tax or finance user (default: the system)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run_import)

    q = sub.add_parser("issues", help="list the payment queue")
    q.add_argument("--reason", default="", choices=["", *IssueReason.values])
    q.add_argument("--status", default=IssueStatus.OPEN, choices=[*IssueStatus.values, "all"])
    q.add_argument("--township", default="")
    q.add_argument("--limit", type=int, default=100)
    q.add_argument("--as", dest="username", default="", help="read as this user (default: the system)")
    q.add_argument("--json", action="store_true", help="print the items as JSON")
    q.set_defaults(run=run_issues)


def _user(username: str) -> User | None:
    if not username:
        return None
    user = User.objects.select_related("unit").filter(username=username).first()
    if user is None:
        raise CommandError(f"no user {username}")
    return user


def run_import(command: Any, options: dict[str, Any]) -> None:
    path: Path = options["file"]
    if not path.is_file():
        raise CommandError(f"no file {path}")
    try:
        result = channel_import(channel=options["channel"], path=path, by=_user(options["username"]))
    except IntakeError as exc:
        refused = {"status": "refused", "code": exc.code, "message": exc.message}
        command.stdout.write(json.dumps(refused, ensure_ascii=False) if options["json"] else f"refused: {exc.message}")
        sys.stdout.flush()
        raise SystemExit(2) from None
    payload = result.as_dict()
    if options["json"]:
        command.stdout.write(json.dumps(payload, ensure_ascii=False))
        return
    counts = result.counts
    head = "already imported" if result.repeat else "imported"
    command.stdout.write(
        f"{head}: {payload['channel']} {payload['filename']} ({payload['business_date']}): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )


def run_issues(command: Any, options: dict[str, Any]) -> None:
    user = _user(options["username"])
    actor = Actor.of(user) if user is not None else SYSTEM
    filters = QueueFilters(reason=options["reason"], township=options["township"], status=options["status"])
    try:
        items = list(issues_query(actor, filters)[: max(1, options["limit"])])
    except QueueError as exc:
        raise CommandError(exc.message) from exc
    rows = [
        {
            "id": i.pk,
            "reason": i.reason,
            "status": i.status,
            "channel": i.payment.channel,
            "txn_no": i.payment.txn_no,
            "id_number": shown_id(actor, i.payment.id_number),
            "amount_fen": i.payment.amount_fen,
            "other_fen": i.payment.other_fen,
            "township_code": i.township_code,
            "raised_at": i.raised_at.isoformat(),
            "detail": i.detail,
        }
        for i in items
    ]
    if options["json"]:
        command.stdout.write(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        command.stdout.write(
            f"{r['id']}\t{r['reason']}\t{r['channel']}:{r['txn_no']}\t{r['id_number']}\t{r['amount_fen']}\t{r['detail']}"
        )
    command.stdout.write(f"{len(rows)} item(s)")
