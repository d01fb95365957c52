"""Receipts by insurance type (Art 34): who may read them, the period's payments, and the figures.

Everything is counted set-based: one grouped query over the payments (insurance × kind × channel × township ×
month × entered into the treasury) and one per person; the breakdowns are rolled up from those in Polars. No
Python loop over payments. The accounts are in ``selectors_accounts``, the payments behind a figure in
``selectors_drill``.

Definitions (every amount integer fen; a payment's receipt is the person's part ``amount_fen`` plus the
government's 代缴 part ``other_fen``):
- *gross* is the receipts of payment records; *refunds* and *reversals* the (positive) amounts of the refund and
  reversal records; *net* = gross − refunds − reversals;
- *paid by the person* and *paid by the government (代缴)* split the net by part;
- *persons paid* counts the ID numbers whose net in the selection is above nil (for the person's own part and
  the 代缴 part separately too);
- *entered into the treasury* is the net of the records with a treasury date, *not yet* the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import read_frame
from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.collection.models import Channel, Payment, PaymentKind
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division
from liangxian.core.scope import Actor, division_q
from liangxian.org.models import Department, UnitKind

from .rules import Period, PeriodError, month_period, parse_period, year_period

# County departments that reconcile "by insurance type, by account" (Art 34-35): tax, the two bureaus, finance.
COUNTY_DEPARTMENTS = frozenset({Department.TAX, Department.FINANCE, Department.MEDICAL, Department.SOCIAL})
NO_TOWNSHIP = "none"  # the drill-down's name for payments that matched no one (no township recorded)

CUBE_SCHEMA: dict[str, Any] = {
    "insurance": pl.String,
    "kind": pl.String,
    "channel": pl.String,
    "township": pl.String,
    "month": pl.String,
    "in_treasury": pl.Int64,
    "n": pl.Int64,
    "own": pl.Int64,
    "gov": pl.Int64,
}
PERSON_SCHEMA: dict[str, Any] = {
    "insurance": pl.String,
    "township": pl.String,
    "id_number": pl.String,
    "own": pl.Int64,
    "gov": pl.Int64,
}


class ReportError(Exception):
    """A report refused, with a code (``forbidden``, ``not_found``, ``bad_period`` …) and a message for the clerk."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ReportScope:
    """What one actor may read: the whole county (tax, finance, the bureaus) or one township (no accounts)."""

    actor: Actor
    county_code: str
    township_code: str | None
    duty: str

    @property
    def is_county(self) -> bool:
        return self.township_code is None

    @property
    def sees_accounts(self) -> bool:
        return self.is_county


def report_scope(actor: Actor) -> ReportScope:
    """Return the actor's reach over the reports, or raise ``forbidden``."""
    if actor.unit_kind == UnitKind.DEPARTMENT and actor.department in COUNTY_DEPARTMENTS and actor.division_code:
        return ReportScope(actor, actor.division_code[:6], None, "reconciliation")
    if actor.unit_kind == UnitKind.TOWNSHIP and actor.division_code:
        return ReportScope(actor, actor.division_code[:6], actor.division_code[:9], "township_collection")
    raise ReportError(
        "forbidden", _("Only tax, finance, the insurance bureaus and the townships read the reconciliation reports.")
    )


def resolve_area(scope: ReportScope, township: str = "") -> str:
    """Return the township the report is limited to ("" for the whole county, ``none`` for unmatched payments).

    A township user always gets his own; a code outside the actor's scope raises ``not_found``.
    """
    township = (township or "").strip()[:12]
    if scope.township_code is not None:
        if township and township != scope.township_code:
            raise ReportError("not_found", _("No such township within your unit's duty."))
        return scope.township_code
    if township in ("", NO_TOWNSHIP):
        return township
    if len(township) != 9 or not township.isdigit() or not township.startswith(scope.county_code):
        raise ReportError("not_found", _("No such township within your unit's duty."))
    return township


def default_period() -> Period:
    """The latest campaign's coverage year, or this month when there is no campaign yet."""
    year = Campaign.objects.order_by("-coverage_year").values_list("coverage_year", flat=True).first()
    if year is not None:
        return year_period(year)
    return month_period(f"{timezone.localdate():%Y-%m}")


