"""The abnormal-data loop between tax and medical insurance / social security (Art 7, 8), with its deadlines.

raised (tax's check on receipt) → fed back to the department (tax: 2 working days after receipt, Art 8) →
either verified and replied by the department (3 working days from the feedback, Art 7) or forwarded to
another department (within 2 working days of the feedback) → confirmed there (no deadline: the time is
recorded) → replied to tax (1 working day after the confirmation) → closed by tax. Tax may also close an item
it raised without feeding it back (a false alarm), with a note.

Every step acts on many items at once (one UPDATE, steps written in bulk), writes one ``AbnormalStep`` per item
and one audit event per roster touched, and raises or fulfils the obligations of the loop per roster (subject
``roster.transmission:<id>``; the engine keeps one obligation per rule, unit, event day and subject, so
feedback on different days, or confirmations on different days, each have their own deadline):

- feeding back fulfils tax's ``abnormal.feedback`` once no item of the roster waits for it, and raises the
  department's ``abnormal.verify``;
- forwarding raises and at once fulfils ``abnormal.forward`` (counted from the feedback: lateness is recorded);
- verification, forwarding or reply fulfil ``abnormal.verify`` once no item of the roster waits for the
  department's verification (an item passed on is out of its hands until confirmed);
- confirmation raises ``abnormal.reply``; the reply fulfils it once no item confirmed that day waits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liangxian.core.audit import audit_record
from liangxian.core.scope import Actor
from liangxian.obligations.models import Obligation
from liangxian.obligations.services import obligation_fulfil, obligation_raise
from liangxian.org.models import Department, Unit, UnitKind

from .models import AbnormalItem, AbnormalStatus, RosterTransmission
from .transmission import (
    RosterLoopError,
    insurance_label,
    steps_insert,
    subject_of,
    tax_unit,
)

if TYPE_CHECKING:
    from liangxian.org.models import User

ITEMS_OBJECT: Final = "roster.abnormal_items"
# The duty named in the access log by a department a item was forwarded to (it has no resident duty of its own).
CONFIRM_DUTY: Final = "abnormal_confirmation"  # Art 7
LOOP_RULES: Final = ("abnormal.feedback", "abnormal.verify", "abnormal.forward", "abnormal.reply")
RULE_LABELS: Final = {
    "abnormal.feedback": gettext_lazy("Tax feeds back (2 working days after receipt)"),
    "abnormal.verify": gettext_lazy("Department verifies and replies (3 working days)"),
    "abnormal.forward": gettext_lazy("Forwarding to another department (2 working days)"),
    "abnormal.reply": gettext_lazy("Reply to tax after confirmation (1 working day)"),
}
STEP_LABELS: Final = {
    "raised": gettext_lazy("Raised by tax"),
    "fed_back": gettext_lazy("Fed back to the department"),
    "forwarded": gettext_lazy("Forwarded to another department"),
    "confirmed": gettext_lazy("Confirmed by the other department"),
    "replied": gettext_lazy("Replied to tax"),
    "closed": gettext_lazy("Closed"),
}


@dataclass(frozen=True)
class StepResult:
    """What one step did: the items it moved and the rosters they belong to."""

    action: str
    item_ids: list[int]
    transmission_ids: list[int]

    @property
    def count(self) -> int:
        """Say how many items moved."""
        return len(self.item_ids)


def _ids(items: Iterable[int | AbnormalItem] | None) -> list[int]:
    return sorted({int(i.pk if isinstance(i, AbnormalItem) else i) for i in items or ()})


def _department_unit(actor: User) -> Unit:
    unit = actor.unit
    if unit is None or unit.kind != UnitKind.DEPARTMENT:
        raise RosterLoopError("not_department", _("Only a county department takes part in this step."))
    return unit


def _select(
    *,
    items: Iterable[int | AbnormalItem] | None,
    transmission: RosterTransmission | None,
    reach: Q,
    status: str,
) -> tuple[QuerySet[AbnormalItem], list[dict[str, Any]]]:
    """Lock the items a step acts on and check each is the actor's to move and at the step before."""
    ids = _ids(items)
    if not ids and transmission is None:
        raise RosterLoopError("no_items", _("Select at least one item."))
    qs = AbnormalItem.objects.select_for_update()
    if transmission is not None and not ids:
        qs = qs.filter(transmission=transmission, status=status).filter(reach)
    else:
        qs = qs.filter(pk__in=ids)
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in qs.order_by("pk").values(
            "pk", "status", "transmission_id", "department_id", "forwarded_to_id", "fed_back_at", "confirmed_at"
        )
    ]
    if ids:
        reachable = set(AbnormalItem.objects.filter(pk__in=ids).filter(reach).values_list("pk", flat=True))
        if len(rows) != len(ids) or reachable != set(ids):
            raise RosterLoopError("not_yours", _("Some of the selected items are not waiting for your unit."))
    wrong = [r["pk"] for r in rows if r["status"] != status]
    if wrong:
        raise RosterLoopError(
            "wrong_step",
            _("%(count)s of the selected items are not at the step “%(status)s”; an earlier step must come first.")
            % {"count": len(wrong), "status": AbnormalStatus(status).label},
        )
    if not rows:
        raise RosterLoopError("no_items", _("No item is waiting for this step."))
    return AbnormalItem.objects.filter(pk__in=[r["pk"] for r in rows]), rows


