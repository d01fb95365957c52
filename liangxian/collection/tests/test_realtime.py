"""The signed real-time API: signatures, stale timestamps, replays, repeats, refunds, and the keys' commands."""

from __future__ import annotations

import io
import time
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from liangxian.collection.models import EntrySettlement, Notification, Payment, PaymentIssue
from liangxian.collection.realtime import channel_key_create, channel_key_revoke, signed_headers
from liangxian.collection.tests.fixtures import roster_entry
from liangxian.core.models import AuditEvent
from liangxian.roster.models import RosterEntry

pytestmark = pytest.mark.django_db

URL = "/api/collection/notify/{channel}"


def body_of(entry: RosterEntry, txn: str = "4200000001", amount: str = "400.00", **extra: Any) -> bytes:
    data = {
        "txn_no": txn,
        "id_number": entry.person.id_number,
        "name": entry.person.name,
        "insurance": entry.insurance,
        "coverage_year": entry.campaign.coverage_year,
        "amount": amount,
        "paid_at": "2026-11-02T12:30:00+08:00",
        "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        **extra,
    }
    return orjson.dumps(data)


def send(client: Client, body: bytes, key: Any, secret: str, *, channel: str = "wechat", **sign: Any) -> Any:
    headers = signed_headers(key.key_id, secret, body, **sign)
    return client.post(
        URL.format(channel=channel),
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def wechat() -> tuple[Any, str]:
    issued = channel_key_create(channel="wechat")
    return issued.key, issued.secret


def test_a_signed_notification_records_one_counted_payment(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    response = send(client, body_of(entry), *wechat)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["outcome"] == "counted" and answer["reason"] is None and not answer["repeat"]
    payment = Payment.objects.get()
    assert answer["payment_id"] == payment.pk and payment.entry_id == entry.pk
    assert payment.source == "api" and payment.notified_at is not None and payment.amount_fen == 40000
    assert payment.account_hash and "oUpF8" not in payment.account_hash  # the account is kept hashed only
    assert EntrySettlement.objects.get(entry=entry).paid
    note = Notification.objects.get()
    assert note.payment_id == payment.pk and not note.repeat


def test_no_audit_chain_row_per_notification(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    before = AuditEvent.objects.count()
    assert send(client, body_of(entry), *wechat).status_code == 200
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        ("signature", 401, "signature_bad"),
        ("body", 401, "signature_bad"),
        ("missing", 401, "signature_missing"),
        ("key", 401, "key_unknown"),
    ],
)
def test_a_bad_or_missing_signature_is_refused(
    client: Client, wechat: tuple[Any, str], tamper: str, status: int, code: str
) -> None:
    entry = roster_entry("medical", own_fen=40000)
    key, secret = wechat
    body = body_of(entry)
    headers = signed_headers(key.key_id, secret, body)
    if tamper == "signature":
        headers["X-Liangxian-Signature"] = signed_headers(key.key_id, "not-the-secret", body)["X-Liangxian-Signature"]
    elif tamper == "body":
        body = body_of(entry, amount="4.00")
    elif tamper == "missing":
        del headers["X-Liangxian-Signature"]
    else:
        headers["X-Liangxian-Key"] = "wechat-0000000000000000"
    response = client.post(URL.format(channel="wechat"), data=body, content_type="application/json", headers=headers)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Payment.objects.exists() and not Notification.objects.exists()


def test_a_revoked_key_and_a_key_of_another_channel_are_refused(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    key, secret = wechat
    other = send(client, body_of(entry), key, secret, channel="pos")
    assert other.status_code == 403 and other.json()["code"] == "key_channel"
    channel_key_revoke(key_id=key.key_id)
    revoked = send(client, body_of(entry), key, secret)
    assert revoked.status_code == 401 and revoked.json()["code"] == "key_revoked"
    assert not Payment.objects.exists()


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_timestamp_more_than_300_seconds_off_is_stale(client: Client, wechat: tuple[Any, str], offset: int) -> None:
    entry = roster_entry("medical", own_fen=40000)
    response = send(client, body_of(entry), *wechat, timestamp=int(time.time()) + offset)
    assert response.status_code == 401 and response.json()["code"] == "stale"
    assert not Payment.objects.exists()


def test_a_timestamp_within_300_seconds_is_accepted(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    response = send(client, body_of(entry), *wechat, timestamp=int(time.time()) - 250)
    assert response.status_code == 200


def test_a_nonce_used_twice_is_a_replay(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    first = send(client, body_of(entry), *wechat, nonce="nonce-0001")
    again = send(client, body_of(entry, txn="4200000002"), *wechat, nonce="nonce-0001")
    assert first.status_code == 200
    assert again.status_code == 409 and again.json()["code"] == "replay"
    assert Payment.objects.count() == 1 and Notification.objects.count() == 1


def test_a_repeated_notification_returns_the_first_result(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    first = send(client, body_of(entry, amount="380.00"), *wechat).json()
    again = send(client, body_of(entry, amount="380.00"), *wechat).json()
    assert first["outcome"] == again["outcome"] == "queued"
    assert first["reason"] == again["reason"] == "wrong_amount"
    assert again["payment_id"] == first["payment_id"] and again["repeat"] and not first["repeat"]
    assert Payment.objects.count() == 1 and PaymentIssue.objects.count() == 1
    assert list(Notification.objects.order_by("pk").values_list("repeat", flat=True)) == [False, True]


def test_unknown_person_is_queued(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    body = orjson.loads(body_of(entry))
    body["id_number"] = "110101199003074477"
    answer = send(client, orjson.dumps(body), *wechat).json()
    assert answer["outcome"] == "queued" and answer["reason"] == "unknown_person"


def test_a_refund_links_to_its_original(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    paid = send(client, body_of(entry), *wechat).json()
    refund = send(client, body_of(entry, txn="50300001", refund_of="4200000001"), *wechat)
    assert refund.status_code == 200, refund.content
    assert refund.json()["amount"] == "-400.00"
    row = Payment.objects.get(txn_no="50300001")
    assert row.kind == "refund" and row.original_id == paid["payment_id"] and row.amount_fen == -40000
    assert not EntrySettlement.objects.get(entry=entry).paid


def test_a_refund_of_an_unknown_original_is_refused_for_later(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    response = send(client, body_of(entry, txn="50300001", refund_of="nope"), *wechat)
    assert response.status_code == 422 and response.json()["code"] == "original_unknown"
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "change",
    [{"amount": "four hundred"}, {"insurance": "dental"}, {"paid_at": "yesterday"}, {"amount": "-400.00"}],
)
def test_an_invalid_body_is_refused(client: Client, wechat: tuple[Any, str], change: dict[str, str]) -> None:
    entry = roster_entry("medical", own_fen=40000)
    response = send(client, orjson.dumps({**orjson.loads(body_of(entry)), **change}), *wechat)
    assert response.status_code == 400 and response.json()["code"] == "body_invalid"
    assert not Payment.objects.exists()


def test_a_pension_tier_counts(client: Client, wechat: tuple[Any, str]) -> None:
    entry = roster_entry("pension", own_fen=20000, tiers="20000,30000")
    answer = send(client, body_of(entry, amount="300.00", tier="300.00"), *wechat).json()
    assert answer["outcome"] == "counted"
    assert Payment.objects.get().tier_fen == 30000


def test_keys_commands_create_list_and_revoke() -> None:
    out = io.StringIO()
    call_command("collection", "keys", "create", "--channel", "pos", "--json", stdout=out)
    created = orjson.loads(out.getvalue())
    assert created["channel"] == "pos" and len(created["secret"]) >= 32
    out = io.StringIO()
    call_command("collection", "keys", "list", "--json", stdout=out)
    listed = orjson.loads(out.getvalue())
    assert [row["key_id"] for row in listed] == [created["key_id"]]
    assert "secret" not in listed[0] and created["secret"] not in out.getvalue()
    call_command("collection", "keys", "revoke", created["key_id"], stdout=io.StringIO())
    with pytest.raises(CommandError, match="key_revoked"):
        call_command("collection", "keys", "revoke", created["key_id"], stdout=io.StringIO())
    assert AuditEvent.objects.filter(action__startswith="collection.channel_key").count() == 2
