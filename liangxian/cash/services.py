"""Cash collection by village collectors (Art 29): record cash, record its pay-in, balance and close the day.

Every write here is one transaction with its audit row. The pay-in goes through
:func:`liangxian.collection.services.payment_record` (source ``cash``): the matching rules are the collection
app's, written once. When the channel's own record of the transaction arrived first (its daily file or its
real-time notification), that record is returned and linked, provided it is the same person and amount.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.collection.models import Channel, EntrySettlement, Payment, PaymentKind, PaymentSource, ProofOfPayment
from liangxian.collection.services import PaymentIn, payment_record, proof_issue
from liangxian.core.audit import audit_record
from liangxian.core.calendar import deadline_after_working_days
from liangxian.core.money import AmountError, to_fen
from liangxian.core.scans import scan_type
from liangxian.core.workdays import DeadlineResult
from liangxian.exchange.services import SCAN_MAX_BYTES
from liangxian.obligations.models import ObligationRule
from liangxian.obligations.services import obligation_fulfil, obligation_raise
from liangxian.org.models import CollectorAuthorisation, Department, Role, UnitKind
from liangxian.roster.models import RosterEntry

from .models import CashDay, CashReceipt, DayStatus, LedgerScan

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from liangxian.campaigns.models import Campaign
    from liangxian.org.models import User

# Channels a collector pays cash in through (the government's 代缴 batch is not one).
PAYIN_CHANNELS = tuple(c for c in Channel.values if c != Channel.GOV)
SCAN_DEADLINE_WORKING_DAYS = 7  # Art 29: scans to tax within 7 working days after the concentrated period
CLOCK_SKEW = timedelta(minutes=5)


class CashError(Exception):
    """A cash action that cannot be done; ``code`` says why, ``message`` says it to the collector or clerk."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ------------------------------------------------------------------------------------------------ who may