def read_period(*, month: str = "", year: str | int | None = None, date_from: str = "", date_to: str = "") -> Period:
    """Read the period asked for (the default when none), or raise ``bad_period`` with the reason."""
    try:
        period = parse_period(month=month, year=year, date_from=date_from, date_to=date_to)
    except PeriodError as exc:
        raise ReportError("bad_period", exc.message) from exc
    return period or default_period()


# ------------------------------------------------------------------------------------------------ payments


def _local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _local_month() -> RawSQL:
    """The payment's month (YYYY-MM) in the county's time zone, computed by the database (grouped there)."""
    table = Payment._meta.db_table
    if connection.vendor == "postgresql":
        return RawSQL(f"to_char(({table}.paid_at AT TIME ZONE %s), 'YYYY-MM')", [settings.TIME_ZONE])  # noqa: S611
    # SQLite keeps UTC text; the county's zone has had no daylight saving since 1991: a fixed offset.
    offset = timezone.localtime(timezone.now()).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return RawSQL(f"strftime('%%Y-%%m', {table}.paid_at, '{minutes:+d} minutes')", [])  # noqa: S611


def period_q(period: Period) -> Q:
    if period.kind == "year":
        return Q(coverage_year=period.year)
    assert period.start is not None and period.end is not None
    return Q(paid_at__gte=_local_start(period.start), paid_at__lt=_local_start(period.end + dt.timedelta(days=1)))


def payments_in(scope: ReportScope, period: Period, township: str = "") -> QuerySet[Payment]:
    """The payments (refunds and reversals included) of the period within the actor's scope and the area."""
    area = resolve_area(scope, township)
    payments = Payment.objects.filter(period_q(period))
    if area == NO_TOWNSHIP:
        return payments.filter(township_code="")
    if area:
        return payments.filter(township_code=area)
    # The county: every payment of its townships, and those that matched no one yet (no township recorded).
    return payments.filter(division_q("township_code", scope.county_code) | Q(township_code=""))


def _cube(payments: QuerySet[Payment]) -> pl.DataFrame:
    in_treasury = Case(When(treasury_date__isnull=False, then=Value(1)), default=Value(0), output_field=IntegerField())
    rows = (
        payments.annotate(month=_local_month(), in_treasury=in_treasury)
        .values("insurance", "kind", "channel", "township_code", "month", "in_treasury")
        .annotate(
            n=Count("pk"),
            own=Coalesce(Sum("amount_fen"), Value(0)),
            gov=Coalesce(Sum("other_fen"), Value(0)),
        )
        .order_by()
        .values_list("insurance", "kind", "channel", "township_code", "month", "in_treasury", "n", "own", "gov")
    )
    # One row per group of the cube (a few hundred at most), never one per payment.
    frame = pl.DataFrame(list(rows), schema=CUBE_SCHEMA, orient="row")
    return frame.with_columns((pl.col("own") + pl.col("gov")).alias("amt"))


def _persons(payments: QuerySet[Payment]) -> pl.DataFrame:
    """Net own and 代缴 parts per insurance, township and ID number, read into a frame without a row object each."""
    grouped = (
        payments.values("insurance", "township_code", "id_number")
        .annotate(own=Coalesce(Sum("amount_fen"), Value(0)), gov=Coalesce(Sum("other_fen"), Value(0)))
        .order_by()
        .values_list("insurance", "township_code", "id_number", "own", "gov")
    )
    sql, params = grouped.query.sql_with_params()
    frame = read_frame(sql, params, schema=PERSON_SCHEMA)
    return frame.with_columns(pl.col("township").fill_null(""))


# ------------------------------------------------------------------------------------------------- figures


