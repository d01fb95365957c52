"""The roster's pure rules and the frame build held to them, with the numbers of SPEC 4 and 11."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from liangxian.roster import frames, rules
from liangxian.roster.rules import Daijiao, Eligibility, InsuranceRules, Tier

ON = date(2027, 1, 1)
MEDICAL = InsuranceRules(
    insurance="medical",
    eligibility=Eligibility(exclude_categories=("employee_scheme",), exclude_statuses=("deceased", "moved_away")),
    tiers=(Tier(40000, 70000, True),),
    daijiao=(
        Daijiao("special_hardship", "full", priority=1),
        Daijiao("orphan", "full", priority=2),
        Daijiao("minimum_allowance", "fixed", 20000, priority=3),
        Daijiao("disabled", "fixed", 20000, priority=5, details=("一级", "二级")),
        Daijiao("poverty_monitoring", "none", priority=4),
    ),
)
PENSION = InsuranceRules(
    insurance="pension",
    eligibility=Eligibility(16, 60, "01-01", "领取养老金", ("student", "employee_scheme"), ("deceased", "moved_away")),
    tiers=tuple(Tier(y * 100, 3000 if y < 500 else 6000, y == 200) for y in (100, 200, 300, 500, 1000, 2000)),
    daijiao=(Daijiao("special_hardship", "full", priority=1), Daijiao("minimum_allowance", "fixed", 10000, priority=3)),
)


@pytest.mark.parametrize(
    ("birth", "age"),
    [
        (date(1968, 1, 1), 59),
        (date(1967, 1, 1), 60),
        (date(1967, 1, 2), 59),
        (date(2011, 1, 1), 16),
        (date(2012, 6, 1), 14),
    ],
)
def test_age_is_whole_years_reached_on_the_reckoning_day(birth: date, age: int) -> None:
    assert rules.age_reached(birth, ON) == age


def test_29_february_falls_back_to_the_28th_in_a_common_year() -> None:
    assert rules.age_on_day(2027, "02-29") == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("status", "categories", "marks", "birth", "reason"),
    [
        ("active", [], [], date(1968, 1, 1), ""),
        ("active", [], [], date(1967, 1, 1), "over_age"),
        ("active", [], [], date(2012, 1, 1), "under_age"),
        ("deceased", [], [], date(1980, 1, 1), "deceased"),
        ("moved_away", [], ["gone"], date(1980, 1, 1), "moved_away"),
        ("active", [], ["gone"], date(1980, 1, 1), "survey_gone"),
        ("active", ["floating_population"], [], date(1980, 1, 1), "not_local"),
        ("active", ["student"], [], date(2008, 1, 1), "student"),
        ("active", ["employee_scheme"], [], date(1980, 1, 1), "employee_scheme"),
        ("active", [], [], None, "no_birth_date"),
    ],
)
def test_pension_eligibility_reasons(
    status: str, categories: list[str], marks: list[str], birth: date | None, reason: str
) -> None:
    found = rules.eligibility_reason(
        rules=PENSION.eligibility, status=status, categories=categories, marks=marks, birth=birth, on=ON
    )
    assert found == reason


def test_medical_has_no_age_limit_and_needs_no_birth_date() -> None:
    found = rules.eligibility_reason(
        rules=MEDICAL.eligibility, status="active", categories=["student"], marks=[], birth=None, on=ON
    )
    assert found == ""


@pytest.mark.parametrize(
    ("held", "category", "others", "parts"),
    [
        ([("special_hardship", "")], "special_hardship", [], (40000, 40000, 70000)),
        ([("minimum_allowance", "A类")], "minimum_allowance", [], (40000, 20000, 70000)),
        (
            [("minimum_allowance", ""), ("special_hardship", "")],
            "special_hardship",
            ["minimum_allowance"],
            (40000, 40000, 70000),
        ),
        ([("disabled", "三级")], "", [], (40000, 0, 70000)),
        ([("disabled", "一级"), ("poverty_monitoring", "")], "disabled", ["poverty_monitoring"], (40000, 20000, 70000)),
    ],
)
def test_medical_daijiao_choice_and_parts(
    held: list[tuple[str, str]], category: str, others: list[str], parts: tuple[int, int, int]
) -> None:
    chosen, kept = rules.daijiao_choose(held, MEDICAL)
    assert (chosen.category if chosen else "") == category
    assert kept == others
    assert rules.daijiao_parts(chosen, MEDICAL) == parts


def test_pension_full_daijiao_pays_the_lowest_tier_which_becomes_his_amount() -> None:
    chosen, _kept = rules.daijiao_choose([("special_hardship", "")], PENSION)
    assert rules.daijiao_parts(chosen, PENSION) == (10000, 10000, 3000)
    fixed, _kept = rules.daijiao_choose([("minimum_allowance", "")], PENSION)
    assert rules.daijiao_parts(fixed, PENSION) == (20000, 10000, 3000)


def test_equal_government_parts_are_broken_by_priority() -> None:
    chosen, kept = rules.daijiao_choose([("orphan", ""), ("special_hardship", "")], MEDICAL)
    assert chosen is not None and chosen.category == "special_hardship"
    assert kept == ["orphan"]


def test_reason_labels_carry_the_campaigns_words_for_over_age() -> None:
    assert "领取养老金" in rules.reason_label("over_age", over_age_reason="领取养老金")
    assert rules.reason_label("") == ""


def test_the_frame_build_agrees_with_the_scalar_rules() -> None:
    # Given persons covering every reason and list combination above
    cases = [
        (1, date(1968, 1, 1), "active", [("special_hardship", "")], []),
        (2, date(1967, 1, 1), "active", [("minimum_allowance", "")], []),
        (3, date(2012, 1, 1), "active", [], ["cash_only"]),
        (4, None, "active", [("disabled", "一级"), ("poverty_monitoring", "")], []),
        (5, date(1980, 1, 1), "deceased", [], []),
        (6, date(1980, 1, 1), "active", [("student", "一中"), ("minimum_allowance", "")], ["gone"]),
        (7, date(2008, 3, 1), "active", [("student", "一中"), ("orphan", "")], []),
        (8, date(1990, 1, 1), "active", [("floating_population", ""), ("special_hardship", "")], []),
    ]
    persons = pl.DataFrame(
        [(pid, birth, status, "653123100", "653123100001") for pid, birth, status, _c, _m in cases],
        schema=frames.PERSON_SCHEMA,
        orient="row",
    )
    categories = pl.DataFrame(
        [(pid, c, d) for pid, _b, _s, held, _m in cases for c, d in held], schema=frames.CATEGORY_SCHEMA, orient="row"
    )
    marks = pl.DataFrame(
        [(pid, m) for pid, _b, _s, _c, ms in cases for m in ms], schema=frames.MARK_SCHEMA, orient="row"
    )
    # When the frames build the roster
    roster = frames.roster_frame(persons, categories, marks, [MEDICAL, PENSION], coverage_year=2027)
    # Then every row is what the scalar rules say
    assert roster.height == 2 * len(cases)
    for pid, birth, status, held, ms in cases:
        for spec in (MEDICAL, PENSION):
            row = roster.filter((pl.col("person_id") == pid) & (pl.col("insurance") == spec.insurance)).row(
                0, named=True
            )
            reason = rules.eligibility_reason(
                rules=spec.eligibility, status=status, categories=[c for c, _d in held], marks=ms, birth=birth, on=ON
            )
            assert row["reason"] == reason, (pid, spec.insurance)
            assert row["cash_only"] == ("cash_only" in ms)
            if reason:
                assert (row["must_pay"], row["amount_fen"], row["gov_fen"], row["daijiao_category"]) == (
                    False,
                    0,
                    0,
                    "",
                )
                continue
            chosen, kept = rules.daijiao_choose(held, spec)
            amount, gov, subsidy = rules.daijiao_parts(chosen, spec)
            assert (row["amount_fen"], row["gov_fen"], row["own_fen"], row["subsidy_fen"]) == (
                amount,
                gov,
                amount - gov,
                subsidy,
            ), (pid, spec.insurance)
            assert row["daijiao_category"] == (chosen.category if chosen else "")
            assert row["other_categories"] == ",".join(kept)
            assert row["tiers"] == spec.tiers_text


def test_the_diff_names_only_the_fields_that_changed() -> None:
    persons = pl.DataFrame(
        [(1, date(1980, 1, 1), "active", "653123100", "653123100001")], schema=frames.PERSON_SCHEMA, orient="row"
    )
    empty_c = pl.DataFrame(schema=frames.CATEGORY_SCHEMA)
    empty_m = pl.DataFrame(schema=frames.MARK_SCHEMA)
    before = frames.roster_frame(persons, empty_c, empty_m, [MEDICAL], coverage_year=2027)
    current = before.with_columns(id=pl.lit(11, dtype=pl.Int64))
    hardship = pl.DataFrame([(1, "special_hardship", "")], schema=frames.CATEGORY_SCHEMA, orient="row")
    after = frames.roster_frame(persons, hardship, empty_m, [MEDICAL], coverage_year=2027)
    added, removed, changed = frames.roster_diff(after, current)
    assert (added.height, removed.height, changed.height) == (0, 0, 1)
    assert changed["id"].to_list() == [11]
    assert (
        changed["fields"][0] == '{"daijiao_category":["","special_hardship"],"gov_fen":[0,40000],"own_fen":[40000,0]}'
    )
    assert frames.roster_diff(before, current)[2].height == 0
