"""A small county for the screening tests: honest cash in 一村, and one planted fraud of each kind the demo plants.

Township A: 一村 (A1) with an honest collector (one receipt open since yesterday, the rest paid in on the day);
二村 (A2) with a collector who keeps three receipts' cash and one who over-charges. Township B: 三村 (B1) where
one card pays for twelve households through a POS terminal. Tax, discipline, audit, medical and the townships'
users and leaders in charge.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from liangxian.campaigns.models import ContributionTier
from liangxian.cash.models import CashReceipt
from liangxian.collection.models import Payment
from liangxian.obligations.services import rules_load as obligation_rules_load
from liangxian.org.models import CollectorAuthorisation, Role, TownshipAppointment, UnitKind
from liangxian.registry.models import Household
from liangxian.roster.models import RosterEntry
from liangxian.roster.tests.due_fixtures import due_county, entry, f

from ..services import rules_load

_txn = itertools.count(1)
NOW = timezone.now()


def at(days_ago: float, hour: int = 10) -> dt.datetime:
    """A moment ``days_ago`` days back at ``hour`` o'clock local time."""
    day = timezone.localdate(NOW) - dt.timedelta(days=int(days_ago))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def pay(person: Any, amount_fen: int, *, paid_at: dt.datetime, channel: str = "hall", **extra: Any) -> Payment:
    return Payment.objects.create(
        channel=channel,
        txn_no=f"S{next(_txn):08d}",
        person=person,
        id_number=person.id_number,
        name=person.name,
        insurance=extra.pop("insurance", "medical"),
        coverage_year=2027,
        amount_fen=amount_fen,
        paid_at=paid_at,
        source=extra.pop("source", "file"),
        township_code=person.township_code,
        village_code=person.village_code,
        recorded_at=NOW,
        **extra,
    )


def receipt(
    collector: Any, the_entry: RosterEntry, *, received_at: dt.datetime, amount_fen: int | None = None, paid_in: bool
) -> CashReceipt:
    """Cash taken for an entry; paid in the same evening when ``paid_in``."""
    amount = amount_fen if amount_fen is not None else the_entry.own_fen
    payment = None
    paid_in_at = None
    if paid_in:
        paid_in_at = received_at + dt.timedelta(hours=7)
        payment = pay(the_entry.person, the_entry.own_fen, paid_at=paid_in_at, collector=collector, source="cash")
    return CashReceipt.objects.create(
        collector=collector,
        entry=the_entry,
        person=the_entry.person,
        insurance=the_entry.insurance,
        coverage_year=2027,
        amount_fen=amount,
        received_at=received_at,
        business_date=timezone.localdate(received_at),
        township_code=the_entry.township_code,
        village_code=the_entry.village_code,
        off_list=False,
        payment=payment,
        paid_in_at=paid_in_at,
        recorded_at=NOW,
    )


def _authorise(collector: Any, village: Any, by: Any) -> None:
    CollectorAuthorisation.objects.create(
        collector=collector,
        village=village,
        granted_by=by,
        granted_at=NOW,
        valid_from=timezone.localdate(NOW) - dt.timedelta(days=60),
    )


def screening_county() -> dict[str, Any]:
    """Build the county described in the module docstring; return its users and planted frauds."""
    county = due_county()
    obligation_rules_load(actor=None)
    rules_load(actor=None)
    campaign = county["campaign"]
    campaign.period_start = timezone.localdate(NOW) - dt.timedelta(days=30)
    campaign.period_end = campaign.period_start + dt.timedelta(days=90)
    campaign.save()
    ContributionTier.objects.create(campaign=campaign, insurance="medical", amount_fen=40000, is_default=True)
    build = county["build"]
    tax = county["tax"]
    town_a = county["town_a"]
    village_a1 = county["village_a1_user"].unit
    village_a2 = f.unit(f.VILLAGE_A2, kind=UnitKind.VILLAGE, code="village-a2")
    f.unit(f.VILLAGE_B1, kind=UnitKind.VILLAGE, code="village-b1")

    honest = county["village_a1_user"]
    keeper = f.user(village_a2, Role.COLLECTOR, username="keeper")
    greedy = f.user(village_a2, Role.COLLECTOR, username="greedy")
    for c, v in ((honest, village_a1), (keeper, village_a2), (greedy, village_a2)):
        _authorise(c, v, tax)

    def entries(village: str, n: int, name: str) -> list[RosterEntry]:
        return [entry(f.person(village, name=f"{name}{i}"), build) for i in range(n)]

    # honest: four paid in on the day, one taken yesterday still open
    a1 = entries(f.VILLAGE_A1, 5, "艾力")
    for i, e in enumerate(a1[:4]):
        receipt(honest, e, received_at=at(10 - i), paid_in=True)
    receipt(honest, a1[4], received_at=at(1), paid_in=False)
    # keeper: three receipts taken a week ago, never paid in
    a2 = entries(f.VILLAGE_A2, 6, "图尔荪")
    kept = [receipt(keeper, e, received_at=at(7 + i), paid_in=False) for i, e in enumerate(a2[:3])]
    # greedy: took 450 yuan for a 400-yuan contribution, paid in 400
    over = [receipt(greedy, e, received_at=at(5), amount_fen=45000, paid_in=True) for e in a2[3:5]]
    # one card pays for twelve households of 三村 through one POS terminal
    card_payments = []
    for i in range(12):
        p = f.person(f.VILLAGE_B1, name=f"买买提{i}")
        p.household = Household.objects.create(number=f"HH-B1-{i}", village_id=f.VILLAGE_B1)
        p.save(update_fields=["household"])
        card_payments.append(
            pay(p, 40000, paid_at=at(3, 14), channel="pos", account_hash="c" * 64, pos_terminal="POS-B1-01")
        )
    # an honest family card: one card for the four members of one household
    family = Household.objects.create(number="HH-A1-F", village_id=f.VILLAGE_A1)
    for i in range(4):
        p = f.person(f.VILLAGE_A1, name=f"家庭{i}", household=family)
        pay(p, 40000, paid_at=at(2, 15), channel="pos", account_hash="f" * 64, pos_terminal="POS-A1-01")

    leader_a = f.user(town_a, Role.TOWNSHIP_LEADER, username="leader_a")
    TownshipAppointment.objects.create(
        township=town_a, post="leader_in_charge", user=leader_a, since=dt.date(2026, 1, 1)
    )
    specialist_a = f.user(town_a, Role.SPECIALIST, username="specialist_a")
    return {
        **county,
        "campaign": campaign,
        "tax": tax,
        "discipline": f.department("discipline"),
        "audit": f.department("audit"),
        "medical": f.department("medical"),
        "finance": f.department("finance"),
        "honest": honest,
        "keeper": keeper,
        "greedy": greedy,
        "kept": kept,
        "over": over,
        "card_payments": card_payments,
        "leader_a": leader_a,
        "specialist_a": specialist_a,
        "collector_user": honest,
    }
