"""Every read of the screening app, scoped to the actor: tax, discipline and audit see the county, a township its own.

Also the frames the rules read, and the findings per township and per collector the assessment reads (Art 38-39).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.db.models import Q, QuerySet
from django.utils import timezone

from liangxian.batch.bulk import read_frame
from liangxian.campaigns.models import Campaign, ContributionTier
from liangxian.core.scope import Actor, division_q

from .frames import Frames
from .models import Finding, Hit, Referral, Sample, ScreeningRule, ScreeningRun, SelfCheck

COUNTY_DEPARTMENTS = frozenset({"tax", "discipline", "audit"})
GROUP_DEPARTMENTS = frozenset({"tax", "discipline", "medical", "social"})


# --- who sees what ---------------------------------------------------------------------------------------------


def sees_county(actor: Actor) -> bool:
    """Tell whether the actor sees every township's screening: tax, discipline, audit (and the working group)."""
    return actor.is_superuser or (
        actor.unit_kind == "department" and actor.department in COUNTY_DEPARTMENTS | GROUP_DEPARTMENTS
    )


def may_view(actor: Actor) -> bool:
    """Tell whether the actor may see any screening at all (villages and banks see nothing)."""
    return sees_county(actor) or actor.unit_kind == "township"


def in_group(actor: Actor) -> bool:
    """Tell whether the actor belongs to the joint working group: tax, discipline, medical, social."""
    return actor.is_superuser or (actor.unit_kind == "department" and actor.department in GROUP_DEPARTMENTS)


def township_prefix(actor: Actor) -> str | None:
    """The division prefix the actor sees: the county's for county departments, the township's own, else none."""
    if sees_county(actor):
        return actor.division_code[:6] if actor.division_code else ""
    if actor.unit_kind == "township":
        return actor.division_code
    return None


def _scope(qs: QuerySet[Any], actor: Actor, field: str = "township_code") -> QuerySet[Any]:
    prefix = township_prefix(actor)
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    return (
        qs.filter(division_q(field, prefix) | Q(**{field: ""}))
        if sees_county(actor)
        else qs.filter(division_q(field, prefix))
    )


# --- lists -----------------------------------------------------------------------------------------------------


def rule_list() -> QuerySet[ScreeningRule]:
    return ScreeningRule.objects.all()


def run_list(actor: Actor) -> QuerySet[ScreeningRun]:
    if not may_view(actor):
        return ScreeningRun.objects.none()
    return ScreeningRun.objects.select_related("started_by")


def hit_list(actor: Actor, *, run_id: int | None = None, rule: str = "", township: str = "") -> QuerySet[Hit]:
    qs = _scope(Hit.objects.select_related("rule", "collector", "person", "run"), actor)
    if run_id is not None:
        qs = qs.filter(run_id=run_id)
    if rule:
        qs = qs.filter(rule_id__in=ScreeningRule.objects.filter(code=rule).values("pk"))
    if township:
        qs = qs.filter(township_code=township)
    return qs


def hit_get(actor: Actor, pk: int) -> Hit | None:
    return hit_list(actor).filter(pk=pk).first()


def hit_counts(actor: Actor, run_id: int) -> list[Any]:
    """Hits of a run per rule and township, for the run's page."""
    from django.db.models import Count

    rows = (
        hit_list(actor, run_id=run_id)
        .values("rule__code", "rule__title", "township_code")
        .annotate(n=Count("pk"))
        .order_by("rule__code", "township_code")
    )
    return list(rows)


def selfcheck_list(actor: Actor) -> QuerySet[SelfCheck]:
    return _scope(SelfCheck.objects.select_related("township", "run"), actor)


def selfcheck_get(actor: Actor, pk: int) -> SelfCheck | None:
    return selfcheck_list(actor).filter(pk=pk).first()


def sample_list(actor: Actor) -> QuerySet[Sample]:
    if not sees_county(actor):
        return Sample.objects.none()
    return Sample.objects.select_related("run", "drawn_by")


def referral_list(actor: Actor) -> QuerySet[Referral]:
    if not sees_county(actor):
        return _scope(Referral.objects.none(), actor)
    return _scope(Referral.objects.select_related("hit", "hit__rule", "leader_in_charge"), actor)


