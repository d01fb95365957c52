"""The treasury match's SQL against a plain reading of Art 36, on generated lines (hypothesis).

The reference sums each side per voucher and sign in Python and compares; the SQL must give the same rows, the
kinds included, whatever the lines: batch vouchers on either side, reversals, a voucher or an amount missing on a
line.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from liangxian.treasury.matching import OURS_COLUMNS, RESULT_SCHEMA, match_duckdb

LINE = st.tuples(
    st.sampled_from(["V1", "V2", "V3", "V4", None]),
    st.sampled_from([-40_000, -100, 100, 20_000, 40_000, None]),
    st.integers(0, 2),
    st.sampled_from(["pension", "medical"]),
)


def _table(lines: list[tuple[Any, int, int, str]]) -> pa.Table:
    rows = [
        {"voucher": v, "entry_date": date(2026, 10, 8) + timedelta(days=d), "amount_fen": a, "insurance": i}
        for v, a, d, i in lines
    ]
    return pa.Table.from_pylist(rows, schema=pa.schema(OURS_COLUMNS.items()))


def _side(lines: list[tuple[Any, Any, int, str]]) -> dict[tuple[Any, bool], dict[str, Any]]:
    """Each (voucher, sign) of one side: the sum and count of the amounts given, the last date, the insurance."""
    groups: dict[tuple[Any, bool], dict[str, Any]] = {}
    for voucher, amount, day, insurance in lines:
        negative = amount is not None and amount < 0
        g = groups.setdefault((voucher, negative), {"fen": None, "day": -1, "lines": 0, "insurance": ""})
        if amount is not None:
            g["fen"] = (g["fen"] or 0) + amount
            g["lines"] += 1
        g["day"] = max(g["day"], day)
        g["insurance"] = max(g["insurance"], insurance)
    return groups


def _reference(ours: list[Any], statement: list[Any]) -> set[tuple[Any, ...]]:
    o, s = _side(ours), _side(statement)
    found = set()
    for key in o.keys() | s.keys():
        a, b = o.get(key), s.get(key)
        ours_fen, statement_fen = a and a["fen"], b and b["fen"]
        same_fen = ours_fen is not None and statement_fen is not None and ours_fen == statement_fen
        if same_fen and a and b and a["day"] == b["day"]:
            continue
        if key[1] and (ours_fen is None or statement_fen is None):
            kind = "reversal"
        elif ours_fen is None:
            kind = "statement_only"
        elif statement_fen is None:
            kind = "ours_only"
        else:
            kind = "amount" if ours_fen != statement_fen else "date"
        found.add(
            (
                key[0],
                (a or b or {})["insurance"],
                kind,
                ours_fen,
                statement_fen,
                a and a["day"],
                b and b["day"],
                a["lines"] if a else 0,
                b["lines"] if b else 0,
            )
        )
    return found


@settings(max_examples=150, deadline=None)
@given(ours=st.lists(LINE, max_size=12), statement=st.lists(LINE, max_size=12))
def test_the_sql_finds_what_a_plain_reading_finds(ours: list[Any], statement: list[Any]) -> None:
    result = match_duckdb(_table(ours), _table(statement))
    assert result.schema == RESULT_SCHEMA
    start = date(2026, 10, 8)
    got = {
        (
            r["voucher"],
            r["insurance"],
            r["kind"],
            r["our_amount_fen"],
            r["statement_amount_fen"],
            r["our_date"] and (r["our_date"] - start).days,
            r["statement_date"] and (r["statement_date"] - start).days,
            r["our_lines"],
            r["statement_lines"],
        )
        for r in result.to_pylist()
    }
    assert got == _reference(ours, statement)
    assert result.num_rows == len(got)
