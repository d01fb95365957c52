"""The working-day calendar table: seeding, the county's corrections and confirmation, and its reads.

National holidays and adjusted working days come from ``chinesecalendar`` (the State Council's notices);
Xinjiang's regional holidays (肉孜节, 古尔邦节) are in no library, so the county enters them. A year is used
for deadlines only once the county confirms it (see ``liangxian.core.workdays``).
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import chinese_calendar
from chinese_calendar.constants import Holiday
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext

from .audit import audit_record
from .models import CalendarDay, CalendarYear, DayKind
from .workdays import DeadlineResult, WorkCalendar, add_working_days, try_deadline

if TYPE_CHECKING:
    from liangxian.org.models import User

FIRST_YEAR = 2004  # the first year chinesecalendar knows
LIBRARY_VERSION: str = getattr(chinese_calendar, "__version__", "")
SEED_SOURCE = f"chinesecalendar {LIBRARY_VERSION} (国务院办公厅通知)"
DAY_SOURCE_LIBRARY = f"chinesecalendar {LIBRARY_VERSION}"
DAY_SOURCE_COUNTY = "county"
DAY_SOURCE_DRAFT = "draft"
DRAFT_SOURCE = "county draft from weekends"

WORKING_KINDS = frozenset({DayKind.WORKDAY, DayKind.ADJUSTED_WORKDAY})
NAMED_KINDS = frozenset({DayKind.HOLIDAY, DayKind.REGIONAL_HOLIDAY})
# Sent after the commit that confirms a year, with ``year`` and ``actor``: deadlines that waited for the year's
# calendar are computed then (the obligations app connects here).
calendar_year_confirmed = Signal()

# The roles of the tax unit that keep the calendar: tax counts the payment deadlines (Art 8).
EDITING_TAX_ROLES = frozenset({"staff", "leader"})


class CalendarError(Exception):
    """A change to the calendar that cannot be made; ``code`` says which rule it broke."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CalendarEditDenied(PermissionDenied):
    """The user may read the calendar but not change it."""

    code = "calendar_edit_denied"


# --- who may edit -------------------------------------------------------------------------------------------


def can_edit_calendar(user: User | None) -> bool:
    """Tell whether the user keeps the calendar: tax staff or leader, a system administrator or a superuser."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.role == "sysadmin":
        return True
    unit = user.unit
    return (
        unit is not None and unit.kind == "department" and unit.department == "tax" and user.role in EDITING_TAX_ROLES
    )


def _check_editor(actor: User | None) -> None:
    # None is the system itself (management commands run by the host's operator), never a web request.
    if actor is not None and not can_edit_calendar(actor):
        raise CalendarEditDenied(gettext("Only the tax bureau or a system administrator may change the calendar."))


# --- reads --------------------------------------------------------------------------------------------------


def work_calendar() -> WorkCalendar:
    """Load the working days of every confirmed year as one snapshot."""
    confirmed = frozenset(CalendarYear.objects.filter(confirmed=True).values_list("year", flat=True))
    workdays = frozenset(
        CalendarDay.objects.filter(is_workday=True, year__confirmed=True).values_list("date", flat=True)
    )
    return WorkCalendar(workdays=workdays, confirmed_years=confirmed)


@dataclass(frozen=True)
class YearSummary:
    """One calendar year with its counts of days by kind."""

    year: int
    source: str
    confirmed: bool
    confirmed_by: str
    confirmed_at: Any
    days: int
    workdays: int
    holidays: int
    adjusted_workdays: int
    regional_holidays: int

    @property
    def complete(self) -> bool:
        """Tell whether every day of the year has been entered."""
        return self.days == (366 if pycalendar.isleap(self.year) else 365)


def calendar_years() -> list[YearSummary]:
    """List every year of the calendar with its confirmation and counts."""
    counts: dict[int, Counter[str]] = {}
    for row in CalendarDay.objects.values("year_id", "kind").order_by().annotate(n=Count("date")):
        counts.setdefault(row["year_id"], Counter())[row["kind"]] = row["n"]
    result = []
    for y in CalendarYear.objects.select_related("confirmed_by").order_by("year"):
        c = counts.get(y.year, Counter())
        result.append(
            YearSummary(
                year=y.year,
                source=y.source,
                confirmed=y.confirmed,
                confirmed_by=str(y.confirmed_by) if y.confirmed_by else ("system" if y.confirmed else ""),
                confirmed_at=y.confirmed_at,
                days=sum(c.values()),
                workdays=c[DayKind.WORKDAY] + c[DayKind.ADJUSTED_WORKDAY],
                holidays=c[DayKind.HOLIDAY],
                adjusted_workdays=c[DayKind.ADJUSTED_WORKDAY],
                regional_holidays=c[DayKind.REGIONAL_HOLIDAY],
            )
        )
    return result


def calendar_year_get(year: int) -> CalendarYear | None:
    """Return the calendar year, or None if nobody has entered it."""
    return CalendarYear.objects.select_related("confirmed_by").filter(year=year).first()


@dataclass(frozen=True)
class DayCell:
    """One day in a month grid; ``kind`` is empty when the day has not been entered."""

    date: dt.date
    kind: str
    is_workday: bool
    name: str

    @property
    def marker(self) -> str:
        """Return the short mark printed on Chinese calendars: 休 for a day off, 班 for an adjusted working day."""
        if self.kind in NAMED_KINDS:
            return gettext("Off")
        if self.kind == DayKind.ADJUSTED_WORKDAY:
            return gettext("Work")
        return ""


@dataclass(frozen=True)
class MonthGrid:
    """A month laid out in weeks from Monday; None pads the days of other months."""

    month: int
    weeks: list[list[DayCell | None]]


def calendar_year_months(year: int) -> list[MonthGrid]:
    """Lay out the year's twelve months as week rows for the calendar page."""
    days = {d.date: d for d in CalendarDay.objects.filter(year_id=year)}
    grids = []
    layout = pycalendar.Calendar(firstweekday=0)
    for month in range(1, 13):
        weeks: list[list[DayCell | None]] = []
        for week in layout.monthdayscalendar(year, month):
            row: list[DayCell | None] = []
            for n in week:
                if n == 0:
                    row.append(None)
                    continue
                d = dt.date(year, month, n)
                entered = days.get(d)
                row.append(
                    DayCell(d, entered.kind, entered.is_workday, entered.name) if entered else DayCell(d, "", False, "")
                )
            weeks.append(row)
        grids.append(MonthGrid(month=month, weeks=weeks))
    return grids


