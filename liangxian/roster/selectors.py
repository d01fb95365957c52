"""Reads of the roster, each scoped to the actor; reads of personal data go to the access log (Art 16, 20-21, 27).

Shared by the build, due-list and abnormal-data pages: the roster build's reads come first; others add theirs at
the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from liangxian.campaigns.models import Campaign, DaijiaoRule, EligibilityRule
from liangxian.core import idnumbers
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor, division_q
from liangxian.registry.models import Person, PersonCategory

from . import rules
from .models import RosterBuild, RosterChange, RosterEntry

if TYPE_CHECKING:
    from django.http import HttpRequest

ENTRY_OBJECT = "roster.entry"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Education reminds the schools of the students not enrolled (Art 16); it reads the county's student entries.
SCHOOL_REMINDER_DEPARTMENTS = frozenset({"education"})


# ------------------------------------------------------------------------------------------------ roster build


def campaign_for(year: int | str | None = None) -> Campaign | None:
    """Return the campaign of a coverage year, or the latest one when no year is given."""
    if year not in (None, ""):
        try:
            return Campaign.objects.filter(coverage_year=int(year)).first()
        except (TypeError, ValueError):
            return None
    return Campaign.objects.order_by("-coverage_year").first()


def build_list(*, campaign: Campaign) -> QuerySet[RosterBuild]:
    """List a campaign's builds, newest first (counts only: no personal data)."""
    return RosterBuild.objects.filter(campaign=campaign).select_related("built_by").order_by("-number")


def build_get(*, build_id: int) -> RosterBuild:
    """Return one build (raises ``RosterBuild.DoesNotExist``)."""
    return RosterBuild.objects.select_related("campaign", "built_by").get(pk=build_id)


def entry_scope(*, actor: Actor, campaign: Campaign) -> QuerySet[RosterEntry]:
    """Return the campaign's entries whose village lies within the actor's scope (Art 21)."""
    return RosterEntry.objects.filter(campaign=campaign).filter(division_q("village_code", actor.division_prefix))


def entry_list(
    *,
    actor: Actor,
    campaign: Campaign,
    village: str = "",
    insurance: str = "",
    must_pay: str = "",
    reason: str = "",
    category: str = "",
) -> QuerySet[RosterEntry]:
    """Filter the actor's entries by village (or township), insurance, must pay, reason and 代缴 category."""
    entries = entry_scope(actor=actor, campaign=campaign)
    if village:
        # Outside the scope the filter matches nothing rather than widening it.
        entries = entries.filter(division_q("village_code", village if actor.sees_division(village) else None))
    if insurance:
        entries = entries.filter(insurance=insurance)
    if must_pay in ("1", "0", "true", "false"):
        entries = entries.filter(must_pay=must_pay in ("1", "true"))
    if reason:
        entries = entries.filter(reason=reason)
    if category:
        entries = entries.filter(daijiao_category=category)
    return entries.order_by("village_code", "person_id", "insurance")


@dataclass(frozen=True)
class EntryRow:
    """One roster entry as one actor may see it: ID number masked unless the duty needs it whole."""

    id: int
    person_id: int
    name: str
    id_number: str
    village_code: str
    village_name: str
    insurance: str
    insurance_label: str
    must_pay: bool
    reason: str
    reason_label: str
    amount_fen: int
    tiers: str
    daijiao_category: str
    daijiao_label: str
    other_categories: str
    other_categories_codes: str
    gov_fen: int
    own_fen: int
    subsidy_fen: int
    cash_only: bool
    build_number: int

    @property
    def amount(self) -> str:
        return yuan(self.amount_fen)

    @property
    def gov(self) -> str:
        return yuan(self.gov_fen)

    @property
    def own(self) -> str:
        return yuan(self.own_fen)

    @property
    def subsidy(self) -> str:
        return yuan(self.subsidy_fen)


def yuan(fen: int) -> str:
    """Write an amount in fen as yuan for people ("¥400.00")."""
    return format_yuan(from_fen(int(fen)))


def category_labels(campaign: Campaign) -> dict[str, str]:
    """Return the county's own labels of the 代缴 categories (特困, 低保 …), by category code."""
    return dict(DaijiaoRule.objects.filter(campaign=campaign).order_by("priority").values_list("category", "label"))


def over_age_reasons(campaign: Campaign) -> dict[str, str]:
    """Return the campaign's words for why those over age do not pay, by insurance type."""
    return dict(EligibilityRule.objects.filter(campaign=campaign).values_list("insurance", "over_age_reason"))


