"""The organisation API: units, and tax's authorisation of village collectors (Art 30)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from liangxian.core.scope import Actor

from . import rules, selectors, services
from .errors import OrgError, OrgPermissionDenied
from .models import CollectorAuthorisation, Unit, UnitKind, User

router = Router(tags=["org"], auth=django_auth)


class UnitOut(Schema):
    code: str
    name: str
    name_ug: str
    kind: str
    department: str
    division: str
    parent: str | None


class StaffMemberOut(Schema):
    username: str
    full_name: str
    phone: str


class HandlerOut(Schema):
    name: str
    post: str
    phone: str
    duties: str


class UnitDetailOut(UnitOut):
    children: list[UnitOut]
    data_contact: StaffMemberOut | None = None
    leader_in_charge: StaffMemberOut | None = None
    specialist: StaffMemberOut | None = None
    handlers: list[HandlerOut] = []


class AuthorisedOut(Schema):
    authorised: bool


class AuthoriseIn(Schema):
    collector: str
    village: str
    valid_from: dt.date
    valid_until: dt.date | None = None


class WithdrawIn(Schema):
    reason: str


class AuthorisationOut(Schema):
    id: int
    collector: str
    village: str
    valid_from: dt.date
    valid_until: dt.date | None
    withdrawn_at: dt.datetime | None
    withdraw_reason: str


class OrgErrorOut(Schema):
    code: str
    detail: str


def _unit_out(unit: Unit) -> dict[str, object]:
    return {
        "code": unit.code,
        "name": unit.name,
        "name_ug": unit.name_ug,
        "kind": unit.kind,
        "department": unit.department,
        "division": unit.division_id,
        "parent": unit.parent.code if unit.parent_id and unit.parent else None,
    }


def _person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "full_name": user.full_name, "phone": user.phone}


def _authorisation_out(a: CollectorAuthorisation) -> dict[str, object]:
    return {
        "id": a.pk,
        "collector": a.collector.username,
        "village": a.village.code,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "withdrawn_at": a.withdrawn_at,
        "withdraw_reason": a.withdraw_reason,
    }


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _require_tax(request: HttpRequest) -> User:
    user = _user(request)
    if not rules.can_authorise_collectors(Actor.of(user)):
        raise HttpError(403, str(OrgPermissionDenied().message))
    return user


@router.get("/units", response=list[UnitOut])
def units(request: HttpRequest, kind: str | None = None) -> list[dict[str, object]]:
    """List the active units, optionally of one kind (department, township, village, bank)."""
    return [_unit_out(u) for u in selectors.unit_list(kind=kind)]


@router.get("/units/{code}", response=UnitDetailOut)
def unit(request: HttpRequest, code: str) -> dict[str, object]:
    """Show one unit with its child units and the people the measures name for it."""
    u = get_object_or_404(Unit.objects.select_related("parent"), code=code)
    out: dict[str, object] = {**_unit_out(u), "children": [_unit_out(c) for c in selectors.unit_list(parent=u)]}
    if u.kind == UnitKind.DEPARTMENT:
        contact = selectors.data_contact_current(unit=u)
        out["data_contact"] = _person(contact.user if contact else None)
    elif u.kind == UnitKind.TOWNSHIP:
        leader = selectors.appointment_current(township=u, post="leader_in_charge")
        out["leader_in_charge"] = _person(leader.user if leader else None)
        out["specialist"] = _person(selectors.specialist_current(township=u))
    elif u.kind == UnitKind.VILLAGE:
        out["handlers"] = [
            {"name": h.name, "post": h.post, "phone": h.phone, "duties": h.duties}
            for h in selectors.handlers_for(village=u)
        ]
    return out


@router.get("/collectors/{username}/authorisation", response=AuthorisedOut)
def collector_authorisation(
    request: HttpRequest, username: str, village: str, on: dt.date | None = None
) -> dict[str, bool]:
    """Tell whether tax authorised the collector for the village on a day (today by default; Art 30)."""
    collector = get_object_or_404(User, username=username)
    village_unit = get_object_or_404(Unit, code=village, kind=UnitKind.VILLAGE)
    day = on or timezone.localdate()
    return {"authorised": selectors.collector_is_authorised(collector=collector, village=village_unit, on=day)}


@router.post(
    "/collectors/authorisations", response={201: AuthorisationOut, 400: OrgErrorOut, 403: OrgErrorOut, 404: OrgErrorOut}
)
def collector_authorise(request: HttpRequest, payload: AuthoriseIn) -> Status[dict[str, object]]:
    """Authorise a village collection assistant (Art 30: tax only)."""
    actor = _require_tax(request)
    collector = get_object_or_404(User, username=payload.collector)
    village = get_object_or_404(Unit, code=payload.village, kind=UnitKind.VILLAGE)
    try:
        a = services.collector_authorise(
            actor=actor,
            collector=collector,
            village=village,
            valid_from=payload.valid_from,
            valid_until=payload.valid_until,
        )
    except OrgPermissionDenied as exc:
        return Status(403, {"code": exc.code, "detail": exc.message})
    except OrgError as exc:
        return Status(400, {"code": exc.code, "detail": exc.message})
    return Status(201, _authorisation_out(a))


@router.post(
    "/collectors/authorisations/{authorisation_id}/withdraw",
    response={200: AuthorisationOut, 400: OrgErrorOut, 403: OrgErrorOut, 404: OrgErrorOut},
)
def collector_withdraw(request: HttpRequest, authorisation_id: int, payload: WithdrawIn) -> Status[dict[str, object]]:
    """Withdraw a collector's authorisation (Art 30: tax only)."""
    actor = _require_tax(request)
    a = get_object_or_404(CollectorAuthorisation.objects.select_related("collector", "village"), pk=authorisation_id)
    try:
        a = services.collector_withdraw(actor=actor, authorisation=a, reason=payload.reason)
    except OrgPermissionDenied as exc:
        return Status(403, {"code": exc.code, "detail": exc.message})
    except OrgError as exc:
        return Status(400, {"code": exc.code, "detail": exc.message})
    return Status(200, _authorisation_out(a))
