"""The API of the roster's passage to tax and the abnormal-data loop, under /api/roster/abnormal (Art 7, 8)."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from liangxian.campaigns.models import Campaign
from liangxian.core.access import access_log
from liangxian.core.idnumbers import mask
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor, ScopeError
from liangxian.obligations.models import Obligation
from liangxian.org.models import Unit

from . import abnormal as loop
from .models import AbnormalItem, AbnormalStep, RosterTransmission
from .transmission import (
    RosterLoopError,
    roster_transmission_approve,
    roster_transmission_receive,
    roster_transmission_send,
)

router = Router()


class AbnormalErrorOut(Schema):
    code: str
    detail: str


class TransmissionOut(Schema):
    id: int
    campaign: int
    insurance: str
    build: int
    unit: str
    entries: int
    digest: str
    status: str
    approved_at: datetime
    sent_at: datetime | None
    received_at: datetime | None
    abnormal: int


class AbnormalDeadlineOut(Schema):
    rule: str
    unit: str
    due: date | None
    pending_reason: str
    fulfilled_at: datetime | None
    late: bool


class StepOut(Schema):
    action: str
    unit: str
    by: str
    at: datetime
    note: str


class ItemOut(Schema):
    id: int
    transmission: int
    kind: str
    status: str
    id_number: str
    name: str
    township_code: str
    village_code: str
    detail: str
    department: str
    forwarded_to: str | None
    raised_at: datetime
    fed_back_at: datetime | None
    forwarded_at: datetime | None
    confirmed_at: datetime | None
    replied_at: datetime | None
    resolution: str
    deadline: AbnormalDeadlineOut | None = None


class ItemDetailOut(ItemOut):
    steps: list[StepOut]
    deadlines: list[AbnormalDeadlineOut]


class ItemFilter(Schema):
    status: str = Field("", max_length=12, description="One status; empty for the items waiting for your unit.")
    kind: str = Field("", max_length=24)
    all: bool = Field(False, description="Also items in your scope not waiting for your unit.")
    transmission: int | None = None
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=1000)


class ApproveIn(Schema):
    campaign: int = Field(description="The campaign's coverage year.")
    insurance: str = Field(description="medical or pension.")


class ActIn(Schema):
    action: str = Field(description="feed_back, dismiss, close, verify, forward, confirm or reply.")
    items: list[int] = Field(default_factory=list, max_length=50_000)
    transmission: int | None = Field(None, description="Act on every item of this roster at the step instead.")
    note: str = Field("", max_length=2000)
    to: str = Field("", max_length=40, description="For forward: the unit code of the department.")


class ActOut(Schema):
    action: str
    count: int
    items: list[int]


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.auth)  # type: ignore[attr-defined]


def _transmission_out(t: RosterTransmission) -> TransmissionOut:
    return TransmissionOut(
        id=t.pk,
        campaign=t.campaign.coverage_year,
        insurance=t.insurance,
        build=t.build.number,
        unit=t.unit.code,
        entries=t.entries,
        digest=t.digest,
        status=t.status,
        approved_at=t.approved_at,
        sent_at=t.sent_at,
        received_at=t.received_at,
        abnormal=AbnormalItem.objects.filter(transmission=t).count(),
    )


def _deadline_out(o: Obligation | None) -> AbnormalDeadlineOut | None:
    if o is None:
        return None
    return AbnormalDeadlineOut(
        rule=o.rule_id,
        unit=o.unit.name,
        due=o.due_date,
        pending_reason=o.pending_reason,
        fulfilled_at=o.fulfilled_at,
        late=o.late,
    )


def _item_out(actor: Actor, item: AbnormalItem, *, detail: bool = False, deadline: Obligation | None = None) -> ItemOut:
    full = loop.sees_full_ids(actor, item if detail else None)
    return ItemOut(
        id=item.pk,
        transmission=item.transmission_id,
        kind=item.kind,
        status=item.status,
        id_number=item.id_number if full else mask(item.id_number),
        name=item.person.name if item.person else "",
        township_code=item.township_code,
        village_code=item.village_code,
        detail=item.detail,
        department=item.department.code,
        forwarded_to=item.forwarded_to.code if item.forwarded_to else None,
        raised_at=item.raised_at,
        fed_back_at=item.fed_back_at,
        forwarded_at=item.forwarded_at,
        confirmed_at=item.confirmed_at,
        replied_at=item.replied_at,
        resolution=item.resolution,
        deadline=_deadline_out(deadline),
    )


def _require(actor: Actor) -> None:
    if not loop.may_read(actor):
        raise ScopeError("no part in the roster loop")


@router.get("/transmissions", response=list[TransmissionOut], summary="Rosters sent to tax")
def transmissions(request: HttpRequest) -> list[TransmissionOut]:
    """List the rosters your unit sent (medical insurance, social security) or received (tax)."""
    actor = _actor(request)
    return [_transmission_out(t) for t in loop.transmission_scope(actor).order_by("-approved_at")[:200]]


@router.post(
    "/transmissions",
    response={201: TransmissionOut, 400: AbnormalErrorOut, 403: AbnormalErrorOut},
    summary="Approve a roster",
)
def approve(request: HttpRequest, body: ApproveIn) -> Status:
    """Approve the latest finished build's roster of one insurance (Art 7)."""
    campaign = Campaign.objects.filter(coverage_year=body.campaign).first()
    if campaign is None:
        return Status(400, AbnormalErrorOut(code="no_campaign", detail="No such campaign."))
    try:
        sent = roster_transmission_approve(actor=request.auth, campaign=campaign, insurance=body.insurance)  # type: ignore[attr-defined]
    except RosterLoopError as exc:
        return Status(403 if exc.code == "not_sender" else 400, AbnormalErrorOut(code=exc.code, detail=exc.message))
    return Status(201, _transmission_out(sent))


