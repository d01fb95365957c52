"""The vectorised counts: coverage against a plan of townships and villages, rates, timeliness, list quality."""

from __future__ import annotations

import polars as pl

from liangxian.assessment import frames

T, V1, V2 = "653123100", "653123100001", "653123100002"


def test_a_village_target_counts_only_that_village_and_a_township_target_the_whole_township() -> None:
    targets = pl.DataFrame(
        {
            "id": [1, 2],
            "division": [V1, T],
            "insurance": ["medical", "pension"],
            "target": [2, 3],
            "township_code": [T, T],
        }
    )
    enrolled = pl.DataFrame(
        {
            "id": [10, 11, 12, 13, 14],
            "township_code": [T] * 5,
            "village_code": [V1, V2, V2, V1, V2],
            "insurance": ["medical", "medical", "pension", "pension", "medical"],
        }
    )

    out = frames.coverage(targets, enrolled)[T]

    # medical in V1 only (10), pension anywhere in the township (12, 13); V2's medical (11, 14) is not planned
    assert out["target"] == 5 and out["enrolled_n"] == 3 and out["enrolled"] == [10, 12, 13]


def test_timeliness_sorts_obligations_into_on_time_late_open_and_beyond_the_limit() -> None:
    obligations = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "unit_id": [7, 7, 7],
            "late": [False, True, True],
            "open": [False, False, True],
            "days_late": [0, 3, 31],
        }
    )

    out = frames.timeliness(obligations, late_beyond_days=10)[7]

    assert (out["due"], out["on_time_n"]) == (3, 1)
    assert (out["late"], out["open"], out["beyond"]) == ([2], [3], [3])


def test_data_quality_flags_refused_lists_and_lists_over_the_rejected_share() -> None:
    subs = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "unit_id": [5, 5, 5],
            "status": ["in_force", "in_force", "refused"],
            "rows_total": [100, 10, 0],
            "rows_accepted": [90, 5, 0],
            "rows_repaired": [5, 0, 0],
            "rows_rejected": [5, 5, 0],
        }
    )

    out = frames.data_quality(subs, rejected_pct=20)[5]

    assert (out["rows"], out["usable"]) == (110, 100)
    assert (out["refused"], out["poor"]) == ([3], [2])
