"""Read the recorded facts of a campaign into frames (Art 38): nothing typed in, every row keyed.

Each reader returns a Polars frame with the record keys, so each figure can keep the keys it was counted from.
The screening findings come only through ``liangxian.screening.selectors``; while that is missing, the
findings are empty and the run says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from liangxian.campaigns.models import Campaign, ExpansionTarget
from liangxian.core.models import Division, DivisionLevel
from liangxian.core.scope import division_q
from liangxian.exchange.models import Submission
from liangxian.obligations.models import Obligation
from liangxian.org.models import CollectorAuthorisation, Role, TownshipAppointment, TownshipPost, Unit, User
from liangxian.roster.models import RosterEntry

TOWNSHIP_FINDINGS = {
    "township_code": pl.String,
    "hits": pl.Int64,
    "confirmed": pl.Int64,
    "selfcheck_due": pl.Int64,
    "selfcheck_late": pl.Int64,
    "perfunctory": pl.Int64,
}
COLLECTOR_FINDINGS = {"collector_id": pl.Int64, "hits": pl.Int64, "confirmed": pl.Int64}


def county_code() -> str:
    return str(settings.LIANGXIAN_COUNTY_CODE)


def townships() -> dict[str, str]:
    """Return the county's townships: division code -> name."""
    rows = Division.objects.filter(level=DivisionLevel.TOWNSHIP).filter(division_q("code", county_code()))
    return dict(rows.order_by("code").values_list("code", "name"))


def township_units() -> dict[str, Unit]:
    """Return each township's government unit by division code."""
    return {u.division_id: u for u in Unit.objects.filter(kind="township", active=True).order_by("code")}


def department_units() -> list[Unit]:
    return list(Unit.objects.filter(kind="department", active=True).order_by("code"))


def roster_frame(campaign: Campaign) -> pl.DataFrame:
    """The campaign's entries that must pay: id, township, village, paid (net of refunds and reversals)."""
    rows = (
        RosterEntry.objects.filter(campaign=campaign, must_pay=True)
        .order_by()
        .values_list("pk", "township_code", "village_code", "settlement__paid")
    )
    schema = {"id": pl.Int64, "township_code": pl.String, "village_code": pl.String, "paid": pl.Boolean}
    frame = pl.DataFrame(list(rows), schema=schema, orient="row")
    return frame.with_columns(pl.col("paid").fill_null(False))


def targets_frame(campaign: Campaign) -> pl.DataFrame:
    """The expansion plan: one row per township or village and insurance, with the persons to enrol."""
    rows = (
        ExpansionTarget.objects.filter(campaign=campaign)
        .order_by()
        .values_list("pk", "division_id", "insurance", "target")
    )
    schema = {"id": pl.Int64, "division": pl.String, "insurance": pl.String, "target": pl.Int64}
    frame = pl.DataFrame(list(rows), schema=schema, orient="row")
    return frame.with_columns(pl.col("division").str.slice(0, 9).alias("township_code"))


def enrolled_frame(campaign: Campaign) -> pl.DataFrame:
    """The entries paid (enrolled for the coverage year), with their insurance, for coverage."""
    rows = (
        RosterEntry.objects.filter(campaign=campaign, settlement__paid=True)
        .order_by()
        .values_list("pk", "township_code", "village_code", "insurance")
    )
    schema = {"id": pl.Int64, "township_code": pl.String, "village_code": pl.String, "insurance": pl.String}
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def obligations_frame(campaign: Campaign, as_of: dt.date) -> pl.DataFrame:
    """The campaign's obligations due by ``as_of``: on time, late, or still open (and how many days late)."""
    rows = (
        Obligation.objects.filter(cancelled=False, due_date__isnull=False, due_date__lte=as_of)
        .filter(Q(campaign=campaign))
        .order_by()
        .values_list("pk", "unit_id", "rule_id", "due_date", "fulfilled_at", "late")
    )
    data = [
        (pk, unit_id, rule, due, timezone.localtime(done).date() if done else None, late)
        for pk, unit_id, rule, due, done, late in rows
    ]
    schema = {
        "id": pl.Int64,
        "unit_id": pl.Int64,
        "rule": pl.String,
        "due": pl.Date,
        "done": pl.Date,
        "late_flag": pl.Boolean,
    }
    frame = pl.DataFrame(data, schema=schema, orient="row")
    end = pl.coalesce(pl.col("done"), pl.lit(as_of))
    return frame.with_columns(
        pl.col("done").is_null().alias("open"),
        (pl.col("late_flag") | (pl.col("done").is_null()) | (pl.col("done") > pl.col("due"))).alias("late"),
        (end - pl.col("due")).dt.total_days().clip(lower_bound=0).alias("days_late"),
    )


