"""The real-time API's one-row classifier gives the same answer as the frame classifier, on every rule."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from liangxian.collection.models import Payment
from liangxian.collection.realtime import classify_one, payment_record_one
from liangxian.collection.services import CANDIDATE_SCHEMA, PaymentIn, payment_record, payments_classify
from liangxian.collection.tests.fixtures import f, paid_at, roster_entry

pytestmark = pytest.mark.django_db

COLUMNS = ("person_id", "entry_id", "township_code", "village_code", "reason", "detail")


def _both(**candidate: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    row = {"kind": "payment", "amount_fen": 0, "other_fen": 0, "original_id": None, **candidate}
    frame = pl.DataFrame([{**row, "tier_fen": None, "paid_at": paid_at()}], schema=CANDIDATE_SCHEMA)
    slow = payments_classify(frame).row(0, named=True)
    fast = classify_one(**row)
    return {k: slow[k] for k in COLUMNS}, {k: fast[k] for k in COLUMNS}


def _record(entry: Any, txn: str, amount: int, **kw: Any) -> Payment:
    return payment_record(
        PaymentIn(
            channel="wechat",
            txn_no=txn,
            id_number=entry.person.id_number,
            insurance=entry.insurance,
            coverage_year=2027,
            amount_fen=amount,
            paid_at=paid_at(),
            source="api",
            **kw,
        )
    ).payment


@pytest.mark.parametrize(
    ("insurance", "entry_kw", "amount", "other", "reason"),
    [
        ("medical", {"own_fen": 40000}, 40000, 0, None),
        ("medical", {"own_fen": 40000}, 38000, 0, "wrong_amount"),
        ("medical", {"own_fen": 40000}, 0, 0, "wrong_amount"),
        ("medical", {"own_fen": 20000, "gov_fen": 20000}, 0, 20000, None),
        ("medical", {"own_fen": 20000, "gov_fen": 20000}, 0, 15000, "wrong_amount"),
        ("medical", {"own_fen": 0, "must_pay": False}, 40000, 0, "not_due"),
        ("pension", {"own_fen": 20000, "tiers": "20000,30000,50000"}, 30000, 0, None),
        ("pension", {"own_fen": 10000, "gov_fen": 10000, "tiers": "20000,30000"}, 20000, 0, None),
        ("pension", {"own_fen": 20000, "tiers": "20000,30000"}, 25000, 0, "wrong_amount"),
        ("pension", {"own_fen": 20000, "tiers": ""}, 20000, 0, "wrong_amount"),
    ],
)
def test_one_row_classifier_agrees_on_amounts_and_dues(
    insurance: str, entry_kw: dict[str, Any], amount: int, other: int, reason: str | None
) -> None:
    entry = roster_entry(insurance, **entry_kw)
    slow, fast = _both(
        id_number=entry.person.id_number, insurance=insurance, coverage_year=2027, amount_fen=amount, other_fen=other
    )
    assert fast == slow
    assert fast["reason"] == reason


def test_one_row_classifier_agrees_on_unknown_person_no_entry_and_no_campaign() -> None:
    entry = roster_entry("medical", own_fen=40000)
    stranger = {"id_number": "110101199003074477", "insurance": "medical", "coverage_year": 2027, "amount_fen": 1}
    cases = [
        (stranger, "unknown_person"),
        ({**stranger, "id_number": entry.person.id_number, "insurance": "pension"}, "no_entry"),
        ({**stranger, "id_number": entry.person.id_number, "coverage_year": 2031}, "no_campaign"),
    ]
    for candidate, reason in cases:
        slow, fast = _both(**candidate)
        assert fast == slow and fast["reason"] == reason


def test_one_row_classifier_agrees_on_a_second_payment_and_on_refunds() -> None:
    entry = roster_entry("medical", own_fen=40000)
    first = _record(entry, "T1", 40000)
    person = {"id_number": entry.person.id_number, "insurance": "medical", "coverage_year": 2027}
    slow, fast = _both(**person, amount_fen=40000)
    assert fast == slow and fast["reason"] == "already_paid"
    slow, fast = _both(**person, kind="refund", amount_fen=-40000, original_id=first.pk)
    assert fast == slow and fast["reason"] is None and fast["entry_id"] == entry.pk
    stray = f.person(f.VILLAGE_A1)
    queued = payment_record(
        PaymentIn(
            channel="wechat",
            txn_no="T2",
            id_number=stray.id_number,
            insurance="medical",
            coverage_year=2027,
            amount_fen=40000,
            paid_at=paid_at(),
            source="api",
        )
    ).payment
    slow, fast = _both(**person, kind="refund", amount_fen=-40000, original_id=queued.pk)
    assert fast == slow and fast["entry_id"] is None


def test_fast_record_stores_what_the_service_stores() -> None:
    entry = roster_entry("medical", own_fen=40000)
    other = roster_entry("medical", own_fen=40000)
    common: dict[str, Any] = {"insurance": "medical", "coverage_year": 2027, "paid_at": paid_at(), "source": "api"}
    slow = payment_record(
        PaymentIn(channel="wechat", txn_no="S1", id_number=entry.person.id_number, amount_fen=38000, **common)
    )
    fast = payment_record_one(
        PaymentIn(channel="wechat", txn_no="F1", id_number=other.person.id_number, amount_fen=38000, **common)
    )
    fields = ["kind", "amount_fen", "entry_id", "township_code", "village_code", "source"]
    assert [getattr(fast.payment, k) for k in fields] == [getattr(slow.payment, k) for k in fields]
    assert fast.reason == slow.reason == "wrong_amount"
    assert fast.payment.issues.get().detail == slow.payment.issues.get().detail
    again = payment_record_one(
        PaymentIn(channel="wechat", txn_no="F1", id_number=other.person.id_number, amount_fen=40000, **common)
    )
    assert not again.created and again.payment.pk == fast.payment.pk and again.reason == "wrong_amount"