# --- the frames the rules read ---------------------------------------------------------------------------------


def _utc(col: str) -> pl.Expr:
    return (
        pl.col(col)
        .str.slice(0, 19)
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
        .dt.replace_time_zone("UTC")
    )


def load_frames(campaign: Campaign, *, as_of: dt.datetime | None = None) -> Frames:
    """Read one campaign's cash receipts, payments, refunds and what the rules compare them with, into frames."""
    year = campaign.coverage_year
    receipts = read_frame(
        "SELECT r.id, r.collector_id, r.person_id, r.entry_id, r.insurance, r.amount_fen, r.tier_fen, "
        "CAST(r.received_at AS TEXT) AS received_at, r.township_code, r.village_code, r.off_list, r.payment_id, "
        "CAST(r.paid_in_at AS TEXT) AS paid_in_at, e.own_fen, e.gov_fen, p.amount_fen, CAST(p.paid_at AS TEXT) "
        "FROM cash_cashreceipt r JOIN roster_rosterentry e ON e.id = r.entry_id "
        "LEFT JOIN collection_payment p ON p.id = r.payment_id WHERE r.coverage_year = %s",
        [year],
        schema={
            "receipt_id": pl.Int64,
            "collector_id": pl.Int64,
            "person_id": pl.Int64,
            "entry_id": pl.Int64,
            "insurance": pl.String,
            "amount_fen": pl.Int64,
            "tier_fen": pl.Int64,
            "received_at": pl.String,
            "township_code": pl.String,
            "village_code": pl.String,
            "off_list": pl.Boolean,
            "payment_id": pl.Int64,
            "paid_in_at": pl.String,
            "entry_own_fen": pl.Int64,
            "entry_gov_fen": pl.Int64,
            "payin_fen": pl.Int64,
            "payin_paid_at": pl.String,
        },
    ).with_columns(_utc("received_at"), _utc("paid_in_at"), _utc("payin_paid_at"))
    # When the cash reached the channel is the pay-in transaction's own time; the receipt's is when it was linked.
    receipts = receipts.with_columns(
        pl.coalesce(pl.min_horizontal("payin_paid_at", "paid_in_at"), "paid_in_at").alias("paid_in_at")
    ).drop("payin_paid_at")
    payments = read_frame(
        "SELECT p.id, p.kind, p.original_id, p.person_id, p.insurance, p.tier_fen, p.amount_fen, "
        "CAST(p.paid_at AS TEXT) AS paid_at, CAST(p.settled_at AS TEXT) AS settled_at, p.account_hash, p.pos_terminal, "
        "p.collector_id, p.township_code, p.village_code, "
        "COALESCE(CAST(h.household_id AS TEXT), 'p' || CAST(p.person_id AS TEXT), 'id' || p.id_number) "
        "FROM collection_payment p LEFT JOIN registry_person h ON h.id = p.person_id WHERE p.coverage_year = %s",
        [year],
        schema={
            "payment_id": pl.Int64,
            "kind": pl.String,
            "original_id": pl.Int64,
            "person_id": pl.Int64,
            "insurance": pl.String,
            "tier_fen": pl.Int64,
            "amount_fen": pl.Int64,
            "paid_at": pl.String,
            "settled_at": pl.String,
            "account_hash": pl.String,
            "pos_terminal": pl.String,
            "collector_id": pl.Int64,
            "township_code": pl.String,
            "village_code": pl.String,
            "household_key": pl.String,
        },
    ).with_columns(
        _utc("paid_at"),
        _utc("settled_at"),
        pl.col("account_hash").fill_null(""),
        pl.col("pos_terminal").fill_null(""),
        pl.col("township_code").fill_null(""),
        pl.col("village_code").fill_null(""),
    )
    refunds = read_frame(
        "SELECT f.id, f.payment_id, f.amount_fen, CAST(f.requested_at AS TEXT) AS requested_at "
        "FROM refunds_refund f JOIN collection_payment p ON p.id = f.payment_id WHERE p.coverage_year = %s",
        [year],
        schema={"refund_id": pl.Int64, "payment_id": pl.Int64, "amount_fen": pl.Int64, "requested_at": pl.String},
    ).with_columns(_utc("requested_at"))
    persons = read_frame(
        "SELECT id, status, CAST(status_date AS TEXT) FROM registry_person WHERE status <> 'active'",
        [],
        schema={"person_id": pl.Int64, "status": pl.String, "status_date": pl.Date},
    )
    authorisations = read_frame(
        "SELECT a.collector_id, u.division_id, CAST(a.valid_from AS TEXT), CAST(a.valid_until AS TEXT) "
        "FROM org_collectorauthorisation a JOIN org_unit u ON u.id = a.village_id",
        [],
        schema={"collector_id": pl.Int64, "village_code": pl.String, "valid_from": pl.Date, "valid_until": pl.Date},
    )
    tiers = pl.DataFrame(
        list(ContributionTier.objects.filter(campaign=campaign).values_list("insurance", "amount_fen")),
        schema={"insurance": pl.String, "tier_fen": pl.Int64},
        orient="row",
    ).unique()
    return Frames(
        receipts=receipts,
        payments=payments,
        refunds=refunds,
        persons=persons,
        authorisations=authorisations,
        tiers=tiers,
        period_start=campaign.period_start,
        as_of=(as_of or timezone.now()).astimezone(dt.UTC),
    )


