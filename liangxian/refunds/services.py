"""Every write of refunds (Art 32-33) and payment problems (Art 26): one transaction and one audit row each.

A refund goes requested → approved (or refused) → refunded → on a refund roster sent to tax. Who may act:
- request: tax, or the township of the payment's roster entry on the payer's behalf;
- approve, refuse, carry out, send the roster: the bureau of the payment's insurance only — medical insurance
  for medical, social security for pension;
- documents: whoever may see the refund; the original stays with the bureau, the scan is tax's copy (Art 33).

A refund never exceeds what the payment still holds: its own amount, less refunds and reversals already recorded,
less refunds still waiting. The check runs with the payment's row locked (rows are locked payment first, refund
second), and the database refuses the same amount asked twice for one payment while the first still waits.
Carrying out records the refund as a new negative payment through ``collection.services.payment_record``, so the
entry's settlement follows it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.collection.models import Channel, Payment, PaymentKind
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.core.audit import audit_record
from liangxian.core.calendar import deadline_after_working_days
from liangxian.core.models import Division
from liangxian.core.money import AmountError, format_yuan, from_fen, to_fen
from liangxian.core.scans import scan_type
from liangxian.exchange.exports import safe_cell, safe_workbook
from liangxian.exchange.services import SCAN_MAX_BYTES
from liangxian.obligations.models import ObligationRule
from liangxian.obligations.services import obligation_fulfil, obligation_raise
from liangxian.registry.models import Person

from .models import (
    PENDING,
    Bureau,
    PaymentProblem,
    ProblemCategory,
    ProblemStatus,
    Refund,
    RefundDocument,
    RefundReason,
    RefundRoster,
    RefundStatus,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from liangxian.org.models import User

ROSTER_WORKING_DAYS = 2  # Art 32: the refund roster reaches tax within 2 working days
BUREAU_OF_INSURANCE = {"medical": Bureau.MEDICAL, "pension": Bureau.SOCIAL}


class RefundError(Exception):
    """A rule of refunds or payment problems refused the change; ``code`` says which."""

    def __init__(self, code: str, message: object) -> None:
        self.code = code
        self.message = str(message)
        super().__init__(self.message)


# Codes that mean "not yours to do" (403 on the API); the rest are 400 or 409.
FORBIDDEN_CODES = frozenset({"forbidden", "wrong_bureau"})
CONFLICT_CODES = frozenset({"already_requested", "exceeds_paid", "wrong_status", "nothing_to_send"})


# ------------------------------------------------------------------------------------------------ who may act


def _department(user: User) -> str:
    unit = user.unit
    return unit.department if unit is not None and unit.kind == "department" else ""


def _township_of(user: User) -> str:
    unit = user.unit
    return unit.division_id if unit is not None and unit.kind == "township" else ""


def may_request(user: User, payment: Payment) -> bool:
    """Tell whether the user may ask a refund of this payment: tax, or the payment's own township."""
    if user.is_superuser or _department(user) == "tax":
        return True
    township = _township_of(user)
    return bool(township) and bool(payment.township_code) and payment.township_code.startswith(township)


def may_decide(user: User, refund: Refund) -> bool:
    """Tell whether the user is of the bureau that approves and carries out this refund."""
    return _department(user) == refund.bureau


def may_see(user: User, refund: Refund) -> bool:
    """Tell whether the refund is within the user's duty (tax, its bureau, its township)."""
    if user.is_superuser or _department(user) == "tax" or _department(user) == refund.bureau:
        return True
    township = _township_of(user)
    return bool(township) and refund.township_code.startswith(township)


# ----------------------------------------------------------------------------------------------- amounts


@dataclass(frozen=True)
class Refundable:
    """What a payment holds toward refunds, in fen."""

    paid_fen: int  # the person's own amount as paid
    refunded_fen: int  # refunds and reversals recorded (positive)
    pending_fen: int  # refunds requested or approved, not yet carried out

    @property
    def available_fen(self) -> int:
        return self.paid_fen - self.refunded_fen - self.pending_fen


