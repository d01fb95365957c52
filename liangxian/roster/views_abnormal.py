"""Pages of the roster's passage to tax and of the abnormal-data loop (Art 7, 8): each party's own queue.

Tax sees the items it must feed back and the replies it received; medical insurance and social security the
items fed back to them (to verify, forward, or reply after a confirmation); a department an item was forwarded
to, the items it must confirm. Thin views over ``roster.transmission`` and ``roster.abnormal``; every list or
view of the items' persons is logged with its duty, ID numbers masked unless the duty needs them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.core.access import access_log
from liangxian.core.idnumbers import mask
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor, ScopeError
from liangxian.org.models import Department, Unit, UnitKind

from . import abnormal as loop
from .models import AbnormalItem, AbnormalKind, AbnormalStatus, AbnormalStep, RosterTransmission, TransmissionStatus
from .transmission import (
    SENDING_DEPARTMENT,
    RosterLoopError,
    latest_build,
    roster_transmission_approve,
    roster_transmission_receive,
    roster_transmission_send,
)

ITEMS_PER_PAGE = 50
ACTION_LABELS: dict[str, Any] = {
    "feed_back": gettext_lazy("Feed back to the department"),
    "close": gettext_lazy("Close"),
    "dismiss": gettext_lazy("Close as not abnormal"),
    "verify": gettext_lazy("Verified: reply to tax"),
    "forward": gettext_lazy("Forward to another department"),
    "confirm": gettext_lazy("Confirm"),
    "reply": gettext_lazy("Reply to tax"),
}


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


def _require_department(actor: Actor) -> None:
    if not loop.may_read(actor):
        raise PermissionDenied(_("Only the county departments take part in the roster's passage to tax."))


def _is_tax(actor: Actor) -> bool:
    return actor.unit_kind == UnitKind.DEPARTMENT and actor.department == Department.TAX


def _sends(actor: Actor) -> list[str]:
    """List the insurances whose roster the actor's department approves and sends."""
    if actor.unit_kind != UnitKind.DEPARTMENT:
        return []
    return [ins for ins, dept in SENDING_DEPARTMENT.items() if dept == actor.department]


def bulk_actions(actor: Actor) -> list[str]:
    """Name the steps the actor's unit may take on the items of its queue."""
    if _is_tax(actor):
        return ["feed_back", "dismiss", "close"]
    if actor.department in (Department.MEDICAL, Department.SOCIAL):
        return ["verify", "forward", "reply", "confirm"]
    return ["confirm"]


def item_actions(actor: Actor, item: AbnormalItem) -> list[str]:
    """Name the steps the actor's unit may take on this item now."""
    if _is_tax(actor):
        return {"raised": ["feed_back", "dismiss"], "replied": ["close"]}.get(item.status, [])
    if item.department.code == actor.unit_code:
        return {"fed_back": ["verify", "forward"], "confirmed": ["reply"]}.get(item.status, [])
    if item.forwarded_to is not None and item.forwarded_to.code == actor.unit_code and item.status == "forwarded":
        return ["confirm"]
    return []


# --- rosters sent to tax -----------------------------------------------------------------------------------------


@require_GET
@login_required
def transmissions(request: HttpRequest) -> HttpResponse:
    """List the rosters sent to tax (tax: all; medical/social: their own) with the steps each may take."""
    actor = _actor(request)
    _require_department(actor)
    sent = list(loop.transmission_scope(actor).order_by("-approved_at")[:100])
    counts: dict[int, dict[str, int]] = {}
    for tid, status in AbnormalItem.objects.filter(transmission__in=sent).values_list("transmission_id", "status"):
        counts.setdefault(tid, {}).setdefault(status, 0)
        counts[tid][status] += 1
    rows = [
        {
            "t": t,
            "items": sum(counts.get(t.pk, {}).values()),
            "open": sum(n for s, n in counts.get(t.pk, {}).items() if s != AbnormalStatus.CLOSED),
            "may_send": t.status == TransmissionStatus.APPROVED and t.unit.code == actor.unit_code,
            "may_receive": t.status == TransmissionStatus.SENT and _is_tax(actor),
        }
        for t in sent
    ]
    campaigns = list(Campaign.objects.exclude(status="closed").order_by("-coverage_year"))
    approvable = [
        {"campaign": c, "build": latest_build(c), "insurance": ins, "label": InsuranceType(ins).label}
        for c in campaigns
        for ins in _sends(actor)
    ]
    return render(
        request,
        "roster/abnormal/transmissions.html",
        {"rows": rows, "approvable": approvable, "is_tax": _is_tax(actor)},
    )