def entry_rows(*, actor: Actor, campaign: Campaign, entries: list[RosterEntry]) -> list[EntryRow]:
    """Present entries for the actor with names, masked ID numbers and the labels of reasons and categories."""
    persons = {p.pk: p for p in Person.objects.filter(pk__in=[e.person_id for e in entries]).only("name", "id_number")}
    villages = dict(Division.objects.filter(code__in={e.village_code for e in entries}).values_list("code", "name"))
    labels = category_labels(campaign)
    over_age = over_age_reasons(campaign)
    rows = []
    for e in entries:
        person = persons.get(e.person_id)
        number = person.id_number if person else ""
        rows.append(
            EntryRow(
                id=e.pk,
                person_id=e.person_id,
                name=person.name if person else "",
                id_number=number if actor.sees_full_id else idnumbers.mask(number),
                village_code=e.village_code,
                village_name=villages.get(e.village_code, ""),
                insurance=e.insurance,
                insurance_label=str(e.get_insurance_display()),
                must_pay=e.must_pay,
                reason=e.reason,
                reason_label=rules.reason_label(e.reason, over_age_reason=over_age.get(e.insurance, "")),
                amount_fen=e.amount_fen,
                tiers=e.tiers,
                daijiao_category=e.daijiao_category,
                daijiao_label=labels.get(e.daijiao_category, e.daijiao_category),
                other_categories="、".join(labels.get(c, c) for c in e.other_categories.split(",") if c),
                other_categories_codes=e.other_categories,
                gov_fen=e.gov_fen,
                own_fen=e.own_fen,
                subsidy_fen=e.subsidy_fen,
                cash_only=e.cash_only,
                build_number=e.build.number,
            )
        )
    return rows


def _describe(filters: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in filters.items() if v)[:500]


