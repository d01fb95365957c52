"""The calendar API: its years and a deadline in working days, pending when a year is not confirmed."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.security import django_auth
from pydantic import Field

from . import calendar as cal

# The one place the calendar API's authentication is chosen.
CALENDAR_AUTH = django_auth

router = Router(tags=["calendar"], auth=CALENDAR_AUTH)


class YearOut(Schema):
    year: int
    confirmed: bool
    complete: bool
    confirmed_by: str
    confirmed_at: dt.datetime | None
    source: str
    days: int
    workdays: int
    holidays: int
    adjusted_workdays: int
    regional_holidays: int


class DeadlineQuery(Schema):
    start: dt.date = Field(
        ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31), description="The day the count starts after (not counted)."
    )
    working_days: int = Field(ge=1, le=366, description="How many working days after start.")


class DeadlineOut(Schema):
    due: dt.date | None
    pending: bool
    reason: str | None
    pending_year: int | None


@router.get("/years", response=list[YearOut], summary="List the calendar's years")
def years(request: HttpRequest) -> list[YearOut]:
    """List every year of the calendar with whether the county has confirmed it."""
    return [
        YearOut(
            year=s.year,
            confirmed=s.confirmed,
            complete=s.complete,
            confirmed_by=s.confirmed_by,
            confirmed_at=s.confirmed_at,
            source=s.source,
            days=s.days,
            workdays=s.workdays,
            holidays=s.holidays,
            adjusted_workdays=s.adjusted_workdays,
            regional_holidays=s.regional_holidays,
        )
        for s in cal.calendar_years()
    ]


@router.get("/deadline", response=DeadlineOut, summary="Work out a deadline in working days")
def deadline(request: HttpRequest, q: Query[DeadlineQuery]) -> DeadlineOut:
    """Return the Nth working day after start, or pending with the year the county must confirm first."""
    # Counting stops at the first unconfirmed year, so a far start date ends pending rather than looping.
    result = cal.deadline_after_working_days(q.start, q.working_days)
    return DeadlineOut(due=result.due, pending=result.pending, reason=result.reason, pending_year=result.pending_year)
