"""Real-time payment notifications from the channels' systems, signed with a per-channel key (Art 26, SPEC 5).

A channel system (the WeChat mini-program's back end, the tax hall, the POS platform …) holds a
:class:`ChannelKey` issued by ``liangxian collection keys create --channel CH`` and signs every request::

    POST /api/collection/notify/{channel}
    X-Liangxian-Key:        the key id
    X-Liangxian-Timestamp:  unix seconds (refused when more than 300 s off the server's clock: ``stale``)
    X-Liangxian-Nonce:      8–64 characters [A-Za-z0-9_-], never used twice with one key (``replay``)
    X-Liangxian-Signature:  hex HMAC-SHA256(secret, timestamp + "\\n" + nonce + "\\n" + body)

The body is one payment as JSON (UTF-8)::

    {"txn_no": "4200001234…", "id_number": "653123…", "name": "…", "insurance": "medical" | "pension",
     "coverage_year": 2027, "amount": "400.00", "tier": "400.00" (pension: the chosen tier, optional),
     "paid_at": "2026-11-02T12:30:00+08:00", "account": "openid or card number (stored hashed)",
     "terminal": "POS terminal", "operator": "operator", "refund_of": "txn_no of the original (a refund)"}

Amounts are yuan as strings (never floats). A refund carries ``refund_of`` (the original's transaction number on
the same channel) and its amount (either sign: it is recorded negative). The answer is the payment's id and
outcome: ``counted`` (it counts toward the roster entry) or ``queued`` with the queue's reason. A repeated
notification of the same channel transaction (a new nonce) answers with the first record, never a second
payment (``repeat: true``). A refund whose original is not on record is refused (``original_unknown``, 422):
the channel sends it again later, and the daily file carries it anyway.

Every accepted notification leaves a :class:`Notification` row (key, nonce, transaction, body hash, payment):
that row is the record. No audit-chain event is written per notification — the chain's lock would serialise
the channels' load; key issue and revocation are audited.

The matching rules are :func:`liangxian.collection.services.payments_classify`'s. A notification is one payment,
and the classifier's frame machinery (five queries, a dozen Polars plans) cost about 12 ms of CPU for one row —
most of the request (``bench/bench_realtime.py``). So the request path is a fast path for one row, the same rules
and the same writes as :func:`~liangxian.collection.services.payment_record`: :func:`classify_one` reads the payer,
his entry and its settlement, the campaign, the transaction already on record and the key's state in one
statement; the payment is inserted ``ON CONFLICT (channel, txn_no) DO NOTHING`` (a racing twin waits for the first
and answers with it), then its issue, its entry's settlement (``settlement_refresh``) and the notification, in one
transaction: six statements in all. ``test_realtime_fastpath.py`` holds the two classifiers to the same answer on
every reason, and the stored rows to the same values.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from liangxian.campaigns.models import InsuranceType
from liangxian.core.audit import audit_record
from liangxian.core.money import AmountError, parse_yuan, to_fen
from liangxian.registry.models import DocumentType

from .channel_files import account_hash
from .models import (
    Channel,
    ChannelKey,
    IssueReason,
    Notification,
    Payment,
    PaymentIssue,
    PaymentKind,
    PaymentSource,
)
from .services import PaymentIn, Recorded, settlement_refresh, wrong_amount_detail

# How far a request's timestamp may be from the server's clock, in seconds.
MAX_SKEW = 300
NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")
HEADER_KEY = "X-Liangxian-Key"
HEADER_TIMESTAMP = "X-Liangxian-Timestamp"
HEADER_NONCE = "X-Liangxian-Nonce"
HEADER_SIGNATURE = "X-Liangxian-Signature"
# The enums' ``values`` are rebuilt on every access: the request path reads these instead.
_CHANNELS = frozenset(Channel.values)
_INSURANCES = frozenset(InsuranceType.values)
_ID_TYPES = tuple(DocumentType.values)


class NotifyError(Exception):
    """A notification refused: ``code`` for the channel's system, ``status`` the HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class ChannelKeyError(Exception):
    """A channel key cannot be issued or revoked."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ------------------------------------------------------------------------------------------------ keys


@dataclass(frozen=True)
class IssuedKey:
    key: ChannelKey
    secret: str  # shown once, to be configured in the channel's system


def channel_key_create(*, channel: str, by: Any = None) -> IssuedKey:
    """Issue a signing key for a channel's system; its secret is shown once."""
    if channel not in Channel.values:
        raise ChannelKeyError("channel_unknown", _("No such payment channel: %(channel)s") % {"channel": channel})
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ChannelKey.objects.create(
            channel=channel, key_id=f"{channel}-{secrets.token_hex(8)}", secret=secret, created_at=timezone.now()
        )
        audit_record(actor=by, action="collection.channel_key.create", obj=key, payload={"channel": channel})
    return IssuedKey(key, secret)