def refundable_of(payment: Payment) -> Refundable:
    """Say what the payment holds: paid, already refunded or reversed, and refunds still waiting."""
    refunded = Payment.objects.filter(original=payment, kind__in=[PaymentKind.REFUND, PaymentKind.REVERSAL])
    pending = Refund.objects.filter(payment=payment, status__in=PENDING)
    return Refundable(
        paid_fen=payment.amount_fen,
        refunded_fen=-(refunded.aggregate(s=Sum("amount_fen"))["s"] or 0),
        pending_fen=pending.aggregate(s=Sum("amount_fen"))["s"] or 0,
    )


def _amount_fen(amount: Decimal | str | int | None, available: int) -> int:
    if amount is None or amount == "":
        return available
    try:
        return to_fen(amount if isinstance(amount, Decimal | int) else str(amount).strip())
    except (AmountError, ArithmeticError, ValueError, TypeError) as exc:
        raise RefundError("bad_amount", _("Enter the refund amount in yuan, e.g. 400 or 400.00.")) from exc


# ------------------------------------------------------------------------------------------------- refunds


def refund_request(
    *,
    by: User,
    payment: Payment | int,
    reason: str,
    amount: Decimal | str | None = None,
    note: str = "",
) -> Refund:
    """Ask the bureau to refund (part of) a payment, never more than it still holds (Art 32).

    ``amount`` is in yuan; None asks for everything the payment still holds. Raises :class:`RefundError`.
    """
    if reason not in RefundReason.values:
        raise RefundError("bad_reason", _("Choose why the payment is refunded."))
    with transaction.atomic():
        payment_id = payment.pk if isinstance(payment, Payment) else int(payment)
        locked = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if locked is None:
            raise RefundError("not_found", _("No such payment."))
        if not may_request(by, locked):
            raise RefundError("forbidden", _("Only the tax bureau, or the payer's township, may ask for a refund."))
        if locked.kind != PaymentKind.PAYMENT or locked.amount_fen <= 0:
            raise RefundError("not_refundable", _("Only a payment of the person's own money can be refunded."))
        held = refundable_of(locked)
        fen = _amount_fen(amount, held.available_fen)
        if fen <= 0:
            raise RefundError("bad_amount", _("The refund amount must be more than zero."))
        if Refund.objects.filter(payment=locked, amount_fen=fen, status__in=PENDING).exists():
            raise RefundError("already_requested", _("A refund of this amount is already waiting for this payment."))
        if fen > held.available_fen:
            raise RefundError(
                "exceeds_paid",
                _("The refund exceeds what the payment still holds: %(held)s.")
                % {"held": format_yuan(from_fen(max(held.available_fen, 0)))},
            )
        now = timezone.now()
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    number=f"tmp-{uuid4().hex[:20]}",
                    payment=locked,
                    amount_fen=fen,
                    reason=reason,
                    note=note.strip(),
                    bureau=BUREAU_OF_INSURANCE.get(locked.insurance, Bureau.MEDICAL),
                    township_code=locked.township_code,
                    village_code=locked.village_code,
                    requested_by=by,
                    requested_at=now,
                )
        except IntegrityError as exc:
            raise RefundError(
                "already_requested", _("A refund of this amount is already waiting for this payment.")
            ) from exc
        refund.number = f"TF{locked.coverage_year}{refund.pk:08d}"
        refund.save(update_fields=["number"])
        audit_record(
            actor=by,
            action="refund.request",
            obj=refund,
            payload={"number": refund.number, "payment": locked.pk, "amount_fen": fen, "reason": reason},
        )
    return refund


def _locked_refund(refund: Refund | int) -> Refund:
    refund_id = refund.pk if isinstance(refund, Refund) else int(refund)
    # Fixed order: the payment's row first, then the refund's (as refund_request locks the payment).
    payment_id = Refund.objects.filter(pk=refund_id).values_list("payment_id", flat=True).first()
    if payment_id is None:
        raise RefundError("not_found", _("No such refund."))
    Payment.objects.select_for_update().filter(pk=payment_id).first()
    return Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)


def _check_bureau(by: User, refund: Refund) -> None:
    if not may_decide(by, refund):
        raise RefundError(
            "wrong_bureau",
            _("Only the %(bureau)s approves and carries out this refund.") % {"bureau": refund.get_bureau_display()},
        )


