"""The arithmetic of the assessment: shares, points, totals out of 100, ranks with ties."""

from __future__ import annotations

from decimal import Decimal

import pytest

from liangxian.assessment import rules


@pytest.mark.parametrize(
    ("num", "den", "want"),
    [(4, 5, Decimal("0.8")), (0, 0, Decimal(1)), (7, 5, Decimal(1)), (-1, 5, Decimal(0)), (0, 3, Decimal(0))],
)
def test_ratio_stays_between_zero_and_one_and_is_whole_when_nothing_was_due(num: int, den: int, want: Decimal) -> None:
    assert rules.ratio(num, den) == want


def test_total_is_the_weighted_share_out_of_100_and_ignores_criteria_not_scored() -> None:
    weights = {"coverage": 25, "collection_rate": 30, "timeliness": 20, "data_quality": 10, "cash_findings": 10}
    shares = {"coverage": Decimal("0.8"), "collection_rate": Decimal("0.8"), "timeliness": Decimal("0.5")}
    # (20 + 24 + 10) / 75 * 100
    assert rules.total(weights, shares) == Decimal("72.00")
    assert rules.total({"a": 0}, {"a": Decimal(1)}) == Decimal("0.00")


def test_equal_scores_share_a_rank_and_the_next_rank_skips() -> None:
    assert rules.ranks([Decimal(90), Decimal(95), Decimal(90), Decimal(50)]) == [2, 1, 2, 4]


def test_points_round_half_up_to_the_cent() -> None:
    assert rules.points(10, Decimal(2) / Decimal(3)) == Decimal("6.67")
    assert rules.pct(Decimal("0.8")) == "80.0%"
