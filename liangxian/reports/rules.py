"""The period a report covers (Art 34): a month, a campaign's coverage year, or a date range.

Pure functions: text in, :class:`Period` out, or a :class:`PeriodError` with a code. No ORM, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final, Literal

from django.utils.translation import gettext_lazy as _

PeriodKind = Literal["month", "year", "range"]

_MONTH: Final = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR: Final = re.compile(r"^\d{4}$")
YEAR_MIN: Final = 2000
YEAR_MAX: Final = 2100
MESSAGES: Final = {
    "period_conflict": _("Choose one period: a month, a year, or a date range."),
    "bad_month": _("Give the month as YYYY-MM, e.g. 2026-11."),
    "bad_year": _("Give the coverage year as four digits, e.g. 2027."),
    "bad_range": _("Give both dates of the range as YYYY-MM-DD, the first not after the second."),
}


class PeriodError(ValueError):
    """A period that cannot be read; ``code`` names why, ``message`` says it to the clerk."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.code, self.code))


@dataclass(frozen=True)
class Period:
    """What a report counts: payments paid in ``start``..``end`` (local days, inclusive), or of one coverage year.

    A month or a range selects payments by the day they were paid (and transfers by their value date); a year
    selects the payments and transfers of that coverage year (the campaign collected in the autumn before it).
    """

    kind: PeriodKind
    start: dt.date | None = None
    end: dt.date | None = None
    year: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "year":
            return str(_("Coverage year %(year)s")) % {"year": self.year}
        if self.kind == "month" and self.start is not None:
            return f"{self.start:%Y-%m}"
        return f"{self.start} – {self.end}"

    @property
    def key(self) -> str:
        """A short text naming the period, for file names, access-log queries and JSON."""
        if self.kind == "year":
            return str(self.year)
        if self.kind == "month" and self.start is not None:
            return f"{self.start:%Y-%m}"
        return f"{self.start}_{self.end}"

    def query(self) -> dict[str, str]:
        """Return the query parameters that select this period again (links, drill-downs)."""
        if self.kind == "year":
            return {"year": str(self.year)}
        if self.kind == "month" and self.start is not None:
            return {"month": f"{self.start:%Y-%m}"}
        return {"from": str(self.start), "to": str(self.end)}


def month_period(text: str) -> Period:
    """Read ``YYYY-MM`` as the month from its first to its last day."""
    found = _MONTH.match(text.strip())
    if not found:
        raise PeriodError("bad_month")
    year, month = int(found.group(1)), int(found.group(2))
    if not (YEAR_MIN <= year <= YEAR_MAX and 1 <= month <= 12):
        raise PeriodError("bad_month")
    start = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return Period("month", start=start, end=following - dt.timedelta(days=1))


def year_period(text: str | int) -> Period:
    """Read a coverage year (the campaign's year)."""
    value = str(text).strip()
    if not _YEAR.match(value) or not (YEAR_MIN <= int(value) <= YEAR_MAX):
        raise PeriodError("bad_year")
    return Period("year", year=int(value))


def range_period(date_from: str, date_to: str) -> Period:
    """Read a range of days, both ends included."""
    try:
        start = dt.date.fromisoformat(date_from.strip())
        end = dt.date.fromisoformat(date_to.strip())
    except ValueError as exc:
        raise PeriodError("bad_range") from exc
    if start > end or start.year < YEAR_MIN or end.year > YEAR_MAX:
        raise PeriodError("bad_range")
    return Period("range", start=start, end=end)


def parse_period(
    *, month: str = "", year: str | int | None = None, date_from: str = "", date_to: str = ""
) -> Period | None:
    """Read the one period asked for; None when none was asked (the caller picks the default)."""
    month = (month or "").strip()
    year_text = "" if year is None else str(year).strip()
    date_from, date_to = (date_from or "").strip(), (date_to or "").strip()
    asked = [bool(month), bool(year_text), bool(date_from or date_to)]
    if sum(asked) > 1:
        raise PeriodError("period_conflict")
    if month:
        return month_period(month)
    if year_text:
        return year_period(year_text)
    if date_from or date_to:
        return range_period(date_from, date_to)
    return None
