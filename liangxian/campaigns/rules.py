"""The campaign's arithmetic as pure functions: tiers, 代缴, own part and eligibility (SPEC 4, 7, 11).

No ORM and no I/O: the campaign's rule data comes in as arguments (integer fen, category codes), so the roster
build can call these on plain values or mirror them in frame expressions. 代缴 (the government paying a
resident's own part) is kept apart from the subsidies (pension's 缴费补贴 per tier, medical's 财政补助 per
person): neither subsidy lowers what the resident pays himself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

MEDICAL: Final = "medical"
PENSION: Final = "pension"
INSURANCES: Final = (MEDICAL, PENSION)
MODES: Final = ("full", "fixed", "none")
# The register's statuses (registry.PersonStatus); repeated here because campaigns sits below registry.
STATUSES: Final = ("active", "deceased", "moved_away")


@dataclass(frozen=True)
class Tier:
    """One amount a payer may pay, in fen, with the subsidy that goes with it."""

    amount_fen: int
    subsidy_fen: int = 0
    is_default: bool = False
    added_by_region: bool = False


@dataclass(frozen=True)
class Daijiao:
    """One 代缴 rule: for a category (narrowed to some details, empty = any) and insurance, full/fixed/none."""

    category: str
    insurance: str
    mode: str
    amount_fen: int = 0
    priority: int = 100
    details: tuple[str, ...] = ()
    label: str = ""

    def applies(self, category: str, detail: str = "") -> bool:
        """Tell whether a person's (category, detail) falls under this rule."""
        return category == self.category and (not self.details or detail in self.details)


@dataclass(frozen=True)
class Eligibility:
    """Who must pay one insurance (SPEC 4): ``min_age <= age < max_age``; lists and statuses that exclude."""

    min_age: int | None = None
    max_age: int | None = None
    age_on: str = "01-01"
    exclude_categories: tuple[str, ...] = ()
    exclude_statuses: tuple[str, ...] = ()
    require_local_household: bool = True


@dataclass(frozen=True)
class Problem:
    """Something wrong with rule data: a code and the values its message needs."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class DaijiaoChoice:
    """The single 代缴 category a person gets, what the government pays and the other categories kept."""

    category: str
    gov_fen: int
    others: tuple[str, ...]


def tier_problems(tiers: Sequence[Tier], *, insurance: str) -> list[Problem]:
    """List what is wrong with an insurance's tiers; empty when they may be saved.

    Medical insurance has exactly one tier (the fixed individual contribution); pension at least one. Every
    amount is positive, none twice, subsidies not negative, and exactly one tier is the default.
    """
    problems: list[Problem] = []
    if not tiers:
        problems.append(Problem("tiers_empty"))
        return problems
    if insurance == MEDICAL and len(tiers) != 1:
        problems.append(Problem("medical_one_amount", {"count": len(tiers)}))
    seen: set[int] = set()
    for tier in tiers:
        if tier.amount_fen <= 0:
            problems.append(Problem("tier_not_positive", {"amount_fen": tier.amount_fen}))
        if tier.subsidy_fen < 0:
            problems.append(Problem("subsidy_negative", {"amount_fen": tier.amount_fen}))
        if tier.amount_fen in seen:
            problems.append(Problem("tier_duplicate", {"amount_fen": tier.amount_fen}))
        seen.add(tier.amount_fen)
    defaults = sum(1 for t in tiers if t.is_default)
    if defaults != 1:
        problems.append(Problem("tier_default_count", {"count": defaults}))
    return problems


def tiers_with_default(tiers: Sequence[Tier]) -> list[Tier]:
    """Return the tiers sorted by amount; when none is marked the default, make the lowest one the default."""
    ordered = sorted(tiers, key=lambda t: t.amount_fen)
    if ordered and not any(t.is_default for t in ordered):
        first = ordered[0]
        ordered[0] = Tier(first.amount_fen, first.subsidy_fen, True, first.added_by_region)
    return ordered


def default_tier(tiers: Sequence[Tier]) -> Tier | None:
    """Return the default tier (the one marked, else the lowest), or None without tiers."""
    marked = [t for t in tiers if t.is_default]
    if marked:
        return marked[0]
    return min(tiers, key=lambda t: t.amount_fen) if tiers else None


def full_contribution_fen(tiers: Sequence[Tier]) -> int:
    """Return what "full" 代缴 pays: medical's fixed amount, pension's lowest tier (SPEC 11); 0 without tiers."""
    return min((t.amount_fen for t in tiers), default=0)


def subsidy_fen(tiers: Sequence[Tier], amount_fen: int) -> int | None:
    """Return the subsidy of the tier of ``amount_fen`` (pension 100 → 30 yuan, 500 → 60), None if no such tier."""
    return next((t.subsidy_fen for t in tiers if t.amount_fen == amount_fen), None)


def daijiao_fen(rule: Daijiao, contribution_fen: int) -> int:
    """Return what the government pays under one rule: full = the contribution, fixed = the amount (capped)."""
    if rule.mode == "full":
        return contribution_fen
    if rule.mode == "fixed":
        return min(rule.amount_fen, contribution_fen)
    return 0


def daijiao_problems(rules: Sequence[Daijiao], *, contribution_fen: dict[str, int]) -> list[Problem]:
    """List what is wrong with a campaign's 代缴 rules, given each insurance's full contribution in fen."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for rule in rules:
        params: dict[str, object] = {"category": rule.label or rule.category, "insurance": rule.insurance}
        if not rule.category.strip():
            problems.append(Problem("daijiao_category_empty", params))
        if rule.insurance not in INSURANCES:
            problems.append(Problem("insurance_unknown", params))
        if rule.mode not in MODES:
            problems.append(Problem("daijiao_mode_unknown", params))
        key = (rule.category, rule.insurance)
        if key in seen:
            problems.append(Problem("daijiao_duplicate", params))
        seen.add(key)
        if rule.mode == "fixed":
            limit = contribution_fen.get(rule.insurance, 0)
            if rule.amount_fen <= 0:
                problems.append(Problem("daijiao_fixed_not_positive", params))
            elif rule.amount_fen > limit:
                problems.append(Problem("daijiao_above_contribution", {**params, "limit_fen": limit}))
    return problems