def _transmission(actor: Actor, pk: int) -> RosterTransmission:
    found = loop.transmission_scope(actor).filter(pk=pk).first()
    if found is None:
        raise ScopeError(f"roster {pk} is not in scope")
    return found


@router.post(
    "/transmissions/{transmission_id}/send",
    response={200: TransmissionOut, 400: AbnormalErrorOut, 403: AbnormalErrorOut},
    summary="Send an approved roster to tax",
)
def send(request: HttpRequest, transmission_id: int) -> Status:
    """Send the approved roster to tax; fulfils the department's roster.to_tax obligation."""
    found = _transmission(_actor(request), transmission_id)
    try:
        sent = roster_transmission_send(actor=request.auth, transmission=found)  # type: ignore[attr-defined]
    except RosterLoopError as exc:
        return Status(403 if exc.code == "not_sender" else 400, AbnormalErrorOut(code=exc.code, detail=exc.message))
    return Status(200, _transmission_out(sent))


@router.post(
    "/transmissions/{transmission_id}/receive",
    response={200: TransmissionOut, 400: AbnormalErrorOut, 403: AbnormalErrorOut},
    summary="Receive and check a roster (tax)",
)
def receive(request: HttpRequest, transmission_id: int) -> Status:
    """Receive a sent roster as tax: the checks raise its abnormal items."""
    found = _transmission(_actor(request), transmission_id)
    try:
        sent = roster_transmission_receive(actor=request.auth, transmission=found)  # type: ignore[attr-defined]
    except RosterLoopError as exc:
        return Status(403 if exc.code == "not_tax" else 400, AbnormalErrorOut(code=exc.code, detail=exc.message))
    return Status(200, _transmission_out(sent))


@router.get("", response=list[ItemOut], summary="Abnormal items waiting for your unit")
def items(request: HttpRequest, filters: Query[ItemFilter]) -> list[ItemOut]:
    """List the abnormal items waiting for your unit (or all in its scope); the read is logged."""
    actor = _actor(request)
    _require(actor)
    qs = loop.abnormal_queue(
        actor,
        status=filters.status,
        kind=filters.kind,
        waiting=not filters.all,
        transmission=filters.transmission,
    ).select_related("person")
    start = (filters.page - 1) * filters.page_size
    page = list(qs[start : start + filters.page_size])
    deadlines = loop.next_deadlines(page)
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type=loop.ITEMS_OBJECT,
        object_ids=[i.pk for i in page],
        duty=loop.duty_for(actor),
        query=f"status={filters.status}&kind={filters.kind}&all={filters.all}",
        request=request,
        channel="api",
    )
    return [_item_out(actor, i, deadline=deadlines.get(i.pk)) for i in page]