def refund_approve(*, by: User, refund: Refund | int, note: str = "") -> Refund:
    """Approve a refund for the bureau of its insurance; the refund roster is due to tax in 2 working days."""
    with transaction.atomic():
        locked = _locked_refund(refund)
        _check_bureau(by, locked)
        if locked.status != RefundStatus.REQUESTED:
            raise RefundError("wrong_status", _("Only a refund awaiting approval can be approved."))
        now = timezone.now()
        locked.status = RefundStatus.APPROVED
        locked.decided_by = by
        locked.decided_at = now
        locked.decision_note = note.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=by, action="refund.approve", obj=locked, payload={"number": locked.number})
    return locked


def refund_reject(*, by: User, refund: Refund | int, note: str) -> Refund:
    """Refuse a refund, saying why; the payment's amount is free again."""
    if not note.strip():
        raise RefundError("note_required", _("Say why the refund is refused."))
    with transaction.atomic():
        locked = _locked_refund(refund)
        _check_bureau(by, locked)
        if locked.status != RefundStatus.REQUESTED:
            raise RefundError("wrong_status", _("Only a refund awaiting approval can be refused."))
        locked.status = RefundStatus.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=by, action="refund.reject", obj=locked, payload={"number": locked.number, "note": note})
    return locked


def refund_execute(*, by: User, refund: Refund | int) -> Refund:
    """Carry out an approved refund: record it as a negative payment linked to the original (Art 32)."""
    with transaction.atomic():
        locked = _locked_refund(refund)
        _check_bureau(by, locked)
        if locked.status != RefundStatus.APPROVED:
            raise RefundError("wrong_status", _("Only an approved refund can be carried out."))
        original = locked.payment
        held = refundable_of(original)
        # The pending sum includes this refund; a reversal from a channel file may have come in since approval.
        if held.available_fen < 0:
            raise RefundError(
                "exceeds_paid",
                _("The refund exceeds what the payment still holds: %(held)s.")
                % {"held": format_yuan(from_fen(max(held.available_fen + locked.amount_fen, 0)))},
            )
        now = timezone.now()
        recorded = payment_record(
            PaymentIn(
                channel=original.channel,
                txn_no=locked.number,
                id_number=original.id_number,
                name=original.name,
                insurance=original.insurance,
                coverage_year=original.coverage_year,
                amount_fen=-locked.amount_fen,
                paid_at=now,
                source="batch",
                kind=PaymentKind.REFUND,
                original_id=original.pk,
                batch_no=locked.number,
            )
        )
        if recorded.payment.original_id != original.pk or recorded.payment.amount_fen != -locked.amount_fen:
            raise RefundError("txn_taken", _("The channel already has another transaction with this refund number."))
        # Art 32: the refund roster reaches tax within 2 working days of carrying out the refund.
        due = deadline_after_working_days(timezone.localdate(now), ROSTER_WORKING_DAYS)
        locked.status = RefundStatus.EXECUTED
        locked.executed_by = by
        locked.executed_at = now
        locked.refund_payment = recorded.payment
        locked.roster_due = due.due
        locked.save(update_fields=["status", "executed_by", "executed_at", "refund_payment", "roster_due"])
        audit_record(
            actor=by,
            action="refund.execute",
            obj=locked,
            payload={
                "number": locked.number,
                "payment": recorded.payment.pk,
                "amount_fen": -locked.amount_fen,
                "roster_due": due.due,
                "calendar_pending": due.pending_year,
            },
        )
        _roster_obligation_raise(by, locked)
    return locked


ROSTER_RULE = "refund.roster"


def _roster_obligation_raise(by: User, refund: Refund) -> None:
    """Put the refund roster on the bureau's to-do list, due 2 working days after the refund (Art 32)."""
    if by.unit is None or not ObligationRule.objects.filter(code=ROSTER_RULE).exists():
        return  # the obligation rules are not loaded (a bare test database): the refund's own date still shows
    obligation_raise(
        rule_code=ROSTER_RULE,
        unit=by.unit,
        event_date=timezone.localdate(refund.executed_at),
        subject=f"refund:{refund.number}",
        subject_label=_("Refund roster for refund %(number)s") % {"number": refund.number},
        actor=by,
    )


