"""The synthetic county's frames: reproducible, consistent and shaped like a young rural county."""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl
import pytest

from liangxian.core.idnumbers import check_resident_id
from liangxian.demo.county import county_generate

from .conftest import SMALL


def _digest(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


def test_same_seed_gives_the_same_county(villages, small_county):
    again = county_generate(persons=SMALL, seed=7, villages=villages)

    assert _digest(again.persons) == _digest(small_county.persons)
    assert _digest(again.households) == _digest(small_county.households)


def test_another_seed_gives_another_county(villages, small_county):
    other = county_generate(persons=SMALL, seed=8, villages=villages)

    assert _digest(other.persons) != _digest(small_county.persons)
    assert set(other.persons["id_number"]) != set(small_county.persons["id_number"])


def test_persons_add_up_to_the_households(small_county):
    persons, households = small_county.persons, small_county.households

    assert persons.height == SMALL
    assert households["size"].sum() == SMALL
    assert households["size"].min() >= 1
    assert households["size"].max() <= 8
    per_household = persons.group_by("number").agg(members=pl.len(), heads=(pl.col("relation") == "户主").sum())
    assert per_household["heads"].to_list() == [1] * households.height
    assert per_household.join(households, on="number")["members"].to_list() == (
        per_household.join(households, on="number")["size"].to_list()
    )
    assert set(persons["relation"]) <= {"户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女"}


def test_id_numbers_are_valid_unique_and_agree_with_birth_date_and_sex(small_county):
    persons = small_county.persons

    assert persons["id_number"].n_unique() == persons.height
    for number, birth, sex in persons.select("id_number", "birth_date", "sex").iter_rows():
        check = check_resident_id(number, today=date(2025, 9, 1))
        assert check.outcome == "accepted", (number, check.reasons)
        assert check.birth_date == birth
        assert check.sex == sex
    assert persons["id_number"].str.starts_with("6531").all()
    assert persons["id_number"].str.starts_with("653123").mean() > 0.85


def test_most_names_are_uyghur_with_a_middle_dot_and_some_are_han(small_county):
    persons = small_county.persons
    uyghur = persons.filter(pl.col("ethnicity") == "维吾尔族")
    han = persons.filter(pl.col("ethnicity") == "汉族")

    assert 0.9 < uyghur.height / persons.height < 0.99
    assert uyghur["name"].str.contains(r"^[\u4e00-\u9fff]+·[\u4e00-\u9fff]+$").all()
    assert han["name"].str.contains(r"^[\u4e00-\u9fff]{2,3}$").all()


def test_children_carry_their_fathers_name(small_county):
    persons = small_county.persons.filter(pl.col("ethnicity") == "维吾尔族")
    fathers = persons.filter((pl.col("relation") == "户主") & (pl.col("sex") == "M")).select(
        "number", father=pl.col("given")
    )
    children = persons.filter(pl.col("relation").is_in(["子", "女"])).join(fathers, on="number")

    assert children.height > 0
    assert (children["name"].str.split("·").list.get(1) == children["father"]).all()


def test_the_population_is_young(villages):
    persons = county_generate(persons=50_000, seed=1, villages=villages).persons

    under_15 = (persons["age"] < 15).mean()
    over_65 = (persons["age"] >= 65).mean()
    assert 0.25 < under_15 < 0.35
    assert 0.03 < over_65 < 0.09
    assert persons["age"].max() <= 100


def test_residents_spread_over_most_villages(small_county, villages):
    assert small_county.persons["village_code"].n_unique() > 0.8 * villages.height
    assert small_county.persons["village_code"].is_in(villages["village_code"].implode()).all()
    assert small_county.persons["township_code"].n_unique() >= 14


@pytest.mark.parametrize(
    ("column", "low", "high"),
    [
        ("disabled", 0.012, 0.03),
        ("special_hardship", 0.004, 0.006),
        ("orphan", 0.0005, 0.0015),
        ("employee_scheme", 0.015, 0.025),
        ("student", 0.15, 0.25),
    ],
)
def test_person_categories_have_realistic_shares(villages, column, low, high):
    persons = county_generate(persons=50_000, seed=1, villages=villages).persons

    assert low <= persons[column].mean() <= high


def test_statuses_phones_and_household_lists_have_realistic_shares(villages):
    county = county_generate(persons=50_000, seed=1, villages=villages)
    persons, households = county.persons, county.households

    assert 0.003 < (persons["status"] == "deceased").mean() < 0.009
    assert 0.006 < (persons["status"] == "moved_away").mean() < 0.015
    assert persons.filter(pl.col("status") != "active")["status_date"].is_not_null().all()
    assert persons.filter(pl.col("status") == "active")["status_date"].is_null().all()
    assert 0.6 < persons["phone"].is_not_null().mean() < 0.8
    assert persons["phone"].drop_nulls().str.contains(r"^1[3-9][0-9]{9}$").all()
    assert 0.055 < households["minimum_allowance"].mean() < 0.065
    assert 0.025 < households["monitored"].mean() < 0.035
    assert (persons.filter(pl.col("orphan"))["age"] < 18).all()


def test_students_have_a_school_and_a_grade_and_are_of_school_age(small_county):
    students = small_county.persons.filter(pl.col("student"))

    assert students["school"].is_not_null().all()
    assert students["grade"].is_not_null().all()
    assert students["age"].is_between(6, 22).all()
    assert (students["age"] <= 18).mean() > 0.9


def test_disability_certificates_extend_the_id_number(small_county):
    disabled = small_county.persons.filter(pl.col("disabled"))

    assert disabled.height > 0
    assert (disabled["disability_cert"].str.slice(0, 18) == disabled["id_number"]).all()
    assert disabled["disability_grade"].is_in(["一级", "二级", "三级", "四级"]).all()


def test_a_county_needs_persons_and_villages(villages):
    with pytest.raises(ValueError, match="at least 1"):
        county_generate(persons=0, seed=1, villages=villages)
    with pytest.raises(ValueError, match="no villages"):
        county_generate(persons=10, seed=1, villages=villages.clear())
