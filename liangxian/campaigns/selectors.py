"""Every read of the campaign: everyone signed in reads it; a township or village sees only its own targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from liangxian.core.models import Division, DivisionLevel
from liangxian.core.scope import Actor, division_q

from . import rules
from .models import Campaign, CampaignRevision, DaijiaoRule, EligibilityRule, ExpansionTarget, InsuranceType
from .services import snapshot_diff, tiers_of


def campaign_list() -> QuerySet[Campaign]:
    """Return every campaign, the latest coverage year first."""
    return Campaign.objects.order_by("-coverage_year")


def campaign_get(coverage_year: int) -> Campaign:
    """Return the campaign of a coverage year; raise Campaign.DoesNotExist."""
    return Campaign.objects.get(coverage_year=coverage_year)


def targets_scoped(actor: Actor, campaign: Campaign) -> QuerySet[ExpansionTarget]:
    """Return the plan's lines the actor sees: a township its own and its villages', a village its own."""
    qs = ExpansionTarget.objects.filter(campaign=campaign).select_related("division")
    if actor.unit_kind in ("township", "village") and not actor.is_superuser:
        qs = qs.filter(division_q("division__code", actor.division_code))
    return qs.order_by("division_id", "insurance")


@dataclass
class TargetRow:
    """One township or village of the plan with its target per insurance."""

    code: str
    name: str
    level: str
    medical: int | None = None
    pension: int | None = None
    tax_opinion: str = ""


@dataclass
class TownshipPlan:
    """A township's own line, its villages' lines and the sum of its villages' targets."""

    township: TargetRow
    villages: list[TargetRow] = field(default_factory=list)
    village_medical: int = 0
    village_pension: int = 0


@dataclass
class Plan:
    townships: list[TownshipPlan]
    total_medical: int
    total_pension: int


def plan_for(actor: Actor, campaign: Campaign) -> Plan:
    """Group the targets the actor sees by township, with village sums and the totals of the township lines.

    The total counts each township's own target where it has one, else the sum of its villages.
    """
    rows: dict[str, TargetRow] = {}
    for t in targets_scoped(actor, campaign):
        row = rows.setdefault(t.division_id, TargetRow(t.division_id, t.division.name, t.division.level))
        setattr(row, t.insurance, t.target)
        row.tax_opinion = row.tax_opinion or t.tax_opinion
    township_codes = sorted({code[:9] for code in rows})
    names = dict(Division.objects.filter(code__in=township_codes).values_list("code", "name"))
    plans: dict[str, TownshipPlan] = {
        code: TownshipPlan(rows.get(code) or TargetRow(code, names.get(code, code), DivisionLevel.TOWNSHIP))
        for code in township_codes
    }
    for code, row in sorted(rows.items()):
        if row.level == DivisionLevel.VILLAGE:
            p = plans[code[:9]]
            p.villages.append(row)
            p.village_medical += row.medical or 0
            p.village_pension += row.pension or 0
    total_medical = sum(
        p.township.medical if p.township.medical is not None else p.village_medical for p in plans.values()
    )
    total_pension = sum(
        p.township.pension if p.township.pension is not None else p.village_pension for p in plans.values()
    )
    return Plan(list(plans.values()), total_medical, total_pension)


@dataclass
class InsuranceView:
    insurance: str
    label: str
    tiers: list[rules.Tier]
    daijiao: list[DaijiaoRule]
    eligibility: EligibilityRule | None
    contribution_fen: int


def insurance_views(campaign: Campaign) -> list[InsuranceView]:
    """Return per insurance its tiers, 代缴 rules and eligibility rule, for the detail page."""
    daijiao = list(DaijiaoRule.objects.filter(campaign=campaign).order_by("priority", "category"))
    eligibility = {e.insurance: e for e in EligibilityRule.objects.filter(campaign=campaign)}
    out = []
    for value, label in InsuranceType.choices:
        tiers = tiers_of(campaign, value)
        out.append(
            InsuranceView(
                insurance=value,
                label=str(label),
                tiers=tiers,
                daijiao=[r for r in daijiao if r.insurance == value],
                eligibility=eligibility.get(value),
                contribution_fen=rules.full_contribution_fen(tiers),
            )
        )
    return out


def revisions(campaign: Campaign) -> QuerySet[CampaignRevision]:
    """Return the campaign's revisions, the latest first."""
    return CampaignRevision.objects.filter(campaign=campaign).select_related("changed_by").order_by("-number")


def revision_diff(campaign: Campaign, a: int, b: int) -> list[dict[str, Any]]:
    """Compare two revisions of a campaign (a before b); raise CampaignRevision.DoesNotExist for a missing one."""
    before = CampaignRevision.objects.get(campaign=campaign, number=a)
    after = CampaignRevision.objects.get(campaign=campaign, number=b)
    return snapshot_diff(before.snapshot, after.snapshot)


def snapshot_for(actor: Actor, campaign: Campaign) -> dict[str, Any]:
    """Return the campaign's snapshot with the targets cut to the actor's scope (the API's detail)."""
    from .services import campaign_snapshot

    snap = campaign_snapshot(campaign)
    if actor.unit_kind in ("township", "village") and not actor.is_superuser:
        snap["targets"] = [t for t in snap["targets"] if t["division"].startswith(actor.division_code)]
    snap["revision"] = campaign.revision
    return snap
