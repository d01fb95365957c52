"""The demo's screening: three planted frauds in three villages without honest cash, then a screening run.

Run after the demo collection. In three villages where no collector took cash, ordered by code:

- a collector keeps the cash of four payers (recorded, never paid in) — caught by ``cash_not_paid_in``;
- a collector takes 50 yuan more than the contribution from three payers and pays in only the contribution —
  caught by ``overcharge``;
- one card (one account hash) pays at one POS terminal for 30 payers of 30 households — caught by
  ``card_many_households``;

and, beside them, an honest collector in a fourth village who takes cash only from payers on the township's cash
list and pays it in the same day: that village must raise no alarm of any rule.

Idempotent: the frauds are planted once (found again by their collectors' user names and the card's
transaction numbers), and the screening is run once per coverage year.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from liangxian.campaigns.models import Campaign
from liangxian.cash import services as cash_services
from liangxian.cash.models import CashReceipt
from liangxian.collection.models import EntrySettlement, Payment, PaymentSource
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.core.money import from_fen
from liangxian.org import services as org_services
from liangxian.org.models import CollectorAuthorisation, Role, Unit, UnitKind, User
from liangxian.roster.models import RosterEntry

from .models import Hit, ScreeningRun
from .services import rules_load, screening_run

KEEPER = "collector_keeper"
GREEDY = "collector_greedy"
HONEST = "collector_honest"
CARD_HASH = hashlib.sha256(b"liangxian-demo-card-fraud").hexdigest()
CARD_TXN = "POSFRAUD"
KEPT_RECEIPTS = 4
OVERCHARGED = 3
EXTRA_FEN = 5000
CARD_HOUSEHOLDS = 30
CASH_HONEST = 4


def _candidates(campaign: Campaign) -> Any:
    """Medical entries still to pay, without cash taken: who a fraud can plausibly be planted on."""
    paid = EntrySettlement.objects.filter(paid=True).values("entry_id")
    cash = CashReceipt.objects.values("entry_id")
    return (
        RosterEntry.objects.filter(campaign=campaign, insurance="medical", must_pay=True, own_fen__gt=0)
        .exclude(pk__in=paid)
        .exclude(pk__in=cash)
        .select_related("person")
        .order_by("pk")
    )


def _villages(campaign: Campaign) -> list[dict[str, Any]]:
    """Villages with a unit, no cash taken in them, and payers still to pay, by code, with their counts."""
    cash_villages = set(CashReceipt.objects.values_list("village_code", flat=True).distinct())
    units = set(Unit.objects.filter(kind=UnitKind.VILLAGE, active=True).values_list("division_id", flat=True))
    rows = (
        _candidates(campaign)
        .values("village_code")
        .annotate(n=Count("pk"), households=Count("person__household", distinct=True))
        .order_by("village_code")
    )
    return [r for r in rows if r["village_code"] in units - cash_villages]


def _day(campaign: Campaign) -> dt.date:
    """A day within the period, at least a week back."""
    latest = timezone.localdate() - dt.timedelta(days=7)
    return max(min(campaign.period_start + dt.timedelta(days=10), latest), min(campaign.period_start, latest))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _collector(username: str, village: Unit, tax: User, day: dt.date, full_name: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        template = User.objects.filter(username="collector").first()
        user = org_services.user_create(
            actor=None,
            username=username,
            password=None,
            password_hash=template.password if template else "!",
            unit=village,
            role=Role.COLLECTOR,
            full_name=full_name,
        )
    if not CollectorAuthorisation.objects.filter(collector=user, village=village, withdrawn_at__isnull=True).exists():
        org_services.collector_authorise(actor=tax, collector=user, village=village, valid_from=day - dt.timedelta(5))
    return user


def _distinct_households(entries: list[RosterEntry], n: int) -> list[RosterEntry]:
    seen: set[Any] = set()
    out = []
    for e in entries:
        key = e.person.household_id or f"p{e.person_id}"
        if key not in seen:
            seen.add(key)
            out.append(e)
        if len(out) == n:
            break
    return out


def _plant(campaign: Campaign, tax: User) -> dict[str, str]:
    """Plant the three frauds in three villages; return the village of each."""
    year = campaign.coverage_year
    day = _day(campaign)
    candidates = _candidates(campaign)
    villages = _villages(campaign)
    chosen: dict[str, str] = {}
    if not villages:
        raise RuntimeError("the demo has no village without cash where payers still have to pay")
    # The card's village: the one with most households still to pay (its POS terminal is there).
    widest = min(
        villages, key=lambda r: (-max(r["households"], r["n"] if r["households"] == 0 else 0), r["village_code"])
    )
    chosen["card"] = widest["village_code"]
    for row in villages:
        v = row["village_code"]
        if v == chosen["card"]:
            continue
        if "keeper" not in chosen and row["n"] >= KEPT_RECEIPTS:
            chosen["keeper"] = v
        elif "greedy" not in chosen and row["n"] >= OVERCHARGED:
            chosen["greedy"] = v
    if len(chosen) < 3:
        raise RuntimeError(f"the demo has too few villages with payers still to pay for the frauds: {chosen}")
    by_village = {v: list(candidates.filter(village_code=v)[:2000]) for v in (chosen["keeper"], chosen["greedy"])}
    # The card pays first for its own village's households, then, when they are fewer than 30, for households of
    # the same township's other villages (those without cash and without the other two frauds).
    card_pool = list(candidates.filter(village_code=chosen["card"])[:2000])
    township = chosen["card"][:9]
    others = [
        r["village_code"]
        for r in villages
        if r["village_code"] not in chosen.values() and r["village_code"].startswith(township)
    ]
    others += [
        r["village_code"]
        for r in villages
        if r["village_code"] not in chosen.values() and r["village_code"] not in others
    ]
    for v in others:
        if len(_distinct_households(card_pool, CARD_HOUSEHOLDS)) >= CARD_HOUSEHOLDS:
            break
        card_pool += list(candidates.filter(village_code=v)[:200])
    by_village[chosen["card"]] = _distinct_households(card_pool, CARD_HOUSEHOLDS)
    if len(by_village[chosen["card"]]) < CARD_HOUSEHOLDS:
        raise RuntimeError("the demo has fewer than 30 households still to pay for the card fraud")
    units = {u.division_id: u for u in Unit.objects.filter(kind=UnitKind.VILLAGE, division_id__in=chosen.values())}

    keeper = _collector(KEEPER, units[chosen["keeper"]], tax, day, "吐尔洪·阿不都")
    for i, e in enumerate(by_village[chosen["keeper"]][:KEPT_RECEIPTS]):
        cash_services.cash_receipt_record(
            by=keeper, entry_id=e.pk, amount=e.own_fen // 100, received_at=_at(day, 10, 5 * i)
        )

    greedy = _collector(GREEDY, units[chosen["greedy"]], tax, day, "买买提明·依明")
    for i, e in enumerate(by_village[chosen["greedy"]][:OVERCHARGED]):
        paid_at = _at(day, 17, 10 + i)
        recorded = payment_record(
            PaymentIn(
                channel="hall",
                txn_no=f"HALLGREEDY{year}{e.pk:08d}",
                id_number=e.person.id_number,
                name=e.person.name,
                insurance="medical",
                coverage_year=year,
                amount_fen=e.own_fen,
                paid_at=paid_at,
                source=PaymentSource.CASH,
                collector_id=greedy.pk,
            )
        )
        CashReceipt.objects.create(
            collector=greedy,
            entry=e,
            person=e.person,
            insurance="medical",
            coverage_year=year,
            amount_fen=e.own_fen + EXTRA_FEN,  # the payer was told the contribution is 50 yuan more
            received_at=_at(day, 11, 10 * i),
            business_date=day,
            township_code=e.township_code,
            village_code=e.village_code,
            off_list=not e.cash_only,
            payment=recorded.payment,
            paid_in_at=paid_at,
            recorded_at=timezone.now(),
        )

    card = by_village[chosen["card"]]
    for i, e in enumerate(card):
        payment_record(
            PaymentIn(
                channel="pos",
                txn_no=f"{CARD_TXN}{year}{i:04d}",
                id_number=e.person.id_number,
                name=e.person.name,
                insurance="medical",
                coverage_year=year,
                amount_fen=e.own_fen,
                paid_at=_at(day + dt.timedelta(days=1), 14, i),
                source=PaymentSource.FILE,
                account_hash=CARD_HASH,
                pos_terminal="T9001",
            )
        )
    card_villages = {e.village_code for e in card}
    _plant_honest(campaign, tax, day, exclude=set(chosen.values()) | card_villages)
    return chosen


def _plant_honest(campaign: Campaign, tax: User, day: dt.date, *, exclude: set[str]) -> None:
    """An honest collector: cash only from payers on the cash list, paid in at the tax hall the same evening."""
    cash_villages = set(CashReceipt.objects.values_list("village_code", flat=True).distinct())
    units = set(Unit.objects.filter(kind=UnitKind.VILLAGE, active=True).values_list("division_id", flat=True))
    listed = _candidates(campaign).filter(cash_only=True)
    rows = (
        listed.exclude(village_code__in=cash_villages | exclude)
        .filter(village_code__in=units)
        .values("village_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "village_code")
    )
    row = rows.first()
    if row is None:
        return  # no payer on any cash list is left to pay in a village without cash: the demo has no honest cash
    village = Unit.objects.get(kind=UnitKind.VILLAGE, division_id=row["village_code"])
    honest = _collector(HONEST, village, tax, day, "热依拉·买买提")
    for i, e in enumerate(listed.filter(village_code=row["village_code"])[:CASH_HONEST]):
        receipt = cash_services.cash_receipt_record(
            by=honest, entry_id=e.pk, amount=from_fen(e.own_fen), received_at=_at(day, 9, 10 * i)
        )
        cash_services.cash_payin_record(
            by=honest,
            receipt_id=receipt.pk,
            channel="hall",
            txn_no=f"HALLHONEST{campaign.coverage_year}{e.pk:08d}",
            paid_at=_at(day, 17, 40 + i),
        )


def demo_seed(*, year: int = 2027) -> dict[str, Any]:
    """Plant the three frauds once, run the screening once, and say which hits each planted fraud raised."""
    campaign = Campaign.objects.filter(coverage_year=year).first()
    if campaign is None:
        raise RuntimeError(f"no campaign for coverage year {year}: run the demo campaign first")
    tax = User.objects.get(username="tax")
    with transaction.atomic():
        rules_load(actor=None)
        if not Payment.objects.filter(txn_no__startswith=f"{CARD_TXN}{year}").exists():
            _plant(campaign, tax)
        run = ScreeningRun.objects.filter(coverage_year=year).order_by("pk").first()
        if run is None:
            run = screening_run(actor=tax, year=year)
    keeper = User.objects.get(username=KEEPER)
    greedy = User.objects.get(username=GREEDY)
    hits = Hit.objects.filter(coverage_year=year)
    honest = User.objects.filter(username=HONEST).select_related("unit").first()
    honest_village = honest.unit.division_id if honest and honest.unit else ""

    def ids(q: Q) -> list[int]:
        return list(hits.filter(q).order_by("pk").values_list("pk", flat=True))

    return {
        "run": run.pk,
        "counts": run.counts,
        "keeper": {
            "collector": KEEPER,
            "village": keeper.unit.division_id if keeper.unit else "",
            "hits": ids(Q(rule__code="cash_not_paid_in", collector=keeper)),
        },
        "overcharge": {
            "collector": GREEDY,
            "village": greedy.unit.division_id if greedy.unit else "",
            "hits": ids(Q(rule__code="overcharge", collector=greedy)),
        },
        "card": {
            "account_hash": CARD_HASH,
            "hits": ids(Q(rule__code="card_many_households", account_hash=CARD_HASH)),
        },
        "honest": {
            "collector": HONEST if honest else "",
            "village": honest_village,
            # every hit of every rule in the honest collector's village: none is expected
            "hits": ids(Q(village_code=honest_village)) if honest_village else [],
        },
        "other_hits_of_these_rules": ids(
            (Q(rule__code="cash_not_paid_in") & ~Q(collector=keeper))
            | (Q(rule__code="overcharge") & ~Q(collector=greedy))
            | (Q(rule__code="card_many_households") & ~Q(account_hash=CARD_HASH))
        ),
    }