def _by_transmission(rows: list[dict[str, Any]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        out[r["transmission_id"]].append(r["pk"])
    return out


def _audit(actor: User | None, action: str, unit: Unit, rows: list[dict[str, Any]], **extra: Any) -> None:
    for tid, ids in _by_transmission(rows).items():
        audit_record(
            actor=actor,
            action=f"roster.abnormal.{action}",
            object_type="roster.rostertransmission",
            object_id=str(tid),
            payload={"unit": unit.code, "items": ids, "count": len(ids), **extra},
        )


def _finish(
    *, actor: User | None, unit: Unit, action: str, rows: list[dict[str, Any]], at: datetime, note: str, **extra: Any
) -> StepResult:
    ids = [r["pk"] for r in rows]
    steps_insert(ids, action=action, actor=actor, unit=unit, at=at, note=note)
    _audit(actor, action, unit, rows, note=note, **extra)
    return StepResult(action=action, item_ids=ids, transmission_ids=sorted(_by_transmission(rows)))


def _local_day(moment: datetime) -> date:
    return timezone.localdate(moment)


def _settle_feedback(*, actor: User | None, unit: Unit, sent: RosterTransmission, at: datetime) -> None:
    if not AbnormalItem.objects.filter(transmission=sent, status=AbnormalStatus.RAISED).exists():
        obligation_fulfil(
            rule_code="abnormal.feedback",
            unit=unit,
            ref=subject_of(sent),
            label=_("Abnormal data fed back"),
            at=at,
            actor=actor,
            campaign=sent.campaign,
            subject=subject_of(sent),
        )


def _settle_verify(*, actor: User, unit: Unit, sent: RosterTransmission, at: datetime) -> None:
    if not AbnormalItem.objects.filter(transmission=sent, department=unit, status=AbnormalStatus.FED_BACK).exists():
        obligation_fulfil(
            rule_code="abnormal.verify",
            unit=unit,
            ref=subject_of(sent),
            label=_("Abnormal data verified"),
            at=at,
            actor=actor,
            campaign=sent.campaign,
            subject=subject_of(sent),
        )


def _transmissions(rows: list[dict[str, Any]]) -> list[RosterTransmission]:
    ids = sorted({r["transmission_id"] for r in rows})
    return list(RosterTransmission.objects.filter(pk__in=ids).select_related("campaign", "unit").order_by("pk"))


# --- the steps ------------------------------------------------------------------------------------------------


def _require_note(note: str, message: str) -> None:
    if not note.strip():
        raise RosterLoopError("note_required", message)


def _step(
    *,
    actor: User,
    unit: Unit,
    action: str,
    items: Iterable[int | AbnormalItem] | None,
    transmission: RosterTransmission | None,
    reach: Q,
    status: str,
    changes: dict[str, Any],
    at: datetime,
    note: str,
    then: Callable[[RosterTransmission, list[dict[str, Any]]], None] | None = None,
    **extra: Any,
) -> StepResult:
    """Run one step of the loop atomically: lock the items, apply ``changes``, record it, then ``then`` each roster."""
    with transaction.atomic():
        qs, rows = _select(items=items, transmission=transmission, reach=reach, status=status)
        qs.update(**changes)
        result = _finish(actor=actor, unit=unit, action=action, rows=rows, at=at, note=note, **extra)
        if then is not None:
            for sent in _transmissions(rows):
                then(sent, rows)
    return result


def abnormal_feed_back(
    *,
    actor: User,
    items: Iterable[int | AbnormalItem] | None = None,
    transmission: RosterTransmission | None = None,
    note: str = "",
) -> StepResult:
    """Tax feeds raised items back to the department that sent the roster (Art 8: 2 working days)."""
    unit = tax_unit(actor)
    at = timezone.now()

    def then(sent: RosterTransmission, rows: list[dict[str, Any]]) -> None:
        _settle_feedback(actor=actor, unit=unit, sent=sent, at=at)
        obligation_raise(
            rule_code="abnormal.verify",
            unit=sent.unit,
            event_date=_local_day(at),
            subject=subject_of(sent),
            subject_label=_("Abnormal data fed back by tax: roster of %(insurance)s")
            % {"insurance": insurance_label(sent.insurance)},
            campaign=sent.campaign,
            actor=actor,
        )

    return _step(
        actor=actor,
        unit=unit,
        action="fed_back",
        items=items,
        transmission=transmission,
        reach=Q(),
        status=AbnormalStatus.RAISED,
        changes={"status": AbnormalStatus.FED_BACK, "fed_back_at": at},
        at=at,
        note=note,
        then=then,
    )


def abnormal_verify(
    *,
    actor: User,
    items: Iterable[int | AbnormalItem] | None = None,
    transmission: RosterTransmission | None = None,
    note: str,
) -> StepResult:
    """The department verifies fed-back items itself and replies to tax (Art 7: 3 working days)."""
    unit = _department_unit(actor)
    _require_note(note, _("Write what the verification found."))
    at = timezone.now()

    def then(sent: RosterTransmission, rows: list[dict[str, Any]]) -> None:
        _settle_verify(actor=actor, unit=unit, sent=sent, at=at)

    return _step(
        actor=actor,
        unit=unit,
        action="replied",
        items=items,
        transmission=transmission,
        reach=Q(department=unit),
        status=AbnormalStatus.FED_BACK,
        changes={"status": AbnormalStatus.REPLIED, "replied_at": at, "resolution": note},
        at=at,
        note=note,
        then=then,
        verified=True,
    )


def forward_targets(unit: Unit) -> QuerySet[Unit]:
    """List the departments an item may be forwarded to: any other county department but tax."""
    return (
        Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True)
        .exclude(pk=unit.pk)
        .exclude(department=Department.TAX)
        .order_by("code")
    )


def abnormal_forward(
    *,
    actor: User,
    to: Unit,
    items: Iterable[int | AbnormalItem] | None = None,
    transmission: RosterTransmission | None = None,
    note: str = "",
) -> StepResult:
    """The department passes fed-back items to another department to confirm (Art 7: 2 working days)."""
    unit = _department_unit(actor)
    if not forward_targets(unit).filter(pk=to.pk).exists():
        raise RosterLoopError("bad_target", _("Items can be forwarded only to another county department."))
    at = timezone.now()

    def then(sent: RosterTransmission, rows: list[dict[str, Any]]) -> None:
        days = sorted({_local_day(r["fed_back_at"]) for r in rows if r["transmission_id"] == sent.pk})
        for day in days:
            obligation_raise(
                rule_code="abnormal.forward",
                unit=unit,
                event_date=day,
                subject=subject_of(sent),
                subject_label=_("Abnormal data forwarded to %(unit)s") % {"unit": to.name},
                campaign=sent.campaign,
                actor=actor,
            )
        obligation_fulfil(
            rule_code="abnormal.forward",
            unit=unit,
            ref=subject_of(sent),
            label=_("Forwarded to %(unit)s") % {"unit": to.name},
            at=at,
            actor=actor,
            campaign=sent.campaign,
            subject=subject_of(sent),
        )
        _settle_verify(actor=actor, unit=unit, sent=sent, at=at)

    return _step(
        actor=actor,
        unit=unit,
        action="forwarded",
        items=items,
        transmission=transmission,
        reach=Q(department=unit),
        status=AbnormalStatus.FED_BACK,
        changes={"status": AbnormalStatus.FORWARDED, "forwarded_to": to, "forwarded_at": at},
        at=at,
        note=note,
        then=then,
        to=to.code,
    )


def abnormal_confirm(
    *,
    actor: User,
    items: Iterable[int | AbnormalItem] | None = None,
    transmission: RosterTransmission | None = None,
    note: str,
) -> StepResult:
    """The department an item was forwarded to confirms it (no deadline: the time is recorded)."""
    unit = _department_unit(actor)
    _require_note(note, _("Write what your department confirms."))
    at = timezone.now()

    def then(sent: RosterTransmission, rows: list[dict[str, Any]]) -> None:
        obligation_raise(
            rule_code="abnormal.reply",
            unit=sent.unit,
            event_date=_local_day(at),
            subject=subject_of(sent),
            subject_label=_("Reply to tax: items confirmed by %(unit)s") % {"unit": unit.name},
            campaign=sent.campaign,
            actor=actor,
        )

    return _step(
        actor=actor,
        unit=unit,
        action="confirmed",
        items=items,
        transmission=transmission,
        reach=Q(forwarded_to=unit),
        status=AbnormalStatus.FORWARDED,
        changes={"status": AbnormalStatus.CONFIRMED, "confirmed_at": at},
        at=at,
        note=note,
        then=then,
    )


def abnormal_reply(
    *,
    actor: User,
    items: Iterable[int | AbnormalItem] | None = None,
    transmission: RosterTransmission | None = None,
    note: str,
) -> StepResult:
    """The department replies to tax on items the other department confirmed (Art 7: 1 working day)."""
    unit = _department_unit(actor)
    _require_note(note, _("Write the reply to tax."))
    at = timezone.now()

    def then(sent: RosterTransmission, rows: list[dict[str, Any]]) -> None:
        days = {_local_day(r["confirmed_at"]) for r in rows if r["transmission_id"] == sent.pk}
        waiting = {
            _local_day(moment)
            for moment in AbnormalItem.objects.filter(transmission=sent, status=AbnormalStatus.CONFIRMED).values_list(
                "confirmed_at", flat=True
            )
            if moment is not None
        }
        for day in sorted(days - waiting):
            obligation_fulfil(
                rule_code="abnormal.reply",
                unit=unit,
                ref=subject_of(sent),
                label=_("Replied to tax"),
                at=at,
                actor=actor,
                campaign=sent.campaign,
                subject=subject_of(sent),
                period=day.isoformat(),
            )
        _settle_verify(actor=actor, unit=unit, sent=sent, at=at)

    return _step(
        actor=actor,
        unit=unit,
        action="replied",
        items=items,
        transmission=transmission,
        reach=Q(department=unit),
        status=AbnormalStatus.CONFIRMED,
        changes={"status": AbnormalStatus.REPLIED, "replied_at": at, "resolution": note},
        at=at,
        note=note,
        then=then,
    )


def abnormal_close(
    *,
    actor: User,
    items: Iterable[int | AbnormalItem] | None = None,
    transmission: RosterTransmission | None = None,
    note: str = "",
    dismiss: bool = False,
) -> StepResult:
    """Tax closes replied items; with ``dismiss`` it closes items it raised as false alarms (a note required)."""
    unit = tax_unit(actor)
    if dismiss:
        _require_note(note, _("Say why the item is not abnormal after all."))
    at = timezone.now()

    def then(sent: RosterTransmission, rows: list[dict[str, Any]]) -> None:
        _settle_feedback(actor=actor, unit=unit, sent=sent, at=at)

    return _step(
        actor=actor,
        unit=unit,
        action="closed",
        items=items,
        transmission=transmission,
        reach=Q(),
        status=AbnormalStatus.RAISED if dismiss else AbnormalStatus.REPLIED,
        changes={"status": AbnormalStatus.CLOSED},
        at=at,
        note=note,
        then=then if dismiss else None,
        dismissed=dismiss,
    )


STEPS: Final = {
    "feed_back": abnormal_feed_back,
    "verify": abnormal_verify,
    "forward": abnormal_forward,
    "confirm": abnormal_confirm,
    "reply": abnormal_reply,
    "close": abnormal_close,
}


# --- reads ----------------------------------------------------------------------------------------------------


def _is_tax(actor: Actor) -> bool:
    return actor.unit_kind == UnitKind.DEPARTMENT and actor.department == Department.TAX


def item_scope(actor: Actor) -> QuerySet[AbnormalItem]:
    """Return the items the actor's unit takes part in: tax all, a department those sent or forwarded to it."""
    qs = AbnormalItem.objects.select_related("transmission", "department", "forwarded_to", "transmission__campaign")
    if _is_tax(actor):
        return qs
    if actor.unit_kind == UnitKind.DEPARTMENT and actor.unit_code:
        return qs.filter(Q(department__code=actor.unit_code) | Q(forwarded_to__code=actor.unit_code))
    return qs.none()


def queue_filter(actor: Actor) -> Q:
    """Describe the items waiting for the actor's unit (its queue)."""
    if _is_tax(actor):
        return Q(status__in=[AbnormalStatus.RAISED, AbnormalStatus.REPLIED])
    code = actor.unit_code
    return Q(department__code=code, status__in=[AbnormalStatus.FED_BACK, AbnormalStatus.CONFIRMED]) | Q(
        forwarded_to__code=code, status=AbnormalStatus.FORWARDED
    )


def may_read(actor: Actor) -> bool:
    """Tell whether the actor's unit takes part in the loop at all (a township or village does not)."""
    return actor.unit_kind == UnitKind.DEPARTMENT and bool(actor.unit_code)


def duty_for(actor: Actor) -> str:
    """Name the duty for which the actor reads abnormal items."""
    return actor.resident_duty or CONFIRM_DUTY


def abnormal_queue(
    actor: Actor,
    *,
    status: str = "",
    kind: str = "",
    waiting: bool = True,
    transmission: int | None = None,
) -> QuerySet[AbnormalItem]:
    """List the items in the actor's scope: those waiting for it (default) or all, optionally filtered."""
    qs = item_scope(actor)
    if waiting and not status:
        qs = qs.filter(queue_filter(actor))
    if status in AbnormalStatus.values:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if transmission:
        qs = qs.filter(transmission_id=transmission)
    return qs.order_by("status", "raised_at", "pk")


def abnormal_get(actor: Actor, pk: int) -> AbnormalItem:
    """Return one item in the actor's scope; raise ScopeError (shown as not found) otherwise."""
    from liangxian.core.scope import ScopeError

    found = item_scope(actor).filter(pk=pk).first()
    if found is None:
        raise ScopeError(f"abnormal item {pk} is not in scope")
    return found


def sees_full_ids(actor: Actor, item: AbnormalItem | None = None) -> bool:
    """Tell whether the actor sees whole ID numbers: a duty that needs them, or the department asked to confirm."""
    if actor.sees_full_id:
        return True
    return item is not None and item.forwarded_to is not None and item.forwarded_to.code == actor.unit_code


def transmission_scope(actor: Actor) -> QuerySet[RosterTransmission]:
    """Return the rosters the actor's unit sent, or for tax every roster sent to it."""
    qs = RosterTransmission.objects.select_related("campaign", "unit", "build", "approved_by", "received_by")
    if _is_tax(actor):
        return qs
    if actor.unit_kind == UnitKind.DEPARTMENT and actor.department in (Department.MEDICAL, Department.SOCIAL):
        return qs.filter(unit__code=actor.unit_code)
    return qs.none()


@dataclass(frozen=True)
class Deadline:
    """One deadline of an item's loop, from its obligation: due (or pending with why), and when met."""

    rule: str
    label: str
    unit: str
    due: date | None
    pending_reason: str
    fulfilled_at: datetime | None
    late: bool
    subject: str


def _day(moment: datetime | None) -> str:
    return timezone.localdate(moment).isoformat() if moment is not None else "-"


def item_deadlines(item: AbnormalItem) -> list[Deadline]:
    """List the deadlines of the item's loop so far, in the loop's order, from the obligations raised for it.

    Feedback is the roster's; verification and forwarding count from the day the item was fed back, the reply
    from the day it was confirmed.
    """
    periods = {
        "abnormal.feedback": None,
        "abnormal.verify": _day(item.fed_back_at),
        "abnormal.forward": _day(item.fed_back_at) if item.forwarded_to_id else "",
        "abnormal.reply": _day(item.confirmed_at),
    }
    found = Obligation.objects.filter(
        rule_id__in=LOOP_RULES, subject=subject_of(item.transmission_id), cancelled=False
    ).select_related("unit")
    order = {code: i for i, code in enumerate(LOOP_RULES)}
    mine = [o for o in found if periods[o.rule_id] is None or o.period == periods[o.rule_id]]
    if item.status == AbnormalStatus.RAISED:
        mine = [o for o in mine if o.rule_id == "abnormal.feedback"]
    return [
        Deadline(
            rule=o.rule_id,
            label=str(RULE_LABELS[o.rule_id]),
            unit=o.unit.name,
            due=o.due_date,
            pending_reason=o.pending_reason,
            fulfilled_at=o.fulfilled_at,
            late=o.late,
            subject=o.subject,
        )
        for o in sorted(mine, key=lambda o: (order[o.rule_id], o.period))
    ]


# The deadline an item waits on at each status (none while a forwarded item awaits confirmation: Art 7 sets none).
NEXT_RULE: Final = {
    AbnormalStatus.RAISED.value: ("abnormal.feedback", None),
    AbnormalStatus.FED_BACK.value: ("abnormal.verify", "fed_back_at"),
    AbnormalStatus.CONFIRMED.value: ("abnormal.reply", "confirmed_at"),
}


def next_deadlines(items: list[AbnormalItem]) -> dict[int, Obligation]:
    """Map each item of a page to the obligation whose deadline it now waits on, where there is one."""
    subjects = {subject_of(i.transmission_id) for i in items}
    found: dict[tuple[str, str, str], Obligation] = {}
    for o in Obligation.objects.filter(rule_id__in=LOOP_RULES, subject__in=subjects, cancelled=False).select_related(
        "unit"
    ):
        found[(o.subject, o.rule_id, o.period)] = o
        found.setdefault((o.subject, o.rule_id, "*"), o)
    out: dict[int, Obligation] = {}
    for item in items:
        rule_field = NEXT_RULE.get(item.status)
        if rule_field is None:
            continue
        rule, field = rule_field
        period = _day(getattr(item, field)) if field else "*"
        match = found.get((subject_of(item.transmission_id), rule, period))
        if match is not None:
            out[item.pk] = match
    return out


def first_fed_back(transmission: RosterTransmission) -> datetime | None:
    """Return when tax first fed back an item of the roster."""
    return AbnormalItem.objects.filter(transmission=transmission).aggregate(m=Min("fed_back_at"))["m"]