def _back() -> HttpResponse:
    return redirect("roster:transmissions")


@require_POST
@login_required
def transmission_approve(request: HttpRequest) -> HttpResponse:
    """Approve the latest build's roster of one insurance (medical insurance or social security)."""
    actor = _actor(request)
    _require_department(actor)
    campaign = Campaign.objects.filter(coverage_year=request.POST.get("campaign", "")).first()
    if campaign is None:
        raise Http404(_("No such campaign."))
    try:
        sent = roster_transmission_approve(
            actor=request.user,  # type: ignore[arg-type]
            campaign=campaign,
            insurance=request.POST.get("insurance", ""),
        )
    except RosterLoopError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Approved: %(count)s entries of build %(number)s.")
            % {"count": sent.entries, "number": sent.build.number},
        )
    return _back()


def _transmission_or_404(actor: Actor, pk: int) -> RosterTransmission:
    found = loop.transmission_scope(actor).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such roster within your unit's duty."))
    return found


@require_POST
@login_required
def transmission_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send an approved roster to tax."""
    actor = _actor(request)
    _require_department(actor)
    found = _transmission_or_404(actor, pk)
    try:
        roster_transmission_send(actor=request.user, transmission=found)  # type: ignore[arg-type]
    except RosterLoopError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The roster has been sent to tax."))
    return _back()


@require_POST
@login_required
def transmission_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Receive a sent roster as tax: its checks raise the abnormal items."""
    actor = _actor(request)
    _require_department(actor)
    found = _transmission_or_404(actor, pk)
    try:
        roster_transmission_receive(actor=request.user, transmission=found)  # type: ignore[arg-type]
    except RosterLoopError as exc:
        messages.error(request, exc.message)
        return _back()
    count = AbnormalItem.objects.filter(transmission=found).count()
    messages.success(request, _("Received and checked: %(count)s abnormal items.") % {"count": count})
    return redirect(f"{_queue_url()}?transmission={found.pk}")


def _queue_url() -> str:
    return reverse("roster:abnormal_queue")


# --- the queue -----------------------------------------------------------------------------------------------


def _shown_id(actor: Actor, item: AbnormalItem, *, detail: bool = False) -> str:
    full = loop.sees_full_ids(actor, item if detail else None)
    return item.id_number if full else mask(item.id_number)


@require_GET
@login_required
def abnormal_queue(request: HttpRequest) -> HttpResponse:
    """List the items waiting for the actor's unit (or all in its scope), with the steps it may take on many."""
    actor = _actor(request)
    _require_department(actor)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    show_all = request.GET.get("all") == "1"
    transmission = request.GET.get("transmission", "")
    qs = loop.abnormal_queue(
        actor,
        status=status,
        kind=kind,
        waiting=not show_all,
        transmission=as_key(transmission),
    ).select_related("person")
    page = Paginator(qs, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    deadlines = loop.next_deadlines(items)
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type=loop.ITEMS_OBJECT,
        object_ids=[i.pk for i in items],
        count=page.paginator.count,
        duty=loop.duty_for(actor),
        query=request.GET.urlencode(),
        request=request,
    )
    rows = [
        {
            "item": i,
            "id_number": _shown_id(actor, i),
            "name": i.person.name if i.person else "",
            "deadline": deadlines.get(i.pk),
        }
        for i in items
    ]
    actions = bulk_actions(actor)
    unit = Unit.objects.filter(code=actor.unit_code).first()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "roster/abnormal/queue.html",
        {
            "page": page,
            "rows": rows,
            "actions": [(a, ACTION_LABELS[a]) for a in actions],
            "targets": loop.forward_targets(unit) if unit is not None and "forward" in actions else [],
            "statuses": AbnormalStatus.choices,
            "kinds": AbnormalKind.choices,
            "status": status,
            "kind": kind,
            "show_all": show_all,
            "transmission": transmission,
            "querystring": query.urlencode(),
            "is_tax": _is_tax(actor),
        },
    )


