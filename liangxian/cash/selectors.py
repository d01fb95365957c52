"""Reads of the cash pages, scoped by who asks: the collector his villages and his own cash, the township its own
collectors, tax every township (Art 29). Every read of payers' personal data is access-logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from liangxian.core import idnumbers
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor, ScopeError, division_q
from liangxian.roster.duelists import DueListError, campaign_current, still_to_pay_q
from liangxian.roster.models import RosterEntry

from .models import CashDay, CashReceipt, DayStatus
from .services import authorised_villages, is_tax, township_of

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liangxian.campaigns.models import Campaign
    from liangxian.org.models import User

SEARCH_LIMIT = 20
LAST_DIGITS_MIN = 4


@dataclass(frozen=True)
class PayerRow:
    entry_id: int
    person_id: int
    name: str
    id_number: str  # masked unless the actor's duty needs the whole number
    insurance: str
    own_fen: int
    gov_fen: int
    tiers: list[int]
    cash_only: bool
    village_code: str


def _shown_id(actor: Actor, number: str) -> str:
    return number if actor.sees_full_id else idnumbers.mask(number)


def payers_find(*, user: User, q: str, request: HttpRequest | None = None, channel: str = "web") -> list[PayerRow]:
    """Find payers still to pay in the collector's authorised villages, by name or the last digits of the ID."""
    text = (q or "").strip()[:40]
    villages = authorised_villages(user)
    campaign = current_campaign_or_none()
    if not text or not villages or campaign is None:
        return []
    qs: QuerySet[RosterEntry] = RosterEntry.objects.filter(campaign=campaign, village_code__in=villages).filter(
        still_to_pay_q()
    )
    digits = text.upper()
    if digits.rstrip("X").isdigit() and len(digits) >= LAST_DIGITS_MIN:
        qs = qs.filter(person__id_number__endswith=digits)
    else:
        qs = qs.filter(person__name__contains=text)
    entries = list(qs.select_related("person").order_by("person__name", "person_id", "insurance")[:SEARCH_LIMIT])
    actor = Actor.of(user)
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="cash.payer",
        object_ids=[e.person_id for e in entries],
        query=f"cash payer search {len(text)} chars",
        request=request,
        channel=channel,
    )
    return [
        PayerRow(
            entry_id=e.pk,
            person_id=e.person_id,
            name=e.person.name,
            id_number=_shown_id(actor, e.person.id_number),
            insurance=e.insurance,
            own_fen=e.own_fen,
            gov_fen=e.gov_fen,
            tiers=sorted(int(t) - e.gov_fen for t in e.tiers.split(",") if t.strip() and int(t) > e.gov_fen),
            cash_only=e.cash_only,
            village_code=e.village_code,
        )
        for e in entries
    ]


def receipts_of(collector: User, day: date) -> list[CashReceipt]:
    """Return one collector's cash receipts of a business day, newest first, with payer and pay-in."""
    return list(
        CashReceipt.objects.filter(collector=collector, business_date=day)
        .select_related("person", "payment", "payment__proof")
        .order_by("-received_at", "-pk")
    )


def days_scope(user: User) -> Q:
    """Filter cash days to what the user oversees: his township, every township (tax), or his own days."""
    if user.is_superuser:
        return Q()
    if is_tax(user):
        return division_q("township_code", Actor.of(user).division_prefix)
    township = township_of(user)
    if township:
        return Q(township_code=township)
    if user.unit and user.unit.kind == "village":
        return Q(collector=user)
    raise ScopeError


@dataclass(frozen=True)
class DayFilters:
    day: date | None = None
    status: str = ""
    township: str = ""


def cash_days(*, user: User, filters: DayFilters | None = None) -> QuerySet[CashDay]:
    """List the collectors' cash days the user oversees, newest first, raised differences on top."""
    f = filters or DayFilters()
    qs = CashDay.objects.filter(days_scope(user)).select_related("collector", "cleared_by")
    if f.day:
        qs = qs.filter(day=f.day)
    if f.status in DayStatus.values:
        qs = qs.filter(status=f.status)
    if f.township:
        qs = qs.filter(township_code=f.township)
    return qs.prefetch_related("scans").order_by("-day", "township_code", "village_code", "collector_id")


def cash_day_get(*, user: User, day_id: int) -> CashDay:
    """Return one cash day the user oversees (or his own), else raise ``ScopeError``."""
    found = CashDay.objects.filter(days_scope(user)).filter(pk=day_id).select_related("collector").first()
    if found is None:
        raise ScopeError
    return found


def current_campaign_or_none() -> Campaign | None:
    """Return the current campaign, or None before one is set up (the pages say so)."""
    try:
        return campaign_current()
    except DueListError:
        return None


def raised_days_count(user: User) -> int:
    """Count the collectors' days with a difference raised and not yet cleared, within what the user oversees."""
    try:
        scope = days_scope(user)
    except ScopeError:
        return 0
    return CashDay.objects.filter(scope, status=DayStatus.RAISED).count()
