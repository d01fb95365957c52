"""Every write of the campaign: create it, edit its period, tiers, 代缴 and eligibility rules and its plan.

Each edit runs in one transaction, bumps ``Campaign.revision``, stores a ``CampaignRevision`` snapshot with what
changed, and writes its audit row. An edit that changes nothing makes no revision. Only the tax bureau, medical
insurance and social security (staff or leader) and superusers edit (SPEC 2, 4, 11; Art 4, 7).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.core.audit import audit_record
from liangxian.core.models import Division, DivisionLevel
from liangxian.core.money import AmountError, from_fen, to_fen

from . import rules
from .errors import CampaignError
from .models import (
    Campaign,
    CampaignRevision,
    CampaignStatus,
    ContributionTier,
    DaijiaoRule,
    EligibilityRule,
    ExpansionTarget,
    InsuranceType,
)
from .signals import campaign_changed

if TYPE_CHECKING:
    from liangxian.org.models import User

DEFAULTS_PATH = Path(__file__).parent / "data" / "defaults.json"
EDITING_DEPARTMENTS = frozenset({"tax", "medical", "social"})
EDITING_ROLES = frozenset({"staff", "leader"})


def county_code() -> str:
    """Return the county whose townships and villages the plan covers (settings.LIANGXIAN_COUNTY_CODE)."""
    return str(getattr(settings, "LIANGXIAN_COUNTY_CODE", "653123"))


def plan_divisions() -> QuerySet[Division]:
    """Return the county's active townships and villages, by code: the lines the plan may have."""
    return Division.objects.filter(
        code__startswith=county_code(), level__in=[DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE], active=True
    ).order_by("code")


@dataclass(frozen=True)
class TargetSpec:
    """One line of the expansion plan: a township or village, an insurance, its target (None removes it)."""

    division_code: str
    insurance: str
    target: int | None
    tax_opinion: str = ""


@cache
def defaults_load() -> dict[str, Any]:
    """Return the starting figures of data/defaults.json (SPEC 11), amounts as yuan strings."""
    data: dict[str, Any] = json.loads(DEFAULTS_PATH.read_text(encoding="utf-8"))
    return data