def authorised_villages(user: User, on: date | None = None) -> list[str]:
    """Return the village division codes tax has authorised this collector for, valid on the day (Art 30)."""
    day = on or timezone.localdate()
    return sorted(
        CollectorAuthorisation.objects.filter(collector=user, withdrawn_at__isnull=True, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .values_list("village__division_id", flat=True)
        .distinct()
    )


def is_tax(user: User) -> bool:
    unit = user.unit
    return bool(unit and unit.kind == UnitKind.DEPARTMENT and unit.department == Department.TAX)


def township_of(user: User) -> str | None:
    """Return the township division code a township user acts for, or None."""
    unit = user.unit
    if unit and unit.kind == UnitKind.TOWNSHIP and unit.division_id:
        return str(unit.division_id)[:9]
    return None


def may_oversee(user: User, township_code: str) -> bool:
    """Tell whether the user oversees the collectors' cash days of a township: its own township, or tax."""
    return user.is_superuser or is_tax(user) or township_of(user) == township_code


# ------------------------------------------------------------------------------------------- cash received


def _amount_fen(amount: Decimal | str | int) -> int:
    try:
        fen = to_fen(amount)
    except (AmountError, TypeError) as exc:
        raise CashError("amount_invalid", _("Enter the cash amount in yuan, to the fen.")) from exc
    if fen <= 0:
        raise CashError("amount_invalid", _("Enter the cash amount in yuan, to the fen."))
    return fen


def _check_amount(entry: RosterEntry, fen: int) -> int | None:
    """Return the tier chosen (pension), or raise when the cash is not what the entry's own part can be."""
    if entry.insurance == "pension":
        tiers = {int(t) for t in entry.tiers.split(",") if t.strip()}
        if fen + entry.gov_fen not in tiers:
            raise CashError("wrong_amount", _("This amount is none of the pension tiers open to this payer."))
        return fen + entry.gov_fen
    if fen != entry.own_fen:
        raise CashError("wrong_amount", _("The cash must be exactly this payer's own contribution."))
    return None


def cash_receipt_record(
    *, by: User, entry_id: int, amount: Decimal | str | int, received_at: datetime | None = None
) -> CashReceipt:
    """Record cash received from a payer on the due-list (Art 29); a payer off the cash list is flagged."""
    now = timezone.now()
    at = received_at or now
    if timezone.is_naive(at):
        raise CashError("time_invalid", _("The time the cash was received needs a time zone."))
    if at > now + CLOCK_SKEW:
        raise CashError("time_invalid", _("The time the cash was received is in the future."))
    fen = _amount_fen(amount)
    with transaction.atomic():
        entry = RosterEntry.objects.select_for_update().select_related("person", "campaign").filter(pk=entry_id).first()
        if entry is None:
            raise CashError("no_entry", _("No such payer on the due-list."))
        business_date = timezone.localdate(at)
        if by.role != Role.COLLECTOR or entry.village_code not in authorised_villages(by, business_date):
            raise CashError("not_authorised", _("Tax has not authorised you to collect cash in this village."))
        if not entry.must_pay:
            raise CashError("not_due", _("The roster says this person does not pay."))
        if EntrySettlement.objects.filter(entry=entry, paid=True).exists():
            raise CashError("already_paid", _("This payer has already paid for this insurance and year."))
        if CashReceipt.objects.filter(entry=entry, payment__isnull=True).exists():
            raise CashError("already_open", _("Cash for this payer is already recorded and not yet paid in."))
        tier = _check_amount(entry, fen)
        try:
            with transaction.atomic():
                receipt = CashReceipt.objects.create(
                    collector=by,
                    entry=entry,
                    person=entry.person,
                    insurance=entry.insurance,
                    coverage_year=entry.campaign.coverage_year,
                    amount_fen=fen,
                    tier_fen=tier,
                    received_at=at,
                    business_date=business_date,
                    township_code=entry.township_code,
                    village_code=entry.village_code,
                    off_list=not entry.cash_only,
                    recorded_at=now,
                )
        except IntegrityError as exc:
            raise CashError("already_open", _("Cash for this payer is already recorded and not yet paid in.")) from exc
        _day_refresh(by, business_date, now)
        _settle_obligation_raise(by, business_date)
        audit_record(
            actor=by,
            action="cash.receipt.record",
            obj=receipt,
            payload={
                "entry": entry.pk,
                "amount_fen": fen,
                "received_at": at,
                "off_list": receipt.off_list,
                "village": entry.village_code,
            },
        )
    return receipt


# ------------------------------------------------------------------------------------------------- pay-in


@dataclass(frozen=True)
class PayIn:
    receipt: CashReceipt
    payment: Payment
    proof: ProofOfPayment | None  # issued when the payment counts toward the entry
    reason: str | None  # the payment's open queue reason, if any
    linked: bool  # True: the channel's own record arrived first and was linked


def _disagreement(receipt: CashReceipt, payment: Payment) -> str | None:
    if payment.kind != PaymentKind.PAYMENT:
        return _("That transaction is a refund or reversal, not a payment.")
    if payment.id_number != receipt.person.id_number:
        return _("That transaction paid for another person.")
    if payment.insurance != receipt.insurance or payment.coverage_year != receipt.coverage_year:
        return _("That transaction paid another insurance or coverage year.")
    if payment.amount_fen != receipt.amount_fen:
        return _("That transaction's amount differs from the cash received.")
    if payment.collector_id not in (None, receipt.collector_id):
        return _("That transaction was paid in by another collector.")
    if CashReceipt.objects.filter(payment=payment).exclude(pk=receipt.pk).exists():
        return _("That transaction already pays in other cash.")
    return None


def cash_payin_record(
    *, by: User, receipt_id: int, channel: str, txn_no: str, paid_at: datetime | None = None
) -> PayIn:
    """Record the channel transaction that paid the cash in (Art 29) and issue the payer's proof of payment."""
    txn = (txn_no or "").strip()
    if channel not in PAYIN_CHANNELS:
        raise CashError("channel_invalid", _("Choose the channel through which the cash was paid in."))
    if not txn or len(txn) > 64:
        raise CashError("txn_invalid", _("Enter the channel's transaction number (at most 64 characters)."))
    now = timezone.now()
    with transaction.atomic():
        receipt = CashReceipt.objects.select_for_update().select_related("person").filter(pk=receipt_id).first()
        if receipt is None or receipt.collector_id != by.pk:
            raise CashError("no_receipt", _("No such cash receipt of yours."))
        if receipt.payment_id is not None:
            raise CashError("already_paid_in", _("This cash is already paid in."))
        recorded = payment_record(
            PaymentIn(
                channel=channel,
                txn_no=txn,
                id_number=receipt.person.id_number,
                name=receipt.person.name,
                insurance=receipt.insurance,
                coverage_year=receipt.coverage_year,
                amount_fen=receipt.amount_fen,
                tier_fen=receipt.tier_fen,
                paid_at=paid_at or now,
                source=PaymentSource.CASH,
                collector_id=by.pk,
            )
        )
        payment = recorded.payment
        if not recorded.created:
            problem = _disagreement(receipt, payment)
            if problem:
                raise CashError("payin_mismatch", problem)
            if payment.collector_id is None:
                Payment.objects.filter(pk=payment.pk, collector__isnull=True).update(collector_id=by.pk)
        receipt.payment = payment
        receipt.paid_in_at = now
        try:
            with transaction.atomic():
                receipt.save(update_fields=["payment", "paid_in_at"])
        except IntegrityError as exc:  # a concurrent pay-in linked the same transaction to other cash first
            raise CashError("payin_mismatch", _("That transaction already pays in other cash.")) from exc
        proof = proof_issue(payment, by=by) if payment.entry_id else None
        _day_refresh(by, receipt.business_date, now)
        audit_record(
            actor=by,
            action="cash.payin.record",
            obj=receipt,
            payload={
                "payment": payment.pk,
                "channel": channel,
                "txn_no": txn,
                "linked": not recorded.created,
                "reason": recorded.reason,
                "proof": proof.number if proof else None,
            },
        )
    return PayIn(receipt, payment, proof, recorded.reason, not recorded.created)


# ------------------------------------------------------------------------------------------- daily balance


@dataclass(frozen=True)
class Totals:
    receipts: int
    received_fen: int
    paid_in_fen: int
    off_list: int

    @property
    def open_fen(self) -> int:
        return self.received_fen - self.paid_in_fen


def day_totals(collector_id: int, day: date) -> Totals:
    """Sum one collector's cash of one business day: received, paid in, and (by difference) still open."""
    row = CashReceipt.objects.filter(collector_id=collector_id, business_date=day).aggregate(
        n=Count("pk"),
        received=Sum("amount_fen"),
        paid_in=Sum("amount_fen", filter=Q(payment__isnull=False)),
        off=Count("pk", filter=Q(off_list=True)),
    )
    return Totals(row["n"] or 0, row["received"] or 0, row["paid_in"] or 0, row["off"] or 0)


def _day_refresh(collector: User, day: date, now: datetime) -> CashDay:
    """Bring a collector's day up to date; a late open amount on a closed, balanced day is raised at once."""
    totals = day_totals(collector.pk, day)
    first = CashReceipt.objects.filter(collector=collector, business_date=day).order_by("pk").first()
    cash_day, _created = CashDay.objects.select_for_update().get_or_create(
        collector=collector,
        day=day,
        defaults={
            "township_code": first.township_code if first else "",
            "village_code": first.village_code if first else "",
        },
    )
    cash_day.receipts = totals.receipts
    cash_day.received_fen = totals.received_fen
    cash_day.paid_in_fen = totals.paid_in_fen
    cash_day.open_fen = totals.open_fen
    cash_day.off_list = totals.off_list
    if cash_day.closed_at and totals.open_fen > 0 and cash_day.status == DayStatus.BALANCED:
        cash_day.status = DayStatus.RAISED
        cash_day.raised_at = now
        cash_day.raised_open_fen = totals.open_fen
    cash_day.save()
    return cash_day


@dataclass(frozen=True)
class CloseResult:
    day: date
    collectors: int
    balanced: int
    raised: list[CashDay]


SETTLE_RULE = "cash.settle"


def _settle_obligation_raise(collector: User, day: date) -> None:
    """Put the day's settlement on the collector's village to-do list: cash is settled the same day (Art 29)."""
    if collector.unit is None or not ObligationRule.objects.filter(code=SETTLE_RULE).exists():
        return  # the obligation rules are not loaded (a bare test database): the cash day itself still shows
    obligation_raise(
        rule_code=SETTLE_RULE,
        unit=collector.unit,
        event_date=day,
        subject=f"collector:{collector.pk}",
        subject_label=_("Cash collected by %(collector)s") % {"collector": collector.full_name or collector.username},
        actor=collector,
    )


def _settle_obligation_fulfil(by: User | None, cash_day: CashDay, label: str) -> None:
    """Meet the day's settlement obligation when the day balances or the township clears its difference."""
    collector = cash_day.collector
    if collector.unit is None:
        return
    obligation_fulfil(
        rule_code=SETTLE_RULE,
        unit=collector.unit,
        ref=f"cash_day:{cash_day.pk}",
        label=label,
        actor=by,
        period=cash_day.day.isoformat(),
        subject=f"collector:{collector.pk}",
    )


def cash_day_close(*, by: User | None, day: date | None = None) -> CloseResult:
    """Close a business day for every collector with cash: balanced, or the difference raised to the township."""
    the_day = day or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        collector_ids = sorted(
            set(CashReceipt.objects.filter(business_date=the_day).values_list("collector_id", flat=True))
        )
        from liangxian.org.models import User as UserModel

        raised: list[CashDay] = []
        balanced = 0
        for collector in UserModel.objects.filter(pk__in=collector_ids).order_by("pk"):  # one row per collector
            cash_day = _day_refresh(collector, the_day, now)
            cash_day.closed_at = cash_day.closed_at or now
            if cash_day.open_fen > 0 and cash_day.status in (DayStatus.OPEN, DayStatus.BALANCED):
                cash_day.status = DayStatus.RAISED
                cash_day.raised_at = now
                cash_day.raised_open_fen = cash_day.open_fen
            elif cash_day.open_fen == 0 and cash_day.status == DayStatus.OPEN:
                cash_day.status = DayStatus.BALANCED
            cash_day.save()
            if cash_day.status == DayStatus.RAISED:
                raised.append(cash_day)
            elif cash_day.status == DayStatus.BALANCED:
                balanced += 1
                _settle_obligation_fulfil(by, cash_day, _("Cash balanced: received equals paid in"))
        audit_record(
            actor=by,
            action="cash.day.close",
            object_type="cash.cashday",
            object_id=the_day.isoformat(),
            payload={"collectors": len(collector_ids), "balanced": balanced, "raised": [d.pk for d in raised]},
        )
    return CloseResult(the_day, len(collector_ids), balanced, raised)


def cash_day_clear(*, by: User, day_id: int, note: str) -> CashDay:
    """Clear a difference raised on a collector's day, with the township's note on what was done (Art 29)."""
    text = (note or "").strip()
    if not text:
        raise CashError("note_required", _("Say in a note how the difference was settled."))
    with transaction.atomic():
        cash_day = CashDay.objects.select_for_update().filter(pk=day_id).first()
        if cash_day is None or not may_oversee(by, cash_day.township_code):
            raise CashError("no_day", _("No such collector's day within your unit's duty."))
        if cash_day.status != DayStatus.RAISED:
            raise CashError("not_raised", _("No difference is raised on this day."))
        cash_day.status = DayStatus.CLEARED
        cash_day.cleared_by = by
        cash_day.cleared_at = timezone.now()
        cash_day.note = text[:2000]
        cash_day.save(update_fields=["status", "cleared_by", "cleared_at", "note"])
        _settle_obligation_fulfil(by, cash_day, _("Difference cleared by the township"))
        audit_record(
            actor=by,
            action="cash.day.clear",
            obj=cash_day,
            payload={"open_fen": cash_day.open_fen, "raised_open_fen": cash_day.raised_open_fen, "note": text},
        )
    return cash_day


# ----------------------------------------------------------------------------------------- the ledger scan


def cash_ledger_scan_upload(*, by: User, day_id: int, upload: UploadedFile) -> LedgerScan:
    """Keep the scan of a collector's signed cash ledger of one day (Art 29); the original stays in the township."""
    with transaction.atomic():
        cash_day = CashDay.objects.select_for_update().filter(pk=day_id).first()
        if cash_day is None or not (cash_day.collector_id == by.pk or may_oversee(by, cash_day.township_code)):
            raise CashError("no_day", _("No such collector's day within your unit's duty."))
        if (upload.size or 0) > SCAN_MAX_BYTES:
            raise CashError("scan_too_large", _("The scan is larger than 10 MB."))
        content = upload.read(SCAN_MAX_BYTES + 1)
        if len(content) > SCAN_MAX_BYTES:
            raise CashError("scan_too_large", _("The scan is larger than 10 MB."))
        kind = scan_type(content[:16])
        if kind is None:
            raise CashError("scan_type", _("The scan must be a PDF, PNG or JPEG file."))
        digest = hashlib.sha256(content).hexdigest()
        if LedgerScan.objects.filter(day=cash_day, sha256=digest).exists():
            raise CashError("scan_duplicate", _("This scan is already kept for this day."))
        scan = LedgerScan(
            day=cash_day,
            sha256=digest,
            content_type=kind[0],
            size=len(content),
            uploaded_by=by,
            uploaded_at=timezone.now(),
        )
        name = f"ledger-{cash_day.collector_id}-{cash_day.day:%Y%m%d}.{kind[1]}"
        scan.scan.save(name, ContentFile(content), save=False)
        scan.save()
        audit_record(
            actor=by,
            action="cash.ledger_scan.upload",
            obj=scan,
            payload={"day": cash_day.pk, "sha256": digest, "type": kind[0], "size": len(content)},
        )
    return scan


def scan_deadline(campaign: Campaign) -> DeadlineResult:
    """Return the day the cash ledgers' scans are due to tax: 7 working days after the period ends (Art 29)."""
    return deadline_after_working_days(campaign.period_end, SCAN_DEADLINE_WORKING_DAYS)
