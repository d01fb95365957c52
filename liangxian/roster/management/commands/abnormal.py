"""`liangxian abnormal list|check`: the abnormal data of the rosters sent to tax, from the command line (Art 7, 8)."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.core.scope import Actor
from liangxian.org.models import Unit, User

from ... import abnormal as loop
from ...models import AbnormalItem, RosterTransmission, TransmissionStatus
from ...transmission import RosterLoopError, roster_transmission_receive


def unit_actor(unit: Unit) -> Actor:
    """Act as a unit without a user: the operator reading a unit's queue."""
    return Actor(
        user_id=None,
        unit_code=unit.code,
        unit_kind=unit.kind,
        department=unit.department,
        role="",
        division_code=unit.division_id,
    )


class Command(BaseCommand):
    help = "List a unit's abnormal items, or receive and check a sent roster as tax."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list the abnormal items waiting for a unit")
        listing.add_argument("--unit", required=True, help="the unit code, e.g. 653123-medical")
        listing.add_argument("--all", action="store_true", help="also the items in its scope not waiting for it")
        listing.add_argument("--json", action="store_true")
        check = sub.add_parser("check", help="receive the sent roster of a campaign and insurance as tax")
        check.add_argument("--campaign", required=True, type=int, help="the coverage year")
        check.add_argument("--insurance", required=True, choices=InsuranceType.values)
        check.add_argument("--as", dest="username", default="", help="a tax user (default: the system for tax)")
        check.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list(options)
        else:
            self._check(options)

    def _print(self, payload: Any, as_json: bool, text: str) -> None:
        if as_json:
            self.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2, default=str).decode())
        else:
            self.stdout.write(text)

    def _list(self, options: dict[str, Any]) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"no unit {options['unit']}")
        actor = unit_actor(unit)
        items = list(loop.abnormal_queue(actor, waiting=not options["all"]).select_related("person")[:5000])
        deadlines = loop.next_deadlines(items)
        payload: list[dict[str, Any]] = []
        for i in items:
            due = deadlines.get(i.pk)
            payload.append(
                {
                    "id": i.pk,
                    "transmission": i.transmission_id,
                    "kind": i.kind,
                    "status": i.status,
                    "id_number": i.id_number,
                    "name": i.person.name if i.person else "",
                    "village_code": i.village_code,
                    "detail": i.detail,
                    "department": i.department.code,
                    "forwarded_to": i.forwarded_to.code if i.forwarded_to else None,
                    "due": due.due_date if due else None,
                    "pending_reason": due.pending_reason if due else "",
                }
            )
        lines = [
            "\t".join(str(p[k] or "") for k in ("id", "kind", "status", "id_number", "detail", "due")) for p in payload
        ]
        self._print(payload, options["json"], "\n".join(lines) or "nothing waiting")

    def _check(self, options: dict[str, Any]) -> None:
        campaign = Campaign.objects.filter(coverage_year=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"no campaign for coverage year {options['campaign']}")
        actor = None
        if options["username"]:
            actor = User.objects.filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(f"no user {options['username']}")
        sent = (
            RosterTransmission.objects.filter(
                campaign=campaign, insurance=options["insurance"], status=TransmissionStatus.SENT
            )
            .order_by("-sent_at")
            .first()
        )
        if sent is None:
            raise CommandError("no roster of this campaign and insurance is waiting to be received by tax")
        try:
            roster_transmission_receive(actor=actor, transmission=sent)
        except RosterLoopError as exc:
            raise CommandError(exc.message) from exc
        by_kind = dict(
            AbnormalItem.objects.filter(transmission=sent)
            .values("kind")
            .annotate(n=Count("pk"))
            .values_list("kind", "n")
        )
        payload = {
            "transmission": sent.pk,
            "entries": sent.entries,
            "abnormal": sum(by_kind.values()),
            "by_kind": by_kind,
        }
        text = f"roster {sent.pk}: {sent.entries} entries checked, {payload['abnormal']} abnormal " + ", ".join(
            f"{k} {n}" for k, n in sorted(by_kind.items())
        )
        self._print(payload, options["json"], text)
