"""Every read of outreach, scoped to the reader's unit: activities, the shortfall table, the notices (Art 15-42)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from liangxian.campaigns.models import Campaign
from liangxian.core.idnumbers import mask
from liangxian.core.models import Division
from liangxian.org.models import Department, Role, Unit, UnitKind, User

from . import rules
from .models import Activity, ActivityArea, ActivityKind, ActivityMinimum, Attendance, MinimumPer, PostingProof
from .services import village_prefix

# ------------------------------------------------------------------------------------------------ activities


def activities_for(user: User, *, kind: str = "", year: int | None = None) -> QuerySet[Activity]:
    """The activities the user sees: a county department all; a township or village those in its township."""
    qs = Activity.objects.select_related("organiser", "recorded_by").prefetch_related("areas", "joint_units")
    if kind:
        qs = qs.filter(kind=kind)
    if year:
        qs = qs.filter(held_on__year=year)
    unit = user.unit
    if user.is_superuser or (unit is not None and unit.kind == UnitKind.DEPARTMENT):
        return qs
    if unit is None or unit.kind not in (UnitKind.TOWNSHIP, UnitKind.VILLAGE):
        return qs.none()
    township = str(unit.division_id)[:9]
    return qs.filter(Q(organiser=unit) | Q(areas__township_code=township) | Q(areas__isnull=True)).distinct()


def activity_get(user: User, pk: int | None) -> Activity | None:
    """One activity the user sees, with its attendance, or None."""
    if pk is None:
        return None
    return (
        activities_for(user)
        .prefetch_related(Prefetch("attendance", queryset=Attendance.objects.select_related("user__unit")))
        .filter(pk=pk)
        .first()
    )


def candidates(activity: Activity | None, *, township_codes: list[str] | None = None) -> QuerySet[User]:
    """The people one may invite: the specialists, collectors and staff of the townships and villages covered."""
    codes = township_codes if township_codes is not None else []
    if activity is not None:
        codes = [a.township_code for a in activity.areas.all()]
    qs = User.objects.filter(is_active=True, unit__kind__in=[UnitKind.TOWNSHIP, UnitKind.VILLAGE]).select_related(
        "unit"
    )
    if codes:
        q = Q()
        for code in codes:
            q |= Q(unit__division__code__startswith=code)
        qs = qs.filter(q)
    return qs.order_by("unit__division_id", "username")


# ------------------------------------------------------------------------------------------------- shortfall


@dataclass
class ShortRow:
    """One unit or township and one kind: how many activities it had against the minimum."""

    kind: str
    kind_label: str
    per: str
    code: str
    name: str
    count: int
    minimum: int

    @property
    def missing(self) -> int:
        return rules.shortfall(self.count, self.minimum)


@dataclass
class MissedStaff:
    user_id: int
    username: str
    name: str
    role: str
    unit: str
    township_code: str
    invited: int


@dataclass
class Shortfall:
    year: int
    rows: list[ShortRow] = field(default_factory=list)
    missed: list[MissedStaff] = field(default_factory=list)
    period: tuple[dt.date, dt.date] | None = None

    @property
    def short(self) -> list[ShortRow]:
        return [r for r in self.rows if r.missing]


def minimums() -> dict[str, dict[str, Any]]:
    """The yearly minimums in force: the county's rows over the defaults."""
    out = {k: dict(v) for k, v in rules.DEFAULT_MINIMUMS.items()}
    for m in ActivityMinimum.objects.all():
        out[m.kind] = {"per": m.per, "minimum": m.minimum, "departments": list(m.departments or [])}
    return out


def townships() -> list[Division]:
    return list(
        Division.objects.filter(
            level="township", active=True, code__startswith=settings.LIANGXIAN_COUNTY_CODE
        ).order_by("code")
    )


