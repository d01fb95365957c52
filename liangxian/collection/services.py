"""Record payments: match them to roster entries, queue what does not count, keep each entry's settlement.

Every way a payment arrives — a channel's daily file, a real-time notification, a collector's cash pay-in, the
finance bureau's 代缴 batch — ends in :func:`payments_classify` (one frame of candidate payments in, the same
frame with its match and its issue out) and :func:`settlement_refresh`. A single payment is a frame of one
(:func:`payment_record`), so the rules are written once.

The rules, for a payment (``kind == "payment"``):
- the ID number must be in the register (``unknown_person``), its coverage year must have a campaign
  (``no_campaign``), the person must have a roster entry for the insurance (``no_entry``) that must pay
  (``not_due``);
- the person's own part (``amount_fen``): medical equals the entry's ``own_fen``; pension, ``amount + gov`` is
  one of the campaign's tiers (the payer's choice); the government's part (``other_fen``) equals ``gov_fen``
  (``wrong_amount`` otherwise);
- a second own payment, or a second 代缴 payment, for an entry already holding one is ``already_paid``.
A reversal or refund counts against the entry its original counted toward; one whose original is not on record
is ``refund_unlinked``. Only payments without an issue get ``entry``: they are the ones that count.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import read_frame
from liangxian.core.money import from_fen

from .models import EntrySettlement, IssueReason, Payment, PaymentIssue, PaymentKind, ProofOfPayment

# Frames with more rows than this read the whole campaign's roster once instead of looking up their IDs.
SMALL_FRAME = 2_000

# The candidate payments a classifier takes; more columns may ride along and come back untouched.
CANDIDATE_SCHEMA: dict[str, Any] = {
    "id_number": pl.String,
    "insurance": pl.String,
    "coverage_year": pl.Int64,
    "kind": pl.String,
    "amount_fen": pl.Int64,
    "other_fen": pl.Int64,
    "tier_fen": pl.Int64,
    "paid_at": pl.Datetime("us", "UTC"),
    "original_id": pl.Int64,  # reversals and refunds: the original payment, when found
}
ENTRY_SCHEMA: dict[str, Any] = {
    "entry_id": pl.Int64,
    "person_id": pl.Int64,
    "insurance": pl.String,
    "coverage_year": pl.Int64,
    "must_pay": pl.Boolean,
    "own_fen": pl.Int64,
    "gov_fen": pl.Int64,
    "tiers": pl.String,
    "township_code": pl.String,
    "village_code": pl.String,
    "own_paid_fen": pl.Int64,
    "gov_paid_fen": pl.Int64,
}


# ------------------------------------------------------------------------------------------------- classify


def _persons(ids: Sequence[str], big: bool) -> pl.DataFrame:
    schema = {"id_number": pl.String, "person_id": pl.Int64}
    if big:
        return read_frame("SELECT id_number, id FROM registry_person", [], schema=schema).unique("id_number")
    from liangxian.registry.models import DocumentType, Person

    # id_type first lets the (id_type, id_number) unique index serve the lookup; PostgreSQL scans the table otherwise.
    wanted = Person.objects.filter(id_type__in=DocumentType.values, id_number__in=list(ids))
    rows = list(wanted.values_list("id_number", "pk"))
    return pl.DataFrame(rows, schema=schema, orient="row").unique("id_number")


def _entries(years: Sequence[int], person_ids: Sequence[int], big: bool) -> pl.DataFrame:
    sql = (  # placeholders only: no input in the statement
        "SELECT e.id, e.person_id, e.insurance, c.coverage_year, e.must_pay, e.own_fen, e.gov_fen, e.tiers,"  # noqa: S608
        " e.township_code, e.village_code, COALESCE(s.own_paid_fen, 0), COALESCE(s.gov_paid_fen, 0)"
        " FROM roster_rosterentry e JOIN campaigns_campaign c ON c.id = e.campaign_id"
        " LEFT JOIN collection_entrysettlement s ON s.entry_id = e.id"
        f" WHERE c.coverage_year IN ({', '.join('%s' for _ in years)})"
    )
    params: list[Any] = list(years)
    if not big:
        if not person_ids:
            return pl.DataFrame(schema=ENTRY_SCHEMA)
        sql += f" AND e.person_id IN ({', '.join('%s' for _ in person_ids)})"
        params += list(person_ids)
    return read_frame(sql, params, schema=ENTRY_SCHEMA)


def _campaign_years(years: Sequence[int]) -> set[int]:
    from liangxian.campaigns.models import Campaign

    return set(Campaign.objects.filter(coverage_year__in=list(years)).values_list("coverage_year", flat=True))


def _originals(ids: Sequence[int]) -> pl.DataFrame:
    schema = {"original_id": pl.Int64, "orig_entry_id": pl.Int64, "orig_person_id": pl.Int64}
    rows = list(Payment.objects.filter(pk__in=list(ids)).values_list("pk", "entry_id", "person_id")) if ids else []
    return pl.DataFrame(rows, schema=schema, orient="row")


def wrong_amount_template() -> str:
    """The clerk's wording of a wrong amount, with ``{}`` for paid own, paid 代缴, due own and due 代缴 (yuan)."""
    return _("Paid {} yuan (own) + {} yuan (代缴); due {} yuan (own) + {} yuan (代缴)")