def daijiao_choose(
    memberships: Iterable[tuple[str, str]], rules: Sequence[Daijiao], *, insurance: str, contribution_fen: int
) -> DaijiaoChoice | None:
    """Pick the one most favourable 代缴 category of a person for an insurance (SPEC 11).

    ``memberships`` are the person's open (category, detail) pairs. The largest amount the government would
    pay wins; equal amounts go to the lower ``priority``. The other categories that also qualify are kept in
    ``others`` (by priority). None when no rule with a positive amount applies.
    """
    found: dict[str, tuple[int, int]] = {}
    for category, detail in memberships:
        for rule in rules:
            if rule.insurance != insurance or not rule.applies(category, detail):
                continue
            amount = daijiao_fen(rule, contribution_fen)
            if amount <= 0:
                continue
            best = found.get(rule.category)
            if best is None or (amount, -rule.priority) > (best[0], -best[1]):
                found[rule.category] = (amount, rule.priority)
    if not found:
        return None
    ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
    winner, (gov, _priority) = ranked[0]
    return DaijiaoChoice(category=winner, gov_fen=gov, others=tuple(c for c, _v in ranked[1:]))


def own_fen(amount_fen: int, gov_fen: int) -> int:
    """Return what the resident pays himself: the amount less the government's 代缴 part, never below 0."""
    return max(amount_fen - gov_fen, 0)


def age_on_date(coverage_year: int, age_on: str) -> dt.date:
    """Return the day ages are reckoned on: ``age_on`` ("MM-DD") in the coverage year (02-29 → 02-28)."""
    month, day = (int(x) for x in age_on.split("-"))
    try:
        return dt.date(coverage_year, month, day)
    except ValueError:
        return dt.date(coverage_year, month, day - 1)


def age_on_valid(age_on: str) -> bool:
    """Tell whether ``age_on`` is a month-day "MM-DD" that exists in a leap year."""
    parts = age_on.split("-")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        return False
    try:
        dt.date(2024, int(parts[0]), int(parts[1]))
    except ValueError:
        return False
    return True


def age(birth: dt.date, on: dt.date) -> int:
    """Return the whole years reached on a day (周岁)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def eligibility_problems(rule: Eligibility) -> list[Problem]:
    """List what is wrong with an eligibility rule."""
    problems: list[Problem] = []
    if rule.min_age is not None and rule.max_age is not None and rule.min_age >= rule.max_age:
        problems.append(Problem("age_bounds", {"min_age": rule.min_age, "max_age": rule.max_age}))
    if not age_on_valid(rule.age_on):
        problems.append(Problem("age_on_invalid", {"age_on": rule.age_on}))
    unknown = [s for s in rule.exclude_statuses if s not in STATUSES]
    if unknown:
        problems.append(Problem("status_unknown", {"statuses": ", ".join(unknown)}))
    return problems


def not_paying_reason(
    rule: Eligibility,
    *,
    age_years: int,
    status: str,
    categories: Iterable[str] = (),
    local_household: bool = True,
) -> str | None:
    """Return why a person does not pay this insurance (a reason code), or None when he must pay.

    Codes: ``status:<status>``, ``category:<category>``, ``not_local``, ``under_age``, ``over_age`` (pension:
    those at or over ``max_age`` draw instead). Checked in that order.
    """
    if status in rule.exclude_statuses:
        return f"status:{status}"
    excluded = [c for c in categories if c in rule.exclude_categories]
    if excluded:
        return f"category:{sorted(excluded)[0]}"
    if rule.require_local_household and not local_household:
        return "not_local"
    if rule.min_age is not None and age_years < rule.min_age:
        return "under_age"
    if rule.max_age is not None and age_years >= rule.max_age:
        return "over_age"
    return None