def calendar_special_days(year: int) -> list[CalendarDay]:
    """List the year's holidays, regional holidays and adjusted working days in date order."""
    return list(
        CalendarDay.objects.filter(
            year_id=year, kind__in=[DayKind.HOLIDAY, DayKind.REGIONAL_HOLIDAY, DayKind.ADJUSTED_WORKDAY]
        ).order_by("date")
    )


def deadline_after_working_days(start: dt.date, n: int) -> DeadlineResult:
    """Return the Nth working day after start, or pending with the year to confirm."""
    return try_deadline(add_working_days, work_calendar(), start, n)


# --- building days ------------------------------------------------------------------------------------------


@functools.cache
def library_last_year() -> int:
    """Return the last year chinesecalendar has the State Council's arrangements for."""
    year = FIRST_YEAR
    while True:
        try:
            chinese_calendar.is_workday(dt.date(year + 1, 1, 1))
        except NotImplementedError:
            return year
        year += 1


def _weekend(day: dt.date) -> bool:
    # Building the calendar itself is the one place where the weekday decides: it is the base the
    # State Council's and the county's arrangements correct.
    return day.weekday() >= 5


def _library_day(day: dt.date) -> tuple[str, bool, str]:
    """Classify a day from chinesecalendar as (kind, is_workday, name)."""
    working = chinese_calendar.is_workday(day)
    _on_holiday, english = chinese_calendar.get_holiday_detail(day)
    name = Holiday(english).chinese if english else ""
    if working:
        return (DayKind.ADJUSTED_WORKDAY, True, name) if _weekend(day) else (DayKind.WORKDAY, True, "")
    if name:
        return DayKind.HOLIDAY, False, name
    return (DayKind.WEEKEND, False, "") if _weekend(day) else (DayKind.HOLIDAY, False, "")


def _weekend_day(day: dt.date) -> tuple[str, bool, str]:
    return (DayKind.WEEKEND, False, "") if _weekend(day) else (DayKind.WORKDAY, True, "")


def _default_day(day: dt.date) -> tuple[str, bool, str, str]:
    """Return the day as the library or, beyond it, the weekends alone would have it, with its source."""
    if FIRST_YEAR <= day.year <= library_last_year():
        return (*_library_day(day), DAY_SOURCE_LIBRARY)
    return (*_weekend_day(day), DAY_SOURCE_DRAFT)