def submissions_frame(campaign: Campaign, as_of: dt.date) -> pl.DataFrame:
    """The lists the units submitted for the campaign: from 1 January of its collection year to ``as_of``."""
    start = dt.date(campaign.collection_year, 1, 1)
    rows = (
        Submission.objects.filter(submitted_at__date__gte=start, submitted_at__date__lte=as_of)
        .order_by()
        .values_list("pk", "unit_id", "status", "rows_total", "rows_accepted", "rows_repaired", "rows_rejected")
    )
    schema = {
        "id": pl.Int64,
        "unit_id": pl.Int64,
        "status": pl.String,
        "rows_total": pl.Int64,
        "rows_accepted": pl.Int64,
        "rows_repaired": pl.Int64,
        "rows_rejected": pl.Int64,
    }
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def collectors() -> pl.DataFrame:
    """The village collection assistants: user id, name, village and township."""
    users = User.objects.filter(role=Role.COLLECTOR, is_active=True).select_related("unit").order_by("pk")
    authorised = dict(
        CollectorAuthorisation.objects.filter(withdrawn_at__isnull=True)
        .order_by("granted_at")
        .values_list("collector_id", "village__division_id")
    )
    data = []
    for u in users:
        village = authorised.get(u.pk) or (u.unit.division_id if u.unit and u.unit.kind == "village" else "")
        if village:
            data.append((u.pk, str(u), village, village[:9]))
    schema = {"collector_id": pl.Int64, "label": pl.String, "village_code": pl.String, "township_code": pl.String}
    return pl.DataFrame(data, schema=schema, orient="row")


def leaders_in_charge() -> dict[str, tuple[int, str]]:
    """Return each township's current leader in charge (Art 41): division code -> (user id, name)."""
    rows = TownshipAppointment.objects.filter(post=TownshipPost.LEADER_IN_CHARGE, until__isnull=True).select_related(
        "user", "township"
    )
    return {a.township.division_id: (a.user_id, str(a.user)) for a in rows}


def _screening(name: str) -> Callable[[int], Any] | None:
    try:
        from liangxian.screening import selectors
    except ImportError:  # the screening app is not built yet
        return None
    return getattr(selectors, name, None)


def _findings(name: str, year: int, schema: dict[str, Any]) -> tuple[pl.DataFrame, bool]:
    reader = _screening(name)
    if reader is None:
        return pl.DataFrame(schema=schema), False
    frame = reader(year)
    missing = [c for c in schema if c not in frame.columns]
    frame = frame.with_columns(pl.lit(0 if schema[c] == pl.Int64 else "").alias(c) for c in missing)
    return frame.select(pl.col(c).cast(t) for c, t in schema.items()), True


def township_findings(year: int) -> tuple[pl.DataFrame, bool]:
    """Screening findings per township and whether screening gave any (False: screening not run)."""
    return _findings("township_findings", year, TOWNSHIP_FINDINGS)


def collector_findings(year: int) -> tuple[pl.DataFrame, bool]:
    """Screening findings per collector and whether screening gave any."""
    return _findings("collector_findings", year, COLLECTOR_FINDINGS)