def _roster_obligations_fulfil(by: User, roster: RefundRoster, refunds: list[Refund]) -> None:
    """Meet the bureau's roster obligation of every refund the roster carries to tax."""
    if by.unit is None:
        return
    for refund in refunds:
        obligation_fulfil(
            rule_code=ROSTER_RULE,
            unit=by.unit,
            ref=f"refund_roster:{roster.pk}",
            label=_("Refund roster %(number)s") % {"number": roster.number},
            actor=by,
            subject=f"refund:{refund.number}",
        )


def is_late(refund: Refund, today: Any = None) -> bool:
    """Tell whether the refund reached tax's roster after its due day, or is still off it past that day."""
    if refund.roster_due is None or refund.status != RefundStatus.EXECUTED:
        return False
    if refund.roster_id is not None and refund.roster is not None:
        return timezone.localdate(refund.roster.sent_at) > refund.roster_due
    return (today or timezone.localdate()) > refund.roster_due


# ------------------------------------------------------------------------------------------- refund roster

ROSTER_HEADERS = (
    "序号",
    "退费单号",
    "姓名",
    "身份证号码",
    "险种",
    "缴费年度",
    "原缴费渠道",
    "原交易流水号",
    "原缴费金额（元）",
    "退费金额（元）",
    "退费原因",
    "批准时间",
    "退费时间",
    "乡镇",
)
INSURANCE_ZH = {"medical": "城乡居民基本医疗保险", "pension": "城乡居民基本养老保险"}
REASON_ZH = {"not_eligible": "不符合参保政策", "wrong_tier": "缴费档次错误", "duplicate": "重复缴费"}
CHANNEL_ZH: dict[str, str] = {
    Channel.WECHAT: "微信小程序",
    Channel.HALL: "办税服务厅",
    Channel.POS: "POS机",
    Channel.ETAX: "电子税务局",
    Channel.SICLIENT: "社保客户端",
    Channel.BANK: "银行批量扣款",
    Channel.GOV: "财政代缴",
}
BUREAU_ZH: dict[str, str] = {Bureau.MEDICAL: "医疗保障局", Bureau.SOCIAL: "人力资源和社会保障局"}


def roster_xlsx(refunds: list[Refund], *, number: str, bureau: str, sent_by: str) -> bytes:
    """Write the refund roster (退费清册) as xlsx: one row per refund carried out, and the total."""
    buffer = io.BytesIO()
    book = safe_workbook(buffer, constant_memory=False, in_memory=True)
    sheet = book.add_worksheet("退费清册")
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "0.00"})
    sheet.write(0, 0, f"英吉沙县城乡居民两险退费清册 {number}", bold)
    sheet.write(
        1, 0, f"{BUREAU_ZH.get(bureau, bureau)} · 报送人 {safe_cell(sent_by)} · {timezone.localtime():%Y-%m-%d %H:%M}"
    )
    for col, header in enumerate(ROSTER_HEADERS):
        sheet.write(3, col, header, bold)
    towns = dict(
        Division.objects.filter(code__in={r.township_code for r in refunds if r.township_code}).values_list(
            "code", "name"
        )
    )
    total = 0
    for i, refund in enumerate(refunds, start=1):
        p = refund.payment
        row = 3 + i
        values = [
            str(i),
            refund.number,
            safe_cell(p.name),
            p.id_number,
            INSURANCE_ZH.get(p.insurance, p.insurance),
            str(p.coverage_year),
            CHANNEL_ZH.get(p.channel, p.channel),
            safe_cell(p.txn_no),
        ]
        for col, value in enumerate(values):
            sheet.write_string(row, col, value)
        sheet.write_number(row, 8, from_fen(p.amount_fen), money)  # a Decimal, written exactly
        sheet.write_number(row, 9, from_fen(refund.amount_fen), money)
        sheet.write_string(row, 10, REASON_ZH.get(refund.reason, refund.reason))
        sheet.write_string(
            row, 11, f"{timezone.localtime(refund.decided_at):%Y-%m-%d %H:%M}" if refund.decided_at else ""
        )
        sheet.write_string(
            row, 12, f"{timezone.localtime(refund.executed_at):%Y-%m-%d %H:%M}" if refund.executed_at else ""
        )
        sheet.write_string(row, 13, towns.get(refund.township_code, refund.township_code))
        total += refund.amount_fen
    last = 4 + len(refunds)
    sheet.write_string(last, 0, "合计", bold)
    sheet.write_string(last, 2, f"{len(refunds)} 笔")
    sheet.write_number(last, 9, from_fen(total), money)
    sheet.set_column(1, 1, 16)
    sheet.set_column(3, 3, 20)
    sheet.set_column(4, 4, 22)
    sheet.set_column(7, 7, 24)
    book.close()
    return buffer.getvalue()


