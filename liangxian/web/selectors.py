"""Reads behind the home pages: counts and appointments for the actor's own unit, never another's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.core.models import AccessLog, AuditEvent, Division
from liangxian.core.scope import Actor
from liangxian.org import selectors as org_selectors
from liangxian.org.models import CollectorAuthorisation, TownshipPost, Unit, UnitKind, VillageHandler
from liangxian.registry.models import Person, PersonStatus

if TYPE_CHECKING:
    from liangxian.org.models import User

# Who reads the access log and the audit chain (Art 21, 40); a providing department's own view comes later.
SUPERVISING_DEPARTMENTS = frozenset({"discipline", "audit"})


def can_read_logs(user: User) -> bool:
    """Tell whether the user supervises data use: discipline, audit or the system administrator (Art 21, 40)."""
    if user.is_superuser or user.role == "sysadmin":
        return True
    unit = user.unit
    return unit is not None and unit.kind == UnitKind.DEPARTMENT and unit.department in SUPERVISING_DEPARTMENTS


def _active_persons() -> QuerySet[Person]:
    return Person.objects.filter(status=PersonStatus.ACTIVE)


@dataclass(frozen=True)
class VillageRow:
    code: str
    name: str
    persons: int


def township_villages(*, actor: Actor) -> list[VillageRow]:
    """List the township's own villages with their active residents (a count, not personal data)."""
    if actor.unit_kind != UnitKind.TOWNSHIP or not actor.division_code:
        return []
    counts = dict(
        _active_persons()
        .filter(township_code=actor.division_code)
        .values_list("village_code")
        .annotate(n=Count("id"))
        .values_list("village_code", "n")
    )
    villages = Division.objects.filter(parent_id=actor.division_code).order_by("code")
    return [VillageRow(code=v.code, name=v.name, persons=counts.get(v.code, 0)) for v in villages]


def township_appointments(*, unit: Unit) -> dict[str, User | None]:
    """Name the township's current leader in charge (Art 41) and specialist (Art 31)."""
    posts = {"leader_in_charge": TownshipPost.LEADER_IN_CHARGE, "specialist": TownshipPost.SPECIALIST}
    result: dict[str, User | None] = {}
    for key, post in posts.items():
        appointment = org_selectors.appointment_current(township=unit, post=post)
        result[key] = appointment.user if appointment else None
    return result


@dataclass(frozen=True)
class AuthorisationStatus:
    """Whether a collector may take cash in his village today, and if not, why (Art 30)."""

    state: str  # "valid", "not_yet", "expired", "withdrawn" or "none"
    authorisation: CollectorAuthorisation | None = None


def collector_authorisation(*, user: User, today: date | None = None) -> AuthorisationStatus:
    """Report the collector's authorisation by tax for his own village (Art 30)."""
    unit = user.unit
    if unit is None:
        return AuthorisationStatus("none")
    today = today or timezone.localdate()
    rows = list(org_selectors.authorisations_for(village=unit).filter(collector=user).order_by("-granted_at", "-id"))
    # In force or not is org's rule (the one checked wherever cash is recorded); here only the reason why not.
    if org_selectors.collector_is_authorised(collector=user, village=unit, on=today):
        in_force = next(a for a in rows if a.valid_from <= today)
        return AuthorisationStatus("valid", in_force)
    open_rows = [a for a in rows if a.withdrawn_at is None]
    if open_rows:
        a = open_rows[0]
        return AuthorisationStatus("not_yet" if a.valid_from > today else "expired", a)
    if rows:
        return AuthorisationStatus("withdrawn", rows[0])
    return AuthorisationStatus("none")


def village_persons(*, actor: Actor) -> int:
    """Count the active residents of the actor's own village."""
    if actor.unit_kind != UnitKind.VILLAGE or not actor.division_code:
        return 0
    return _active_persons().filter(village_code=actor.division_code).count()


def village_handlers(*, unit: Unit) -> list[VillageHandler]:
    """List the handlers the village publishes (Art 31)."""
    return list(org_selectors.handlers_for(village=unit))


def data_contact(*, unit: Unit) -> User | None:
    """Name the department's current designated data contact (Art 22)."""
    contact = org_selectors.data_contact_current(unit=unit)
    return contact.user if contact else None


@dataclass(frozen=True)
class CountyOverview:
    """Tax's figures for the county: units, residents and the collectors' authorisations (Art 27, 30)."""

    townships: int
    villages: int
    persons: int
    authorised_collectors: int
    villages_without_collector: int


