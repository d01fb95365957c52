"""Collection progress for the dashboards (Art 4, 27): due, paid, 代缴, outstanding and cash share, by area and day.

Everything is counted set-based in the database (one grouped query over the roster entries, one over the
payments, one over the payments by day) and combined in Polars; no Python loop over entries or payments.

Definitions, per roster entry that must pay (``must_pay``) in the campaign:
- *due* is the entry's own part plus the government's 代缴 part (``own_fen + gov_fen``; pension: the default
  tier);
- *paid* is the net of the payments counted toward it (``Payment.entry`` set): the person's own part
  (``amount_fen``, refunds and reversals subtract) and the government's (``other_fen``, *subsidised*);
- *outstanding* is, for an entry not yet settled as paid, what is still missing of each part;
- *cash share* is the part of the own payments that came through a collector's cash pay-in.
A payment counts toward the area of its roster entry (recorded with the payment when it was matched), so the
totals of a village are the sum of its payments.
Payments that count toward nothing wait on the queue; their number is shown beside (``open_issues``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, IntegerField, Q, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division, DivisionLevel
from liangxian.core.scope import Actor, division_q
from liangxian.org.models import Department, UnitKind
from liangxian.roster.models import RosterEntry

from .models import IssueStatus, Payment, PaymentIssue, PaymentSource

LEVELS = ("county", "township", "village")
# County departments that lead or fund the campaign and read the whole county's progress (Art 4, 8, 9).
COUNTY_DEPARTMENTS = frozenset({Department.TAX, Department.FINANCE, Department.MEDICAL, Department.SOCIAL})

AREA_SCHEMA: dict[str, Any] = {
    "village_code": pl.String,
    "entries": pl.Int64,
    "paid_entries": pl.Int64,
    "due_fen": pl.Int64,
    "outstanding_fen": pl.Int64,
}
PAY_SCHEMA: dict[str, Any] = {
    "village_code": pl.String,
    "payments": pl.Int64,
    "own_paid_fen": pl.Int64,
    "gov_paid_fen": pl.Int64,
    "cash_fen": pl.Int64,
}
SUMS = ["entries", "paid_entries", "due_fen", "outstanding_fen", "payments", "own_paid_fen", "gov_paid_fen", "cash_fen"]


class DashboardError(Exception):
    """A dashboard read refused, with a code and a message for the clerk."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DashboardScope:
    """What one actor may read: the county (tax, finance …), one township, or one village."""

    actor: Actor
    county_code: str
    township_code: str | None
    village_code: str | None
    duty: str

    @property
    def is_county(self) -> bool:
        return self.township_code is None

    @property
    def prefix(self) -> str:
        return self.village_code or self.township_code or self.county_code


def dashboard_scope(actor: Actor) -> DashboardScope:
    """Return the actor's reach over the progress dashboards, or raise ``forbidden``."""
    if actor.unit_kind == UnitKind.DEPARTMENT and actor.department in COUNTY_DEPARTMENTS and actor.division_code:
        return DashboardScope(actor, actor.division_code[:6], None, None, "collection_oversight")
    if actor.unit_kind == UnitKind.TOWNSHIP and actor.division_code:
        return DashboardScope(actor, actor.division_code[:6], actor.division_code[:9], None, "township_collection")
    if actor.unit_kind == UnitKind.VILLAGE and actor.division_code:
        code = actor.division_code
        return DashboardScope(actor, code[:6], code[:9], code, "village_collection")
    raise DashboardError(
        "forbidden", _("Only tax, finance, the insurance bureaus, townships and villages read collection progress.")
    )


@dataclass
class AreaProgress:
    """One area's (county, township or village) collection: counts of entries and amounts in fen."""

    code: str
    name: str
    level: str
    entries: int = 0  # roster entries that must pay
    paid_entries: int = 0
    due_fen: int = 0
    own_paid_fen: int = 0
    gov_paid_fen: int = 0  # subsidised: the government's 代缴 part
    outstanding_fen: int = 0
    cash_fen: int = 0
    payments: int = 0  # counted payment records (refunds included)
    open_issues: int = 0

    @property
    def outstanding_entries(self) -> int:
        return self.entries - self.paid_entries

    @property
    def paid_fen(self) -> int:
        return self.own_paid_fen + self.gov_paid_fen

    @property
    def paid_share(self) -> float | None:
        return round(100 * self.paid_entries / self.entries, 1) if self.entries else None

    @property
    def cash_share(self) -> float | None:
        return round(100 * self.cash_fen / self.own_paid_fen, 1) if self.own_paid_fen > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "entries": self.entries,
            "paid_entries": self.paid_entries,
            "outstanding_entries": self.outstanding_entries,
            "due_fen": self.due_fen,
            "own_paid_fen": self.own_paid_fen,
            "gov_paid_fen": self.gov_paid_fen,
            "paid_fen": self.paid_fen,
            "outstanding_fen": self.outstanding_fen,
            "cash_fen": self.cash_fen,
            "payments": self.payments,
            "open_issues": self.open_issues,
            "paid_share": self.paid_share,
            "cash_share": self.cash_share,
        }


