"""Reads of the payer's pages and the proof check: his own entries and payments, a proof's minimal facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.collection.models import EntrySettlement, Payment, PaymentKind, ProofOfPayment
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor
from liangxian.registry.models import Person
from liangxian.roster.models import RosterEntry

from . import labels, rules
from .labels import label


def yuan(fen: int) -> str:
    return format_yuan(from_fen(int(fen)))


# ------------------------------------------------------------------------------------------ the payer himself


@dataclass(frozen=True)
class PayerEntry:
    insurance: str
    insurance_label: str
    must_pay: bool
    own: str
    gov: str
    has_gov: bool
    tiers: list[str]
    paid: bool
    paid_own: str
    waiting_until: date | None
    late_warning: bool  # not paid, and paying now would be outside the concentrated period


@dataclass(frozen=True)
class PayerPayment:
    pk: int
    kind: str
    kind_label: str
    insurance_label: str
    coverage_year: int
    amount: str
    amount_fen: int
    paid_on: date
    channel_label: str
    counted: bool
    refunded: str
    proof_number: str
    proof_available: bool


@dataclass(frozen=True)
class PayerOverview:
    name_masked: str
    id_masked: str
    campaign: Campaign | None
    entries: list[PayerEntry]
    payments: list[PayerPayment]


def current_campaign() -> Campaign | None:
    """Return the latest active campaign, else the latest one."""
    campaigns = Campaign.objects.order_by("-coverage_year")
    return campaigns.filter(status="active").first() or campaigns.first()


def _had_break(person: Person, campaign: Campaign, insurance: str) -> bool:
    """Tell whether the person had to pay in the year before and did not (a break, SPEC 11)."""
    before = (
        RosterEntry.objects.filter(
            person=person, insurance=insurance, campaign__coverage_year=campaign.coverage_year - 1, must_pay=True
        )
        .values_list("pk", flat=True)
        .first()
    )
    if before is None:
        return False
    return not EntrySettlement.objects.filter(entry_id=before, paid=True).exists()


def payer_overview(person: Person) -> PayerOverview:
    """Gather what the payer owes in the current campaign and every payment of his, masked for his screen."""
    from liangxian.core import idnumbers

    campaign = current_campaign()
    entries: list[PayerEntry] = []
    today = timezone.localdate()
    if campaign is not None:
        rows = (
            RosterEntry.objects.filter(campaign=campaign, person=person)
            .select_related("settlement")
            .order_by("insurance")
        )
        for entry in rows:
            settlement = getattr(entry, "settlement", None)
            paid = bool(settlement and settlement.paid)
            paid_on = timezone.localtime(settlement.paid_at).date() if settlement and settlement.paid_at else None
            had_break = entry.must_pay and _had_break(person, campaign, entry.insurance)
            waiting = None
            if paid and paid_on is not None:
                waiting = rules.waiting_until(
                    insurance=entry.insurance,
                    coverage_year=campaign.coverage_year,
                    paid_on=paid_on,
                    period_end=campaign.period_end,
                    had_break=had_break,
                )
            elif entry.must_pay and not paid:
                waiting = rules.waiting_until(
                    insurance=entry.insurance,
                    coverage_year=campaign.coverage_year,
                    paid_on=today,
                    period_end=campaign.period_end,
                    had_break=had_break,
                )
            tiers = [yuan(int(t)) for t in entry.tiers.split(",") if t.strip().isdigit()]
            entries.append(
                PayerEntry(
                    insurance=entry.insurance,
                    insurance_label=label(labels.INSURANCE, entry.insurance),
                    must_pay=entry.must_pay,
                    own=yuan(entry.own_fen),
                    gov=yuan(entry.gov_fen),
                    has_gov=entry.gov_fen > 0,
                    tiers=tiers if entry.insurance == InsuranceType.PENSION else [],
                    paid=paid,
                    paid_own=yuan(settlement.own_paid_fen if settlement else 0),
                    waiting_until=waiting,
                    late_warning=bool(entry.must_pay and not paid and today > campaign.period_end),
                )
            )
    payments = list(
        Payment.objects.filter(Q(person=person) | Q(id_number=person.id_number, person__isnull=True))
        .select_related("proof")
        .annotate(back=Sum("reversals__amount_fen"))
        .order_by("-paid_at", "-pk")[:200]
    )
    shown: list[PayerPayment] = []
    for p in payments:
        proof = getattr(p, "proof", None)
        counted = p.entry_id is not None
        refunded = -(p.back or 0)
        shown.append(
            PayerPayment(
                pk=p.pk,
                kind=p.kind,
                kind_label=label(labels.KIND, p.kind),
                insurance_label=label(labels.INSURANCE, p.insurance),
                coverage_year=p.coverage_year,
                amount=yuan(p.amount_fen + p.other_fen),
                amount_fen=p.amount_fen + p.other_fen,
                paid_on=timezone.localtime(p.paid_at).date(),
                channel_label=label(labels.CHANNEL, p.channel),
                counted=counted,
                refunded=yuan(refunded) if refunded else "",
                proof_number=proof.number if proof else "",
                proof_available=counted and p.kind == PaymentKind.PAYMENT and p.person_id == person.pk,
            )
        )
    return PayerOverview(
        name_masked=rules.mask_name(person.name),
        id_masked=idnumbers.mask(person.id_number),
        campaign=campaign,
        entries=entries,
        payments=shown,
    )


def payer_proof_of(person: Person, number: str) -> ProofOfPayment | None:
    """Return the proof with this number when it proves one of the person's own payments."""
    return (
        ProofOfPayment.objects.filter(number=number, payment__person=person)
        .select_related("payment", "payment__person")
        .first()
    )