@dataclass
class Figures:
    """One insurance's (or both's) receipts in the period, in fen."""

    insurance: str
    label: str
    payments: int = 0  # records
    refunds: int = 0
    reversals: int = 0
    gross_fen: int = 0
    refund_fen: int = 0  # positive: what went back
    reversal_fen: int = 0
    net_fen: int = 0
    own_fen: int = 0  # paid by the person, net
    gov_fen: int = 0  # paid by the government (代缴), net
    treasury_fen: int = 0  # entered into the treasury, net
    pending_fen: int = 0  # not yet entered
    persons: int = 0
    persons_own: int = 0
    persons_gov: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ChannelRow:
    insurance: str
    channel: str
    label: str
    records: int
    gross_fen: int
    returned_fen: int  # refunds and reversals, positive
    net_fen: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TownshipRow:
    insurance: str
    code: str  # "" when the payments matched no one
    name: str
    net_fen: int
    own_fen: int
    gov_fen: int
    treasury_fen: int
    persons: int

    @property
    def drill_code(self) -> str:
        return self.code or NO_TOWNSHIP

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MonthRow:
    insurance: str
    month: str
    net_fen: int
    own_fen: int
    gov_fen: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Summary:
    """The report by insurance type: per insurance and in total, and by channel, township and month."""

    period: Period
    area: str  # "" whole county, a township code, or ``none``
    area_name: str
    insurances: list[Figures]
    total: Figures
    channels: list[ChannelRow] = field(default_factory=list)
    townships: list[TownshipRow] = field(default_factory=list)
    months: list[MonthRow] = field(default_factory=list)

    def figures(self, insurance: str) -> Figures:
        return next((f for f in self.insurances if f.insurance == insurance), self.total)


def _is(kind: str) -> pl.Expr:
    return pl.col("kind") == kind


FIGURE_AGGS = [
    pl.col("n").filter(_is(PaymentKind.PAYMENT)).sum().alias("payments"),
    pl.col("n").filter(_is(PaymentKind.REFUND)).sum().alias("refunds"),
    pl.col("n").filter(_is(PaymentKind.REVERSAL)).sum().alias("reversals"),
    pl.col("amt").filter(_is(PaymentKind.PAYMENT)).sum().alias("gross_fen"),
    (-pl.col("amt").filter(_is(PaymentKind.REFUND)).sum()).alias("refund_fen"),
    (-pl.col("amt").filter(_is(PaymentKind.REVERSAL)).sum()).alias("reversal_fen"),
    pl.col("amt").sum().alias("net_fen"),
    pl.col("own").sum().alias("own_fen"),
    pl.col("gov").sum().alias("gov_fen"),
    pl.col("amt").filter(pl.col("in_treasury") == 1).sum().alias("treasury_fen"),
    pl.col("amt").filter(pl.col("in_treasury") == 0).sum().alias("pending_fen"),
]
PERSON_AGGS = [
    (pl.col("own") + pl.col("gov") > 0).sum().alias("persons"),
    (pl.col("own") > 0).sum().alias("persons_own"),
    (pl.col("gov") > 0).sum().alias("persons_gov"),
]


def labels_of(choices: Any) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _int_row(row: Mapping[str, Any], keys: list[str]) -> dict[str, int]:
    return {k: int(row.get(k) or 0) for k in keys}


def division_names(codes: set[str]) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=[c for c in codes if c]).values_list("code", "name"))


def area_name(scope: ReportScope, area: str) -> str:
    """Name the report's area: the county, a township, or the payments that matched no one."""
    if area == NO_TOWNSHIP:
        return _("No township (matched no one yet)")
    code = area or scope.county_code
    return division_names({code}).get(code, code)