def may_edit(user: User | None) -> bool:
    """Tell whether a user may edit campaigns: tax, medical, social security staff or leaders; superusers."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    unit = user.unit
    return (
        unit is not None
        and unit.kind == "department"
        and unit.department in EDITING_DEPARTMENTS
        and user.role in EDITING_ROLES
    )


def _check_editor(actor: User | None) -> None:
    # actor None is the system itself (demo set-up, data migrations).
    if actor is not None and not may_edit(actor):
        raise CampaignError(
            "not_allowed", _("Only the tax bureau, medical insurance and social security may edit a campaign.")
        )


def _yuan(fen: int) -> str:
    return str(from_fen(int(fen)))


def fen_of(value: Decimal | str | int, *, what: str) -> int:
    """Read an amount in yuan (Decimal, "400", "400元") as fen; raise CampaignError naming ``what``."""
    try:
        return to_fen(value)
    except (AmountError, TypeError) as exc:
        raise CampaignError("bad_amount", _("%(what)s is not an amount in yuan.") % {"what": what}) from exc


def problem_message(problem: rules.Problem) -> str:
    """Return the clerk-readable text of a rules.Problem."""
    p = dict(problem.params)
    for key in ("amount_fen", "limit_fen"):
        if key in p:
            p[key.removesuffix("_fen")] = _yuan(int(p[key]))  # type: ignore[call-overload]
    if "insurance" in p and p["insurance"] in InsuranceType.values:
        p["insurance"] = str(InsuranceType(p["insurance"]).label)
    messages = {
        "tiers_empty": _("Give at least one contribution amount."),
        "medical_one_amount": _("Medical insurance has exactly one individual contribution amount."),
        "tier_not_positive": _("Every contribution amount must be above zero."),
        "subsidy_negative": _("The subsidy of the tier %(amount)s yuan may not be negative."),
        "tier_duplicate": _("The tier %(amount)s yuan is given twice."),
        "tier_default_count": _("Mark exactly one tier as the default."),
        "daijiao_category_empty": _("Every 代缴 rule needs a category code."),
        "insurance_unknown": _("Unknown insurance type."),
        "daijiao_mode_unknown": _("Unknown 代缴 mode for %(category)s."),
        "daijiao_duplicate": _("%(category)s has two 代缴 rules for %(insurance)s."),
        "daijiao_fixed_not_positive": _("The fixed 代缴 amount of %(category)s must be above zero."),
        "daijiao_above_contribution": _(
            "The fixed 代缴 amount of %(category)s for %(insurance)s is above the contribution (%(limit)s yuan)."
        ),
        "age_bounds": _("The minimum age (%(min_age)s) must be below the age from which not to pay (%(max_age)s)."),
        "age_on_invalid": _("The day ages are reckoned on must be a month and day written MM-DD."),
        "status_unknown": _("Unknown register status: %(statuses)s."),
    }
    return messages.get(problem.code, problem.code) % p if problem.code in messages else problem.code


def _raise_problems(code: str, problems: list[rules.Problem]) -> None:
    if problems:
        texts = [problem_message(p) for p in problems]
        raise CampaignError(code, " ".join(texts), problems=texts)


# --- snapshots and differences ---------------------------------------------------------------------------


def campaign_snapshot(campaign: Campaign) -> dict[str, Any]:
    """Return the whole campaign as JSON-ready data (amounts as yuan strings): what a revision stores."""
    tiers: dict[str, list[dict[str, Any]]] = {i: [] for i in InsuranceType.values}
    for t in ContributionTier.objects.filter(campaign=campaign).order_by("insurance", "amount_fen"):
        tiers[t.insurance].append(
            {
                "amount": _yuan(t.amount_fen),
                "subsidy": _yuan(t.subsidy_fen),
                "default": t.is_default,
                "region": t.added_by_region,
            }
        )
    daijiao = [
        {
            "category": r.category,
            "label": r.label,
            "details": list(r.details or []),
            "insurance": r.insurance,
            "mode": r.mode,
            "amount": _yuan(r.amount_fen),
            "priority": r.priority,
        }
        for r in DaijiaoRule.objects.filter(campaign=campaign).order_by("insurance", "priority", "category")
    ]
    eligibility = {
        e.insurance: {
            "min_age": e.min_age,
            "max_age": e.max_age,
            "age_on": e.age_on,
            "over_age_reason": e.over_age_reason,
            "exclude_categories": list(e.exclude_categories or []),
            "exclude_statuses": list(e.exclude_statuses or []),
            "require_local_household": e.require_local_household,
        }
        for e in EligibilityRule.objects.filter(campaign=campaign).order_by("insurance")
    }
    targets = [
        {"division": t.division_id, "insurance": t.insurance, "target": t.target, "tax_opinion": t.tax_opinion}
        for t in ExpansionTarget.objects.filter(campaign=campaign).order_by("division_id", "insurance")
    ]
    return {
        "name": campaign.name,
        "coverage_year": campaign.coverage_year,
        "collection_year": campaign.collection_year,
        "period_start": campaign.period_start.isoformat(),
        "period_end": campaign.period_end.isoformat(),
        "status": campaign.status,
        "county_deadlines": dict(sorted((campaign.county_deadlines or {}).items())),
        "tiers": tiers,
        "daijiao": daijiao,
        "eligibility": eligibility,
        "targets": targets,
    }


def _flat(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Flatten a snapshot to one value per key (part.item.field) so that two can be compared."""
    out: dict[str, Any] = {}
    for key in ("name", "collection_year", "period_start", "period_end", "status"):
        out[key] = snapshot.get(key)
    for key, value in (snapshot.get("county_deadlines") or {}).items():
        out[f"county_deadlines.{key}"] = value
    for insurance, tiers in (snapshot.get("tiers") or {}).items():
        for t in tiers:
            out[f"tiers.{insurance}.{t['amount']}"] = {k: v for k, v in t.items() if k != "amount"}
    for r in snapshot.get("daijiao") or []:
        out[f"daijiao.{r['insurance']}.{r['category']}"] = {
            k: v for k, v in r.items() if k not in ("insurance", "category")
        }
    for insurance, e in (snapshot.get("eligibility") or {}).items():
        for key, value in e.items():
            out[f"eligibility.{insurance}.{key}"] = value
    for t in snapshot.get("targets") or []:
        out[f"targets.{t['division']}.{t['insurance']}"] = {"target": t["target"], "tax_opinion": t["tax_opinion"]}
    return out