def _year_days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range(366 if pycalendar.isleap(year) else 365)]


def _days_in_year(year: int) -> int:
    return 366 if pycalendar.isleap(year) else 365


# --- writes -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedResult:
    """What a seeding run added."""

    first_year: int
    last_year: int
    years_created: int
    days_created: int


def calendar_seed(*, actor: User | None, first_year: int = FIRST_YEAR, last_year: int | None = None) -> SeedResult:
    """Add the national holidays and adjusted working days from chinesecalendar, keeping every county entry."""
    _check_editor(actor)
    library_last = library_last_year()
    first_year = max(first_year, FIRST_YEAR)
    last_year = library_last if last_year is None else min(last_year, library_last)
    with transaction.atomic():
        years = range(first_year, last_year + 1)
        existing_years = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
        new_years = [CalendarYear(year=y, source=SEED_SOURCE) for y in years if y not in existing_years]
        CalendarYear.objects.bulk_create(new_years)
        existing_days = set(CalendarDay.objects.filter(year_id__in=years).values_list("date", flat=True))
        new_days = []
        for y in years:
            for day in _year_days(y):
                if day in existing_days:
                    continue  # a county correction or regional holiday stays as entered
                kind, working, name = _library_day(day)
                new_days.append(
                    CalendarDay(
                        date=day, year_id=y, kind=kind, is_workday=working, name=name, source=DAY_SOURCE_LIBRARY
                    )
                )
        CalendarDay.objects.bulk_create(new_days, batch_size=2000)
        if new_years or new_days:
            audit_record(
                actor=actor,
                action="calendar.seed",
                object_type="core.calendaryear",
                object_id=f"{first_year}-{last_year}",
                payload={
                    "source": SEED_SOURCE,
                    "first_year": first_year,
                    "last_year": last_year,
                    "years_created": [y.year for y in new_years],
                    "days_created": len(new_days),
                },
            )
    return SeedResult(first_year, last_year, len(new_years), len(new_days))


def calendar_year_generate_draft(*, actor: User | None, year: int) -> CalendarYear:
    """Enter a new year's days as a draft (weekends off) for the county to correct and then confirm."""
    _check_editor(actor)
    if not 2000 <= year <= 2100:
        raise CalendarError("calendar_year_out_of_range", gettext("Enter a year between 2000 and 2100."))
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        if row is not None and row.days.exists():
            raise CalendarError(
                "calendar_year_exists", gettext("The days of %(year)s have already been entered.") % {"year": year}
            )
        in_library = FIRST_YEAR <= year <= library_last_year()
        source = SEED_SOURCE if in_library else DRAFT_SOURCE
        if row is None:
            row = CalendarYear.objects.create(year=year, source=source)
        else:
            row.source = source
            row.save(update_fields=["source"])
        days = []
        for day in _year_days(year):
            kind, working, name, day_source = _default_day(day)
            days.append(CalendarDay(date=day, year=row, kind=kind, is_workday=working, name=name, source=day_source))
        CalendarDay.objects.bulk_create(days)
        audit_record(
            actor=actor,
            action="calendar.year_generate",
            obj=row,
            payload={"source": source, "days": len(days), "workdays": sum(d.is_workday for d in days)},
        )
    return row


def calendar_year_confirm(*, actor: User | None, year: int) -> CalendarYear:
    """Confirm a year's holidays and adjusted working days so deadlines may fall in it."""
    _check_editor(actor)
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        if row is None:
            raise CalendarError(
                "calendar_year_missing",
                gettext("The days of %(year)s have not been entered: generate the year first.") % {"year": year},
            )
        if row.confirmed:
            raise CalendarError(
                "calendar_year_already_confirmed", gettext("%(year)s is already confirmed.") % {"year": year}
            )
        kinds = Counter(row.days.values_list("kind", flat=True))
        entered = sum(kinds.values())
        if entered != _days_in_year(year):
            raise CalendarError(
                "calendar_year_incomplete",
                gettext("Only %(entered)s of the %(total)s days of %(year)s have been entered.")
                % {"entered": entered, "total": _days_in_year(year), "year": year},
            )
        row.confirmed = True
        row.confirmed_by = actor
        row.confirmed_at = timezone.now()
        row.save(update_fields=["confirmed", "confirmed_by", "confirmed_at"])
        audit_record(
            actor=actor,
            action="calendar.year_confirm",
            obj=row,
            payload={"source": row.source, "kinds": dict(kinds)},
        )
        transaction.on_commit(lambda: calendar_year_confirmed.send(sender=CalendarYear, year=year, actor=actor))
    return row