@dataclass
class DayProgress:
    """One day's counted payments (net of refunds) in the area, and the running total."""

    day: dt.date
    payments: int
    own_paid_fen: int
    gov_paid_fen: int
    cash_fen: int
    cumulative_fen: int


@dataclass
class CollectionProgress:
    """The dashboard of one area: its totals, one row per area below it, and its days."""

    campaign: Campaign
    insurance: str
    total: AreaProgress
    rows: list[AreaProgress] = field(default_factory=list)
    days: list[DayProgress] = field(default_factory=list)

    @property
    def level(self) -> str:
        return self.total.level

    @property
    def child_level(self) -> str | None:
        return {"county": "township", "township": "village"}.get(self.level)


def _resolve(scope: DashboardScope, level: str, code: str) -> tuple[str, str]:
    """Return the (level, code) asked for, or the actor's own area; raise ``not_found`` outside the scope."""
    level = level if level in LEVELS else ""
    code = code.strip()[:12]
    if not level:
        level = {6: "county", 9: "township", 12: "village"}.get(len(code), "")
    if not level:
        level = "village" if scope.village_code else "township" if scope.township_code else "county"
    want = {"county": 6, "township": 9, "village": 12}[level]
    if not code:
        code = scope.prefix[:want] if len(scope.prefix) >= want else ""
        if not code:
            raise DashboardError("need_code", _("Choose a township or village to show."))
    if len(code) != want or not code.isdigit():
        raise DashboardError("not_found", _("No such area within your unit's duty."))
    if not code.startswith(scope.prefix):
        raise DashboardError("not_found", _("No such area within your unit's duty."))
    return level, code


def _entry_frame(entries: Any) -> pl.DataFrame:
    owed_own = Greatest(F("own_fen") - Coalesce(F("settlement__own_paid_fen"), Value(0)), Value(0))
    owed_gov = Greatest(F("gov_fen") - Coalesce(F("settlement__gov_paid_fen"), Value(0)), Value(0))
    unpaid = Q(settlement__paid=False) | Q(settlement__isnull=True)
    rows = (
        entries.values("village_code")
        .annotate(
            entries=Count("pk"),
            paid_entries=Count("pk", filter=Q(settlement__paid=True)),
            due_fen=Coalesce(Sum(F("own_fen") + F("gov_fen")), Value(0)),
            outstanding_fen=Coalesce(Sum(owed_own + owed_gov, filter=unpaid, output_field=IntegerField()), Value(0)),
        )
        .order_by()
        .values_list("village_code", "entries", "paid_entries", "due_fen", "outstanding_fen")
    )
    return pl.DataFrame(list(rows), schema=AREA_SCHEMA, orient="row")


def _payment_frame(payments: Any) -> pl.DataFrame:
    rows = (
        payments.values("village_code")
        .annotate(
            payments=Count("pk"),
            own=Coalesce(Sum("amount_fen"), Value(0)),
            gov=Coalesce(Sum("other_fen"), Value(0)),
            cash=Coalesce(Sum("amount_fen", filter=Q(source=PaymentSource.CASH)), Value(0)),
        )
        .order_by()
        .values_list("village_code", "payments", "own", "gov", "cash")
    )
    return pl.DataFrame(list(rows), schema=PAY_SCHEMA, orient="row")


def _local_day() -> RawSQL:
    """The payment's calendar day in the county's time zone, computed by the database (grouped there)."""
    table = Payment._meta.db_table
    if connection.vendor == "postgresql":
        return RawSQL(f"(({table}.paid_at AT TIME ZONE %s)::date)", [settings.TIME_ZONE])  # noqa: S611
    # SQLite keeps UTC text; the county's zone has had no daylight saving since 1991: a fixed offset.
    offset = timezone.localtime(timezone.now()).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return RawSQL(f"date({table}.paid_at, '{minutes:+d} minutes')", [])  # noqa: S611


def _days(payments: Any) -> list[DayProgress]:
    rows = (
        payments.annotate(day=_local_day())
        .values("day")
        .annotate(
            n=Count("pk"),
            own=Coalesce(Sum("amount_fen"), Value(0)),
            gov=Coalesce(Sum("other_fen"), Value(0)),
            cash=Coalesce(Sum("amount_fen", filter=Q(source=PaymentSource.CASH)), Value(0)),
        )
        .order_by("day")
        .values_list("day", "n", "own", "gov", "cash")
    )
    schema = {"day": pl.String, "n": pl.Int64, "own": pl.Int64, "gov": pl.Int64, "cash": pl.Int64}
    frame = pl.DataFrame([(str(r[0]), *r[1:]) for r in rows], schema=schema, orient="row")  # one row per day
    frame = frame.with_columns(
        pl.col("day").str.to_date("%Y-%m-%d"), (pl.col("own") + pl.col("gov")).cum_sum().alias("cum")
    )
    return [DayProgress(*row) for row in frame.iter_rows()]