def snapshot_diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """List the keys whose value differs between two snapshots: [{key, part, before, after}], in key order."""
    a = _flat(before or {})
    b = _flat(after)
    return [
        {"key": key, "part": key.split(".", 1)[0], "before": a.get(key), "after": b.get(key)}
        for key in sorted(set(a) | set(b))
        if a.get(key) != b.get(key)
    ]


def _revise(
    campaign: Campaign,
    *,
    actor: User | None,
    action: str,
    reason: str,
    payload: dict[str, Any] | None = None,
    created: bool = False,
) -> CampaignRevision | None:
    """Store the snapshot after an edit as a new revision, with its audit row; None if nothing changed."""
    snapshot = campaign_snapshot(campaign)
    last = CampaignRevision.objects.filter(campaign=campaign).order_by("-number").first()
    changed = snapshot_diff(last.snapshot if last else None, snapshot)
    if last is not None and not changed:
        return None
    now = timezone.now()
    number = 1 if created else campaign.revision + 1
    campaign.revision = number
    campaign.updated_at = now
    campaign.updated_by = actor
    campaign.save(update_fields=["revision", "updated_at", "updated_by"])
    revision = CampaignRevision.objects.create(
        campaign=campaign,
        number=number,
        snapshot=snapshot,
        changed=[{"key": "created"}] if created else changed,
        reason=reason,
        changed_by=actor,
        changed_at=now,
    )
    parts = sorted({c["part"] for c in changed}) if not created else ["created"]
    audit_record(
        actor=actor,
        action=action,
        obj=campaign,
        payload={
            "coverage_year": campaign.coverage_year,
            "revision": number,
            "parts": parts,
            "changes": len(changed),
            "reason": reason,
            **(payload or {}),
        },
    )
    transaction.on_commit(
        lambda: campaign_changed.send(sender=Campaign, campaign=campaign, revision=number, parts=parts)
    )
    return revision


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


# --- defaults --------------------------------------------------------------------------------------------


def default_medical(coverage_year: int) -> dict[str, Any]:
    """Return the default medical contribution and fiscal subsidy (yuan strings) for a coverage year."""
    medical = defaults_load()["medical"]
    found: dict[str, Any] = medical["by_coverage_year"].get(str(coverage_year)) or medical["later_years"]
    return found


def _default_tiers(coverage_year: int) -> dict[str, list[rules.Tier]]:
    d = defaults_load()
    med = default_medical(coverage_year)
    pension_default = to_fen(d["pension"]["default_tier"])
    return {
        "medical": [rules.Tier(to_fen(med["amount"]), to_fen(med["subsidy"]), True, False)],
        "pension": [
            rules.Tier(to_fen(t["amount"]), to_fen(t["subsidy"]), to_fen(t["amount"]) == pension_default, False)
            for t in d["pension"]["tiers"]
        ],
    }


def _default_daijiao() -> list[rules.Daijiao]:
    out = []
    for r in defaults_load()["daijiao"]["rules"]:
        for insurance in InsuranceType.values:
            out.append(
                rules.Daijiao(
                    category=r["category"],
                    insurance=insurance,
                    mode=r[insurance]["mode"],
                    amount_fen=to_fen(r[insurance]["amount"]),
                    priority=int(r["priority"]),
                    details=tuple(r.get("details") or ()),
                    label=r["label"],
                )
            )
    return out