def shortfall(year: int) -> Shortfall:
    """Say for a year which departments and townships are below each minimum, and which staff missed every training.

    Publicity counts within the concentrated period of the campaign collected that year (Art 15); an activity that
    names no township covered the whole county.
    """
    result = Shortfall(year=year)
    labels = dict(ActivityKind.choices)
    dept_names = dict(Department.choices)
    towns = townships()
    campaign = Campaign.objects.filter(collection_year=year).order_by("-coverage_year").first()
    if campaign is not None:
        result.period = (campaign.period_start, campaign.period_end)
    for kind, rule in minimums().items():
        acts = Activity.objects.filter(kind=kind, held_on__year=year)
        if kind == ActivityKind.PUBLICITY and result.period is not None:
            acts = Activity.objects.filter(kind=kind, held_on__range=result.period)
        if rule["per"] == MinimumPer.DEPARTMENT:
            counts: dict[str, int] = {}
            for organiser_dept, joint in _departments_of(acts):
                for d in {organiser_dept, *joint}:
                    counts[d] = counts.get(d, 0) + 1
            for d in rule["departments"]:
                result.rows.append(
                    ShortRow(
                        kind,
                        str(labels[kind]),
                        "department",
                        d,
                        str(dept_names.get(d, d)),
                        counts.get(d, 0),
                        rule["minimum"],
                    )
                )
            continue
        per_town = dict(
            ActivityArea.objects.filter(activity__in=acts)
            .values("township_code")
            .annotate(n=Count("activity", distinct=True))
            .values_list("township_code", "n")
        )
        county_wide = acts.filter(areas__isnull=True).count()
        for t in towns:
            result.rows.append(
                ShortRow(
                    kind,
                    str(labels[kind]),
                    "township",
                    t.code,
                    t.name,
                    per_town.get(t.code, 0) + county_wide,
                    rule["minimum"],
                )
            )
    result.missed = missed_trainings(year)
    return result


def _departments_of(acts: QuerySet[Activity]) -> list[tuple[str, set[str]]]:
    joint: dict[int, set[str]] = {}
    for pk, dept in acts.filter(joint_units__isnull=False).values_list("pk", "joint_units__department"):
        joint.setdefault(pk, set()).add(dept)
    return [(dept, joint.get(pk, set())) for pk, dept in acts.values_list("pk", "organiser__department")]


