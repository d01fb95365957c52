"""Every read of complaints and inquiries, scoped; nothing here returns the reporter's identity (Art 24, 43)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from liangxian.core.calendar import work_calendar
from liangxian.core.workdays import add_working_days, try_deadline

from . import services
from .models import Assignment, ChannelDepartment, Complaint, Inquiry, ReportChannel


def channels() -> list[ReportChannel]:
    """Return the published channels of the four departments, in a fixed order, blank ones included."""
    found = {c.department: c for c in ReportChannel.objects.all()}
    return [found.get(d) or ReportChannel(department=d) for d in ChannelDepartment.values]


def complaints_for(user: Any, *, status: str = "", query: str = "") -> QuerySet[Complaint]:
    """Return the cases the user sees: the receiving departments all, an investigator his assigned ones."""
    qs = Complaint.objects.select_related("receiving_unit", "received_by").order_by("-received_at", "-pk")
    if not services.may_view_cases(user):
        ids = Assignment.objects.filter(investigator_id=user.pk, ended_at__isnull=True).values("complaint_id")
        qs = qs.filter(pk__in=ids)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(number__icontains=query) | Q(subject__icontains=query))
    return qs


def case_for(user: Any, complaint_id: int) -> Complaint | None:
    """Return the case if the user sees it, else None."""
    complaint = (
        Complaint.objects.select_related("receiving_unit", "received_by", "concluded_by")
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None or not services.may_view_case(user, complaint):
        return None
    return complaint


def active_assignments(complaint: Complaint) -> list[Assignment]:
    return list(
        complaint.assignments.filter(ended_at__isnull=True).select_related("investigator", "investigator__unit")
    )


# --- inquiries ------------------------------------------------------------------------------------------------


def inquiries_for(user: Any) -> QuerySet[Inquiry]:
    """Return the inquiries the user's unit received, holds, or was handed (Art 24)."""
    base = Inquiry.objects.select_related("received_by", "received_unit", "holder", "holder_unit", "answered_by")
    if getattr(user, "is_superuser", False):
        return base
    unit_id = getattr(user, "unit_id", None)
    if unit_id is None:
        return base.none()
    return base.filter(
        Q(received_unit_id=unit_id) | Q(holder_unit_id=unit_id) | Q(handovers__to_unit_id=unit_id)
    ).distinct()


def my_open(user: Any) -> QuerySet[Inquiry]:
    """The open inquiries the user first received or now holds."""
    return inquiries_for(user).filter(answered_at__isnull=True).filter(Q(received_by_id=user.pk) | Q(holder_id=user.pk))


def passed_on(user: Any) -> QuerySet[Inquiry]:
    """The inquiries in the user's scope that were handed over at least once."""
    return inquiries_for(user).filter(handovers__isnull=False).distinct()


@dataclass(frozen=True)
class Overdue:
    inquiry: Inquiry
    due: date
    working_days: int


def overdue(qs: QuerySet[Inquiry], *, days: int | None = None, today: date | None = None) -> tuple[list[Overdue], int]:
    """Return the open inquiries not answered within ``days`` working days, and how many wait for a calendar."""
    n = services.inquiry_answer_days() if days is None else days
    today = today or timezone.localdate()
    cal = work_calendar()
    out: list[Overdue] = []
    pending = 0
    for inquiry in qs.filter(answered_at__isnull=True).order_by("received_at", "pk"):
        result = try_deadline(add_working_days, cal, timezone.localdate(inquiry.received_at), n)
        if result.due is None:
            pending += 1
        elif result.due < today:
            out.append(Overdue(inquiry, result.due, n))
    return out, pending
