"""The site's navigation: the sections each role may use, limited to pages that exist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

from liangxian.core.scope import Actor

from .selectors import can_read_logs

if TYPE_CHECKING:
    from liangxian.org.models import User


def path_exists(path: str) -> bool:
    """Tell whether a path resolves to a view, so no link leads to a page not yet built."""
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def reverse_or_empty(name: str, *args: object) -> str:
    """Reverse a URL name of another app, or give "" while that page does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def existing_links(candidates: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Keep the (path, label) pairs whose path exists, as dicts for templates."""
    return [{"path": path, "label": label} for path, label in candidates if path and path_exists(path)]


def nav_sections(user: User, current_path: str = "") -> list[dict[str, Any]]:
    """List the sections of the site the user's role may use (Art 21), marking the current one."""
    if not user.is_authenticated:
        return []
    actor = Actor.of(user)
    candidates: list[tuple[str, Any]] = [("/", _("Home"))]
    if actor.resident_duty is not None or user.is_superuser:
        candidates.append(("/residents/", _("Residents")))
        candidates.append(("/residents/corrections/", _("Register corrections")))
    candidates.append(("/exchange/", _("Data exchange")))
    candidates.append((reverse_or_empty("obligations:list"), _("Obligations")))
    candidates.append((reverse_or_empty("campaigns:list"), _("Campaigns")))
    department = actor.department if actor.unit_kind == "department" else ""
    if department in ("tax", "medical", "social", "finance", "discipline", "audit") or user.is_superuser:
        candidates.append((reverse_or_empty("roster:build"), _("Roster")))
    if department in ("tax", "medical", "social") or user.is_superuser:
        candidates.append((reverse_or_empty("roster:transmissions"), _("Roster to tax")))
        candidates.append((reverse_or_empty("roster:abnormal_queue"), _("Abnormal data")))
    elif actor.unit_kind == "department":
        # A department asked to confirm an item forwarded to it (Art 7) finds it in the same queue.
        candidates.append((reverse_or_empty("roster:abnormal_queue"), _("Items to confirm")))
    if actor.unit_kind in ("township", "village") or department == "tax" or user.is_superuser:
        candidates.append((reverse_or_empty("roster:duelist"), _("Due-list")))
        candidates.append((reverse_or_empty("roster:progress"), _("Progress")))
    if actor.unit_kind == "township" or user.is_superuser:
        candidates.append((reverse_or_empty("roster:survey"), _("Village survey")))
    # Collection (issue 5): channel files and the payment queue for tax (finance brings its 代缴 batch), cash for
    # the village collector, refunds for the bureaus and tax, payment problems between townships and tax.
    if department in ("tax", "finance") or user.is_superuser:
        candidates.append((reverse_or_empty("collection:imports"), _("Channel files")))
    if department == "tax" or user.is_superuser:
        candidates.append((reverse_or_empty("collection:queue"), _("Payment queue")))
    if actor.unit_kind in ("township", "village") or department in ("tax", "finance") or user.is_superuser:
        candidates.append((reverse_or_empty("collection:dashboard"), _("Collection dashboard")))
    if actor.unit_kind == "village" or user.is_superuser:
        candidates.append((reverse_or_empty("cash:home"), _("Cash")))
    if actor.unit_kind == "township" or department == "tax" or user.is_superuser:
        candidates.append((reverse_or_empty("cash:township"), _("Cash ledgers")))
    if actor.unit_kind == "township" or department in ("tax", "medical", "social") or user.is_superuser:
        candidates.append((reverse_or_empty("refunds:list"), _("Refunds")))
    if actor.unit_kind == "township" or department == "tax" or user.is_superuser:
        candidates.append((reverse_or_empty("refunds:problems"), _("Payment problems")))
    # Reconciliation (issue 6): the treasury statement, the bureaus' reports, daily detail and white list,
    # finance's three flows, the reports by insurance type and account, the jobs across counties.
    if department in ("tax", "pbc", "finance") or user.is_superuser:
        candidates.append(("/treasury/", _("Treasury reconciliation")))
    if department in ("tax", "medical", "social") or user.is_superuser:
        candidates.append(("/bureaus/", _("Bureau reports and daily detail")))
        candidates.append(("/entitlements/", _("White list")))
    if department in ("finance", "tax") or user.is_superuser:
        candidates.append(("/finance/", _("Finance")))
    if actor.unit_kind == "township" or department in ("tax", "finance", "medical", "social") or user.is_superuser:
        candidates.append(("/reports/", _("Reports by insurance and account")))
    if department == "tax" or user.is_superuser:
        candidates.append(("/national/", _("Jobs across counties")))
    # Supervision (issue 7): cash screening and self-checks, public notice and activities, complaints and
    # inquiries, the assessment.
    supervisors = ("tax", "discipline", "audit", "medical", "social", "finance")
    if actor.unit_kind == "township" or department in supervisors or user.is_superuser:
        candidates.append(("/screening/", _("Cash screening")))
    candidates.append(("/outreach/", _("Notices and activities")))
    candidates.append(("/complaints/", _("Complaints and inquiries")))
    if actor.unit_kind == "township" or department in ("tax", "discipline", "audit", "finance") or user.is_superuser:
        candidates.append(("/assessment/", _("Assessment")))
    if department == "education" or user.is_superuser:
        candidates.append((reverse_or_empty("roster:school_reminders"), _("Students to remind")))
    if actor.unit_kind == "department" or user.is_superuser:
        candidates.append(("/residents/verifications/", _("Verification requests")))
        candidates.append(("/residents/usage/", _("Use of our data")))
    candidates.append(("/org/", _("Units")))
    candidates.append(("/calendar/", _("Working calendar")))
    if can_read_logs(user):
        candidates.append(("/audit-log/", _("Access log")))
    if user.is_staff and (user.is_superuser or user.role == "sysadmin"):
        candidates.append(("/admin/", _("Admin")))
    links = existing_links(candidates)
    # The current section is the longest link that leads to the page (/roster/due/ before /roster/due/progress/).
    matching = [link["path"] for link in links if link["path"] != "/" and current_path.startswith(link["path"])]
    current = max(matching, key=len) if matching else ("/" if current_path == "/" else "")
    for link in links:
        link["current"] = link["path"] == current
    return links