def _run_step(request: HttpRequest, action: str, item_ids: list[int]) -> loop.StepResult:
    user = request.user
    note = request.POST.get("note", "").strip()
    if action == "feed_back":
        return loop.abnormal_feed_back(actor=user, items=item_ids, note=note)  # type: ignore[arg-type]
    if action == "close":
        return loop.abnormal_close(actor=user, items=item_ids, note=note)  # type: ignore[arg-type]
    if action == "dismiss":
        return loop.abnormal_close(actor=user, items=item_ids, note=note, dismiss=True)  # type: ignore[arg-type]
    if action == "verify":
        return loop.abnormal_verify(actor=user, items=item_ids, note=note)  # type: ignore[arg-type]
    if action == "forward":
        target = Unit.objects.filter(code=request.POST.get("to", "")).first()
        if target is None:
            raise RosterLoopError("bad_target", _("Choose the department to forward to."))
        return loop.abnormal_forward(actor=user, items=item_ids, to=target, note=note)  # type: ignore[arg-type]
    if action == "confirm":
        return loop.abnormal_confirm(actor=user, items=item_ids, note=note)  # type: ignore[arg-type]
    if action == "reply":
        return loop.abnormal_reply(actor=user, items=item_ids, note=note)  # type: ignore[arg-type]
    raise RosterLoopError("bad_action", _("Unknown step."))


@require_POST
@login_required
def abnormal_act(request: HttpRequest) -> HttpResponse:
    """Take one step of the loop on the selected items (one or many)."""
    actor = _actor(request)
    _require_department(actor)
    action = request.POST.get("action", "")
    item_ids = [k for k in map(as_key, request.POST.getlist("item")) if k is not None]
    try:
        result = _run_step(request, action, item_ids)
    except RosterLoopError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(step)s: %(count)s items.") % {"step": ACTION_LABELS.get(action, action), "count": result.count},
        )
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("roster:abnormal_queue")


# --- one item ------------------------------------------------------------------------------------------------


@require_GET
@login_required
def abnormal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one item: what is abnormal, each step with who and when, and each deadline of its loop."""
    actor = _actor(request)
    _require_department(actor)
    try:
        item = loop.abnormal_get(actor, pk)
    except ScopeError:
        raise Http404(_("No such item within your unit's duty.")) from None
    access_log(
        actor=actor,
        action=AccessAction.VIEW,
        object_type=loop.ITEMS_OBJECT,
        object_ids=[item.pk],
        duty=loop.duty_for(actor),
        request=request,
    )
    steps = AbnormalStep.objects.filter(item=item).select_related("actor", "unit").order_by("at", "pk")
    actions = item_actions(actor, item)
    unit = Unit.objects.filter(code=actor.unit_code).first()
    return render(
        request,
        "roster/abnormal/detail.html",
        {
            "item": item,
            "id_number": _shown_id(actor, item, detail=True),
            "name": item.person.name if item.person else "",
            "steps": [{"step": s, "label": loop.STEP_LABELS.get(s.action, s.action)} for s in steps],
            "deadlines": loop.item_deadlines(item),
            "actions": [(a, ACTION_LABELS[a]) for a in actions],
            "targets": loop.forward_targets(unit) if unit is not None and "forward" in actions else [],
            "insurance": InsuranceType(item.transmission.insurance).label,
        },
    )
