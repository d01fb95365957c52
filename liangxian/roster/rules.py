"""Pure rules of the roster build: reason codes and their labels, ages, tiers and 代缴 (SPEC 4, 7, 11).

No ORM and no I/O: the campaign's rule data comes in as the plain values below, built by ``roster.build``.
The vectorised build (``roster.frames``) applies the same rules to whole frames; the scalar functions here are
the reference the tests hold it to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Why a person need not pay one insurance type, in the order the build tests them (the first that holds wins).
DECEASED: Final = "deceased"
MOVED_AWAY: Final = "moved_away"
SURVEY_GONE: Final = "survey_gone"
NOT_LOCAL: Final = "not_local"
EMPLOYEE_SCHEME: Final = "employee_scheme"
STUDENT: Final = "student"
NO_BIRTH_DATE: Final = "no_birth_date"
UNDER_AGE: Final = "under_age"
OVER_AGE: Final = "over_age"

REASONS: Final[dict[str, Promise]] = {
    DECEASED: _("Deceased"),
    MOVED_AWAY: _("Moved away"),
    SURVEY_GONE: _("Reported gone by the village survey, awaiting public security"),
    NOT_LOCAL: _("Household registered outside the county"),
    EMPLOYEE_SCHEME: _("Enrolled in the employees' scheme"),
    STUDENT: _("Student"),
    NO_BIRTH_DATE: _("Birth date unknown: correct the register"),
    UNDER_AGE: _("Under age"),
    OVER_AGE: _("Over age"),
}
# The register's category that marks a household registered elsewhere (public security's floating population).
FLOATING_CATEGORY: Final = "floating_population"
STUDENT_CATEGORY: Final = "student"
# Survey marks (roster.SurveyMark.mark) the build reads.
MARK_GONE: Final = "gone"
MARK_CASH_ONLY: Final = "cash_only"
# Departments whose staff build the roster (Art 7: medical insurance and social security; tax leads collection).
BUILD_DEPARTMENTS: Final = frozenset({"medical", "social", "tax"})
# The fields a rebuild compares; a difference in any is a change of the entry.
DIFF_FIELDS: Final = (
    "must_pay",
    "reason",
    "amount_fen",
    "tiers",
    "daijiao_category",
    "other_categories",
    "gov_fen",
    "own_fen",
    "subsidy_fen",
    "cash_only",
    "township_code",
    "village_code",
)
FIELD_LABELS: Final[dict[str, Promise]] = {
    "must_pay": _("Must pay"),
    "reason": _("Why not"),
    "amount_fen": _("Contribution"),
    "tiers": _("Tiers open"),
    "daijiao_category": _("代缴 category"),
    "other_categories": _("Other lists"),
    "gov_fen": _("Paid by the government"),
    "own_fen": _("Own part"),
    "subsidy_fen": _("Subsidy"),
    "cash_only": _("Cash only"),
    "township_code": _("Township"),
    "village_code": _("Village"),
}


def reason_label(code: str, *, over_age_reason: str = "") -> str:
    """Name a reason code for the clerk; over age carries the campaign's own words (pension: draws instead)."""
    if not code:
        return ""
    label = str(REASONS.get(code, code))
    if code == OVER_AGE and over_age_reason:
        return f"{label}（{over_age_reason}）"
    return label


def may_build(*, unit_kind: str, department: str, is_superuser: bool = False) -> bool:
    """Tell whether a user of this unit may build the roster (medical insurance, social security, tax)."""
    return is_superuser or (unit_kind == "department" and department in BUILD_DEPARTMENTS)


@dataclass(frozen=True)
class Tier:
    """One contribution tier of an insurance type: the amount and the subsidy (补贴) with it, in fen."""

    amount_fen: int
    subsidy_fen: int = 0
    is_default: bool = False


@dataclass(frozen=True)
class Eligibility:
    """Who must pay one insurance type: ages on a day of the coverage year, excluded statuses and lists."""

    min_age: int | None = None
    max_age: int | None = None
    age_on: str = "01-01"
    over_age_reason: str = ""
    exclude_categories: tuple[str, ...] = ()
    exclude_statuses: tuple[str, ...] = ()
    require_local_household: bool = True