# --- for the assessment (Art 38-39) ----------------------------------------------------------------------------


def _confirmed_hit_ids(year: int) -> set[int]:
    township = set(
        Hit.objects.filter(coverage_year=year, answer__finding=Finding.CONFIRMED).values_list("pk", flat=True)
    )
    group = set(
        Hit.objects.filter(coverage_year=year, group_findings__finding=Finding.CONFIRMED).values_list("pk", flat=True)
    )
    return township | group


def township_findings(year: int) -> pl.DataFrame:
    """One row per township: hits, confirmed violations, self-checks due and late, perfunctory self-checks."""
    confirmed = _confirmed_hit_ids(year)
    hits = pl.DataFrame(
        list(Hit.objects.filter(coverage_year=year).values_list("pk", "township_code")),
        schema={"id": pl.Int64, "township_code": pl.String},
        orient="row",
    ).with_columns(pl.col("id").is_in(sorted(confirmed)).alias("confirmed"))
    per_hits = hits.group_by("township_code").agg(
        pl.len().cast(pl.Int64).alias("hits"), pl.col("confirmed").sum().cast(pl.Int64).alias("confirmed")
    )
    today = timezone.localdate()
    checks = pl.DataFrame(
        list(
            SelfCheck.objects.filter(run__coverage_year=year).values_list(
                "township_code", "deadline", "filed_at", "late", "perfunctory"
            )
        ),
        schema={
            "township_code": pl.String,
            "deadline": pl.Date,
            "filed_at": pl.Datetime("us", "UTC"),
            "late": pl.Boolean,
            "perfunctory": pl.Boolean,
        },
        orient="row",
    )
    per_checks = checks.group_by("township_code").agg(
        pl.len().cast(pl.Int64).alias("selfcheck_due"),
        (pl.col("late") | (pl.col("filed_at").is_null() & (pl.col("deadline") < today)))
        .sum()
        .cast(pl.Int64)
        .alias("selfcheck_late"),
        pl.col("perfunctory").sum().cast(pl.Int64).alias("perfunctory"),
    )
    out = per_hits.join(per_checks, on="township_code", how="full", coalesce=True)
    cols = ["hits", "confirmed", "selfcheck_due", "selfcheck_late", "perfunctory"]
    return (
        out.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in cols])
        .select(["township_code", *cols])
        .filter(pl.col("township_code") != "")
        .sort("township_code")
    )


def collector_findings(year: int) -> pl.DataFrame:
    """One row per collector with hits: hits and confirmed violations."""
    confirmed = _confirmed_hit_ids(year)
    hits = pl.DataFrame(
        list(Hit.objects.filter(coverage_year=year, collector__isnull=False).values_list("pk", "collector_id")),
        schema={"id": pl.Int64, "collector_id": pl.Int64},
        orient="row",
    )
    return (
        hits.with_columns(pl.col("id").is_in(sorted(confirmed)).alias("confirmed"))
        .group_by("collector_id")
        .agg(pl.len().cast(pl.Int64).alias("hits"), pl.col("confirmed").sum().cast(pl.Int64).alias("confirmed"))
        .sort("collector_id")
    )
