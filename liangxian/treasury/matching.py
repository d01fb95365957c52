"""The treasury match (Art 36) as one SQL statement, run by DuckDB for a county and by Spark across counties.

The SQL keeps to the subset both engines read the same way (GROUP BY, FULL OUTER JOIN, COALESCE, CASE), and
``national`` runs the very same text on Spark over Parquet; tests check both engines give the same rows.

Inputs (two tables, amounts in integer fen, never floats):

``ours``       one row per payment on our records: ``voucher`` (e-tax voucher), ``entry_date`` (date entered
               into the treasury), ``amount_fen`` (what reached the treasury: negative for a refund or
               reversal), ``insurance``.
``statement``  one row per line of the People's Bank statement: ``voucher``, ``entry_date``, ``amount_fen``
               (negative for a 退库 line), ``insurance``.

Lines are compared per voucher and sign: a voucher's receipts against its receipts, its reversals against its
reversals, each side summed (a 代缴 batch carries one voucher for many persons). Both sides go through one
grouping of their union rather than two groupings and a join: one hash table instead of three.

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
    SELECT voucher, CASE WHEN amount_fen < 0 THEN 1 ELSE 0 END AS reversal, amount_fen, entry_date, insurance,
           1 AS ours
    FROM ours
    UNION ALL
    SELECT voucher, CASE WHEN amount_fen < 0 THEN 1 ELSE 0 END AS reversal, amount_fen, entry_date, insurance,
           0 AS ours
    FROM statement
), j AS (
    SELECT voucher, reversal,
           COALESCE(MAX(CASE WHEN ours = 1 THEN insurance END), MAX(CASE WHEN ours = 0 THEN insurance END))
               AS insurance,
           SUM(CASE WHEN ours = 1 THEN amount_fen END) AS our_amount_fen,
           SUM(CASE WHEN ours = 0 THEN amount_fen END) AS statement_amount_fen,
           MAX(CASE WHEN ours = 1 THEN entry_date END) AS our_date,
           MAX(CASE WHEN ours = 0 THEN entry_date END) AS statement_date,
           SUM(ours) AS our_lines, SUM(1 - ours) AS statement_lines
    FROM u GROUP BY voucher, reversal
)
SELECT voucher, insurance,
       CASE
           WHEN our_amount_fen IS NULL AND reversal = 1 THEN 'reversal'
           WHEN statement_amount_fen IS NULL AND reversal = 1 THEN 'reversal'
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