def refund_roster_send(*, by: User) -> RefundRoster:
    """Send tax the refund roster of every refund the user's bureau carried out and has not yet sent (Art 32)."""
    bureau = _department(by)
    if bureau not in Bureau.values:
        raise RefundError("forbidden", _("Only the medical insurance or social security bureau sends a refund roster."))
    with transaction.atomic():
        refunds = list(
            Refund.objects.select_for_update()
            .filter(bureau=bureau, status=RefundStatus.EXECUTED, roster__isnull=True)
            .order_by("executed_at", "pk")
        )
        if not refunds:
            raise RefundError("nothing_to_send", _("No refund carried out is waiting to be sent to tax."))
        ids = [r.pk for r in refunds]
        refunds = list(Refund.objects.select_related("payment").filter(pk__in=ids).order_by("executed_at", "pk"))
        now = timezone.now()
        roster = RefundRoster(
            number=f"tmp-{uuid4().hex[:20]}",
            bureau=bureau,
            sent_by=by,
            sent_at=now,
            count=len(refunds),
            total_fen=sum(r.amount_fen for r in refunds),
            sha256="",
        )
        roster.save()
        roster.number = f"QC{timezone.localdate(now):%Y%m%d}{roster.pk:04d}"
        content = roster_xlsx(refunds, number=roster.number, bureau=bureau, sent_by=str(by))
        roster.sha256 = hashlib.sha256(content).hexdigest()
        roster.file.save(f"{roster.number}.xlsx", ContentFile(content), save=False)
        roster.save(update_fields=["number", "sha256", "file"])
        Refund.objects.filter(pk__in=ids).update(roster=roster)
        audit_record(
            actor=by,
            action="refund.roster_send",
            obj=roster,
            payload={"number": roster.number, "refunds": ids, "total_fen": roster.total_fen, "sha256": roster.sha256},
        )
        _roster_obligations_fulfil(by, roster, refunds)
    return roster


def refund_roster_receive(*, by: User, roster: RefundRoster | int) -> RefundRoster:
    """Record that tax received a refund roster."""
    if _department(by) != "tax":
        raise RefundError("forbidden", _("Only the tax bureau receives refund rosters."))
    with transaction.atomic():
        roster_id = roster.pk if isinstance(roster, RefundRoster) else int(roster)
        locked = RefundRoster.objects.select_for_update().filter(pk=roster_id).first()
        if locked is None:
            raise RefundError("not_found", _("No such refund roster."))
        if locked.received_at is None:
            locked.received_by = by
            locked.received_at = timezone.now()
            locked.save(update_fields=["received_by", "received_at"])
            audit_record(actor=by, action="refund.roster_receive", obj=locked, payload={"number": locked.number})
    return locked


# ------------------------------------------------------------------------------------------------ documents


def refund_document_add(*, by: User, refund: Refund | int, title: str, scan: UploadedFile) -> RefundDocument:
    """Keep the scan of a refund's supporting document; the original stays with the bureau (Art 33)."""
    if not title.strip():
        raise RefundError("title_required", _("Name the document (e.g. the refund application form)."))
    if (scan.size or 0) > SCAN_MAX_BYTES:
        raise RefundError("scan_too_large", _("The scan is larger than 10 MB."))
    content = scan.read()
    if len(content) > SCAN_MAX_BYTES:
        raise RefundError("scan_too_large", _("The scan is larger than 10 MB."))
    kind = scan_type(content[:16])
    if kind is None:
        raise RefundError("scan_type", _("The scan must be a PDF, PNG or JPEG file."))
    with transaction.atomic():
        refund_id = refund.pk if isinstance(refund, Refund) else int(refund)
        found = Refund.objects.filter(pk=refund_id).first()
        if found is None or not may_see(by, found):
            raise RefundError("not_found", _("No such refund."))
        document = RefundDocument(
            refund=found,
            title=title.strip()[:120],
            original_held_by=found.bureau,
            content_type=kind[0],
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            uploaded_by=by,
            uploaded_at=timezone.now(),
        )
        document.file.save(f"{found.number}-{uuid4().hex[:8]}.{kind[1]}", ContentFile(content), save=False)
        document.save()
        audit_record(
            actor=by,
            action="refund.document_add",
            obj=document,
            payload={"refund": found.number, "title": document.title, "sha256": document.sha256},
        )
    return document


