"""Deadlines in working days and calendar days, counted from the measures' own wording."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from liangxian.core.workdays import (
    CalendarNotConfirmed,
    WorkCalendar,
    add_days,
    add_working_days,
    days_after_quarter_end,
    is_workday,
    month_end,
    quarter_end,
    try_deadline,
    working_days_after_month_end,
)


def national_calendar(*years: int) -> WorkCalendar:
    """Build a snapshot of the State Council's calendar for the given years, all confirmed."""
    workdays = set()
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            if chinese_calendar.is_workday(day):
                workdays.add(day)
            day += timedelta(days=1)
    return WorkCalendar(workdays=frozenset(workdays), confirmed_years=frozenset(years))


CAL = national_calendar(2024, 2025, 2026)


def test_two_working_days_after_the_friday_before_national_day_skip_the_holiday_and_count_the_adjusted_sunday() -> None:
    # given Friday 2025-09-26; Sunday 09-28 is an adjusted working day, 10-01..10-08 are off
    # when / then
    assert add_working_days(CAL, date(2025, 9, 26), 2) == date(2025, 9, 29)
    assert add_working_days(CAL, date(2025, 9, 26), 4) == date(2025, 10, 9)


def test_an_adjusted_saturday_working_day_counts() -> None:
    # given Saturday 2025-10-11 is an adjusted working day after the National Day holiday
    assert date(2025, 10, 11).weekday() == 5
    # when / then
    assert add_working_days(CAL, date(2025, 10, 10), 1) == date(2025, 10, 11)
    assert is_workday(CAL, date(2025, 10, 11))


def test_the_start_day_is_not_counted() -> None:
    assert add_working_days(CAL, date(2025, 3, 3), 1) == date(2025, 3, 4)  # Monday -> Tuesday


def test_a_regional_holiday_removed_from_the_workdays_pushes_the_deadline() -> None:
    # given the county entered 2025-03-31 (Monday) as 肉孜节
    cal = WorkCalendar(workdays=CAL.workdays - {date(2025, 3, 31)}, confirmed_years=CAL.confirmed_years)
    # when / then: one working day after Friday 03-28 is Tuesday 04-01, not Monday
    assert add_working_days(cal, date(2025, 3, 28), 1) == date(2025, 4, 1)


@pytest.mark.parametrize(
    ("year", "quarter", "due"),
    [
        (2025, 1, date(2025, 4, 5)),
        (2025, 2, date(2025, 7, 5)),
        (2025, 3, date(2025, 10, 5)),
        (2026, 4, date(2027, 1, 5)),  # calendar days: no year needs confirming
    ],
)
def test_five_days_after_quarter_end_are_calendar_days(year: int, quarter: int, due: date) -> None:
    # Art 12: "每季度终了5日内"
    assert days_after_quarter_end(year, quarter, 5) == due


def test_working_days_after_month_end_count_from_the_last_day_of_the_month() -> None:
    # given January 2025 ends on a Friday; the Spring Festival holiday runs 01-28..02-04
    assert working_days_after_month_end(CAL, 2025, 1, 3) == date(2025, 2, 7)


def test_three_working_days_after_december_2026_fall_in_unconfirmed_2027_and_raise_naming_it() -> None:
    # when
    with pytest.raises(CalendarNotConfirmed) as caught:
        working_days_after_month_end(CAL, 2026, 12, 3)
    # then
    assert caught.value.year == 2027
    assert caught.value.code == "calendar_not_confirmed"
    with translation.override("zh-hans"):
        assert str(caught.value) == "2027 年的工作日历尚未确认，请先录入并确认 2027 年的节假日和调休安排"


def test_crossing_an_unconfirmed_year_raises_even_when_the_next_is_confirmed() -> None:
    # given 2024 and 2026 confirmed, 2025 not
    cal = WorkCalendar(workdays=CAL.workdays, confirmed_years=frozenset({2024, 2026}))
    with pytest.raises(CalendarNotConfirmed) as caught:
        add_working_days(cal, date(2024, 12, 31), 300)
    assert caught.value.year == 2025


def test_try_deadline_returns_pending_with_the_reason_instead_of_raising() -> None:
    # when
    result = try_deadline(working_days_after_month_end, CAL, 2026, 12, 3)
    # then
    assert result.pending and result.due is None and result.pending_year == 2027
    with translation.override("zh-hans"):
        assert result.reason is not None and result.reason.startswith("2027 年的工作日历尚未确认")


def test_try_deadline_returns_the_date_when_every_year_is_confirmed() -> None:
    result = try_deadline(add_working_days, CAL, date(2025, 9, 26), 2)
    assert not result.pending and result.due == date(2025, 9, 29) and result.reason is None


def test_is_workday_raises_for_an_unconfirmed_year() -> None:
    with pytest.raises(CalendarNotConfirmed):
        is_workday(CAL, date(2027, 1, 4))


def test_calendar_days_need_no_confirmed_year() -> None:
    assert add_days(CAL, date(2026, 12, 30), 5) == date(2027, 1, 4)


def test_zero_days_is_the_start_and_negative_counts_are_refused() -> None:
    assert add_working_days(CAL, date(2025, 10, 1), 0) == date(2025, 10, 1)
    with pytest.raises(ValueError):
        add_working_days(CAL, date(2025, 10, 1), -1)
    with pytest.raises(ValueError):
        add_days(CAL, date(2025, 10, 1), -1)


def test_counting_past_the_last_representable_date_raises_not_confirmed_instead_of_overflowing() -> None:
    with pytest.raises(CalendarNotConfirmed):
        add_working_days(CAL, date.max, 1)


@pytest.mark.parametrize(
    ("year", "month", "end"),
    [(2024, 2, date(2024, 2, 29)), (2025, 2, date(2025, 2, 28)), (2025, 12, date(2025, 12, 31))],
)
def test_month_end_knows_leap_years(year: int, month: int, end: date) -> None:
    assert month_end(year, month) == end


def test_quarter_end_and_bad_months_or_quarters() -> None:
    assert quarter_end(2025, 2) == date(2025, 6, 30)
    with pytest.raises(ValueError):
        month_end(2025, 13)
    with pytest.raises(ValueError):
        quarter_end(2025, 5)


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 12, 31)),
    n=st.integers(min_value=1, max_value=120),
)
def test_the_nth_working_day_is_a_working_day_with_exactly_n_working_days_up_to_it(start: date, n: int) -> None:
    due = add_working_days(CAL, start, n)
    assert due in CAL.workdays
    counted = sum(1 for i in range(1, (due - start).days + 1) if start + timedelta(days=i) in CAL.workdays)
    assert counted == n