def collection_progress(
    *,
    scope: DashboardScope,
    campaign: Campaign,
    level: str = "",
    code: str = "",
    insurance: str = "",
    request: HttpRequest | None = None,
    channel: str = "web",
) -> CollectionProgress:
    """Count the campaign's collection in an area and in each area below it, and by day (aggregates only).

    ``level`` is county (rows: townships), township (rows: villages) or village (rows: the village); the area
    is the actor's own when ``code`` is empty. An area outside the actor's scope raises ``not_found``.
    """
    level, code = _resolve(scope, level, code)
    insurance = insurance if insurance in InsuranceType.values else ""
    entries = RosterEntry.objects.filter(campaign=campaign, must_pay=True).filter(division_q("village_code", code))
    # A counted payment carries its roster entry's area (set when it was matched): no join needed.
    payments = Payment.objects.filter(coverage_year=campaign.coverage_year, entry__isnull=False).filter(
        division_q("village_code", code)
    )
    issues = PaymentIssue.objects.filter(status=IssueStatus.OPEN, payment__coverage_year=campaign.coverage_year)
    if insurance:
        entries = entries.filter(insurance=insurance)
        payments = payments.filter(insurance=insurance)
        issues = issues.filter(payment__insurance=insurance)

    frame = _entry_frame(entries).join(_payment_frame(payments), on="village_code", how="full", coalesce=True)
    frame = frame.with_columns(pl.col(c).fill_null(0) for c in SUMS)
    key_len = {"county": 9, "township": 12, "village": 12}[level]
    by_area = frame.group_by(pl.col("village_code").str.slice(0, key_len).alias("code")).agg(pl.col(SUMS).sum())
    totals = frame.select(pl.col(SUMS).sum()).row(0, named=True)

    # The areas below, with their names, even those with nothing yet (zeros).
    child_level = {"county": DivisionLevel.TOWNSHIP, "township": DivisionLevel.VILLAGE}.get(level)
    if child_level is not None:
        divisions = Division.objects.filter(level=child_level).filter(division_q("code", code))
    else:
        divisions = Division.objects.filter(code=code)
    if scope.village_code:
        divisions = divisions.filter(code=scope.village_code)
    names = dict(divisions.values_list("code", "name"))
    issue_counts = _issue_counts(issues, code, key_len)
    known = {r["code"]: r for r in by_area.iter_rows(named=True)}
    rows = [
        AreaProgress(
            code=c,
            name=names.get(c, c),
            level="township" if key_len == 9 else "village",
            open_issues=issue_counts.get(c, 0),
            **{k: int(known.get(c, {}).get(k, 0) or 0) for k in SUMS},
        )
        for c in sorted(set(names) | set(known))
        if c
    ]
    name = Division.objects.filter(code=code).values_list("name", flat=True).first() or code
    total = AreaProgress(
        code=code, name=name, level=level, open_issues=sum(issue_counts.values()), **{k: int(totals[k]) for k in SUMS}
    )
    access_log(
        actor=scope.actor,
        action=AccessAction.LIST,
        object_type="collection_progress",
        count=total.entries,
        duty=scope.duty,
        query=f"progress {campaign.coverage_year} {level} {code} {insurance}".strip(),
        request=request,
        channel=channel,
    )
    return CollectionProgress(campaign=campaign, insurance=insurance, total=total, rows=rows, days=_days(payments))


def _issue_counts(issues: Any, code: str, key_len: int) -> dict[str, int]:
    """Open queue items per area below, by the payment's village (blank when it matched no one: not shown)."""
    found = (
        issues.filter(division_q("payment__village_code", code))
        .values("payment__village_code")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("payment__village_code", "n")
    )
    counts: dict[str, int] = {}
    for village, n in found:  # one row per village, not per payment
        counts[village[:key_len]] = counts.get(village[:key_len], 0) + n
    return counts


def progress_chart(progress: CollectionProgress) -> dict[str, Any]:
    """The charts' data in integer fen (the script shows yuan): the areas below and the days."""
    rows = progress.rows
    return {
        "labels": [r.name for r in rows],
        "own": [r.own_paid_fen for r in rows],
        "gov": [r.gov_paid_fen for r in rows],
        "outstanding": [r.outstanding_fen for r in rows],
        "days": [d.day.isoformat() for d in progress.days],
        "day_paid": [d.own_paid_fen + d.gov_paid_fen for d in progress.days],
        "day_cash": [d.cash_fen for d in progress.days],
        "day_cumulative": [d.cumulative_fen for d in progress.days],
    }
