"""Bulk insert: every row in, nulls and empty strings kept apart, all or nothing with the transaction."""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa
import pytest
from django.db import connection, transaction

from liangxian.batch.bulk import BulkLoadError, bulk_insert, fetch_frame, read_frame, temp_table
from liangxian.core.models import Division


def _divisions(n: int, prefix: str = "65312399") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "code": [f"{prefix}{i:04d}" for i in range(n)],
            "name": [f"村{i}" for i in range(n)],
            "level": ["village"] * n,
            "parent_id": [None] * n,
            "source": [""] * n,
            "active": [True] * n,
        },
        schema_overrides={"parent_id": pl.String},
    )


@pytest.mark.django_db
def test_bulk_insert_loads_every_row_of_a_frame():
    count = bulk_insert(Division, _divisions(1200), chunk_rows=500)

    assert count == 1200
    assert Division.objects.filter(code__startswith="65312399").count() == 1200
    assert Division.objects.get(code="653123990007").name == "村7"


@pytest.mark.django_db
def test_bulk_insert_accepts_an_arrow_table_and_keeps_empty_apart_from_null():
    from liangxian.registry.models import Household

    Division.objects.create(code="653123100001", name="村", level="village")
    table = pa.table(
        {"number": ["A1", "A2"], "village": ["653123100001"] * 2, "address": ["", "x"], "source": ["s", ""]}
    )

    bulk_insert(Household, table)

    assert list(Household.objects.order_by("number").values_list("address", "source")) == [("", "s"), ("x", "")]


@pytest.mark.django_db
def test_bulk_insert_writes_dates_and_reads_back_a_frame():
    from liangxian.core.models import CalendarYear

    CalendarYear.objects.create(year=2030)
    frame = pl.DataFrame(
        {
            "date": [date(2030, 1, 1), date(2030, 1, 2)],
            "year_id": [2030, 2030],
            "kind": ["holiday", "workday"],
            "is_workday": [False, True],
            "name": ["元旦", ""],
            "source": ["", ""],
        }
    )

    bulk_insert("core_calendarday", frame)

    back = fetch_frame(
        "SELECT kind, is_workday FROM core_calendarday WHERE year_id = %s ORDER BY date",
        [2030],
        schema={"kind": pl.String, "is_workday": pl.Boolean},
    )
    assert back.to_dicts() == [{"kind": "holiday", "is_workday": False}, {"kind": "workday", "is_workday": True}]


@pytest.mark.django_db
def test_a_failing_transaction_leaves_no_bulk_rows():
    with pytest.raises(RuntimeError), transaction.atomic():
        bulk_insert(Division, _divisions(100))
        raise RuntimeError("stop")

    assert Division.objects.filter(code__startswith="65312399").count() == 0


def test_unknown_columns_are_refused():
    with pytest.raises(BulkLoadError) as caught:
        bulk_insert(Division, pl.DataFrame({"nonsense": [1]}))

    assert caught.value.code == "unknown_column"


@pytest.mark.django_db
def test_bulk_insert_of_many_statements_and_a_remainder_keeps_every_row_in_order():
    # Given more rows than one multi-row statement holds, and a chunk that does not divide evenly
    frame = _divisions(1000, prefix="65312398")

    # When it is loaded in chunks of 300
    bulk_insert(Division, frame, chunk_rows=300)

    # Then every row is there once, with its own values
    stored = list(Division.objects.filter(code__startswith="65312398").order_by("code").values_list("code", "name"))
    assert stored == list(zip(frame["code"].to_list(), frame["name"].to_list(), strict=True))


@pytest.mark.django_db
def test_read_frame_decodes_a_json_column_into_the_wanted_keys():
    # Given a row whose JSON text holds a string, a null and a key nobody asked for
    bulk_insert(Division, _divisions(2))
    document = '{"a": "甲 \\"乙\\"", "b": null, "c": 3}'

    # When it is read with a struct of the wanted keys
    frame = read_frame(
        "SELECT code, %s FROM core_division WHERE code = %s",
        [document, "653123990001"],
        schema={"code": pl.String, "data": pl.Struct({"a": pl.String, "b": pl.String})},
    )

    # Then the wanted keys come out as columns with their values, the others are left out
    assert frame.unnest("data").to_dicts() == [{"code": "653123990001", "a": '甲 "乙"', "b": None}]


@pytest.mark.django_db
def test_temp_table_holds_the_frame_with_the_given_types_and_is_dropped_after():
    frame = pl.DataFrame({"id": [1, 2], "flag": [True, False], "name": ["a", "b"]})
    with temp_table("lx_test_temp", frame, types={"id": "bigint"}) as table, connection.cursor() as cursor:
        cursor.execute(f"SELECT id, flag, name FROM {table} WHERE flag ORDER BY id")  # noqa: S608
        assert cursor.fetchall() == [(1, True, "a")]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'lx_test_temp'")
        else:
            cursor.execute("SELECT 1 FROM sqlite_temp_master WHERE name = 'lx_test_temp'")
        assert cursor.fetchall() == []


