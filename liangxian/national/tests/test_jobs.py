"""The jobs on DuckDB give the expected answer; Spark gives the very same on the same data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from liangxian.national import jobs
from liangxian.national.jobs import DUPLICATES_SCHEMA, JobError
from liangxian.treasury.matching import KINDS, RESULT_SCHEMA

from . import data


def test_duplicates_on_duckdb(tmp_path: Path) -> None:
    table = jobs.duplicates("duckdb", data.enrolments(tmp_path))
    assert table.schema == DUPLICATES_SCHEMA
    assert table.to_pylist() == [
        {"id_number": data.ID_1, "insurance": "medical", "coverage_year": 2027, "counties": "110101,653123",
         "county_count": 2, "province_count": 2, "paid_fen": 80000},
        {"id_number": data.ID_2, "insurance": "pension", "coverage_year": 2027, "counties": "653123,653124",
         "county_count": 2, "province_count": 1, "paid_fen": 80000},
    ]  # fmt: skip
    assert jobs.run_duplicates("duckdb", tmp_path).rows_in == 8


def test_treasury_match_on_duckdb_finds_each_kind(tmp_path: Path) -> None:
    payments, statement = data.payments_and_statement(tmp_path)
    table = jobs.treasury_match("duckdb", payments, statement)
    assert table.schema == RESULT_SCHEMA
    kinds = {row["voucher"]: row["kind"] for row in table.to_pylist()}
    assert kinds == {"V2": "amount", "V3": "date", "V4": "ours_only", "V5": "reversal", "V9": "statement_only"}
    assert set(kinds.values()) == set(KINDS)
    v1 = jobs.treasury_match("duckdb", tmp_path, statement)  # the export's root works as well
    assert v1.equals(table)
    assert jobs.run_treasury_match("duckdb", payments, statement).rows_in == 8 + 5


def test_empty_and_missing_inputs(tmp_path: Path) -> None:
    (tmp_path / "enrolments").mkdir()
    assert jobs.duplicates("duckdb", tmp_path).num_rows == 0
    _payments, statement = data.payments_and_statement(tmp_path / "x")
    (tmp_path / "payments").mkdir()
    only_statement = jobs.treasury_match("duckdb", tmp_path / "payments", statement)
    assert set(only_statement.column("kind").to_pylist()) == {"statement_only"}
    with pytest.raises(JobError) as missing:
        jobs.duplicates("duckdb", tmp_path / "nowhere")
    assert missing.value.code == "not_found"
    with pytest.raises(JobError) as engine:
        jobs.duplicates("oracle", tmp_path)
    assert engine.value.code == "unknown_engine"


@pytest.mark.once
@pytest.mark.slow
def test_spark_gives_the_same_duplicates(tmp_path: Path, spark: Any) -> None:
    folder = data.enrolments(tmp_path)
    duck = jobs.run_duplicates("duckdb", folder)
    on_spark = jobs.run_duplicates("spark", folder)
    assert on_spark.table.num_rows == 2
    assert on_spark.table.equals(duck.table)
    assert on_spark.rows_in == duck.rows_in


@pytest.mark.once
@pytest.mark.slow
def test_spark_gives_the_same_treasury_differences(tmp_path: Path, spark: Any) -> None:
    payments, statement = data.payments_and_statement(tmp_path)
    duck = jobs.treasury_match("duckdb", payments, statement)
    on_spark = jobs.treasury_match("spark", payments, statement)
    assert on_spark.schema == RESULT_SCHEMA
    assert set(on_spark.column("kind").to_pylist()) == set(KINDS)
    assert on_spark.sort_by("voucher").equals(duck.sort_by("voucher"))
