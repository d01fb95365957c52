"""Each rule on small hand-made frames: what it catches and what it lets through (Art 40)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from .. import frames as fr

UTC = dt.UTC
AS_OF = dt.datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def t(day: int, hour: int = 2) -> dt.datetime:
    """A UTC moment in November 2026 (02:00 UTC is 10:00 in the county)."""
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=UTC)


RECEIPT_SCHEMA: dict[str, Any] = {
    "receipt_id": pl.Int64,
    "collector_id": pl.Int64,
    "person_id": pl.Int64,
    "entry_id": pl.Int64,
    "insurance": pl.String,
    "amount_fen": pl.Int64,
    "tier_fen": pl.Int64,
    "received_at": pl.Datetime("us", "UTC"),
    "township_code": pl.String,
    "village_code": pl.String,
    "off_list": pl.Boolean,
    "payment_id": pl.Int64,
    "paid_in_at": pl.Datetime("us", "UTC"),
    "entry_own_fen": pl.Int64,
    "entry_gov_fen": pl.Int64,
    "payin_fen": pl.Int64,
}
PAYMENT_SCHEMA: dict[str, Any] = {
    "payment_id": pl.Int64,
    "kind": pl.String,
    "original_id": pl.Int64,
    "person_id": pl.Int64,
    "insurance": pl.String,
    "tier_fen": pl.Int64,
    "amount_fen": pl.Int64,
    "paid_at": pl.Datetime("us", "UTC"),
    "settled_at": pl.Datetime("us", "UTC"),
    "account_hash": pl.String,
    "pos_terminal": pl.String,
    "collector_id": pl.Int64,
    "township_code": pl.String,
    "village_code": pl.String,
    "household_key": pl.String,
}
V1, V2 = "653123100001", "653123100002"


def receipt(rid: int, **kw: Any) -> dict[str, Any]:
    row = {
        "receipt_id": rid,
        "collector_id": 7,
        "person_id": 100 + rid,
        "entry_id": 200 + rid,
        "insurance": "medical",
        "amount_fen": 40000,
        "tier_fen": None,
        "received_at": t(20),
        "township_code": V1[:9],
        "village_code": V1,
        "off_list": False,
        "payment_id": 300 + rid,
        "paid_in_at": t(20, 9),
        "entry_own_fen": 40000,
        "entry_gov_fen": 0,
        "payin_fen": 40000,
    }
    return row | kw


def payment(pid: int, **kw: Any) -> dict[str, Any]:
    row = {
        "payment_id": pid,
        "kind": "payment",
        "original_id": None,
        "person_id": 500 + pid,
        "insurance": "medical",
        "tier_fen": None,
        "amount_fen": 40000,
        "paid_at": t(20, 6),
        "settled_at": None,
        "account_hash": f"acc{pid}",
        "pos_terminal": "",
        "collector_id": None,
        "township_code": V1[:9],
        "village_code": V1,
        "household_key": f"h{pid}",
    }
    return row | kw


def frames(receipts: list[dict[str, Any]] = (), payments: list[dict[str, Any]] = (), **kw: Any) -> fr.Frames:  # type: ignore[assignment]
    return fr.Frames(
        receipts=pl.DataFrame(list(receipts), schema=RECEIPT_SCHEMA),
        payments=pl.DataFrame(list(payments), schema=PAYMENT_SCHEMA),
        refunds=kw.get(
            "refunds",
            pl.DataFrame(
                schema={
                    "refund_id": pl.Int64,
                    "payment_id": pl.Int64,
                    "amount_fen": pl.Int64,
                    "requested_at": pl.Datetime("us", "UTC"),
                }
            ),
        ),
        persons=kw.get(
            "persons", pl.DataFrame(schema={"person_id": pl.Int64, "status": pl.String, "status_date": pl.Date})
        ),
        authorisations=kw.get(
            "authorisations",
            pl.DataFrame(
                [{"collector_id": 7, "village_code": V1, "valid_from": dt.date(2026, 9, 1), "valid_until": None}],
                schema={
                    "collector_id": pl.Int64,
                    "village_code": pl.String,
                    "valid_from": pl.Date,
                    "valid_until": pl.Date,
                },
            ),
        ),
        tiers=pl.DataFrame(
            [("medical", 40000), ("pension", 20000), ("pension", 30000)],
            schema={"insurance": pl.String, "tier_fen": pl.Int64},
            orient="row",
        ),
        period_start=dt.date(2026, 10, 1),
        as_of=AS_OF,
    )


def keys(hits: pl.DataFrame) -> list[str]:
    return sorted(hits.get_column("key").to_list())


def test_an_honest_day_raises_nothing_under_any_rule() -> None:
    f = frames([receipt(1), receipt(2)], [payment(1), payment(2)])
    assert fr.run_rules(f, {code: {} for code in fr.RULES}).height == 0


@pytest.mark.parametrize(("days_late", "hit"), [(3, False), (5, True)])
def test_held_back_counts_the_days_from_taking_to_paying_in(days_late: int, hit: bool) -> None:
    f = frames([receipt(1, paid_in_at=t(20) + dt.timedelta(days=days_late, hours=1))])
    assert (fr.held_back(f, {"days": 3}).height == 1) is hit


def test_before_period_catches_cash_taken_before_the_period_starts() -> None:
    f = frames([receipt(1, received_at=dt.datetime(2026, 9, 30, 2, tzinfo=UTC)), receipt(2)])
    assert keys(fr.before_period(f, {})) == ["receipt:1"]


def test_collector_outside_his_village_is_caught() -> None:
    f = frames([receipt(1), receipt(2, village_code=V2)])
    assert keys(fr.collector_outside_village(f, {})) == ["receipt:2"]


def test_reversed_after_settlement_but_not_before() -> None:
    f = frames(
        [],
        [
            payment(1, settled_at=t(21)),
            payment(2, kind="reversal", original_id=1, amount_fen=-40000, paid_at=t(22)),
            payment(3, settled_at=t(25)),
            payment(4, kind="reversal", original_id=3, amount_fen=-40000, paid_at=t(22)),
        ],
    )
    assert keys(fr.reversed_after_settlement(f, {})) == ["payment:1"]


def test_odd_hours_burst_on_one_terminal() -> None:
    night = [
        payment(i, paid_at=t(20, 18) + dt.timedelta(minutes=i), pos_terminal="T1") for i in range(3)
    ]  # 02:xx local
    day = [payment(10 + i, paid_at=t(20, 4), pos_terminal="T2") for i in range(5)]
    hits = fr.odd_hours_burst(frames([], night + day), {"start_hour": 0, "end_hour": 5, "min_payments": 3})
    assert keys(hits) == ["terminal:T1@2026-11-21"]


def test_payment_after_death_is_caught() -> None:
    persons = pl.DataFrame(
        [{"person_id": 501, "status": "deceased", "status_date": dt.date(2026, 11, 1)}],
        schema={"person_id": pl.Int64, "status": pl.String, "status_date": pl.Date},
    )
    hits = fr.deceased_or_deregistered(frames([], [payment(1), payment(2)], persons=persons), {})
    assert keys(hits) == ["payment:1"]


def test_refund_soon_after_cash() -> None:
    refunds = pl.DataFrame(
        [
            {"refund_id": 1, "payment_id": 301, "amount_fen": 40000, "requested_at": t(22)},
            {"refund_id": 2, "payment_id": 999, "amount_fen": 40000, "requested_at": t(22)},
        ],
        schema={
            "refund_id": pl.Int64,
            "payment_id": pl.Int64,
            "amount_fen": pl.Int64,
            "requested_at": pl.Datetime("us", "UTC"),
        },
    )
    assert keys(fr.refund_soon_after_cash(frames([receipt(1)], refunds=refunds), {"days": 30})) == ["refund:1"]


def test_a_tier_the_campaign_does_not_have_is_caught() -> None:
    f = frames([receipt(1, insurance="pension", tier_fen=25000)], [payment(1, insurance="pension", tier_fen=30000)])
    assert keys(fr.amount_matches_no_tier(f, {})) == ["receipt:1"]


def test_overcharge_against_the_pay_in_as_well_as_the_tier() -> None:
    f = frames([receipt(1, amount_fen=40000, payin_fen=35000), receipt(2)])
    hits = fr.overcharge(f, {"tolerance_fen": 0})
    assert keys(hits) == ["receipt:1"] and hits.get_column("amount_fen").to_list() == [5000]
