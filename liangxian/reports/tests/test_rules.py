"""Reading the period of a report: a month, a coverage year or a range, and the refusals."""

from __future__ import annotations

from datetime import date

import pytest

from liangxian.reports.rules import PeriodError, parse_period


@pytest.mark.parametrize(
    ("kwargs", "kind", "start", "end", "year"),
    [
        ({"month": "2026-11"}, "month", date(2026, 11, 1), date(2026, 11, 30), None),
        ({"month": "2024-2"}, "month", date(2024, 2, 1), date(2024, 2, 29), None),
        ({"month": "2026-12"}, "month", date(2026, 12, 1), date(2026, 12, 31), None),
        ({"year": "2027"}, "year", None, None, 2027),
        ({"year": 2027}, "year", None, None, 2027),
        ({"date_from": "2026-10-08", "date_to": "2026-11-27"}, "range", date(2026, 10, 8), date(2026, 11, 27), None),
    ],
)
def test_periods_read(kwargs: dict, kind: str, start: date | None, end: date | None, year: int | None) -> None:
    period = parse_period(**kwargs)

    assert period is not None
    assert (period.kind, period.start, period.end, period.year) == (kind, start, end, year)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"month": "2026-13"}, "bad_month"),
        ({"month": "11/2026"}, "bad_month"),
        ({"year": "27"}, "bad_year"),
        ({"date_from": "2026-11-02", "date_to": "2026-11-01"}, "bad_range"),
        ({"date_from": "2026-11-02"}, "bad_range"),
        ({"month": "2026-11", "year": "2027"}, "period_conflict"),
    ],
)
def test_bad_periods_are_refused_with_a_code(kwargs: dict, code: str) -> None:
    with pytest.raises(PeriodError) as refused:
        parse_period(**kwargs)

    assert refused.value.code == code and refused.value.message


def test_no_period_asked_gives_none() -> None:
    assert parse_period() is None


def test_the_period_selects_itself_again() -> None:
    period = parse_period(date_from="2026-10-01", date_to="2026-10-31")

    assert (
        period is not None
        and parse_period(**{"date_from": period.query()["from"], "date_to": period.query()["to"]}) == period
    )
