"""A small county with paid roster entries, the two bureaus and a confirmed calendar, for the refund tests."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from liangxian.collection.models import Payment
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.collection.tests.fixtures import paid_at
from liangxian.core.calendar import calendar_seed
from liangxian.core.models import CalendarYear
from liangxian.roster.models import RosterEntry
from liangxian.roster.tests.due_fixtures import due_county, f

__all__ = ["f", "pay", "refund_county"]


def pay(entry: RosterEntry, txn: str, amount_fen: int, channel: str = "wechat") -> Payment:
    """Record a payment of the entry's person through a channel."""
    return payment_record(
        PaymentIn(
            channel=channel,
            txn_no=txn,
            id_number=entry.person.id_number,
            name=entry.person.name,
            insurance=entry.insurance,
            coverage_year=entry.campaign.coverage_year,
            amount_fen=amount_fen,
            paid_at=paid_at(),
            source="api",
        )
    ).payment


def refund_county() -> dict[str, Any]:
    """The due-list county, its medical and social-security bureaus, a confirmed calendar and three payments.

    Payments: 阿依古丽 medical 400 (counts), 阿依古丽 pension 200 (counts), 李明 medical 400 (counts) and the same
    again (a duplicate in the queue); 买买提 (township B) medical 400.
    """
    county = due_county()
    year = timezone.localdate().year
    calendar_seed(actor=None, first_year=year, last_year=year + 1)
    CalendarYear.objects.update(confirmed=True)
    county["medical"] = f.department("medical")
    county["social"] = f.department("social")
    entries = {(e.person_id, e.insurance): e for e in RosterEntry.objects.select_related("person", "campaign")}
    people = county["people"]
    county["aygul_medical"] = pay(entries[(people["aygul"].pk, "medical")], "WX-1", 40000)
    county["aygul_pension"] = pay(entries[(people["aygul"].pk, "pension")], "WX-2", 20000)
    county["li"] = pay(entries[(people["li"].pk, "medical")], "WX-3", 40000)
    county["li_again"] = pay(entries[(people["li"].pk, "medical")], "HALL-9", 40000, channel="hall")
    county["mamat"] = pay(entries[(people["mamat"].pk, "medical")], "WX-5", 40000)
    return county