def _write_tiers(campaign: Campaign, insurance: str, tiers: Sequence[rules.Tier]) -> None:
    ContributionTier.objects.filter(campaign=campaign, insurance=insurance).delete()
    ContributionTier.objects.bulk_create(
        ContributionTier(
            campaign=campaign,
            insurance=insurance,
            amount_fen=t.amount_fen,
            subsidy_fen=t.subsidy_fen,
            is_default=t.is_default,
            added_by_region=t.added_by_region,
        )
        for t in tiers
    )


def _write_daijiao(campaign: Campaign, items: Sequence[rules.Daijiao]) -> None:
    DaijiaoRule.objects.filter(campaign=campaign).delete()
    DaijiaoRule.objects.bulk_create(
        DaijiaoRule(
            campaign=campaign,
            category=r.category.strip(),
            label=r.label.strip() or r.category.strip(),
            details=list(r.details),
            insurance=r.insurance,
            mode=r.mode,
            amount_fen=r.amount_fen if r.mode == "fixed" else 0,
            priority=r.priority,
        )
        for r in items
    )


def _write_eligibility(campaign: Campaign, insurance: str, data: dict[str, Any]) -> None:
    EligibilityRule.objects.update_or_create(campaign=campaign, insurance=insurance, defaults=data)


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise CampaignError("period_order", _("The concentrated period cannot end before it starts."))


def _check_years(coverage_year: int, collection_year: int) -> None:
    if not 2000 <= coverage_year <= 2100:
        raise CampaignError("bad_year", _("The coverage year must be a year between 2000 and 2100."))
    if collection_year > coverage_year or collection_year < coverage_year - 1:
        raise CampaignError(
            "bad_collection_year",
            _("The collection year is the coverage year or the year before it."),
        )


# --- the services ------------------------------------------------------------------------------------------


