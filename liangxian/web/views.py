"""The base pages: each role's home page and the supervisors' view of the access log and audit chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from liangxian.core.scope import Actor
from liangxian.obligations.selectors import todo_for_unit
from liangxian.org.models import Role, UnitKind

from . import selectors
from .duties import DUTIES
from .navigation import existing_links, reverse_or_empty

if TYPE_CHECKING:
    from liangxian.org.models import User

# Departments whose duties are the same under the measures share one home page.
_DEPARTMENT_KEYS = {"medical": "insurance", "social": "insurance", "discipline": "supervision", "audit": "supervision"}
# Every key has its template web/home/<key>.html; a department added later gets the generic one.
HOME_PAGES = frozenset(DUTIES) | {"no_unit", "department"}


def home_key(user: User) -> str:
    """Name the home page of the user's unit and role (the template is web/home/<key>.html)."""
    if user.role == Role.SYSADMIN:
        return "sysadmin"
    unit = user.unit
    if unit is None:
        return "sysadmin" if user.is_superuser else "no_unit"
    if unit.kind == UnitKind.DEPARTMENT:
        key = _DEPARTMENT_KEYS.get(unit.department, unit.department)
        return key if key in HOME_PAGES else "department"
    if unit.kind == UnitKind.TOWNSHIP:
        return "township"
    if unit.kind == UnitKind.VILLAGE:
        if user.role == Role.COLLECTOR:
            return "collector"
        if user.role == Role.VILLAGE_HEAD:
            return "village_head"
        return "village"
    return "bank"


def _links(key: str, user: User, actor: Actor) -> list[dict[str, Any]]:
    """Offer the pages this role uses, keeping only those that exist."""
    unit = user.unit
    candidates: list[tuple[str, Any]] = []
    if actor.resident_duty is not None:
        candidates.append(("/residents/", _("Residents")))
    if unit is not None and unit.kind == UnitKind.VILLAGE:
        candidates.append((reverse_or_empty("org:village", unit.code), _("Your village's page")))
        candidates.append((reverse_or_empty("org:handler_notice", unit.code), _("Village handlers notice")))
    elif unit is not None:
        candidates.append((reverse_or_empty("org:unit", unit.code), _("Your unit's page")))
    candidates.append(("/org/", _("Units and people")))
    candidates.append(("/calendar/", _("Working-day calendar")))
    if selectors.can_read_logs(user):
        candidates.append(("/audit-log/", _("Access log")))
        candidates.append(("/audit-log/events/", _("Audit chain")))
    if user.is_staff:
        candidates.append(("/admin/", _("Administration")))
    return existing_links(candidates)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user's home page: his unit's to-do list, then his duties under the measures."""
    user: User = request.user  # type: ignore[assignment]
    key = home_key(user)
    actor = Actor.of(user)
    unit = user.unit
    context: dict[str, Any] = {
        "key": key,
        "unit": unit,
        "role_label": user.get_role_display(),
        "duties": DUTIES.get(key, ()),
        "links": _links(key, user, actor),
        # The unit's to-do list (SPEC section 2): overdue, due soon, pending with the reason, done recently.
        "todo": todo_for_unit(unit) if unit is not None else None,
    }
    if unit is not None and unit.kind == UnitKind.DEPARTMENT:
        context["show_data_contact"] = True
        context["data_contact"] = selectors.data_contact(unit=unit)
    context["attention"] = selectors.collection_attention(user)
    if key == "tax":
        context["overview"] = selectors.county_overview(actor=actor)
    elif key == "township" and unit is not None:
        context["villages"] = selectors.township_villages(actor=actor)
        context["appointments"] = selectors.township_appointments(unit=unit)
    elif key in ("collector", "village_head", "village") and unit is not None:
        context["persons"] = selectors.village_persons(actor=actor)
        context["handlers"] = selectors.village_handlers(unit=unit)
        context["township"] = unit.parent
        if key == "collector":
            context["authorisation"] = selectors.collector_authorisation(user=user)
            paths = [link["path"] for link in context["links"]]
            context["search_url"] = "/residents/" if "/residents/" in paths else ""
    elif key in ("supervision", "sysadmin"):
        context["supervision"] = selectors.supervision_overview()
    return render(request, f"web/home/{key}.html", context)


def _require_log_reader(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not selectors.can_read_logs(user):
        raise PermissionDenied
    return user


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """List the latest reads of personal data for discipline inspection, audit and the administrator (Art 21, 40)."""
    user = _require_log_reader(request)
    return render(request, "web/access_log.html", {"rows": selectors.access_log_recent(user=user)})


@login_required
def audit_events(request: HttpRequest) -> HttpResponse:
    """List the latest events of the audit chain for discipline inspection, audit and the administrator (Art 40)."""
    user = _require_log_reader(request)
    return render(request, "web/audit_events.html", {"rows": selectors.audit_events_recent(user=user)})
