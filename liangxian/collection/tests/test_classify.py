"""The payment rules: matching, amounts, repeats, reversals and the settlement the due-lists read."""

from __future__ import annotations

from typing import Any

import pytest

from liangxian.collection.models import EntrySettlement, Payment, PaymentIssue
from liangxian.collection.services import PaymentIn, Recorded, payment_record, settlement_refresh
from liangxian.collection.tests.fixtures import paid_at, roster_entry
from liangxian.roster.duelists import still_to_pay_q
from liangxian.roster.models import RosterEntry

pytestmark = pytest.mark.django_db


def _pay(entry: RosterEntry, txn: str, amount: int, **kw: Any) -> Recorded:
    return payment_record(
        PaymentIn(
            channel=str(kw.pop("channel", "wechat")),
            txn_no=txn,
            id_number=entry.person.id_number,
            insurance=entry.insurance,
            coverage_year=entry.campaign.coverage_year,
            amount_fen=amount,
            paid_at=paid_at(),
            source="api",
            **kw,
        )
    )


def test_medical_payment_of_the_due_amount_counts_and_leaves_the_due_list() -> None:
    entry = roster_entry("medical", own_fen=40000)
    assert RosterEntry.objects.filter(still_to_pay_q(), pk=entry.pk).exists()
    recorded = _pay(entry, "T1", 40000)
    assert recorded.created and recorded.reason is None
    assert recorded.payment.entry_id == entry.pk
    assert EntrySettlement.objects.get(entry=entry).paid
    assert not RosterEntry.objects.filter(still_to_pay_q(), pk=entry.pk).exists()


def test_the_same_transaction_twice_is_one_payment() -> None:
    entry = roster_entry("medical", own_fen=40000)
    first = _pay(entry, "T1", 40000)
    again = _pay(entry, "T1", 40000)
    assert not again.created and again.payment.pk == first.payment.pk
    assert Payment.objects.count() == 1


def test_wrong_amount_and_second_payment_go_to_the_queue() -> None:
    entry = roster_entry("medical", own_fen=40000)
    wrong = _pay(entry, "T1", 38000)
    assert wrong.reason == "wrong_amount" and wrong.payment.entry_id is None
    _pay(entry, "T2", 40000)
    second = _pay(entry, "T3", 40000)
    assert second.reason == "already_paid"
    assert set(PaymentIssue.objects.values_list("reason", flat=True)) == {"wrong_amount", "already_paid"}


def test_unknown_person_is_queued_not_dropped() -> None:
    entry = roster_entry("medical", own_fen=40000)
    recorded = payment_record(
        PaymentIn(
            channel="hall",
            txn_no="H1",
            id_number="110101199003074477",
            insurance="medical",
            coverage_year=entry.campaign.coverage_year,
            amount_fen=40000,
            paid_at=paid_at(),
            source="file",
        )
    )
    assert recorded.reason == "unknown_person"


def test_pension_counts_any_tier_and_daijiao_part_separately() -> None:
    entry = roster_entry("pension", own_fen=10000, gov_fen=10000, tiers="10000,20000,30000")
    assert _pay(entry, "P1", 20000).reason is None  # tier 300 with 100 paid by the government
    settlement = EntrySettlement.objects.get(entry=entry)
    assert not settlement.paid  # the government's part is not in yet
    gov = _pay(entry, "G1", 0, channel="gov", other_fen=10000)
    assert gov.reason is None
    assert EntrySettlement.objects.get(entry=entry).paid


def test_refund_links_to_its_original_and_reopens_the_entry() -> None:
    entry = roster_entry("medical", own_fen=40000)
    original = _pay(entry, "T1", 40000).payment
    refund = _pay(entry, "R1", -40000, kind="refund", original_id=original.pk)
    assert refund.reason is None and refund.payment.entry_id == entry.pk
    settlement_refresh()
    assert not EntrySettlement.objects.get(entry=entry).paid
    assert EntrySettlement.objects.get(entry=entry).own_paid_fen == 0