def entry_page(
    *,
    actor: Actor,
    campaign: Campaign,
    filters: dict[str, str],
    page: int | str | None = 1,
    page_size: int = PAGE_SIZE,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> tuple[Page[RosterEntry], list[EntryRow]]:
    """Return one page of the actor's entries and log who listed which of them."""
    entries = entry_list(actor=actor, campaign=campaign, **filters).select_related("build")
    paginator = Paginator(entries, max(1, min(page_size, MAX_PAGE_SIZE)))
    current = paginator.get_page(page)
    shown = list(current.object_list)
    access_log(
        actor=actor,
        action=AccessAction.LIST if actor.division_prefix else AccessAction.DENIED,
        object_type=ENTRY_OBJECT,
        object_ids=[e.person_id for e in shown],
        query=_describe({"campaign": str(campaign.coverage_year), **filters}),
        request=request,
        channel=channel,
    )
    return current, entry_rows(actor=actor, campaign=campaign, entries=shown)


@dataclass(frozen=True)
class ChangeRow:
    """What one build changed for one person and insurance, as the actor may see it."""

    person_id: int
    name: str
    id_number: str
    village_code: str
    insurance: str
    insurance_label: str
    kind: str
    kind_label: str
    fields: list[dict[str, str]]


def _field_text(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if name == "reason":
        return rules.reason_label(str(value)) or "—"
    return str(value) if value != "" else "—"


def change_rows(
    *,
    actor: Actor,
    build: RosterBuild,
    kind: str = "",
    limit: int = 500,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> tuple[int, list[ChangeRow]]:
    """Return how many of a build's changes the actor may see and the first ``limit`` of them; log the read."""
    scoped = Person.objects.filter(division_q("village_code", actor.division_prefix))
    changes = RosterChange.objects.filter(build=build, person_id__in=scoped.values("pk"))
    if kind:
        changes = changes.filter(kind=kind)
    total = changes.count()
    shown = list(changes.order_by("person_id", "insurance")[:limit])
    persons = {
        p.pk: p
        for p in Person.objects.filter(pk__in=[c.person_id for c in shown]).only("name", "id_number", "village_code")
    }
    access_log(
        actor=actor,
        action=AccessAction.LIST if actor.division_prefix else AccessAction.DENIED,
        object_type="roster.change",
        object_ids=[c.person_id for c in shown],
        count=len(shown),
        query=f"build={build.pk}&kind={kind}",
        request=request,
        channel=channel,
    )
    rows = []
    for c in shown:
        person = persons.get(c.person_id)
        number = person.id_number if person else ""
        rows.append(
            ChangeRow(
                person_id=c.person_id,
                name=person.name if person else "",
                id_number=number if actor.sees_full_id else idnumbers.mask(number),
                village_code=person.village_code if person else "",
                insurance=c.insurance,
                insurance_label=str(c.get_insurance_display()),
                kind=c.kind,
                kind_label=str(c.get_kind_display()),
                fields=[
                    {
                        "field": name,
                        "label": str(rules.FIELD_LABELS.get(name, name)),
                        "before": _field_text(name, pair[0]),
                        "after": _field_text(name, pair[1]),
                    }
                    for name, pair in (c.fields or {}).items()
                ],
            )
        )
    return total, rows


# -------------------------------------------------------------------------- students to remind (Art 16)


def school_reminder_prefix(actor: Actor) -> str | None:
    """Return the division prefix of the student entries an actor may read: education reads its county's."""
    if actor.unit_kind == "department" and actor.department in SCHOOL_REMINDER_DEPARTMENTS:
        return actor.division_code[:6] or None
    return actor.division_prefix


def _unpaid(entries: QuerySet[RosterEntry]) -> QuerySet[RosterEntry]:
    """Keep the entries whose contribution is not yet paid (the due-lists' one paid condition)."""
    from .duelists import paid_q

    return entries.exclude(paid_q())


def students_unenrolled(*, actor: Actor, campaign: Campaign) -> QuerySet[RosterEntry]:
    """Return the medical entries of students who must pay and have not yet paid, within the actor's scope."""
    students = PersonCategory.objects.filter(category=rules.STUDENT_CATEGORY, until__isnull=True)
    entries = RosterEntry.objects.filter(
        campaign=campaign,
        insurance="medical",
        must_pay=True,
        person_id__in=students.values("person_id"),
    ).filter(division_q("village_code", school_reminder_prefix(actor)))
    return _unpaid(entries)


@dataclass(frozen=True)
class SchoolReminder:
    """One school and how many of its students are not yet enrolled in medical insurance (Art 16)."""

    school: str
    students: int
    own_fen: int

    @property
    def own(self) -> str:
        return yuan(self.own_fen)


def school_reminders(*, actor: Actor, campaign: Campaign) -> list[SchoolReminder]:
    """Count the students not yet enrolled per school (no personal data: counts only)."""
    entries = students_unenrolled(actor=actor, campaign=campaign)
    own = dict(entries.values_list("person_id", "own_fen"))
    counts: dict[str, int] = {}
    totals: dict[str, int] = {}
    listed = PersonCategory.objects.filter(
        category=rules.STUDENT_CATEGORY, until__isnull=True, person_id__in=entries.values("person_id")
    ).values_list("detail", "person_id")
    for detail, person_id in listed.iterator(chunk_size=5000):
        counts[detail] = counts.get(detail, 0) + 1
        totals[detail] = totals.get(detail, 0) + int(own.get(person_id, 0))
    return [SchoolReminder(school=s, students=counts[s], own_fen=totals[s]) for s in sorted(counts)]


SCHOOL_EXPORT_COLUMNS = ("school", "name", "id_number", "village_code", "own_fen")


def school_reminder_export(
    *, actor: Actor, campaign: Campaign, school: str = "", request: HttpRequest | None = None
) -> tuple[int, Iterator[tuple[object, ...]]]:
    """Log an export of the students to remind and stream (school, name, ID, village, own part), by school."""
    entries = students_unenrolled(actor=actor, campaign=campaign)
    students = PersonCategory.objects.filter(
        category=rules.STUDENT_CATEGORY, until__isnull=True, person_id__in=entries.values("person_id")
    )
    if school:
        students = students.filter(detail=school)
    count = students.count()
    prefix = school_reminder_prefix(actor)
    access_log(
        actor=actor,
        action=AccessAction.EXPORT if prefix else AccessAction.DENIED,
        object_type=ENTRY_OBJECT,
        object_ids=list(students.values_list("person_id", flat=True)[:200]),
        count=count,
        duty="school_reminder" if actor.department in SCHOOL_REMINDER_DEPARTMENTS else None,
        query=_describe({"campaign": str(campaign.coverage_year), "school": school, "list": "school_reminders"}),
        request=request,
    )
    own = dict(entries.values_list("person_id", "own_fen"))

    def rows() -> Iterator[tuple[object, ...]]:
        listed = students.select_related("person").order_by("detail", "person__village_code", "person_id")
        for c in listed.iterator(chunk_size=2000):
            number = c.person.id_number
            shown = number if actor.sees_full_id else idnumbers.mask(number)
            yield (c.detail, c.person.name, shown, c.person.village_code, own.get(c.person_id, 0))

    return count, rows()


def entries_reason_choices() -> list[tuple[str, str]]:
    """Return the reason codes with their labels, for filters."""
    return [(code, str(label)) for code, label in rules.REASONS.items()]


def has_entries(*, campaign: Campaign) -> bool:
    """Tell whether the campaign has a roster yet."""
    return RosterEntry.objects.filter(campaign=campaign).exists()


def in_scope_q(actor: Actor) -> Q:
    """Filter entries to the actor's scope (for other readers of the roster)."""
    return division_q("village_code", actor.division_prefix)
