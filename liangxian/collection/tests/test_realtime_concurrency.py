"""50 identical real-time notifications sent at once create one payment (issue 5, Reliability), on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import orjson
import pytest
from django.db import connection, connections
from django.test import Client

from liangxian.collection.models import EntrySettlement, Notification, Payment
from liangxian.collection.realtime import channel_key_create, signed_headers
from liangxian.collection.tests.fixtures import roster_entry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers on one file lock and the in-memory test database is one connection: "
        "run with DATABASE_URL=postgres://… to test the race",
    ),
]
N = 50


def _fire(requests: list[tuple[bytes, dict[str, str]]]) -> list[Any]:
    """Send every request from its own thread (its own connection), all released at once; return the answers."""
    barrier = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)

    def one(i: int) -> None:
        body, headers = requests[i]
        client = Client()
        barrier.wait()
        try:
            answers[i] = client.post(
                "/api/collection/notify/wechat", data=body, content_type="application/json", headers=headers
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def _body() -> bytes:
    entry = roster_entry("medical", own_fen=40000)
    return orjson.dumps(
        {
            "txn_no": "4200009999",
            "id_number": entry.person.id_number,
            "insurance": "medical",
            "coverage_year": entry.campaign.coverage_year,
            "amount": "400.00",
            "paid_at": "2026-11-02T12:30:00+08:00",
        }
    )


def test_fifty_identical_notifications_at_once_create_one_payment() -> None:
    issued = channel_key_create(channel="wechat")
    body = _body()
    headers = signed_headers(issued.key.key_id, issued.secret, body)
    answers = _fire([(body, headers)] * N)
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 409: N - 1}, statuses
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"replay"}
    assert Payment.objects.count() == 1 and Notification.objects.count() == 1
    assert EntrySettlement.objects.get().own_paid_fen == 40000


def test_fifty_repeats_of_one_transaction_at_once_answer_with_one_payment() -> None:
    issued = channel_key_create(channel="wechat")
    body = _body()
    answers = _fire([(body, signed_headers(issued.key.key_id, issued.secret, body)) for _ in range(N)])
    assert Counter(a.status_code for a in answers) == {200: N}
    payments = {a.json()["payment_id"] for a in answers}
    assert len(payments) == 1 and Payment.objects.count() == 1
    assert {a.json()["outcome"] for a in answers} == {"counted"}
    assert sum(not a.json()["repeat"] for a in answers) == 1
    assert Notification.objects.count() == N and Notification.objects.filter(repeat=False).count() == 1
    assert EntrySettlement.objects.get().own_paid_fen == 40000
