"""Reads of the obligations, scoped to the actor: a unit sees its own; the county's supervisors see every unit's.

Obligations carry no personal data (their subject names a submission, an item or a township), so reads are
not written to the access log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liangxian.core.scope import Actor, ScopeError
from liangxian.org.models import Unit, UnitKind

from .models import Obligation
from .services import is_manual

# How many days ahead an obligation counts as due soon.
DUE_SOON_DAYS = 7
# How far back the home page shows what was done.
DONE_RECENTLY_DAYS = 30
# County departments whose duty is to follow every unit's obligations: tax evaluates each unit's performance
# (Art 38), discipline inspection and audit supervise (Art 40).
ALL_UNITS_DEPARTMENTS = frozenset({"tax", "discipline", "audit"})

STATES: dict[str, object] = {
    "due_soon": _("Due soon"),
    "overdue": _("Overdue"),
    "pending": _("Date pending"),
    "open": _("Not yet due"),
    "done": _("Completed"),
    "cancelled": _("Cancelled"),
}


def sees_all_units(actor: Actor) -> bool:
    """Tell whether the actor follows the obligations of every unit (not only his own)."""
    return actor.is_superuser or (actor.unit_kind == UnitKind.DEPARTMENT and actor.department in ALL_UNITS_DEPARTMENTS)


def obligation_scope(actor: Actor) -> QuerySet[Obligation]:
    """Return the obligations the actor may read: his unit's (a township's also its villages'), or all."""
    qs = Obligation.objects.select_related("rule", "unit", "campaign", "fulfilled_by_user")
    if sees_all_units(actor):
        return qs
    if not actor.unit_code:
        return qs.none()
    if actor.unit_kind == UnitKind.TOWNSHIP:
        return qs.filter(
            Q(unit__code=actor.unit_code) | Q(unit__kind=UnitKind.VILLAGE, unit__parent__code=actor.unit_code)
        )
    return qs.filter(unit__code=actor.unit_code)


def state_q(state: str, today: dt.date | None = None) -> Q:
    """Filter obligations to one state (due_soon, overdue, pending, open, done, cancelled)."""
    today = today or timezone.localdate()
    live = Q(fulfilled_at__isnull=True, cancelled=False)
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    if state == "due_soon":
        return live & Q(due_date__gte=today, due_date__lte=soon)
    if state == "overdue":
        return live & Q(due_date__lt=today)
    if state == "pending":
        return live & Q(due_date__isnull=True)
    if state == "open":
        return live
    if state == "done":
        return Q(fulfilled_at__isnull=False)
    if state == "cancelled":
        return Q(cancelled=True)
    raise ValueError(f"unknown state {state!r}")


def obligation_state(o: Obligation, today: dt.date | None = None) -> str:
    """Name one obligation's state as the lists show it."""
    today = today or timezone.localdate()
    if o.cancelled:
        return "cancelled"
    if o.fulfilled_at is not None:
        return "done"
    if o.due_date is None:
        return "pending"
    if o.due_date < today:
        return "overdue"
    if o.due_date <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "open"


def obligation_list(
    actor: Actor,
    *,
    campaign: int | None = None,
    state: str | None = None,
    unit: str | None = None,
    rule: str | None = None,
) -> QuerySet[Obligation]:
    """List the obligations in the actor's scope, optionally of one campaign (coverage year), state, unit or rule."""
    qs = obligation_scope(actor)
    if campaign:
        qs = qs.filter(campaign__coverage_year=campaign)
    if state:
        qs = qs.filter(state_q(state))
    if unit:
        qs = qs.filter(unit__code=unit)
    if rule:
        qs = qs.filter(rule_id=rule)
    # The open ones first (SQLite and PostgreSQL place nulls differently unless told), the dated before the pending.
    return qs.order_by(
        F("fulfilled_at").asc(nulls_first=True),
        F("due_date").asc(nulls_last=True),
        "rule__order",
        "unit__code",
        "period",
        "pk",
    )


def obligation_get(actor: Actor, pk: int) -> Obligation:
    """Return one obligation in the actor's scope, or raise ScopeError."""
    found = obligation_scope(actor).filter(pk=pk).first()
    if found is None:
        raise ScopeError(pk)
    return found


def unit_choices(actor: Actor) -> list[Unit]:
    """List the units whose obligations the actor may filter by (empty for a unit that sees only its own)."""
    if not sees_all_units(actor):
        return []
    return list(Unit.objects.filter(active=True).exclude(kind=UnitKind.VILLAGE).order_by("kind", "code"))


@dataclass
class TodoList:
    """A unit's to-do list for its home page."""

    overdue: list[Obligation] = field(default_factory=list)
    due_soon: list[Obligation] = field(default_factory=list)
    pending: list[Obligation] = field(default_factory=list)
    done_recently: list[Obligation] = field(default_factory=list)
    later: int = 0

    @property
    def empty(self) -> bool:
        """Tell whether there is nothing to show."""
        return not (self.overdue or self.due_soon or self.pending or self.done_recently or self.later)


def todo_for_unit(unit: Unit | None, *, limit: int = 20, today: dt.date | None = None) -> TodoList:
    """Gather what the unit owes: overdue, due soon, pending with the reason, and what it did recently."""
    todo = TodoList()
    if unit is None:
        return todo
    today = today or timezone.localdate()
    qs = Obligation.objects.filter(unit=unit).select_related("rule", "campaign")
    order = ("due_date", "rule__order", "period", "pk")
    todo.overdue = list(qs.filter(state_q("overdue", today)).order_by(*order)[:limit])
    todo.due_soon = list(qs.filter(state_q("due_soon", today)).order_by(*order)[:limit])
    todo.pending = list(qs.filter(state_q("pending", today)).order_by("rule__order", "period", "pk")[:limit])
    since = timezone.now() - dt.timedelta(days=DONE_RECENTLY_DAYS)
    todo.done_recently = list(qs.filter(fulfilled_at__gte=since).order_by("-fulfilled_at")[:limit])
    todo.later = qs.filter(state_q("open", today), due_date__gt=today + dt.timedelta(days=DUE_SOON_DAYS)).count()
    return todo


def obligation_data(o: Obligation, today: dt.date | None = None) -> dict[str, object]:
    """Return one obligation as plain data (CLI JSON and API)."""
    return {
        "id": o.pk,
        "rule": o.rule_id,
        "title": o.rule.title,
        "article": o.rule.article,
        "unit": o.unit.code,
        "unit_name": o.unit.name,
        "campaign": o.campaign.coverage_year if o.campaign else None,
        "period": o.period,
        "subject": o.subject,
        "subject_label": o.subject_label,
        "trigger_date": o.trigger_date.isoformat() if o.trigger_date else None,
        "due_date": o.due_date.isoformat() if o.due_date else None,
        "pending_reason": o.pending_reason,
        "state": obligation_state(o, today),
        "fulfilled_at": o.fulfilled_at.isoformat() if o.fulfilled_at else None,
        "fulfilled_ref": o.fulfilled_ref,
        "fulfilled_label": o.fulfilled_label,
        "fulfilled_by_user": str(o.fulfilled_by_user) if o.fulfilled_by_user else None,
        "late": o.late,
        "cancelled": o.cancelled,
        "manual": is_manual(o.rule),
    }
