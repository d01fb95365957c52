"""The obligations API, mounted at /api/obligations by config.api: a unit's list, one obligation, fulfilling."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Form, Router, Schema, Status

from liangxian.core.scope import Actor

from . import selectors, services

router = Router(tags=["obligations"])


class ObligationOut(Schema):
    id: int
    rule: str
    title: str
    article: str
    unit: str
    unit_name: str
    campaign: int | None
    period: str
    subject: str
    subject_label: str
    trigger_date: date | None
    due_date: date | None
    pending_reason: str
    state: str
    fulfilled_at: datetime | None
    fulfilled_ref: str
    fulfilled_label: str
    fulfilled_by_user: str | None
    late: bool
    cancelled: bool
    manual: bool


class ObligationErrorOut(Schema):
    code: str
    detail: str


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.auth)  # type: ignore[attr-defined]


@router.get("", response=list[ObligationOut], summary="List your unit's obligations")
def obligations(
    request: HttpRequest, campaign: int | None = None, state: str = "", unit: str = ""
) -> list[dict[str, object]]:
    """List the obligations of your unit (tax, discipline and audit: of every unit, filtered by ``unit``)."""
    if state and state not in selectors.STATES:
        state = ""
    rows = selectors.obligation_list(_actor(request), campaign=campaign, state=state or None, unit=unit or None)
    return [selectors.obligation_data(o) for o in rows[:1000]]


@router.get("/{obligation_id}", response=ObligationOut, summary="One obligation")
def obligation(request: HttpRequest, obligation_id: int) -> dict[str, object]:
    """Return one obligation: its due date or why it is pending, and what fulfilled it, when."""
    return selectors.obligation_data(selectors.obligation_get(_actor(request), obligation_id))


@router.post(
    "/{obligation_id}/fulfil",
    response={200: ObligationOut, 400: ObligationErrorOut, 403: ObligationErrorOut},
    summary="Mark an obligation met by hand",
)
def fulfil(request: HttpRequest, obligation_id: int, note: Form[str]) -> Status:
    """Record that your unit met an obligation its rule leaves to be marked by hand, saying how."""
    found = selectors.obligation_get(_actor(request), obligation_id)
    try:
        done = services.obligation_fulfil_manual(actor=request.auth, obligation=found, note=note)  # type: ignore[attr-defined]
    except services.ObligationError as exc:
        status = 403 if exc.code == "obligation_not_your_unit" else 400
        return Status(status, ObligationErrorOut(code=exc.code, detail=exc.message))
    return Status(200, selectors.obligation_data(done))
