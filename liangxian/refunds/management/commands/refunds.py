"""`liangxian refunds request|approve|reject|execute|roster|list`: refunds from the command line (Art 32-33)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liangxian.collection.models import Payment
from liangxian.core.access import access_log
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.org.cli import required_user
from liangxian.org.models import User
from liangxian.refunds import selectors, services
from liangxian.refunds.models import Refund, RefundReason
from liangxian.refunds.services import RefundError


def _refund_dict(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.pk,
        "number": refund.number,
        "payment": refund.payment_id,
        "amount_fen": refund.amount_fen,
        "reason": refund.reason,
        "status": refund.status,
        "bureau": refund.bureau,
        "roster_due": refund.roster_due.isoformat() if refund.roster_due else None,
        "late": services.is_late(refund),
        "refund_payment": refund.refund_payment_id,
    }


class Command(BaseCommand):
    help = "Request, approve, refuse and carry out refunds, and send the refund roster to tax (Art 32-33)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        request = sub.add_parser("request", help="ask for a refund of a payment (tax or township)")
        request.add_argument("--payment", type=int, help="the payment's record number")
        request.add_argument("--channel", default="", help="or the channel …")
        request.add_argument("--txn", default="", help="… and its transaction number")
        request.add_argument("--reason", required=True, choices=RefundReason.values)
        request.add_argument("--amount", default=None, help="yuan; all that is refundable when omitted")
        request.add_argument("--note", default="")
        for name, text in (("approve", "approve"), ("reject", "refuse"), ("execute", "carry out")):
            p = sub.add_parser(name, help=f"{text} a refund (its bureau)")
            p.add_argument("refund", help="refund number (TF…) or record number")
            if name != "execute":
                p.add_argument("--note", default="")
        roster = sub.add_parser("roster", help="send tax the refund roster of refunds carried out (bureau)")
        roster.add_argument("--out", type=Path, default=None, help="also write the xlsx here")
        sub.add_parser("list", help="list the refunds within your duty")
        for p in sub.choices.values():
            p.add_argument("--as", dest="username", required=True, help="the acting user")
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = required_user(options["username"])
        action = options["action"]
        try:
            if action == "request":
                result: Any = _refund_dict(self._request(user, options))
            elif action in ("approve", "reject", "execute"):
                refund = self._find(user, options["refund"])
                if action == "approve":
                    refund = services.refund_approve(by=user, refund=refund, note=options["note"])
                elif action == "reject":
                    refund = services.refund_reject(by=user, refund=refund, note=options["note"])
                else:
                    refund = services.refund_execute(by=user, refund=refund)
                result = _refund_dict(refund)
            elif action == "roster":
                sent = services.refund_roster_send(by=user)
                if options["out"] is not None:
                    options["out"].write_bytes(sent.file.read())
                result = {
                    "number": sent.number,
                    "count": sent.count,
                    "total_fen": sent.total_fen,
                    "sha256": sent.sha256,
                }
            else:
                refunds = list(selectors.refunds_visible(user)[:1000])
                access_log(
                    actor=Actor.of(user),
                    action=AccessAction.LIST,
                    object_type="refunds.refund",
                    object_ids=[r.payment.person_id or f"payment:{r.payment_id}" for r in refunds],
                    channel="cli",
                )
                result = [_refund_dict(r) for r in refunds]
        except RefundError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if options["json"]:
            self.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
            return
        for item in result if isinstance(result, list) else [result]:
            self.stdout.write("\t".join(f"{k}={v}" for k, v in item.items()))

    def _request(self, user: User, options: dict[str, Any]) -> Refund:
        if options["payment"] is not None:
            payment = Payment.objects.filter(pk=options["payment"]).first()
        else:
            payment = Payment.objects.filter(channel=options["channel"], txn_no=options["txn"]).first()
        if payment is None:
            raise CommandError("not_found: no such payment")
        return services.refund_request(
            by=user, payment=payment, reason=options["reason"], amount=options["amount"], note=options["note"]
        )

    def _find(self, user: User, key: str) -> Refund:
        qs = selectors.refunds_visible(user)
        pk = as_key(key)
        refund = qs.filter(number=key.upper()).first() or (qs.filter(pk=pk).first() if pk is not None else None)
        if refund is None:
            raise CommandError("not_found: no such refund within your duty")
        return refund
