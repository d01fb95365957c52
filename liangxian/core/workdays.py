"""Deadlines counted in working days or calendar days over a confirmed calendar, never guessed.

Every function takes a ``WorkCalendar`` snapshot (loaded by ``liangxian.core.calendar.work_calendar``) so the
arithmetic stays pure. Stepping through a day of a year the county has not confirmed raises
``CalendarNotConfirmed`` naming that year; ``try_deadline`` turns that into a pending result for pages.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import ParamSpec

from django.utils.translation import gettext

P = ParamSpec("P")
ONE_DAY = timedelta(days=1)


class CalendarNotConfirmed(Exception):
    """A deadline needs a day of a year whose working-day calendar the county has not confirmed."""

    code = "calendar_not_confirmed"

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year

    @property
    def message(self) -> str:
        """Say which year to enter and confirm, in the active language."""
        return gettext(
            "The working-day calendar for %(year)s has not been confirmed: enter and confirm the holidays "
            "and adjusted working days of %(year)s first."
        ) % {"year": self.year}

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class WorkCalendar:
    """The working days of the confirmed years, as one immutable snapshot."""

    workdays: frozenset[date]
    confirmed_years: frozenset[int]

    def is_confirmed(self, year: int) -> bool:
        """Tell whether the county has confirmed this year."""
        return year in self.confirmed_years


@dataclass(frozen=True)
class DeadlineResult:
    """A deadline that is either a date or pending until a year is confirmed."""

    due: date | None
    pending_year: int | None = None

    @property
    def pending(self) -> bool:
        """Tell whether the deadline waits for a year to be confirmed."""
        return self.due is None

    @property
    def reason(self) -> str | None:
        """Say why the deadline is pending, or None when it is known."""
        if self.pending_year is None:
            return None
        return CalendarNotConfirmed(self.pending_year).message


def _require_confirmed(cal: WorkCalendar, day: date) -> None:
    if day.year not in cal.confirmed_years:
        raise CalendarNotConfirmed(day.year)


def _check_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"a count of days must not be negative, got {n}")


def is_workday(cal: WorkCalendar, day: date) -> bool:
    """Tell whether government offices work on this day; raise if its year is not confirmed."""
    _require_confirmed(cal, day)
    return day in cal.workdays


def add_working_days(cal: WorkCalendar, start: date, n: int) -> date:
    """Return the Nth working day after start, start not counted ("N 个工作日内")."""
    _check_count(n)
    day = start
    counted = 0
    while counted < n:
        if day == date.max:
            raise CalendarNotConfirmed(day.year + 1)  # no calendar reaches past date.max
        day += ONE_DAY
        _require_confirmed(cal, day)
        if day in cal.workdays:
            counted += 1
    return day


def add_days(cal: WorkCalendar, start: date, n: int) -> date:
    """Return the Nth calendar day after start, start not counted ("N 日内")."""
    # The calendar is not consulted: calendar days are the same in every year. The parameter keeps the
    # signature uniform with add_working_days so callers can pick either from campaign rule data.
    del cal
    _check_count(n)
    return start + timedelta(days=n)


def month_end(year: int, month: int) -> date:
    """Return the last day of the month."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")
    return date(year, month, calendar.monthrange(year, month)[1])


def quarter_end(year: int, quarter: int) -> date:
    """Return the last day of the quarter."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1-4, got {quarter}")
    return month_end(year, quarter * 3)


def working_days_after_month_end(cal: WorkCalendar, year: int, month: int, n: int) -> date:
    """Return the Nth working day after the month's end ("每月终了后 N 个工作日内")."""
    return add_working_days(cal, month_end(year, month), n)


def days_after_quarter_end(year: int, quarter: int, n: int) -> date:
    """Return the Nth calendar day after the quarter's end ("每季度终了5日内", Art 12)."""
    _check_count(n)
    return quarter_end(year, quarter) + timedelta(days=n)


def try_deadline(compute: Callable[P, date], *args: P.args, **kwargs: P.kwargs) -> DeadlineResult:
    """Compute a deadline, or mark it pending with the year to confirm instead of raising."""
    try:
        return DeadlineResult(due=compute(*args, **kwargs))
    except CalendarNotConfirmed as exc:
        return DeadlineResult(due=None, pending_year=exc.year)
