"""The campaign's arithmetic with the measures' and SPEC 11's own numbers (fen: 1 yuan = 100)."""

from __future__ import annotations

import datetime as dt

import pytest

from liangxian.campaigns import rules
from liangxian.campaigns.rules import Daijiao, Eligibility, Tier

YUAN = 100
PENSION_TIERS = [Tier(a * YUAN, (30 if a < 500 else 60) * YUAN, a == 100) for a in (*range(100, 1001, 100), 1500, 2000)]
MEDICAL_TIERS = [Tier(400 * YUAN, 700 * YUAN, True)]
DAIJIAO = [
    Daijiao("special_hardship", "medical", "full", priority=10),
    Daijiao("special_hardship", "pension", "full", priority=10),
    Daijiao("orphan", "medical", "full", priority=20),
    Daijiao("orphan", "pension", "full", priority=20),
    Daijiao("disabled", "medical", "fixed", 200 * YUAN, 30, ("一级", "二级")),
    Daijiao("disabled", "pension", "fixed", 100 * YUAN, 30, ("一级", "二级")),
    Daijiao("minimum_allowance", "medical", "fixed", 200 * YUAN, 40),
    Daijiao("minimum_allowance", "pension", "fixed", 100 * YUAN, 40),
    Daijiao("poverty_monitoring", "medical", "fixed", 200 * YUAN, 50),
    Daijiao("poverty_monitoring", "pension", "fixed", 100 * YUAN, 50),
]
PENSION = Eligibility(16, 60, "01-01", ("student", "employee_scheme"), ("deceased", "moved_away"))
MEDICAL = Eligibility(None, None, "01-01", ("employee_scheme",), ("deceased", "moved_away"))


@pytest.mark.parametrize(("tier", "subsidy"), [(100, 30), (400, 30), (500, 60), (1000, 60), (2000, 60)])
def test_pension_tier_carries_its_contribution_subsidy(tier: int, subsidy: int) -> None:
    assert rules.subsidy_fen(PENSION_TIERS, tier * YUAN) == subsidy * YUAN


def test_a_tier_the_campaign_lacks_has_no_subsidy() -> None:
    assert rules.subsidy_fen(PENSION_TIERS, 1200 * YUAN) is None


def test_full_contribution_is_medicals_400_and_pensions_lowest_tier_100() -> None:
    assert rules.full_contribution_fen(MEDICAL_TIERS) == 400 * YUAN
    assert rules.full_contribution_fen(PENSION_TIERS) == 100 * YUAN


def test_special_hardship_is_paid_in_full_so_he_pays_nothing() -> None:
    # given a 特困 person; when the government pays in full
    medical = rules.daijiao_choose(
        [("special_hardship", "分散供养")], DAIJIAO, insurance="medical", contribution_fen=400 * YUAN
    )
    pension = rules.daijiao_choose(
        [("special_hardship", "")], DAIJIAO, insurance="pension", contribution_fen=100 * YUAN
    )
    # then it pays 400 yuan of medical insurance and the 100-yuan lowest pension tier; his own part is 0
    assert medical is not None and medical.gov_fen == 400 * YUAN
    assert pension is not None and pension.gov_fen == 100 * YUAN
    assert rules.own_fen(400 * YUAN, medical.gov_fen) == 0


def test_minimum_allowance_fixed_200_leaves_200_of_a_400_contribution() -> None:
    choice = rules.daijiao_choose(
        [("minimum_allowance", "A类")], DAIJIAO, insurance="medical", contribution_fen=400 * YUAN
    )
    assert choice is not None and choice.category == "minimum_allowance" and choice.gov_fen == 200 * YUAN
    assert rules.own_fen(400 * YUAN, choice.gov_fen) == 200 * YUAN


def test_only_severe_disability_grades_count() -> None:
    severe = rules.daijiao_choose([("disabled", "二级")], DAIJIAO, insurance="medical", contribution_fen=400 * YUAN)
    mild = rules.daijiao_choose([("disabled", "三级")], DAIJIAO, insurance="medical", contribution_fen=400 * YUAN)
    assert severe is not None and severe.gov_fen == 200 * YUAN
    assert mild is None


def test_most_favourable_category_wins_and_the_others_are_kept() -> None:
    # given an orphan who is also on the minimum-allowance and monitoring lists
    lists = [("minimum_allowance", "A类"), ("orphan", "孤儿"), ("poverty_monitoring", "脱贫不稳定户")]
    choice = rules.daijiao_choose(lists, DAIJIAO, insurance="medical", contribution_fen=400 * YUAN)
    # then full (400) beats fixed (200), and the other two lists are kept in priority order
    assert choice == rules.DaijiaoChoice("orphan", 400 * YUAN, ("minimum_allowance", "poverty_monitoring"))


