from datetime import date
from typing import Any

import pytest

from liangxian.portal import rules


@pytest.mark.parametrize(
    ("name", "masked"), [("阿依古丽·艾买提", "阿＊"), ("王芳", "王＊"), ("", ""), ("  李明 ", "李＊")]
)
def test_a_name_shows_only_its_first_character(name: str, masked: str) -> None:
    assert rules.mask_name(name) == masked


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2026, 5, 2), 3, date(2026, 8, 2)),
    ],
)
def test_months_are_added_keeping_the_day_where_it_exists(day: date, months: int, expected: date) -> None:
    assert rules.add_months(day, months) == expected


def test_paying_inside_the_concentrated_period_has_no_waiting_period() -> None:
    assert (
        rules.waiting_until(
            insurance="medical",
            coverage_year=2027,
            paid_on=date(2026, 11, 2),
            period_end=date(2026, 12, 31),
            had_break=False,
        )
        is None
    )


def test_paying_after_the_period_waits_three_months_from_the_payment() -> None:
    assert rules.waiting_until(
        insurance="medical",
        coverage_year=2027,
        paid_on=date(2027, 3, 10),
        period_end=date(2026, 12, 31),
        had_break=False,
    ) == date(2027, 6, 10)


def test_a_break_waits_but_never_starts_before_the_coverage_year() -> None:
    assert rules.waiting_until(
        insurance="medical", coverage_year=2027, paid_on=date(2026, 9, 1), period_end=date(2026, 12, 31), had_break=True
    ) == date(2027, 1, 1)


def test_pension_and_years_before_2025_have_no_waiting_period() -> None:
    late: dict[str, Any] = {"paid_on": date(2027, 3, 10), "period_end": date(2026, 12, 31), "had_break": True}
    assert rules.waiting_until(insurance="pension", coverage_year=2027, **late) is None
    assert rules.waiting_until(insurance="medical", coverage_year=2024, **late) is None


@pytest.mark.parametrize(
    ("phone", "typed", "ok"),
    [
        ("13999800001", "0001", True),
        ("139 9980 0001", "0001", True),
        ("13999800001", "9001", False),
        ("", "", False),
        ("12", "12", False),
    ],
)
def test_the_phone_secret_is_its_last_four_digits(phone: str, typed: str, ok: bool) -> None:
    assert rules.phone_matches(phone, typed) is ok


def test_five_failures_lock_and_the_delay_grows() -> None:
    assert not rules.locked(4)
    assert rules.locked(5)
    assert rules.failure_delay(1, 0.5) < rules.failure_delay(3, 0.5) <= rules.failure_delay(100, 0.5) == 4.0