@dataclass(frozen=True)
class Daijiao:
    """What the government pays of a resident's own part (代缴) for one category: full, fixed or none."""

    category: str
    mode: str  # full | fixed | none
    amount_fen: int = 0
    priority: int = 100
    details: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class InsuranceRules:
    """The campaign's rules for one insurance type, as the build reads them."""

    insurance: str
    eligibility: Eligibility
    tiers: tuple[Tier, ...]
    daijiao: tuple[Daijiao, ...] = field(default_factory=tuple)

    @property
    def default_tier(self) -> Tier:
        """Return the tier a payer is put down for (the flagged default, else the lowest)."""
        return next((t for t in self.tiers if t.is_default), self.lowest_tier)

    @property
    def lowest_tier(self) -> Tier:
        """Return the lowest tier: what full 代缴 pays for a pension payer."""
        return min(self.tiers, key=lambda t: t.amount_fen)

    @property
    def tiers_text(self) -> str:
        """Return the open tiers as the entry stores them: fen, comma-separated, ascending."""
        return ",".join(str(a) for a in sorted({t.amount_fen for t in self.tiers}))


def age_on_day(coverage_year: int, age_on: str) -> date:
    """Return the day ages are reckoned on: MM-DD of the coverage year (29 February falls back to the 28th)."""
    month, day = (int(part) for part in age_on.split("-"))
    try:
        return date(coverage_year, month, day)
    except ValueError:
        return date(coverage_year, month, day - 1)


def age_reached(birth: date, on: date) -> int:
    """Return the whole years reached on a day (the birthday itself counts as reached)."""
    return on.year - birth.year - ((birth.month, birth.day) > (on.month, on.day))


def eligibility_reason(
    *,
    rules: Eligibility,
    status: str,
    categories: Iterable[str],
    marks: Iterable[str],
    birth: date | None,
    on: date,
) -> str:
    """Return why a person need not pay (a reason code), or "" if he must; the scalar twin of the frame build."""
    held = set(categories)
    if status in rules.exclude_statuses:
        return status
    if MARK_GONE in set(marks):
        return SURVEY_GONE
    if rules.require_local_household and FLOATING_CATEGORY in held:
        return NOT_LOCAL
    for category in rules.exclude_categories:
        if category in held:
            return category
    if rules.min_age is None and rules.max_age is None:
        return ""
    if birth is None:
        return NO_BIRTH_DATE
    age = age_reached(birth, on)
    if rules.min_age is not None and age < rules.min_age:
        return UNDER_AGE
    if rules.max_age is not None and age >= rules.max_age:
        return OVER_AGE
    return ""


def daijiao_parts(rule: Daijiao | None, rules: InsuranceRules) -> tuple[int, int, int]:
    """Return (amount, government part, subsidy) in fen for a payer under one 代缴 rule (or none).

    Full pays the lowest tier, which becomes his amount; fixed pays at most the fixed amount of the default
    tier; none pays nothing. The subsidy is the one of the tier he is put down for.
    """
    default = rules.default_tier
    if rule is None or rule.mode == "none":
        return default.amount_fen, 0, default.subsidy_fen
    if rule.mode == "full":
        lowest = rules.lowest_tier
        return lowest.amount_fen, lowest.amount_fen, lowest.subsidy_fen
    return default.amount_fen, min(rule.amount_fen, default.amount_fen), default.subsidy_fen


def daijiao_choose(held: Sequence[tuple[str, str]], rules: InsuranceRules) -> tuple[Daijiao | None, list[str]]:
    """Choose a person's single 代缴 category from the (category, detail) lists he is on, and keep the others.

    The most favourable wins: the largest government part, then the lowest priority number, then the code.
    """
    matched: list[Daijiao] = []
    for rule in rules.daijiao:
        if any(c == rule.category and (not rule.details or d in rule.details) for c, d in held):
            matched.append(rule)
    ranked = sorted(matched, key=lambda r: (-daijiao_parts(r, rules)[1], r.priority, r.category))
    chosen = next((r for r in ranked if r.mode != "none"), None)
    others = [r.category for r in ranked if r is not chosen]
    return chosen, others