def summary(
    *,
    scope: ReportScope,
    period: Period,
    township: str = "",
    request: HttpRequest | None = None,
    channel: str = "web",
) -> Summary:
    """Count the period's receipts by insurance type: gross, refunds, reversals, net, persons, parts, channels,
    townships, months and the treasury (Art 34). Aggregates only; the access log records the read."""
    area = resolve_area(scope, township)
    payments = payments_in(scope, period, area)
    cube = _cube(payments)
    persons = _persons(payments)
    labels = labels_of(InsuranceType.choices)
    fig_keys = [str(e.meta.output_name()) for e in FIGURE_AGGS]
    person_keys = [str(e.meta.output_name()) for e in PERSON_AGGS]

    # One line per person and insurance (a person's payments may carry two townships: count him once).
    per_insurance_person = persons.group_by("insurance", "id_number").agg(pl.col("own").sum(), pl.col("gov").sum())
    by_ins = cube.group_by("insurance").agg(FIGURE_AGGS)
    persons_by_ins = per_insurance_person.group_by("insurance").agg(PERSON_AGGS)
    figs = {
        r["insurance"]: r
        for r in by_ins.join(persons_by_ins, on="insurance", how="full", coalesce=True).rows(named=True)
    }
    insurances = [
        Figures(insurance=ins, label=labels[ins], **_int_row(figs.get(ins, {}), fig_keys + person_keys))
        for ins in InsuranceType.values
    ]
    total_row = cube.select(FIGURE_AGGS).row(0, named=True)
    # In total, a person counts once however many insurances he paid for.
    per_person = per_insurance_person.filter(pl.col("own") + pl.col("gov") > 0)
    person_totals = {
        "persons": per_person.get_column("id_number").n_unique(),
        "persons_own": per_insurance_person.filter(pl.col("own") > 0).get_column("id_number").n_unique(),
        "persons_gov": per_insurance_person.filter(pl.col("gov") > 0).get_column("id_number").n_unique(),
    }
    total = Figures(insurance="", label=_("Both insurances"), **_int_row(total_row, fig_keys), **person_totals)

    channel_labels = labels_of(Channel.choices)
    by_channel = (
        cube.group_by("insurance", "channel")
        .agg(
            pl.col("n").sum().alias("records"),
            pl.col("amt").filter(_is(PaymentKind.PAYMENT)).sum().alias("gross_fen"),
            (-pl.col("amt").filter(~_is(PaymentKind.PAYMENT)).sum()).alias("returned_fen"),
            pl.col("amt").sum().alias("net_fen"),
        )
        .sort("insurance", "channel")
    )
    channels = [
        ChannelRow(
            insurance=r["insurance"],
            channel=r["channel"],
            label=channel_labels.get(r["channel"], r["channel"]),
            **_int_row(r, ["records", "gross_fen", "returned_fen", "net_fen"]),
        )
        for r in by_channel.iter_rows(named=True)
    ]

    town_keys = ["net_fen", "own_fen", "gov_fen", "treasury_fen", "persons"]
    by_town = cube.group_by("insurance", "township").agg(
        pl.col("amt").sum().alias("net_fen"),
        pl.col("own").sum().alias("own_fen"),
        pl.col("gov").sum().alias("gov_fen"),
        pl.col("amt").filter(pl.col("in_treasury") == 1).sum().alias("treasury_fen"),
    )
    town_persons = (
        persons.filter(pl.col("own") + pl.col("gov") > 0)
        .group_by("insurance", "township")
        .agg(pl.len().alias("persons"))
    )
    by_town = by_town.join(town_persons, on=["insurance", "township"], how="full", coalesce=True).sort(
        "insurance", "township"
    )
    names = division_names(set(by_town.get_column("township").to_list()) | {area})
    unmatched = _("No township (matched no one yet)")
    townships = [
        TownshipRow(
            insurance=r["insurance"],
            code=r["township"] or "",
            name=names.get(r["township"], r["township"]) if r["township"] else unmatched,
            **_int_row(r, town_keys),
        )
        for r in by_town.iter_rows(named=True)
    ]

    by_month = (
        cube.group_by("insurance", "month")
        .agg(
            pl.col("amt").sum().alias("net_fen"),
            pl.col("own").sum().alias("own_fen"),
            pl.col("gov").sum().alias("gov_fen"),
        )
        .sort("month", "insurance")
    )
    months = [
        MonthRow(insurance=r["insurance"], month=r["month"] or "", **_int_row(r, ["net_fen", "own_fen", "gov_fen"]))
        for r in by_month.iter_rows(named=True)
    ]
    access_log(
        actor=scope.actor,
        action=AccessAction.LIST,
        object_type="reports.summary",
        count=total.persons,
        duty=scope.duty,
        query=f"summary {period.key} {area}".strip(),
        request=request,
        channel=channel,
    )
    return Summary(
        period=period,
        area=area,
        area_name=area_name(scope, area),
        insurances=insurances,
        total=total,
        channels=channels,
        townships=townships,
        months=months,
    )
