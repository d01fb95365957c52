"""Refund requests racing for one payment: the payment's row lock lets only what it holds through (PostgreSQL)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from liangxian.refunds import services
from liangxian.refunds.models import Refund
from liangxian.refunds.services import RefundError

from .fixtures import refund_county

pytestmark = pytest.mark.django_db(transaction=True)


def _race(amounts: list[str], by: Any, payment: Any) -> list[str]:
    start = threading.Barrier(len(amounts))
    outcomes: list[str] = []

    def ask(amount: str) -> None:
        try:
            start.wait()
            services.refund_request(by=by, payment=payment.pk, reason="duplicate", amount=Decimal(amount))
            outcomes.append("ok")
        except RefundError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(a,)) for a in amounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_concurrent_requests_never_exceed_what_was_paid() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; the row lock race is PostgreSQL's")
    county = refund_county()
    payment = county["li"]
    # the same refund asked six times at once is one refund
    assert _race(["400"] * 6, county["tax"], payment) == ["already_requested"] * 5 + ["ok"]
    Refund.objects.all().delete()
    # two parts that together exceed the payment: only one gets through
    assert _race(["300", "200"], county["tax"], payment) == ["exceeds_paid", "ok"]
    assert sum(Refund.objects.values_list("amount_fen", flat=True)) <= payment.amount_fen