def wrong_amount_detail(paid_own: int, paid_gov: int, due_own: int, due_gov: int) -> str:
    """Say a wrong amount to the clerk, for one payment (the frame path writes the same with :func:`_yuan`)."""
    return wrong_amount_template().format(*(f"{from_fen(v):.2f}" for v in (paid_own, paid_gov, due_own, due_gov)))


def _yuan(fen: pl.Expr) -> pl.Expr:
    """Write whole fen as yuan with two decimals ("350.00"), in integers: never through a float."""
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    absolute = fen.fill_null(0).abs()
    cents = (absolute % 100).cast(pl.String).str.zfill(2)
    return pl.format("{}{}.{}", sign, (absolute // 100).cast(pl.String), cents)


def payments_classify(frame: pl.DataFrame) -> pl.DataFrame:
    """Match candidate payments to roster entries and say why those that do not count do not.

    Adds ``person_id``, ``entry_id`` (set only when the payment counts), ``township_code``, ``village_code``,
    ``reason`` (an :class:`IssueReason` value or null) and ``detail``. Rows are judged in ``paid_at`` order, so
    of two payments for one entry in the same frame the later one is ``already_paid``. Row order is kept.
    """
    for column, dtype in CANDIDATE_SCHEMA.items():
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(column))
    frame = frame.with_row_index("_row").with_columns(
        pl.col("amount_fen").fill_null(0), pl.col("other_fen").fill_null(0), pl.col("kind").fill_null("payment")
    )
    big = frame.height > SMALL_FRAME
    ids = frame.get_column("id_number").drop_nulls().unique().to_list()
    years = [int(y) for y in frame.get_column("coverage_year").drop_nulls().unique().to_list()]
    persons = _persons(ids, big)
    frame = frame.join(persons, on="id_number", how="left")
    person_ids = frame.get_column("person_id").drop_nulls().unique().to_list()
    entries = _entries(years, person_ids, big) if years else pl.DataFrame(schema=ENTRY_SCHEMA)
    known_years = _campaign_years(years) if years else set()
    originals = _originals(frame.get_column("original_id").drop_nulls().unique().to_list())

    frame = frame.join(entries, on=["person_id", "insurance", "coverage_year"], how="left")
    frame = frame.join(originals, on="original_id", how="left")
    tiers = pl.col("tiers").fill_null("").str.split(",").list.eval(pl.element().filter(pl.element() != ""))
    tiers = tiers.cast(pl.List(pl.Int64))
    is_payment = pl.col("kind") == PaymentKind.PAYMENT
    own = pl.col("amount_fen") > 0
    gov = pl.col("other_fen") > 0
    own_ok = (
        pl.when(pl.col("insurance") == "medical")
        .then(pl.col("amount_fen") == pl.col("own_fen"))
        .otherwise(tiers.list.contains(pl.col("amount_fen") + pl.col("gov_fen")))
    )
    gov_ok = pl.col("other_fen") == pl.col("gov_fen")
    amount_ok = (~own | own_ok) & (~gov | gov_ok) & (own | gov)

    # Earlier payments for the same entry in this frame count as already held (in paid_at order).
    frame = frame.sort(["paid_at", "_row"], nulls_last=True)
    valid_so_far = is_payment & pl.col("entry_id").is_not_null() & pl.col("must_pay") & amount_ok
    frame = frame.with_columns(
        (valid_so_far & own).cast(pl.Int64).cum_sum().over("entry_id").alias("_own_n"),
        (valid_so_far & gov).cast(pl.Int64).cum_sum().over("entry_id").alias("_gov_n"),
    )
    own_before = (pl.col("own_paid_fen") > 0) | (pl.col("_own_n") > 1)
    gov_before = (pl.col("gov_paid_fen") > 0) | (pl.col("_gov_n") > 1)
    reason = (
        pl.when(~is_payment & pl.col("orig_entry_id").is_null() & pl.col("orig_person_id").is_null())
        .then(
            pl.when(pl.col("original_id").is_null())
            .then(pl.lit(IssueReason.REFUND_UNLINKED.value))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
        .when(~is_payment)
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("person_id").is_null())
        .then(pl.lit(IssueReason.UNKNOWN_PERSON.value))
        .when(~pl.col("coverage_year").is_in(sorted(known_years)))
        .then(pl.lit(IssueReason.NO_CAMPAIGN.value))
        .when(pl.col("entry_id").is_null())
        .then(pl.lit(IssueReason.NO_ENTRY.value))
        .when(~pl.col("must_pay"))
        .then(pl.lit(IssueReason.NOT_DUE.value))
        .when(~amount_ok)
        .then(pl.lit(IssueReason.WRONG_AMOUNT.value))
        .when((own & own_before) | (gov & gov_before))
        .then(pl.lit(IssueReason.ALREADY_PAID.value))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    detail = (
        pl.when(pl.col("_reason") == IssueReason.WRONG_AMOUNT.value)
        .then(
            pl.format(
                wrong_amount_template(),
                _yuan(pl.col("amount_fen")),
                _yuan(pl.col("other_fen")),
                _yuan(pl.col("own_fen")),
                _yuan(pl.col("gov_fen")),
            )
        )
        .otherwise(pl.lit(""))
    )
    frame = frame.with_columns(reason.alias("_reason")).with_columns(detail.alias("detail"))
    counted_entry = (
        pl.when(~is_payment)
        .then(pl.col("orig_entry_id"))
        .when(pl.col("_reason").is_null())
        .then(pl.col("entry_id"))
        .otherwise(pl.lit(None, dtype=pl.Int64))
    )
    frame = frame.with_columns(
        counted_entry.alias("entry_id"),
        pl.coalesce(pl.col("person_id"), pl.col("orig_person_id")).alias("person_id"),
        pl.col("township_code").fill_null(""),
        pl.col("village_code").fill_null(""),
        pl.col("_reason").alias("reason"),
    )
    helpers = ["_own_n", "_gov_n", "_reason", "orig_entry_id", "orig_person_id", "must_pay", "own_fen", "gov_fen"]
    helpers += ["tiers", "own_paid_fen", "gov_paid_fen"]
    return frame.sort("_row").drop([*helpers, "_row"])


# ---------------------------------------------------------------------------------------------- settlement


# Paid: the government's part is in, and the person's own part — medical its fixed amount; pension any tier he
# chose (a counted pension payment has already been checked to be a tier), or nothing when 代缴 covers it all.
PAID = (
    "((CASE WHEN insurance = 'pension' THEN (own_paid > 0 OR own_fen = 0) ELSE own_paid >= own_fen END)"
    " AND gov_paid >= gov_fen)"
)


def settlement_refresh(entry_ids: Iterable[int] | None = None) -> None:
    """Recompute the settlement of these roster entries (all entries with payments when None) from payments."""
    # One statement for both databases: named columns in the derived table, and ``WHERE true`` before
    # ``ON CONFLICT`` (SQLite would otherwise read the ON as a join's).
    upsert = (
        "INSERT INTO collection_entrysettlement (entry_id, own_paid_fen, gov_paid_fen, paid, paid_at)"  # noqa: S608
        f" SELECT entry_id, own_paid, gov_paid, {PAID}, CASE WHEN {PAID} THEN last_paid END"
        " FROM (SELECT p.entry_id AS entry_id, SUM(p.amount_fen) AS own_paid, SUM(p.other_fen) AS gov_paid,"
        " MAX(p.paid_at) AS last_paid, e.own_fen AS own_fen, e.gov_fen AS gov_fen, e.insurance AS insurance"
        " FROM collection_payment p JOIN roster_rosterentry e ON e.id = p.entry_id"
        " {where} GROUP BY p.entry_id, e.own_fen, e.gov_fen, e.insurance) AS t WHERE true"
        " ON CONFLICT (entry_id) DO UPDATE SET own_paid_fen = excluded.own_paid_fen,"
        " gov_paid_fen = excluded.gov_paid_fen, paid = excluded.paid, paid_at = excluded.paid_at"
    )
    with connection.cursor() as cursor:
        if entry_ids is None:
            cursor.execute(upsert.format(where="WHERE p.entry_id IS NOT NULL"))
            return
        ids = sorted(set(entry_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            where = f"WHERE p.entry_id IN ({', '.join('%s' for _ in chunk)})"
            cursor.execute(upsert.format(where=where), chunk)


# ------------------------------------------------------------------------------------------ a single payment


@dataclass(frozen=True)
class PaymentIn:
    """One payment as a channel, a collector or finance reports it (amounts in fen)."""

    channel: str
    txn_no: str
    id_number: str
    insurance: str
    coverage_year: int
    amount_fen: int
    paid_at: datetime
    source: str
    name: str = ""
    kind: str = PaymentKind.PAYMENT
    original_id: int | None = None
    tier_fen: int | None = None
    subsidy_fen: int = 0
    other_fen: int = 0
    settled_at: datetime | None = None
    account_hash: str = ""
    pos_terminal: str = ""
    operator: str = ""
    collector_id: int | None = None
    etax_voucher: str = ""
    batch_no: str = ""
    notified_at: datetime | None = None
    in_file_at: datetime | None = None


@dataclass(frozen=True)
class Recorded:
    payment: Payment
    created: bool  # False: the channel transaction was on record already (its first record is returned)
    reason: str | None  # the open issue's reason, or None when the payment counts


def payment_record(data: PaymentIn) -> Recorded:
    """Record one payment once: a repeat of the same channel transaction returns the first record unchanged."""
    existing = Payment.objects.filter(channel=data.channel, txn_no=data.txn_no).first()
    if existing is not None:
        return Recorded(existing, False, _open_reason(existing))
    candidate = pl.DataFrame(
        [
            {
                "id_number": data.id_number,
                "insurance": data.insurance,
                "coverage_year": data.coverage_year,
                "kind": data.kind,
                "amount_fen": data.amount_fen,
                "other_fen": data.other_fen,
                "tier_fen": data.tier_fen,
                "paid_at": data.paid_at,
                "original_id": data.original_id,
            }
        ],
        schema=CANDIDATE_SCHEMA,
    )
    row = payments_classify(candidate).row(0, named=True)
    now = timezone.now()
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                channel=data.channel,
                txn_no=data.txn_no,
                kind=data.kind,
                original_id=data.original_id,
                person_id=row["person_id"],
                id_number=data.id_number,
                name=data.name,
                insurance=data.insurance,
                coverage_year=data.coverage_year,
                tier_fen=data.tier_fen,
                amount_fen=data.amount_fen,
                subsidy_fen=data.subsidy_fen,
                other_fen=data.other_fen,
                paid_at=data.paid_at,
                settled_at=data.settled_at,
                account_hash=data.account_hash,
                pos_terminal=data.pos_terminal,
                operator=data.operator,
                collector_id=data.collector_id,
                etax_voucher=data.etax_voucher,
                batch_no=data.batch_no,
                source=data.source,
                notified_at=data.notified_at,
                in_file_at=data.in_file_at,
                entry_id=row["entry_id"],
                township_code=row["township_code"],
                village_code=row["village_code"],
                recorded_at=now,
            )
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
    except IntegrityError:
        # A concurrent request recorded the same channel transaction first: answer with its record.
        first = Payment.objects.filter(channel=data.channel, txn_no=data.txn_no).first()
        if first is None:  # not a race: another constraint refused the row
            raise
        return Recorded(first, False, _open_reason(first))
    return Recorded(payment, True, row["reason"])


def _open_reason(payment: Payment) -> str | None:
    issue = payment.issues.filter(status="open").order_by("pk").first()
    return issue.reason if issue else None


# ------------------------------------------------------------------------------------------------ proofs


def proof_number(payment: Payment) -> str:
    """A proof's number: the coverage year, the payment's number and a check letter (read aloud on the phone)."""
    body = f"{payment.coverage_year}{payment.pk:09d}"
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    check = letters[sum((i + 1) * int(c) for i, c in enumerate(body)) % len(letters)]
    return f"JF{body}{check}"


def proof_issue(payment: Payment, *, by: Any = None) -> ProofOfPayment:
    """Issue (or return the one already issued) the proof of payment for a counted payment."""
    existing = ProofOfPayment.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        return ProofOfPayment.objects.create(
            number=proof_number(payment),
            token=secrets.token_urlsafe(18)[:24],
            payment=payment,
            issued_at=timezone.now(),
            issued_by=by,
        )


def settlement_of(entry_id: int) -> EntrySettlement | None:
    return EntrySettlement.objects.filter(entry_id=entry_id).first()
