"""Pure rules of the payer's pages: masking for the public, the waiting period (SPEC 11), the lockout window."""

from __future__ import annotations

import calendar
from datetime import date

# After this many failed lookups of one ID number within the window, the ID is locked for the window.
FAILURE_LIMIT = 5
WINDOW_MINUTES = 15
# One client address may fail this many times within the window, across any ID numbers.
IP_FAILURE_LIMIT = 20
# The payer's session lasts this long after he proved who he is.
SESSION_SECONDS = 600
# Enrolling outside the concentrated period, or after a break, waits this many months (SPEC 11, from 2025).
WAITING_MONTHS = 3
WAITING_FROM_YEAR = 2025


def mask_name(name: str) -> str:
    """Show a name to the public as its first character and a full-width asterisk (张三 → 张＊)."""
    name = name.strip()
    return f"{name[:1]}＊" if name else ""


def add_months(day: date, months: int) -> date:
    """Move a date by whole months, keeping the day where the month has it (else its last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def waiting_until(
    *, insurance: str, coverage_year: int, paid_on: date, period_end: date, had_break: bool
) -> date | None:
    """Return when benefits start after a waiting period, or None when none applies (SPEC 11).

    Medical insurance only: paying after the concentrated period ends, or after a break (a year he had to pay
    and did not), waits ``WAITING_MONTHS`` from the payment, and never starts before the coverage year.
    """
    if insurance != "medical" or coverage_year < WAITING_FROM_YEAR:
        return None
    if paid_on <= period_end and not had_break:
        return None
    return max(date(coverage_year, 1, 1), add_months(paid_on, WAITING_MONTHS))


def locked(failures_in_window: int) -> bool:
    """Tell whether an ID number with this many failures in the window is locked."""
    return failures_in_window >= FAILURE_LIMIT


def failure_delay(failures_in_window: int, base_seconds: float) -> float:
    """Seconds to hold a failed answer: longer with each recent failure, capped at eight times the base."""
    return base_seconds * min(max(failures_in_window, 1), 8)


def phone_matches(phone_on_record: str, typed: str) -> bool:
    """Tell whether the typed digits are the last four of the phone on record (none on record never matches)."""
    digits = "".join(ch for ch in phone_on_record if ch.isdigit())
    return len(digits) >= 4 and len(typed) == 4 and typed.isdigit() and digits[-4:] == typed