def channel_key_revoke(*, key_id: str, by: Any = None) -> ChannelKey:
    """Revoke a channel key: requests signed with it are refused from now on."""
    with transaction.atomic():
        key = ChannelKey.objects.select_for_update().filter(key_id=key_id).first()
        if key is None:
            raise ChannelKeyError("key_unknown", _("No such channel key: %(key)s") % {"key": key_id})
        if key.revoked_at is not None:
            raise ChannelKeyError("key_revoked", _("This channel key is already revoked."))
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=by, action="collection.channel_key.revoke", obj=key, payload={"channel": key.channel})
    return key


def channel_keys() -> list[ChannelKey]:
    """Every channel key, newest first (their secrets are not for display)."""
    return list(ChannelKey.objects.order_by("-created_at", "-pk"))


# ------------------------------------------------------------------------------------------- signatures


def signature_of(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 a channel puts in ``X-Liangxian-Signature``."""
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    key_id: str, secret: str, body: bytes, *, timestamp: int | None = None, nonce: str = ""
) -> dict[str, str]:
    """Return the four headers that sign ``body`` (for the channels' client code, the tests and the bench)."""
    stamp = str(int(timezone.now().timestamp()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        HEADER_KEY: key_id,
        HEADER_TIMESTAMP: stamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature_of(secret, stamp, nonce, body),
    }


# --------------------------------------------------------------------------------------------------- body


class RealtimePaymentIn(BaseModel):
    """The JSON body of a notification: one payment (or a refund of one) as the channel saw it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    txn_no: str = Field(min_length=1, max_length=64, description="The channel's transaction number.")
    id_number: str = Field(min_length=1, max_length=30)
    name: str = Field("", max_length=80)
    insurance: str = Field(description="medical or pension")
    coverage_year: int = Field(ge=2000, le=2100)
    amount: str = Field(max_length=30, description="Yuan, as a string: '400.00'.")
    tier: str = Field("", max_length=30, description="Pension: the tier the payer chose, yuan.")
    paid_at: datetime
    account: str = Field("", max_length=128, description="WeChat user id or card number; stored hashed.")
    terminal: str = Field("", max_length=40)
    operator: str = Field("", max_length=40)
    refund_of: str = Field("", max_length=64, description="A refund: the original's transaction number.")

    @field_validator("insurance")
    @classmethod
    def _insurance(cls, value: str) -> str:
        if value not in _INSURANCES:
            raise ValueError("insurance must be medical or pension")
        return value

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        return value.upper()


def _fen(text: str, field: str) -> int:
    try:
        return to_fen(parse_yuan(text))
    except (AmountError, ValueError) as exc:
        raise NotifyError("body_invalid", _("Not an amount in yuan: %(field)s") % {"field": field}, status=400) from exc


def _parse(body: bytes) -> RealtimePaymentIn:
    try:
        return RealtimePaymentIn.model_validate(orjson.loads(body))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise NotifyError("body_invalid", _("The notification's body is not a valid payment."), status=400) from exc


# ------------------------------------------------------------------------------------------ the endpoint


@dataclass(frozen=True)
class NotifyResult:
    payment: Payment
    notification_id: int
    repeat: bool  # the channel transaction was on record already: this is its first result
    reason: str | None  # the open queue reason, or None when the payment counts


@dataclass(frozen=True)
class _Key:
    pk: int
    channel: str
    secret: str


# A key's id, channel and secret never change: each worker keeps them once read. Whether the key is revoked is
# read afresh with every notification, in the same statement as the payer's roster entry (see ``_ONE``).
_KEYS: dict[str, _Key] = {}


def _refuse(code: str, message: str, status: int = 401) -> NotifyError:
    return NotifyError(code, message, status)


def _key(channel: str, key_id: str, timestamp: str, nonce: str, signature: str, body: bytes) -> _Key:
    if not (key_id and timestamp and nonce and signature):
        raise _refuse("signature_missing", _("The request is not signed."))
    if len(key_id) > 32:
        raise _refuse("key_unknown", _("Unknown channel key."))
    key = _KEYS.get(key_id)
    if key is None:
        found = ChannelKey.objects.filter(key_id=key_id).values_list("pk", "channel", "secret").first()
        if found is None:
            raise _refuse("key_unknown", _("Unknown channel key."))
        key = _KEYS[key_id] = _Key(*found)
    expected = signature_of(key.secret, timestamp, nonce, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise _refuse("signature_bad", _("The signature does not match the request."))
    # Only a correctly signed request learns that its key is meant for another channel (or revoked, later).
    if key.channel != channel:
        raise _refuse("key_channel", _("This key belongs to another channel."), status=403)
    return key


def _check_fresh(timestamp: str, nonce: str, now: datetime) -> None:
    try:
        stamp = int(timestamp)
    except ValueError as exc:
        raise _refuse("stale", _("The request's timestamp is not unix seconds.")) from exc
    if abs(now.timestamp() - stamp) > MAX_SKEW:
        raise _refuse("stale", _("The request's timestamp is more than 300 seconds off: sign it again."))
    if not NONCE.fullmatch(nonce):
        raise _refuse("nonce_invalid", _("The nonce must be 8 to 64 letters, digits, '-' or '_'."), status=400)


def _payment_in(channel: str, data: RealtimePaymentIn, now: datetime) -> PaymentIn:
    amount = _fen(data.amount, "amount")
    tier = _fen(data.tier, "tier") if data.tier else None
    paid_at = data.paid_at if timezone.is_aware(data.paid_at) else timezone.make_aware(data.paid_at)
    kind, original_id = PaymentKind.PAYMENT.value, None
    if data.refund_of:
        original_id = (
            Payment.objects.filter(channel=channel, txn_no=data.refund_of, kind=PaymentKind.PAYMENT)
            .values_list("pk", flat=True)
            .first()
        )
        if original_id is None:
            raise NotifyError(
                "original_unknown",
                _("The refunded payment %(txn)s is not on record yet: send the refund again later.")
                % {"txn": data.refund_of},
                status=422,
            )
        kind, amount = PaymentKind.REFUND.value, -abs(amount)
    elif amount < 0:
        raise NotifyError("body_invalid", _("A payment's amount cannot be negative."), status=400)
    return PaymentIn(
        channel=channel,
        txn_no=data.txn_no,
        id_number=data.id_number,
        name=data.name,
        insurance=data.insurance,
        coverage_year=data.coverage_year,
        amount_fen=amount,
        tier_fen=tier,
        paid_at=paid_at,
        source=PaymentSource.API,
        kind=kind,
        original_id=original_id,
        account_hash=account_hash(data.account),
        pos_terminal=data.terminal,
        operator=data.operator,
        notified_at=now,
    )


# The Notification row, written with the payment in the request's one transaction (the ORM's save costs more
# than the rest of the write on this path).
_NOTE = (  # the table name is ours, the values placeholders
    f"INSERT INTO {Notification._meta.db_table}"  # noqa: S608
    ' (key_id, nonce, txn_no, received_at, body_sha256, payment_id, "repeat")'
    " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id"
)


def notification_receive(
    *,
    channel: str,
    key_id: str,
    timestamp: str,
    nonce: str,
    signature: str,
    body: bytes,
    now: datetime | None = None,
) -> NotifyResult:
    """Check a channel's signed notification and record its payment once (Art 26)."""
    now = now or timezone.now()
    if channel not in _CHANNELS:
        raise NotifyError("channel_unknown", _("No such payment channel."), status=404)
    key = _key(channel, key_id, timestamp, nonce, signature, body)
    _check_fresh(timestamp, nonce, now)
    data = _parse(body)
    payment_in = _payment_in(channel, data, now)
    found = _lookup(payment_in, key_pk=key.pk)
    if not found.key_active:
        raise _refuse("key_revoked", _("This channel key has been revoked."))
    with transaction.atomic():
        recorded = _record(payment_in, found, now)
        # The nonce last, in the same transaction: a replay (the unique constraint) undoes everything above, and
        # of two requests racing with one nonce the second waits for the first, then fails here.
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    _NOTE,
                    [
                        key.pk,
                        nonce,
                        data.txn_no,
                        connection.ops.adapt_datetimefield_value(now),
                        hashlib.sha256(body).hexdigest(),
                        recorded.payment.pk,
                        not recorded.created,
                    ],
                )
                note_id = cursor.fetchone()[0]
        except IntegrityError as exc:
            raise NotifyError("replay", _("This nonce was already used with this key."), status=409) from exc
    return NotifyResult(recorded.payment, note_id, not recorded.created, recorded.reason)


# ------------------------------------------------------------------------------------- the one-row fast path

# In one statement: the person, his roster entry for the insurance and year with its settlement, whether the year
# has a campaign, the channel transaction if already recorded, and whether the signing key is still active.
# ``id_type IN (…)`` lets the (id_type, id_number) unique index serve the lookup by number.
_ONE = (  # noqa: S608 - placeholders only: no input in the statement
    "SELECT p.id, e.id, e.must_pay, e.own_fen, e.gov_fen, e.tiers, e.township_code, e.village_code,"
    " COALESCE(s.own_paid_fen, 0), COALESCE(s.gov_paid_fen, 0),"
    " (SELECT COUNT(*) FROM campaigns_campaign y WHERE y.coverage_year = %s),"
    " (SELECT x.id FROM collection_payment x WHERE x.channel = %s AND x.txn_no = %s),"
    " (SELECT COUNT(*) FROM collection_channelkey k WHERE k.id = %s AND k.revoked_at IS NULL)"
    " FROM (SELECT 1 AS one) AS one"
    " LEFT JOIN registry_person p ON p.id_type IN ({types}) AND p.id_number = %s"
    " LEFT JOIN (SELECT r.id, r.person_id, r.must_pay, r.own_fen, r.gov_fen, r.tiers, r.township_code,"
    " r.village_code FROM roster_rosterentry r JOIN campaigns_campaign c ON c.id = r.campaign_id"
    " WHERE c.coverage_year = %s AND r.insurance = %s) AS e ON e.person_id = p.id"
    " LEFT JOIN collection_entrysettlement s ON s.entry_id = e.id"
    " ORDER BY p.id, e.id LIMIT 1"
).format(types=", ".join("%s" for _type in _ID_TYPES))


@dataclass(frozen=True)
class _Found:
    person_id: int | None
    entry_id: int | None
    must_pay: bool | None
    own_fen: int | None
    gov_fen: int | None
    tiers: str | None
    township_code: str | None
    village_code: str | None
    own_paid_fen: int
    gov_paid_fen: int
    campaigns: int
    existing_id: int | None
    key_active: int


def _lookup(data: PaymentIn, *, key_pk: int = 0) -> _Found:
    params: list[Any] = [data.coverage_year, data.channel, data.txn_no, key_pk, *_ID_TYPES, data.id_number]
    with connection.cursor() as cursor:
        cursor.execute(_ONE, [*params, data.coverage_year, data.insurance])
        row = cursor.fetchone()
    return _Found(*row)


def _classify(found: _Found, data: PaymentIn) -> dict[str, Any]:
    orig_entry_id = orig_person_id = None
    if data.original_id is not None:
        orig_entry_id, orig_person_id = Payment.objects.filter(pk=data.original_id).values_list(
            "entry_id", "person_id"
        ).first() or (None, None)
    reason: str | None = None
    detail = ""
    if data.kind != PaymentKind.PAYMENT:
        if orig_entry_id is None and orig_person_id is None and data.original_id is None:
            reason = IssueReason.REFUND_UNLINKED.value
        counted = orig_entry_id
    else:
        amount, other = data.amount_fen, data.other_fen
        own, gov = amount > 0, other > 0
        if found.person_id is None:
            reason = IssueReason.UNKNOWN_PERSON.value
        elif not found.campaigns:
            reason = IssueReason.NO_CAMPAIGN.value
        elif found.entry_id is None:
            reason = IssueReason.NO_ENTRY.value
        elif not found.must_pay:
            reason = IssueReason.NOT_DUE.value
        else:
            own_fen, gov_fen = found.own_fen or 0, found.gov_fen or 0
            open_tiers = {int(t) for t in (found.tiers or "").split(",") if t != ""}
            own_ok = amount == own_fen if data.insurance == "medical" else amount + gov_fen in open_tiers
            amount_ok = (not own or own_ok) and (not gov or other == gov_fen) and (own or gov)
            if not amount_ok:
                reason = IssueReason.WRONG_AMOUNT.value
                detail = wrong_amount_detail(amount, other, own_fen, gov_fen)
            elif (own and found.own_paid_fen > 0) or (gov and found.gov_paid_fen > 0):
                reason = IssueReason.ALREADY_PAID.value
        counted = found.entry_id if reason is None else None
    return {
        "person_id": found.person_id if found.person_id is not None else orig_person_id,
        "entry_id": counted,
        "township_code": found.township_code or "",
        "village_code": found.village_code or "",
        "reason": reason,
        "detail": detail,
    }


def classify_one(
    *,
    id_number: str,
    insurance: str,
    coverage_year: int,
    kind: str = PaymentKind.PAYMENT,
    amount_fen: int = 0,
    other_fen: int = 0,
    original_id: int | None = None,
) -> dict[str, Any]:
    """Classify one candidate payment as :func:`~liangxian.collection.services.payments_classify` would.

    Return the classifier's added columns for the row: ``person_id``, ``entry_id`` (set only when it counts),
    ``township_code``, ``village_code``, ``reason`` and ``detail``.
    """
    data = PaymentIn(
        channel="",
        txn_no="",
        id_number=id_number,
        insurance=insurance,
        coverage_year=coverage_year,
        kind=kind,
        amount_fen=amount_fen,
        other_fen=other_fen,
        original_id=original_id,
        paid_at=timezone.now(),
        source=PaymentSource.API,
    )
    return _classify(_lookup(data), data)


_PAYMENT_COLUMNS = (
    "channel", "txn_no", "kind", "original_id", "person_id", "id_number", "name", "insurance", "coverage_year",
    "tier_fen", "amount_fen", "subsidy_fen", "other_fen", "paid_at", "settled_at", "account_hash", "pos_terminal",
    "operator", "collector_id", "etax_voucher", "batch_no", "source", "notified_at", "in_file_at", "entry_id",
    "township_code", "village_code", "recorded_at",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO {Payment._meta.db_table} ({', '.join(_PAYMENT_COLUMNS)})"  # noqa: S608 - column names are ours
    f" VALUES ({', '.join('%s' for _ in _PAYMENT_COLUMNS)})"
    " ON CONFLICT (channel, txn_no) DO NOTHING RETURNING id"
)


def _record(data: PaymentIn, found: _Found, now: datetime) -> Recorded:
    """Insert the payment (its issue, its entry's settlement) unless its channel transaction is on record."""
    if found.existing_id is None:
        row = _classify(found, data)
        values = {
            **{k: getattr(data, k) for k in _PAYMENT_COLUMNS if hasattr(data, k)},
            "person_id": row["person_id"],
            "entry_id": row["entry_id"],
            "township_code": row["township_code"],
            "village_code": row["village_code"],
            "recorded_at": now,
        }
        adapt = connection.ops.adapt_datetimefield_value
        params = [adapt(v) if isinstance(v, datetime) else v for v in (values[k] for k in _PAYMENT_COLUMNS)]
        with connection.cursor() as cursor:
            # ON CONFLICT: of two requests racing with one transaction the second waits for the first to commit
            # and then inserts nothing; it answers with the first's record below.
            cursor.execute(_INSERT, params)
            inserted = cursor.fetchone()
        if inserted is not None:
            payment = Payment(pk=inserted[0], **values)
            if row["reason"]:
                PaymentIssue.objects.create(
                    payment=payment,
                    reason=row["reason"],
                    detail=row["detail"],
                    township_code=row["township_code"],
                    raised_at=now,
                )
            if payment.entry_id:
                settlement_refresh([payment.entry_id])
            return Recorded(payment, True, row["reason"])
    first = Payment.objects.get(channel=data.channel, txn_no=data.txn_no)
    return Recorded(first, False, _open_reason(first))


def payment_record_one(data: PaymentIn) -> Recorded:
    """Record one payment once, as :func:`~liangxian.collection.services.payment_record` does, classified by the
    one-row rules: a repeat of the same channel transaction returns the first record unchanged."""
    found = _lookup(data)
    with transaction.atomic():
        return _record(data, found, timezone.now())


def _open_reason(payment: Payment) -> str | None:
    issue = payment.issues.filter(status="open").order_by("pk").first()
    return issue.reason if issue else None