def campaign_create(
    *,
    actor: User | None,
    coverage_year: int,
    collection_year: int,
    period_start: dt.date,
    period_end: dt.date,
    name: str = "",
    from_defaults: bool = True,
    reason: str = "",
) -> Campaign:
    """Create the campaign of a coverage year, filled from data/defaults.json unless asked not to (SPEC 11)."""
    _check_editor(actor)
    _check_years(coverage_year, collection_year)
    _check_period(period_start, period_end)
    with transaction.atomic():
        if Campaign.objects.filter(coverage_year=coverage_year).exists():
            raise CampaignError(
                "exists", _("A campaign for coverage year %(year)s already exists.") % {"year": coverage_year}
            )
        now = timezone.now()
        campaign = Campaign.objects.create(
            coverage_year=coverage_year,
            collection_year=collection_year,
            name=name.strip() or f"{coverage_year}年度城乡居民两险集中征缴",
            period_start=period_start,
            period_end=period_end,
            status=CampaignStatus.DRAFT,
            revision=1,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        if from_defaults:
            for insurance, tiers in _default_tiers(coverage_year).items():
                _write_tiers(campaign, insurance, tiers)
            _write_daijiao(campaign, _default_daijiao())
            for insurance, e in defaults_load()["eligibility"].items():
                _write_eligibility(campaign, insurance, dict(e))
        _revise(
            campaign,
            actor=actor,
            action="campaign.create",
            reason=reason,
            created=True,
            payload={"collection_year": collection_year, "from_defaults": from_defaults},
        )
    return campaign


def campaign_update(
    *,
    actor: User | None,
    campaign: Campaign,
    name: str | None = None,
    collection_year: int | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    status: str | None = None,
    county_deadlines: dict[str, str] | None = None,
    reason: str = "",
) -> Campaign:
    """Change the campaign's name, collection year, period [S, E], status or the deadlines the county sets."""
    _check_editor(actor)
    if status is not None and status not in CampaignStatus.values:
        raise CampaignError("bad_status", _("Unknown campaign status."))
    deadlines: dict[str, str] | None = None
    if county_deadlines is not None:
        deadlines = {}
        for key, value in county_deadlines.items():
            try:
                deadlines[str(key).strip()] = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError as exc:
                raise CampaignError(
                    "bad_deadline", _("The deadline of %(rule)s is not a date (YYYY-MM-DD).") % {"rule": key}
                ) from exc
        if any(not k for k in deadlines):
            raise CampaignError("bad_deadline", _("Every deadline names the obligation it is for."))
    with transaction.atomic():
        c = _locked(campaign)
        start = period_start or c.period_start
        end = period_end or c.period_end
        _check_period(start, end)
        _check_years(c.coverage_year, collection_year if collection_year is not None else c.collection_year)
        c.period_start, c.period_end = start, end
        if name is not None:
            if not name.strip() or len(name.strip()) > 100:
                raise CampaignError("name_empty", _("Give the campaign a name of at most 100 characters."))
            c.name = name.strip()
        if collection_year is not None:
            c.collection_year = collection_year
        if status is not None:
            c.status = status
        if deadlines is not None:
            c.county_deadlines = deadlines
        c.save(update_fields=["name", "collection_year", "period_start", "period_end", "status", "county_deadlines"])
        _revise(c, actor=actor, action="campaign.update", reason=reason)
    return c


def _contributions(campaign: Campaign, override: dict[str, Sequence[rules.Tier]] | None = None) -> dict[str, int]:
    tiers = {i: list(tiers_of(campaign, i)) for i in InsuranceType.values}
    tiers.update({k: list(v) for k, v in (override or {}).items()})
    return {i: rules.full_contribution_fen(t) for i, t in tiers.items()}


def tiers_of(campaign: Campaign, insurance: str) -> list[rules.Tier]:
    """Return an insurance's tiers of the campaign as rules.Tier values, by amount."""
    return [
        rules.Tier(t.amount_fen, t.subsidy_fen, t.is_default, t.added_by_region)
        for t in ContributionTier.objects.filter(campaign=campaign, insurance=insurance).order_by("amount_fen")
    ]


def daijiao_of(campaign: Campaign) -> list[rules.Daijiao]:
    """Return the campaign's 代缴 rules as rules.Daijiao values."""
    return [
        rules.Daijiao(
            category=r.category,
            insurance=r.insurance,
            mode=r.mode,
            amount_fen=r.amount_fen,
            priority=r.priority,
            details=tuple(r.details or ()),
            label=r.label,
        )
        for r in DaijiaoRule.objects.filter(campaign=campaign).order_by("insurance", "priority", "category")
    ]


def campaign_tiers_set(
    *, actor: User | None, campaign: Campaign, insurance: str, tiers: Sequence[rules.Tier], reason: str = ""
) -> Campaign:
    """Replace an insurance's contribution tiers (medical: its one amount) with their subsidies (SPEC 11).

    With no tier marked the default, the lowest becomes it. A 代缴 fixed amount may not exceed the new
    contribution (medical: the amount; pension: the lowest tier).
    """
    _check_editor(actor)
    if insurance not in InsuranceType.values:
        raise CampaignError("insurance_unknown", _("Unknown insurance type."))
    ordered = rules.tiers_with_default(tiers)
    _raise_problems("bad_tiers", rules.tier_problems(ordered, insurance=insurance))
    with transaction.atomic():
        c = _locked(campaign)
        contributions = _contributions(c, {insurance: ordered})
        _raise_problems(
            "daijiao_above_contribution",
            [
                p
                for p in rules.daijiao_problems(daijiao_of(c), contribution_fen=contributions)
                if p.code == "daijiao_above_contribution"
            ],
        )
        _write_tiers(c, insurance, ordered)
        _revise(c, actor=actor, action="campaign.tiers_set", reason=reason, payload={"insurance": insurance})
    return c


def campaign_daijiao_rules_set(
    *, actor: User | None, campaign: Campaign, items: Sequence[rules.Daijiao], reason: str = ""
) -> Campaign:
    """Replace the campaign's 代缴 rules, both insurances: full, a fixed amount or none per category (SPEC 7)."""
    _check_editor(actor)
    if any(len(r.category.strip()) > 40 or len(r.label.strip()) > 60 for r in items):
        raise CampaignError("too_long", _("A category code has at most 40 characters and a label at most 60."))
    with transaction.atomic():
        c = _locked(campaign)
        _raise_problems("bad_daijiao", rules.daijiao_problems(items, contribution_fen=_contributions(c)))
        _write_daijiao(c, items)
        _revise(c, actor=actor, action="campaign.daijiao_set", reason=reason)
    return c


def campaign_eligibility_set(
    *,
    actor: User | None,
    campaign: Campaign,
    insurance: str,
    min_age: int | None,
    max_age: int | None,
    age_on: str = "01-01",
    over_age_reason: str = "",
    exclude_categories: Sequence[str] = (),
    exclude_statuses: Sequence[str] = (),
    require_local_household: bool = True,
    reason: str = "",
) -> Campaign:
    """Set who must pay an insurance: ages, excluded lists and statuses, household registration (SPEC 4)."""
    _check_editor(actor)
    if insurance not in InsuranceType.values:
        raise CampaignError("insurance_unknown", _("Unknown insurance type."))
    categories = tuple(dict.fromkeys(c.strip() for c in exclude_categories if c.strip()))
    statuses = tuple(dict.fromkeys(s.strip() for s in exclude_statuses if s.strip()))
    rule = rules.Eligibility(min_age, max_age, age_on.strip(), categories, statuses, require_local_household)
    if len(over_age_reason.strip()) > 100:
        raise CampaignError("too_long", _("The reason for those over age has at most 100 characters."))
    _raise_problems("bad_eligibility", rules.eligibility_problems(rule))
    with transaction.atomic():
        c = _locked(campaign)
        _write_eligibility(
            c,
            insurance,
            {
                "min_age": min_age,
                "max_age": max_age,
                "age_on": rule.age_on,
                "over_age_reason": over_age_reason.strip(),
                "exclude_categories": list(categories),
                "exclude_statuses": list(statuses),
                "require_local_household": require_local_household,
            },
        )
        _revise(c, actor=actor, action="campaign.eligibility_set", reason=reason, payload={"insurance": insurance})
    return c


def campaign_targets_set(
    *,
    actor: User | None,
    campaign: Campaign,
    targets: Sequence[TargetSpec],
    replace: bool = False,
    reason: str = "",
) -> Campaign:
    """Set the expansion plan's targets per township or village (Art 4, 7); ``replace`` drops those not given.

    A target of None removes that line. Every division must be a township or village of the register.
    """
    _check_editor(actor)
    problems: list[str] = []
    codes = {t.division_code for t in targets}
    divisions = {d.code: d for d in plan_divisions().filter(code__in=codes).only("code", "level")}
    seen: set[tuple[str, str]] = set()
    for t in targets:
        if t.division_code not in divisions:
            problems.append(_("%(code)s is not a township or village.") % {"code": t.division_code})
        if t.insurance not in InsuranceType.values:
            problems.append(_("Unknown insurance type."))
        if t.target is not None and t.target < 0:
            problems.append(_("A target may not be negative (%(code)s).") % {"code": t.division_code})
        if (t.division_code, t.insurance) in seen:
            problems.append(_("%(code)s is given twice.") % {"code": t.division_code})
        seen.add((t.division_code, t.insurance))
    if problems:
        raise CampaignError("bad_targets", " ".join(problems[:20]), problems=problems)
    with transaction.atomic():
        c = _locked(campaign)
        existing = {(x.division_id, x.insurance): x for x in ExpansionTarget.objects.filter(campaign=c)}
        remove = [x.pk for key, x in existing.items() if replace and key not in seen]
        remove += [
            existing[key].pk
            for t in targets
            if t.target is None and (key := (t.division_code, t.insurance)) in existing
        ]
        changed, added = [], []
        for t in targets:
            if t.target is None:
                continue
            old = existing.get((t.division_code, t.insurance))
            if old is None:
                added.append(
                    ExpansionTarget(
                        campaign=c,
                        division_id=t.division_code,
                        insurance=t.insurance,
                        target=t.target,
                        tax_opinion=t.tax_opinion.strip(),
                    )
                )
            elif old.target != t.target or old.tax_opinion != t.tax_opinion.strip():
                old.target, old.tax_opinion = t.target, t.tax_opinion.strip()
                changed.append(old)
        ExpansionTarget.objects.filter(pk__in=remove).delete()
        ExpansionTarget.objects.bulk_create(added)
        ExpansionTarget.objects.bulk_update(changed, ["target", "tax_opinion"])
        _revise(c, actor=actor, action="campaign.targets_set", reason=reason, payload={"lines": len(targets)})
    return c


# The columns of a targets sheet (xlsx, xls or csv): one row per township or village.
TARGET_COLUMNS = (
    ("division_code", "区划代码", ("行政区划代码", "代码", "统计用区划代码")),
    ("township", "乡镇", ("乡（镇）", "乡镇（街道）")),
    ("village", "村（社区）", ("村", "社区", "村名")),
    ("medical", "医保扩面目标", ("医疗保险", "医保", "医疗保险目标", "医保目标人数")),
    ("pension", "养老扩面目标", ("养老保险", "养老", "养老保险目标", "养老目标人数")),
    ("tax_opinion", "税务部门意见", ("税务意见",)),
)


def targets_read(source: Path | bytes, *, filename: str) -> list[TargetSpec]:
    """Read a targets sheet into TargetSpec lines; raise CampaignError listing every unreadable row."""
    import polars as pl

    from liangxian.batch.readers import ColumnSpec, UnreadableFile, read_table

    specs = [ColumnSpec(key, label, synonyms) for key, label, synonyms in TARGET_COLUMNS]
    try:
        read = read_table(source, filename=filename, columns=specs)
    except UnreadableFile as exc:
        raise CampaignError(exc.code, exc.message) from exc
    frame = read.frame
    for key, _label, _syn in TARGET_COLUMNS:
        if key not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(key))
    if "medical" not in read.header_map.values() and "pension" not in read.header_map.values():
        raise CampaignError("no_target_column", _("The sheet has no column of medical or pension targets."))
    by_name = {
        (d.parent.name if d.parent and d.level == DivisionLevel.VILLAGE else "", d.name): d.code
        for d in plan_divisions().select_related("parent")
    }
    out: list[TargetSpec] = []
    problems: list[str] = []
    for row in frame.select("__row", *[k for k, _l, _s in TARGET_COLUMNS]).iter_rows(named=True):
        code = (row["division_code"] or "").strip()
        if not code:
            township, village = (row["township"] or "").strip(), (row["village"] or "").strip()
            code = by_name.get((township, village)) if village else by_name.get(("", township)) or ""
        if not code:
            problems.append(_("Row %(row)s: township or village not found.") % {"row": row["__row"]})
            continue
        for insurance in InsuranceType.values:
            text = (row[insurance] or "").strip()
            if not text:
                continue
            try:
                value = int(Decimal(text.replace(",", "")))
            except ArithmeticError:
                problems.append(_("Row %(row)s: the target is not a number.") % {"row": row["__row"]})
                continue
            out.append(TargetSpec(code, insurance, value, (row["tax_opinion"] or "").strip()))
    if problems:
        raise CampaignError("bad_targets", " ".join(problems[:20]), problems=problems)
    return out


def campaign_targets_load(
    *, actor: User | None, campaign: Campaign, source: Path | bytes, filename: str, reason: str = ""
) -> Campaign:
    """Load expansion targets from an xlsx, xls or csv sheet (one row per township or village) and set them."""
    _check_editor(actor)
    lines = targets_read(source, filename=filename)
    return campaign_targets_set(
        actor=actor, campaign=campaign, targets=lines, reason=reason or _("Loaded from %(file)s") % {"file": filename}
    )
