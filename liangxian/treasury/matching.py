"""The treasury match (Art 36) as one SQL statement, run by DuckDB for a county and by Spark across counties.

The SQL keeps to the subset both engines read the same way (GROUP BY, IN subqueries, BIT_OR, COALESCE, CASE), and
``national`` runs the very same text on Spark over Parquet; tests check both engines give the same rows.

Inputs (two tables, amounts in integer fen, never floats):

``ours``       one row per payment on our records: ``voucher`` (e-tax voucher), ``entry_date`` (date entered
               into the treasury), ``amount_fen`` (what reached the treasury: negative for a refund or
               reversal), ``insurance``.
``statement``  one row per line of the People's Bank statement: ``voucher``, ``entry_date``, ``amount_fen``
               (negative for a 退库 line), ``insurance``.

Lines are compared per voucher and sign: a voucher's receipts against its receipts, its reversals against its
reversals, each side summed (a 代缴 batch carries one voucher for many persons; a line without an amount is
not counted).

Two passes, both plain GROUP BYs. The first groups both sides' lines together (one hash table, not two and a
join) on numbers only — the signed sum, which sides have amounts, each side's last date — and keeps the vouchers
of the groups that may differ. The second reads only those vouchers' lines again and computes every figure and
the insurance (a string, whose MAX in the first pass cost more than all the rest) for them. On 10 million lines
this takes the match from 4.5-5.4 s (one pass with every figure) to 3.0-3.1 s (``bench/bench_treasury_match.py``);
grouping the keys alone, with no aggregate, takes 1.6 s.

Output, one row per (voucher, sign) that differs, with ``kind``:

``statement_only``  on the statement, not on our records
``ours_only``       on our records, not on the statement
``amount``          on both, the sums differ
``date``            on both, same sum, the entry dates differ
``reversal``        a reversal on one side only
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

KINDS = ("statement_only", "ours_only", "amount", "date", "reversal")

OURS_COLUMNS = {"voucher": pa.string(), "entry_date": pa.date32(), "amount_fen": pa.int64(), "insurance": pa.string()}
STATEMENT_COLUMNS = OURS_COLUMNS

MATCH_SQL = """
WITH u AS (
    SELECT voucher, CASE WHEN amount_fen < 0 THEN TRUE ELSE FALSE END AS reversal, amount_fen AS signed_fen,
           CASE WHEN amount_fen IS NULL THEN 0 ELSE 1 END AS side,
           entry_date AS our_day, CAST(NULL AS DATE) AS statement_day
    FROM ours
    UNION ALL
    SELECT voucher, CASE WHEN amount_fen < 0 THEN TRUE ELSE FALSE END, -amount_fen,
           CASE WHEN amount_fen IS NULL THEN 0 ELSE 2 END, CAST(NULL AS DATE), entry_date
    FROM statement
), d AS (
    SELECT voucher FROM u GROUP BY voucher, reversal
    HAVING BIT_OR(side) <> 3 OR SUM(signed_fen) <> 0 OR MAX(our_day) <> MAX(statement_day)
), n AS (
    SELECT voucher, CASE WHEN amount_fen < 0 THEN TRUE ELSE FALSE END AS reversal,
           amount_fen AS our_fen, CAST(NULL AS BIGINT) AS statement_fen,
           entry_date AS our_day, CAST(NULL AS DATE) AS statement_day,
           insurance AS our_insurance, CAST(NULL AS STRING) AS statement_insurance
    FROM ours WHERE voucher IN (SELECT voucher FROM d) OR voucher IS NULL
    UNION ALL
    SELECT voucher, CASE WHEN amount_fen < 0 THEN TRUE ELSE FALSE END, CAST(NULL AS BIGINT), amount_fen,
           CAST(NULL AS DATE), entry_date, CAST(NULL AS STRING), insurance
    FROM statement WHERE voucher IN (SELECT voucher FROM d) OR voucher IS NULL
), j AS (
    SELECT voucher, reversal,
           COALESCE(MAX(our_insurance), MAX(statement_insurance)) AS insurance,
           SUM(our_fen) AS our_amount_fen, SUM(statement_fen) AS statement_amount_fen,
           MAX(our_day) AS our_date, MAX(statement_day) AS statement_date,
           COUNT(our_fen) AS our_lines, COUNT(statement_fen) AS statement_lines
    FROM n GROUP BY voucher, reversal
)
SELECT voucher, insurance,
       CASE
           WHEN reversal AND (our_amount_fen IS NULL OR statement_amount_fen IS NULL) THEN 'reversal'
           WHEN our_amount_fen IS NULL THEN 'statement_only'
           WHEN statement_amount_fen IS NULL THEN 'ours_only'
           WHEN our_amount_fen <> statement_amount_fen THEN 'amount'
           ELSE 'date'
       END AS kind,
       our_amount_fen, statement_amount_fen, our_date, statement_date, our_lines, statement_lines
FROM j
WHERE our_amount_fen IS NULL OR statement_amount_fen IS NULL
   OR our_amount_fen <> statement_amount_fen OR our_date <> statement_date
ORDER BY voucher, reversal, kind
"""

RESULT_SCHEMA = pa.schema(
    [
        ("voucher", pa.string()),
        ("insurance", pa.string()),
        ("kind", pa.string()),
        ("our_amount_fen", pa.int64()),
        ("statement_amount_fen", pa.int64()),
        ("our_date", pa.date32()),
        ("statement_date", pa.date32()),
        ("our_lines", pa.int64()),
        ("statement_lines", pa.int64()),
    ]
)


def match_duckdb(ours: pa.Table, statement: pa.Table) -> pa.Table:
    """The differences between our records and the statement, on DuckDB over Arrow (no copy into a database)."""
    con = duckdb.connect()
    try:
        con.register("ours", ours)
        con.register("statement", statement)
        return con.sql(MATCH_SQL).to_arrow_table().cast(RESULT_SCHEMA)
    finally:
        con.close()