# --- SQLite: large frames through an ADBC staging file ------------------------------------------------------

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the staging file is SQLite's path")


def _stages() -> list[str]:
    from liangxian.batch.bulk import STAGE_PREFIX

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        return [name for _seq, name, _file in cursor.fetchall() if name.startswith(STAGE_PREFIX)]


@sqlite_only
@pytest.mark.django_db
def test_a_staged_load_keeps_values_nulls_empties_dates_and_booleans_as_the_row_by_row_load_does():
    from liangxian.core.models import CalendarYear

    CalendarYear.objects.create(year=2031)
    CalendarYear.objects.create(year=2032)
    frame = pl.DataFrame(
        {
            "date": [date(2031, 1, 1), date(2031, 1, 2), date(2031, 1, 3)],
            "kind": ["holiday", "workday", "weekend"],
            "is_workday": [False, True, False],
            "name": ["元旦", "", "周六"],
            "source": ["国务院", "", ""],
        }
    )

    bulk_insert("core_calendarday", frame.with_columns(year_id=pl.lit(2031)), staged_min_rows=1)
    bulk_insert(
        "core_calendarday",
        frame.with_columns(year_id=pl.lit(2032), date=pl.col("date").dt.offset_by("1y")),
        staged_min_rows=10**9,
    )

    def stored(year: int) -> list[tuple]:
        return [
            (d.replace(year=2031), *rest)
            for d, *rest in connection.cursor()
            .execute(
                "SELECT date, kind, is_workday, name, source FROM core_calendarday WHERE year_id = %s ORDER BY date",
                [year],
            )
            .fetchall()
        ]

    assert stored(2031) == stored(2032)
    assert len(stored(2031)) == 3


@sqlite_only
@pytest.mark.django_db
def test_a_staged_load_keeps_every_row_in_order_and_an_empty_string_apart_from_null():
    from liangxian.registry.models import Household

    Division.objects.create(code="653123100001", name="村", level="village")
    frame = pl.DataFrame(
        {
            "number": [f"H{i:05d}" for i in range(2500)],
            "village": ["653123100001"] * 2500,
            "address": ["" if i % 2 else f"{i}号" for i in range(2500)],
            "source": ["s"] * 2500,
        }
    )

    bulk_insert(Household, frame, staged_min_rows=1, chunk_rows=700)

    rows = list(Household.objects.order_by("pk").values_list("number", "address"))
    assert rows == list(zip(frame["number"].to_list(), frame["address"].to_list(), strict=True))


@sqlite_only
@pytest.mark.django_db
def test_a_failing_transaction_leaves_no_staged_rows():
    with pytest.raises(RuntimeError), transaction.atomic():
        bulk_insert(Division, _divisions(300), staged_min_rows=1)
        assert Division.objects.filter(code__startswith="65312399").count() == 300
        raise RuntimeError("stop")

    assert Division.objects.filter(code__startswith="65312399").count() == 0


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_the_staging_file_is_gone_at_once_and_detached_when_the_transaction_commits(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = set(_stages())  # left by rolled-back tests; they go with the next commit
    with transaction.atomic():
        bulk_insert(Division, _divisions(300), staged_min_rows=1)
        assert list(tmp_path.iterdir()) == []  # removed from the disk; the attachment still reads it
        assert len(set(_stages()) - before) == 2  # 300 rows: two halves, staged at once

    assert _stages() == []
    assert Division.objects.filter(code__startswith="65312399").count() == 300


@sqlite_only
@pytest.mark.django_db
def test_a_staged_load_writes_decimals_and_untyped_nulls_as_the_row_by_row_load_does():
    from decimal import Decimal

    with connection.cursor() as cursor:
        for table in ("t_staged", "t_rows"):
            cursor.execute(f"CREATE TABLE {table} (amount decimal, note text, n integer)")
    frame = pl.DataFrame(
        {"amount": [Decimal("1.20"), Decimal("300.05"), None], "note": [None, None, None], "n": [1, 2, 3]},
        schema_overrides={"amount": pl.Decimal(10, 2)},
    )

    bulk_insert("t_staged", frame, staged_min_rows=1)
    bulk_insert("t_rows", frame, staged_min_rows=10**9)

    def stored(table: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT amount, typeof(amount), note, n FROM {table} ORDER BY n")  # noqa: S608
            return cursor.fetchall()

    assert stored("t_staged") == stored("t_rows")
    assert stored("t_staged")[0][:3] == (1.2, "real", None)


@sqlite_only
@pytest.mark.django_db
def test_a_frame_the_driver_cannot_stage_is_loaded_row_by_row(monkeypatch, caplog):
    import adbc_driver_sqlite.dbapi as adbc

    def refuse(*args: object, **kwargs: object) -> None:
        raise adbc.NotSupportedError("NOT_IMPLEMENTED: Column 0 has unsupported type")

    monkeypatch.setattr(adbc, "connect", refuse)

    bulk_insert(Division, _divisions(300), staged_min_rows=1)

    assert Division.objects.filter(code__startswith="65312399").count() == 300
    assert "loading it with executemany" in caplog.text