# ------------------------------------------------------------------------------------------ payment problems


def problem_report(
    *,
    by: User,
    category: str,
    subject: str,
    text: str,
    id_number: str = "",
    payment: Payment | int | str | None = None,
) -> PaymentProblem:
    """Report a problem with payment to the tax bureau for the user's township (Art 26)."""
    township = _township_of(by)
    if not township:
        raise RefundError("forbidden", _("Only a township reports payment problems to the tax bureau."))
    if category not in ProblemCategory.values:
        raise RefundError("bad_category", _("Choose what kind of problem it is."))
    if not subject.strip() or not text.strip():
        raise RefundError("text_required", _("Give the problem a subject and describe it."))
    person = None
    if id_number.strip():
        person = Person.objects.filter(id_number=id_number.strip().upper(), township_code=township).first()
        if person is None:
            raise RefundError("unknown_person", _("No resident of your township has this ID number."))
    found_payment = None
    if payment is not None and payment != "":
        try:
            payment_id = payment.pk if isinstance(payment, Payment) else int(payment)
        except ValueError as exc:
            raise RefundError("unknown_payment", _("No payment of your township has this number.")) from exc
        found_payment = Payment.objects.filter(pk=payment_id, township_code__startswith=township).first()
        if found_payment is None:
            raise RefundError("unknown_payment", _("No payment of your township has this number."))
    with transaction.atomic():
        problem = PaymentProblem.objects.create(
            township_code=township,
            category=category,
            subject=subject.strip()[:120],
            text=text.strip(),
            person=person,
            payment=found_payment,
            reported_by=by,
            reported_at=timezone.now(),
        )
        audit_record(
            actor=by,
            action="payment_problem.report",
            obj=problem,
            payload={"category": category, "subject": problem.subject, "township": township},
        )
    return problem


def problem_answer(*, by: User, problem: PaymentProblem | int, answer: str) -> PaymentProblem:
    """Answer a township's payment problem for the tax bureau; a later answer replaces it until closed."""
    if _department(by) != "tax":
        raise RefundError("forbidden", _("Only the tax bureau answers payment problems."))
    if not answer.strip():
        raise RefundError("text_required", _("Write the answer."))
    with transaction.atomic():
        problem_id = problem.pk if isinstance(problem, PaymentProblem) else int(problem)
        locked = PaymentProblem.objects.select_for_update().filter(pk=problem_id).first()
        if locked is None:
            raise RefundError("not_found", _("No such payment problem."))
        if locked.status == ProblemStatus.CLOSED:
            raise RefundError("wrong_status", _("The township has closed this problem."))
        locked.answer = answer.strip()
        locked.answered_by = by
        locked.answered_at = timezone.now()
        locked.status = ProblemStatus.ANSWERED
        locked.save(update_fields=["answer", "answered_by", "answered_at", "status"])
        audit_record(actor=by, action="payment_problem.answer", obj=locked, payload={"answer": locked.answer})
    return locked


def problem_close(*, by: User, problem: PaymentProblem | int, note: str = "") -> PaymentProblem:
    """Close the township's own payment problem once it is settled."""
    township = _township_of(by)
    with transaction.atomic():
        problem_id = problem.pk if isinstance(problem, PaymentProblem) else int(problem)
        locked = PaymentProblem.objects.select_for_update().filter(pk=problem_id).first()
        if locked is None or not township or locked.township_code != township:
            raise RefundError("not_found", _("No such payment problem."))
        if locked.status == ProblemStatus.CLOSED:
            raise RefundError("wrong_status", _("This problem is already closed."))
        locked.status = ProblemStatus.CLOSED
        locked.closed_by = by
        locked.closed_at = timezone.now()
        locked.close_note = note.strip()
        locked.save(update_fields=["status", "closed_by", "closed_at", "close_note"])
        audit_record(actor=by, action="payment_problem.close", obj=locked, payload={"note": locked.close_note})
    return locked
