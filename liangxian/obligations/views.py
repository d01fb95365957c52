"""The obligations' pages: a unit's list (due soon, overdue, pending, done), one obligation, marking it met.

Thin views over obligations.selectors (scoped reads) and obligations.services (the manual fulfilment).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.campaigns.models import Campaign
from liangxian.core.keys import as_key
from liangxian.core.scope import Actor, ScopeError

from . import selectors, services
from .forms import FulfilForm
from .models import Obligation

PER_PAGE = 50


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


def _get(actor: Actor, pk: int) -> Obligation:
    try:
        return selectors.obligation_get(actor, pk)
    except ScopeError:
        raise Http404(_("No such obligation within your unit's duty.")) from None


def _int(value: str | None) -> int | None:
    return as_key(value)


@require_GET
@login_required
def obligation_list(request: HttpRequest) -> HttpResponse:
    """List the unit's obligations (every unit's for tax, discipline and audit), filtered by campaign and state."""
    actor = _actor(request)
    campaign = _int(request.GET.get("campaign"))
    state = request.GET.get("state", "")
    state = state if state in selectors.STATES else ""
    units = selectors.unit_choices(actor)
    unit = request.GET.get("unit", "") if units else ""
    qs = selectors.obligation_list(actor, campaign=campaign, state=state or None, unit=unit or None)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = [(o, selectors.obligation_state(o)) for o in page]
    query = {k: v for k, v in {"campaign": campaign or "", "state": state, "unit": unit}.items() if v}
    context = {
        "page": page,
        "rows": rows,
        "campaigns": Campaign.objects.order_by("-coverage_year"),
        "campaign": campaign,
        "states": list(selectors.STATES.items()),
        "state": state,
        "units": units,
        "unit": unit,
        "own_unit": actor.unit_code,
        "querystring": urlencode(query),
    }
    return render(request, "obligations/list.html", context)


@require_GET
@login_required
def obligation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one obligation: the rule, its due date or why it is pending, and what fulfilled it, when."""
    actor = _actor(request)
    obligation = _get(actor, pk)
    can_fulfil = (
        services.is_manual(obligation.rule)
        and obligation.fulfilled_at is None
        and not obligation.cancelled
        and request.user.unit_id == obligation.unit_id  # type: ignore[union-attr]
    )
    context = {
        "o": obligation,
        "state": selectors.obligation_state(obligation),
        "form": FulfilForm() if can_fulfil else None,
    }
    return render(request, "obligations/detail.html", context)


@require_POST
@login_required
def obligation_fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an obligation met by hand, with a note saying how (a user of the owner unit only)."""
    actor = _actor(request)
    obligation = _get(actor, pk)
    form = FulfilForm(request.POST)
    if form.is_valid():
        try:
            services.obligation_fulfil_manual(
                actor=request.user,  # type: ignore[arg-type]
                obligation=obligation,
                note=form.cleaned_data["note"],
            )
        except services.ObligationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Marked as fulfilled."))
            return redirect("obligations:detail", pk)
    context = {"o": obligation, "state": selectors.obligation_state(obligation), "form": form}
    return render(request, "obligations/detail.html", context, status=400)