def missed_trainings(year: int) -> list[MissedStaff]:
    """The specialists and collectors (Art 25) present at no training or drill in the year."""
    trained = Attendance.objects.filter(
        present=True,
        activity__kind__in=[ActivityKind.TRAINING, ActivityKind.DRILL],
        activity__held_on__year=year,
    ).values("user_id")
    invited = dict(
        Attendance.objects.filter(
            activity__kind__in=[ActivityKind.TRAINING, ActivityKind.DRILL], activity__held_on__year=year
        )
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    staff = (
        User.objects.filter(is_active=True, role__in=[Role.SPECIALIST, Role.COLLECTOR])
        .exclude(pk__in=trained)
        .select_related("unit")
        .order_by("unit__division_id", "username")
    )
    return [
        MissedStaff(
            user_id=u.pk,
            username=u.username,
            name=str(u),
            role=str(u.get_role_display()),
            unit=str(u.unit) if u.unit else "",
            township_code=str(u.unit.division_id)[:9] if u.unit else "",
            invited=invited.get(u.pk, 0),
        )
        for u in staff
    ]


def shortfall_dict(result: Shortfall) -> dict[str, Any]:
    """The shortfall as plain data for the API and the command."""
    return {
        "year": result.year,
        "period": [d.isoformat() for d in result.period] if result.period else None,
        "rows": [
            {
                "kind": r.kind,
                "per": r.per,
                "code": r.code,
                "name": r.name,
                "count": r.count,
                "minimum": r.minimum,
                "missing": r.missing,
            }
            for r in result.rows
        ],
        "missed_all_trainings": [
            {"username": m.username, "name": m.name, "role": m.role, "unit": m.unit, "invited": m.invited}
            for m in result.missed
        ],
    }


# ---------------------------------------------------------------------------------------------- the notices


@dataclass(frozen=True)
class PaidRow:
    """One person on a village's paid list, masked for posting."""

    number: int
    person_id: int | None
    name: str
    id_number: str
    insurances: tuple[str, ...]


def villages_in_scope(user: User) -> QuerySet[Division]:
    prefix = village_prefix(user)
    if prefix is None:
        return Division.objects.none()
    return Division.objects.filter(level="village", code__startswith=prefix).order_by("code")


def village_visible(user: User, code: str) -> Division | None:
    """The village if its notice is within the user's scope, else None."""
    if not code or not code.isascii() or not code.isdigit():
        return None
    return villages_in_scope(user).filter(code=code).select_related("parent").first()


def village_unit(code: str) -> Unit | None:
    return Unit.objects.filter(kind=UnitKind.VILLAGE, division_id=code).select_related("parent").first()


def village_paid(campaign: Campaign, village_code: str) -> list[PaidRow]:
    """Who of the village has paid for the campaign's coverage year, net of refunds and reversals; masked."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id_number, p.insurance, MAX(p.person_id), MAX(p.name), MAX(r.name)"
            " FROM collection_payment p LEFT JOIN registry_person r ON r.id = p.person_id"
            " WHERE p.coverage_year = %s AND p.village_code = %s"
            " GROUP BY p.id_number, p.insurance HAVING SUM(p.amount_fen + p.other_fen) > 0",
            [campaign.coverage_year, village_code],
        )
        found = cursor.fetchall()
    people: dict[str, dict[str, Any]] = {}
    for id_number, insurance, person_id, paid_name, reg_name in found:
        entry = people.setdefault(
            id_number, {"person_id": person_id, "name": reg_name or paid_name or "", "insurances": set()}
        )
        entry["insurances"].add(insurance)
    ordered = sorted(people.items(), key=lambda kv: (kv[1]["name"], kv[0]))
    return [
        PaidRow(
            number=i,
            person_id=v["person_id"],
            name=rules.mask_name(v["name"]),
            id_number=mask(k),
            insurances=tuple(sorted(v["insurances"])),
        )
        for i, (k, v) in enumerate(ordered, start=1)
    ]


@dataclass
class VillageRow:
    code: str
    name: str
    township_code: str
    paid: int
    proofs: int
    last_proof: dt.datetime | None


def villages_overview(user: User, campaign: Campaign, *, township: str = "") -> list[VillageRow]:
    """Each village in the user's scope: how many have paid, and whether its posting proof came back."""
    villages = villages_in_scope(user)
    if township:
        villages = villages.filter(code__startswith=township)
    prefix = village_prefix(user) or ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT village_code, COUNT(DISTINCT id_number) FROM ("
            " SELECT village_code, id_number, insurance FROM collection_payment"
            " WHERE coverage_year = %s AND village_code >= %s AND village_code < %s"
            " GROUP BY village_code, id_number, insurance HAVING SUM(amount_fen + other_fen) > 0) paid"
            " GROUP BY village_code",
            [campaign.coverage_year, prefix, prefix + ":"],
        )
        paid = {str(v): int(n) for v, n in cursor.fetchall()}
    proofs: dict[str, dict[str, Any]] = {
        row["village_code"]: dict(row)
        for row in PostingProof.objects.filter(campaign=campaign, village_code__startswith=prefix)
        .values("village_code")
        .annotate(n=Count("id"), last=Max("uploaded_at"))
    }
    return [
        VillageRow(
            code=v.code,
            name=v.name,
            township_code=v.code[:9],
            paid=paid.get(v.code, 0),
            proofs=int(proofs.get(v.code, {}).get("n", 0)),
            last_proof=proofs.get(v.code, {}).get("last"),
        )
        for v in villages
    ]


def proofs_of(campaign: Campaign, village_code: str) -> QuerySet[PostingProof]:
    return PostingProof.objects.filter(campaign=campaign, village_code=village_code).select_related("uploaded_by")
