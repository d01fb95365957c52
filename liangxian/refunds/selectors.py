"""Reads of refunds and payment problems, scoped by the actor's duty (Art 21, 26, 32-33)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from liangxian.core.idnumbers import mask
from liangxian.core.scope import Actor, division_q

from .models import PaymentProblem, Refund, RefundRoster

if TYPE_CHECKING:
    from liangxian.org.models import User


def refunds_visible(user: User) -> QuerySet[Refund]:
    """The refunds within the user's duty: all for tax, its own for a bureau, its payers' for a township."""
    actor = Actor.of(user)
    qs = Refund.objects.select_related("payment", "requested_by", "decided_by", "roster")
    if user.is_superuser or (actor.unit_kind == "department" and actor.department == "tax"):
        return qs
    if actor.unit_kind == "department" and actor.department in ("medical", "social"):
        return qs.filter(bureau=actor.department)
    if actor.unit_kind == "township":
        return qs.filter(division_q("township_code", actor.division_code))
    return qs.none()


def refund_filters(qs: QuerySet[Refund], *, status: str = "", bureau: str = "", q: str = "") -> QuerySet[Refund]:
    """Narrow a refund list by status, bureau, and refund number, name or ID number."""
    if status:
        qs = qs.filter(status=status)
    if bureau:
        qs = qs.filter(bureau=bureau)
    q = q.strip()
    if q:
        qs = qs.filter(Q(number=q.upper()) | Q(payment__id_number=q.upper()) | Q(payment__name__contains=q))
    return qs


def rosters_visible(user: User) -> QuerySet[RefundRoster]:
    """Refund rosters: tax sees all, a bureau its own."""
    actor = Actor.of(user)
    qs = RefundRoster.objects.select_related("sent_by", "received_by")
    if user.is_superuser or (actor.unit_kind == "department" and actor.department == "tax"):
        return qs
    if actor.unit_kind == "department" and actor.department in ("medical", "social"):
        return qs.filter(bureau=actor.department)
    return qs.none()


def problems_visible(user: User) -> QuerySet[PaymentProblem]:
    """Payment problems: tax sees every township's, a township its own."""
    actor = Actor.of(user)
    qs = PaymentProblem.objects.select_related("reported_by", "answered_by", "person", "payment")
    if user.is_superuser or (actor.unit_kind == "department" and actor.department == "tax"):
        return qs
    if actor.unit_kind == "township":
        return qs.filter(township_code=actor.division_code)
    return qs.none()


@dataclass(frozen=True)
class PayerText:
    name: str
    id_number: str


def payer_of(user: User, id_number: str, name: str) -> PayerText:
    """The payer as this user may see him: the ID number masked unless the duty needs it whole."""
    actor = Actor.of(user)
    return PayerText(name=name, id_number=id_number if (actor.sees_full_id or user.is_superuser) else mask(id_number))