def _locked_day(day: dt.date) -> CalendarDay:
    found = CalendarDay.objects.select_for_update().select_related("year").filter(date=day).first()
    if found is None:
        raise CalendarError(
            "calendar_day_missing",
            gettext("The days of %(year)s have not been entered: generate the year first.") % {"year": day.year},
        )
    return found


def _change_day(*, actor: User | None, action: str, day: CalendarDay, kind: str, name: str, source: str) -> CalendarDay:
    before = {"kind": day.kind, "is_workday": day.is_workday, "name": day.name, "source": day.source}
    day.kind = kind
    day.is_workday = kind in WORKING_KINDS
    day.name = name
    day.source = source
    after = {"kind": day.kind, "is_workday": day.is_workday, "name": day.name, "source": day.source}
    if before == after:
        return day
    day.save(update_fields=["kind", "is_workday", "name", "source"])
    audit_record(
        actor=actor,
        action=action,
        obj=day,
        payload={"date": day.date.isoformat(), "before": before, "after": after, "year_confirmed": day.year.confirmed},
    )
    return day


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if len(name) > 60:
        raise CalendarError("calendar_name_too_long", gettext("A holiday name has at most 60 characters."))
    return name


def calendar_day_set(*, actor: User | None, date: dt.date, kind: str, name: str = "") -> CalendarDay:
    """Correct one day's kind, e.g. enter a holiday or an adjusted working day the draft lacks."""
    _check_editor(actor)
    if kind not in DayKind.values:
        raise CalendarError("calendar_kind_unknown", gettext("Unknown kind of day."))
    name = _clean_name(name)
    if kind in NAMED_KINDS and not name:
        raise CalendarError("calendar_name_required", gettext("A holiday needs its name."))
    if kind in (DayKind.WEEKEND, DayKind.ADJUSTED_WORKDAY) and not _weekend(date):
        raise CalendarError(
            "calendar_kind_needs_weekend",
            gettext("Only a Saturday or Sunday can be a weekend or adjusted working day."),
        )
    if kind == DayKind.WORKDAY and _weekend(date):
        raise CalendarError(
            "calendar_kind_needs_weekday",
            gettext("A Saturday or Sunday on which offices work is an adjusted working day."),
        )
    if kind in (DayKind.WORKDAY, DayKind.WEEKEND):
        name = ""
    with transaction.atomic():
        day = _locked_day(date)
        return _change_day(
            actor=actor, action="calendar.day_set", day=day, kind=kind, name=name, source=DAY_SOURCE_COUNTY
        )


def calendar_regional_holiday_add(*, actor: User | None, date: dt.date, name: str) -> CalendarDay:
    """Enter one of Xinjiang's regional holidays (肉孜节, 古尔邦节) as a day off."""
    _check_editor(actor)
    name = _clean_name(name)
    if not name:
        raise CalendarError("calendar_name_required", gettext("A holiday needs its name."))
    with transaction.atomic():
        day = _locked_day(date)
        if day.kind == DayKind.HOLIDAY:
            raise CalendarError(
                "calendar_day_is_national_holiday",
                gettext("%(date)s is already the national holiday %(name)s.") % {"date": date, "name": day.name},
            )
        return _change_day(
            actor=actor,
            action="calendar.regional_holiday_add",
            day=day,
            kind=DayKind.REGIONAL_HOLIDAY,
            name=name,
            source=DAY_SOURCE_COUNTY,
        )


def calendar_regional_holiday_remove(*, actor: User | None, date: dt.date) -> CalendarDay:
    """Remove a regional holiday entered in error, restoring the day as the national calendar has it."""
    _check_editor(actor)
    with transaction.atomic():
        day = _locked_day(date)
        if day.kind != DayKind.REGIONAL_HOLIDAY:
            raise CalendarError(
                "calendar_day_not_regional_holiday",
                gettext("%(date)s is not a regional holiday.") % {"date": date},
            )
        kind, _working, name, source = _default_day(date)
        return _change_day(
            actor=actor, action="calendar.regional_holiday_remove", day=day, kind=kind, name=name, source=source
        )