@router.post(
    "/act", response={200: ActOut, 400: AbnormalErrorOut, 403: AbnormalErrorOut}, summary="Take a step of the loop"
)
def act(request: HttpRequest, body: ActIn) -> Status:
    """Take one step of the loop on the given items, or on every item of a roster at that step."""
    actor = _actor(request)
    _require(actor)
    user = request.auth  # type: ignore[attr-defined]
    sent = _transmission_for_act(actor, body.transmission) if body.transmission else None
    kwargs = {"actor": user, "items": body.items or None, "transmission": sent}
    try:
        if body.action == "feed_back":
            result = loop.abnormal_feed_back(**kwargs, note=body.note)
        elif body.action in ("close", "dismiss"):
            result = loop.abnormal_close(**kwargs, note=body.note, dismiss=body.action == "dismiss")
        elif body.action == "verify":
            result = loop.abnormal_verify(**kwargs, note=body.note)
        elif body.action == "forward":
            target = Unit.objects.filter(code=body.to).first()
            if target is None:
                return Status(400, AbnormalErrorOut(code="bad_target", detail="Unknown unit to forward to."))
            result = loop.abnormal_forward(**kwargs, to=target, note=body.note)
        elif body.action == "confirm":
            result = loop.abnormal_confirm(**kwargs, note=body.note)
        elif body.action == "reply":
            result = loop.abnormal_reply(**kwargs, note=body.note)
        else:
            return Status(400, AbnormalErrorOut(code="bad_action", detail="Unknown step."))
    except RosterLoopError as exc:
        status = 403 if exc.code in ("not_tax", "not_department", "not_yours") else 400
        return Status(status, AbnormalErrorOut(code=exc.code, detail=exc.message))
    return Status(200, ActOut(action=body.action, count=result.count, items=result.item_ids))


def _transmission_for_act(actor: Actor, pk: int) -> RosterTransmission:
    """Return a roster whose items the actor may act on: tax any, a department one it sent or was asked about."""
    reaches = loop.item_scope(actor).filter(transmission_id=pk).exists()
    if reaches or loop.transmission_scope(actor).filter(pk=pk).exists():
        return RosterTransmission.objects.get(pk=pk)
    raise ScopeError(f"roster {pk} is not in scope")


@router.get("/{item_id}", response=ItemDetailOut, summary="One abnormal item with its steps and deadlines")
def item(request: HttpRequest, item_id: int) -> ItemDetailOut:
    """Return one item, its steps (who, unit, when, note) and each deadline of its loop; the read is logged."""
    actor = _actor(request)
    _require(actor)
    found = loop.abnormal_get(actor, item_id)
    access_log(
        actor=actor,
        action=AccessAction.VIEW,
        object_type=loop.ITEMS_OBJECT,
        object_ids=[found.pk],
        duty=loop.duty_for(actor),
        request=request,
        channel="api",
    )
    base = _item_out(actor, found, detail=True)
    steps = [
        StepOut(
            action=s.action,
            unit=s.unit.code if s.unit else "",
            by=str(s.actor) if s.actor else "",
            at=s.at,
            note=s.note,
        )
        for s in AbnormalStep.objects.filter(item=found).select_related("unit", "actor").order_by("at", "pk")
    ]
    deadlines = [
        AbnormalDeadlineOut(
            rule=d.rule,
            unit=d.unit,
            due=d.due,
            pending_reason=d.pending_reason,
            fulfilled_at=d.fulfilled_at,
            late=d.late,
        )
        for d in loop.item_deadlines(found)
    ]
    return ItemDetailOut(**base.model_dump(), steps=steps, deadlines=deadlines)