def test_equal_amounts_go_to_the_lower_priority_number() -> None:
    # pension: 低保 fixed 100 equals 特困 full of the 100 tier; priority 10 beats 40
    lists = [("minimum_allowance", ""), ("special_hardship", "")]
    choice = rules.daijiao_choose(lists, DAIJIAO, insurance="pension", contribution_fen=100 * YUAN)
    assert choice is not None and choice.category == "special_hardship" and choice.others == ("minimum_allowance",)


def test_a_fixed_amount_is_capped_at_the_contribution() -> None:
    rule = Daijiao("minimum_allowance", "medical", "fixed", 500 * YUAN)
    assert rules.daijiao_fen(rule, 400 * YUAN) == 400 * YUAN
    assert rules.daijiao_fen(Daijiao("x", "medical", "none"), 400 * YUAN) == 0


def test_own_part_never_goes_below_zero() -> None:
    assert rules.own_fen(100 * YUAN, 300 * YUAN) == 0
    assert rules.own_fen(500 * YUAN, 100 * YUAN) == 400 * YUAN


@pytest.mark.parametrize(
    ("tiers", "insurance", "codes"),
    [
        ([Tier(400 * YUAN, 700 * YUAN, True)], "medical", []),
        ([Tier(400 * YUAN, 0, True), Tier(500 * YUAN, 0)], "medical", ["medical_one_amount"]),
        ([Tier(0, 0, True)], "pension", ["tier_not_positive"]),
        ([Tier(100 * YUAN, 30 * YUAN, True), Tier(100 * YUAN, 30 * YUAN)], "pension", ["tier_duplicate"]),
        ([Tier(100 * YUAN), Tier(200 * YUAN)], "pension", ["tier_default_count"]),
        ([], "pension", ["tiers_empty"]),
    ],
)
def test_tier_problems(tiers: list[Tier], insurance: str, codes: list[str]) -> None:
    assert [p.code for p in rules.tier_problems(tiers, insurance=insurance)] == codes


def test_without_a_marked_default_the_lowest_tier_becomes_it() -> None:
    ordered = rules.tiers_with_default([Tier(500 * YUAN, 60 * YUAN), Tier(100 * YUAN, 30 * YUAN)])
    assert [t.amount_fen for t in ordered] == [100 * YUAN, 500 * YUAN]
    assert ordered[0].is_default and rules.default_tier(ordered) == ordered[0]


def test_a_fixed_daijiao_above_the_contribution_is_a_problem() -> None:
    items = [Daijiao("minimum_allowance", "pension", "fixed", 150 * YUAN)]
    problems = rules.daijiao_problems(items, contribution_fen={"pension": 100 * YUAN, "medical": 400 * YUAN})
    assert [p.code for p in problems] == ["daijiao_above_contribution"]
    assert problems[0].params["limit_fen"] == 100 * YUAN


@pytest.mark.parametrize(
    ("age", "categories", "status", "reason"),
    [
        (15, (), "active", "under_age"),
        (16, (), "active", None),
        (59, (), "active", None),
        (60, (), "active", "over_age"),
        (75, (), "active", "over_age"),
        (18, ("student",), "active", "category:student"),
        (40, ("employee_scheme",), "active", "category:employee_scheme"),
        (40, (), "deceased", "status:deceased"),
        (40, (), "moved_away", "status:moved_away"),
    ],
)
def test_pension_pays_from_16_to_under_60(
    age: int, categories: tuple[str, ...], status: str, reason: str | None
) -> None:
    assert rules.not_paying_reason(PENSION, age_years=age, status=status, categories=categories) == reason


@pytest.mark.parametrize(
    ("age", "categories", "reason"),
    [(0, (), None), (18, ("student",), None), (80, (), None), (40, ("employee_scheme",), "category:employee_scheme")],
)
def test_medical_has_no_age_bounds_and_students_pay(age: int, categories: tuple[str, ...], reason: str | None) -> None:
    assert rules.not_paying_reason(MEDICAL, age_years=age, status="active", categories=categories) == reason


def test_household_registration_outside_the_county_does_not_pay() -> None:
    assert rules.not_paying_reason(PENSION, age_years=30, status="active", local_household=False) == "not_local"


def test_age_is_whole_years_on_the_reckoning_day() -> None:
    on = rules.age_on_date(2027, "01-01")
    assert rules.age(dt.date(1967, 1, 1), on) == 60
    assert rules.age(dt.date(1967, 1, 2), on) == 59
    assert rules.age_on_date(2027, "02-29") == dt.date(2027, 2, 28)


def test_eligibility_problems() -> None:
    assert [p.code for p in rules.eligibility_problems(Eligibility(60, 16))] == ["age_bounds"]
    assert [p.code for p in rules.eligibility_problems(Eligibility(age_on="13-01"))] == ["age_on_invalid"]
    assert [p.code for p in rules.eligibility_problems(Eligibility(exclude_statuses=("gone",)))] == ["status_unknown"]
    assert rules.eligibility_problems(PENSION) == []