def county_overview(*, actor: Actor, today: date | None = None) -> CountyOverview:
    """Count the county's townships, villages, residents and authorised collectors for tax."""
    today = today or timezone.localdate()
    county = actor.division_code[:6]
    # org's own rule of "in force on a day", the one checked wherever cash is recorded.
    valid = CollectorAuthorisation.objects.filter(
        org_selectors._authorised_on(today), village__division__code__startswith=county
    )
    villages = Unit.objects.filter(kind=UnitKind.VILLAGE, active=True, division__code__startswith=county)
    return CountyOverview(
        townships=Unit.objects.filter(kind=UnitKind.TOWNSHIP, active=True, division__code__startswith=county).count(),
        villages=villages.count(),
        persons=_active_persons().filter(village_code__startswith=county).count(),
        authorised_collectors=valid.values("collector_id").distinct().count(),
        villages_without_collector=villages.exclude(pk__in=valid.values("village_id")).count(),
    )


@dataclass(frozen=True)
class SupervisionOverview:
    """The entry points of discipline inspection and audit: the access log and the audit chain (Art 21, 40)."""

    accesses_last_week: int
    denied_last_week: int
    audit_events: int
    last_event: AuditEvent | None = field(default=None)


def supervision_overview() -> SupervisionOverview:
    """Count last week's accesses to personal data and the events in the audit chain."""
    since = timezone.now() - timedelta(days=7)
    week = AccessLog.objects.filter(at__gte=since)
    return SupervisionOverview(
        accesses_last_week=week.count(),
        denied_last_week=week.filter(action="denied").count(),
        audit_events=AuditEvent.objects.count(),
        last_event=AuditEvent.objects.order_by("-seq").select_related("actor").first(),
    )


def access_log_recent(*, user: User, limit: int = 200) -> QuerySet[AccessLog]:
    """List the latest access-log rows for a user who supervises data use (Art 21, 40)."""
    if not can_read_logs(user):
        return AccessLog.objects.none()
    return AccessLog.objects.select_related("user").order_by("-at", "-id")[:limit]


def audit_events_recent(*, user: User, limit: int = 200) -> QuerySet[AuditEvent]:
    """List the latest audit-chain events for a user who supervises (Art 40)."""
    if not can_read_logs(user):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor").order_by("-seq")[:limit]


def collection_attention(user: User) -> list[dict[str, Any]]:
    """List what in collection waits on this user's unit, with its count and page (Art 26, 29, 32-33).

    Tax: payments in the queue, collector-days raised, problems to answer, refund rosters to receive. A township:
    its raised collector-days and the answers to its problems to close. Medical insurance and social security:
    the refunds awaiting their approval or to carry out. Only items with a count above zero are listed.
    """
    from liangxian.cash.selectors import raised_days_count
    from liangxian.collection.models import IssueStatus, PaymentIssue
    from liangxian.refunds.models import ProblemStatus, RefundStatus
    from liangxian.refunds.selectors import problems_visible, refunds_visible, rosters_visible

    from .navigation import reverse_or_empty  # navigation reads this module's can_read_logs

    actor = Actor.of(user)
    department = actor.department if actor.unit_kind == "department" else ""
    items: list[tuple[Any, int, str]] = []
    if department == "tax":
        queued = PaymentIssue.objects.filter(status=IssueStatus.OPEN).count()
        items.append((_("Payments in the queue"), queued, reverse_or_empty("collection:queue")))
    if department == "tax" or actor.unit_kind == "township":
        raised = raised_days_count(user)
        items.append((_("Collector days with a difference raised"), raised, reverse_or_empty("cash:township")))
    if department == "tax":
        open_problems = problems_visible(user).filter(status=ProblemStatus.OPEN).count()
        items.append((_("Payment problems to answer"), open_problems, reverse_or_empty("refunds:problems")))
        to_receive = rosters_visible(user).filter(received_at__isnull=True).count()
        items.append((_("Refund rosters to receive"), to_receive, reverse_or_empty("refunds:rosters")))
    if actor.unit_kind == "township":
        answered = problems_visible(user).filter(status=ProblemStatus.ANSWERED).count()
        items.append((_("Answers to your payment problems"), answered, reverse_or_empty("refunds:problems")))
    if department in ("medical", "social"):
        waiting = refunds_visible(user).filter(status=RefundStatus.REQUESTED).count()
        items.append((_("Refunds awaiting your approval"), waiting, reverse_or_empty("refunds:list")))
        approved = refunds_visible(user).filter(status=RefundStatus.APPROVED).count()
        items.append((_("Approved refunds to carry out"), approved, reverse_or_empty("refunds:list")))
    return [{"label": label, "count": count, "url": url} for label, count, url in items if count]
