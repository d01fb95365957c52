"""Property (Art 29): per collector and day, cash received = cash paid in + cash still open, whatever the order."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liangxian.cash.models import CashDay, CashReceipt
from liangxian.cash.services import CashError, cash_day_close, cash_payin_record, cash_receipt_record, day_totals
from liangxian.collection.models import Payment
from liangxian.roster.tests.due_fixtures import entry

from .cash_fixtures import cash_county, f

pytestmark = pytest.mark.django_db

TIERS = [10000, 20000, 50000]
PAYERS = 5


class Rollback(Exception):
    pass


@pytest.fixture
def county() -> dict[str, Any]:
    county = cash_county()
    county["entries"] = [
        entry(
            f.person(f.VILLAGE_A1, name=f"付款人{i}"),
            county["build"],
            insurance="pension",
            own_fen=0,
            amount_fen=0,
            tiers=",".join(map(str, TIERS)),
            cash_only=i % 2 == 0,
        )
        for i in range(PAYERS)
    ]
    return county


# An action: ("cash", payer index, tier index) or ("payin", receipt index among those recorded so far).
actions = st.lists(
    st.one_of(
        st.tuples(st.just("cash"), st.integers(0, PAYERS - 1), st.integers(0, len(TIERS) - 1)),
        st.tuples(st.just("payin"), st.integers(0, PAYERS - 1), st.just(0)),
    ),
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions, close=st.booleans())
def test_received_equals_paid_in_plus_open(
    county: dict[str, Any], steps: list[tuple[str, int, int]], close: bool
) -> None:
    collector = county["collector"]
    try:
        with transaction.atomic():
            receipts: list[int] = []
            for n, (kind, i, tier) in enumerate(steps):
                try:
                    if kind == "cash":
                        the_entry = county["entries"][i]
                        r = cash_receipt_record(by=collector, entry_id=the_entry.pk, amount=TIERS[tier] // 100)
                        receipts.append(r.pk)
                    elif receipts:
                        cash_payin_record(
                            by=collector, receipt_id=receipts[i % len(receipts)], channel="wechat", txn_no=f"T{n}"
                        )
                except CashError:
                    pass  # refused actions (paid already, cash already open, already paid in) change nothing
            if close:
                cash_day_close(by=None)
            for day in CashDay.objects.all():
                # then the stored day balances, and agrees with the receipts and the collector's cash payments
                assert day.received_fen == day.paid_in_fen + day.open_fen
                totals = day_totals(collector.pk, day.day)
                received = CashReceipt.objects.filter(collector=collector, business_date=day.day)
                assert day.received_fen == totals.received_fen == (received.aggregate(s=Sum("amount_fen"))["s"] or 0)
                paid = Payment.objects.filter(cash_receipt__in=received).aggregate(s=Sum("amount_fen"))["s"] or 0
                assert day.paid_in_fen == paid
                open_sum = received.filter(payment__isnull=True).aggregate(s=Sum("amount_fen"))["s"] or 0
                assert day.open_fen == open_sum
                if close:
                    assert (day.status == "raised") == (open_sum > 0)
            raise Rollback
    except Rollback:
        pass