# ------------------------------------------------------------------------------------------------ the public


@dataclass(frozen=True)
class ProofCheck:
    """What the public check page may show of a proof: nothing more (SPEC 10)."""

    number: str
    name_masked: str
    insurance: str
    insurance_label: str
    coverage_year: int
    amount: Decimal
    amount_text: str
    paid_on: date
    channel: str
    channel_label: str
    refunded: bool


def proof_check(token: str) -> ProofCheck | None:
    """Return the minimal facts of the proof behind a QR token, or None when no proof has it."""
    if not token or len(token) > 32:
        return None
    proof = ProofOfPayment.objects.filter(token=token).select_related("payment", "payment__person").first()
    if proof is None:
        return None
    payment = proof.payment
    total = payment.amount_fen + payment.other_fen
    back = -(Payment.objects.filter(original=payment).aggregate(s=Sum("amount_fen"))["s"] or 0)
    name = payment.person.name if payment.person else payment.name
    return ProofCheck(
        number=proof.number,
        name_masked=rules.mask_name(name),
        insurance=payment.insurance,
        insurance_label=label(labels.INSURANCE, payment.insurance),
        coverage_year=payment.coverage_year,
        amount=from_fen(total),
        amount_text=yuan(total),
        paid_on=timezone.localtime(payment.paid_at).date(),
        channel=payment.channel,
        channel_label=label(labels.CHANNEL, payment.channel),
        refunded=back >= payment.amount_fen and back > 0,
    )


# ------------------------------------------------------------------------------------------------ staff


def staff_may_print(actor: Actor, payment: Payment) -> bool:
    """Tell whether a staff member may print a payer's proof: the collector who took the cash, tax, the township."""
    if actor.is_superuser:
        return True
    if payment.collector_id is not None and payment.collector_id == actor.user_id:
        return True
    if actor.unit_kind == "department" and actor.department == "tax":
        return True
    code = payment.village_code or payment.township_code
    return actor.unit_kind == "township" and bool(actor.division_code) and code.startswith(actor.division_code)


def proof_by_number(number: str) -> ProofOfPayment | None:
    return (
        ProofOfPayment.objects.filter(number=number[:24]).select_related("payment", "payment__person").first()
        if number
        else None
    )
