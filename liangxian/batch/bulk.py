"""Load frames into tables in bulk, inside the caller's transaction.

PostgreSQL: psycopg 3 ``COPY ... FROM STDIN`` fed with CSV that Polars writes (about 20x Django's
``bulk_create``). SQLite: ``executemany`` on the raw DB-API connection. Other backends: ``executemany`` through
Django's cursor. Nothing is committed here: the caller's ``transaction.atomic`` decides, so an interrupted load
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
import pyarrow as pa
from django.db import connections, models, transaction

CHUNK_ROWS = 50_000
SQLITE_CACHE_KIB = -262_144  # negative: KiB, so 256 MiB while loading


class BulkLoadError(Exception):
    """A frame cannot be loaded into the table it was meant for."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _as_polars(frame: pl.DataFrame | pa.Table) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    converted = pl.from_arrow(frame)
    if not isinstance(converted, pl.DataFrame):
        raise BulkLoadError("expected a table, got a single column", code="not_a_table")
    return converted


def _table_and_columns(target: type[models.Model] | str, columns: Sequence[str]) -> tuple[str, list[str]]:
    """Name the table and map frame columns (field names or database columns) to database columns."""
    if isinstance(target, str):
        return target, list(columns)
    by_name: dict[str, str] = {}
    for field in target._meta.concrete_fields:
        column = field.column
        if not column:
            continue
        for key in (field.name, field.attname, column):
            if key:
                by_name[key] = column
    unknown = [c for c in columns if c not in by_name]
    if unknown:
        raise BulkLoadError(f"{target._meta.label} has no column {', '.join(unknown)}", code="unknown_column")
    return target._meta.db_table, [by_name[c] for c in columns]


@contextmanager
def large_cache(using: str = "default") -> Iterator[None]:
    """Give SQLite a large page cache for a bulk write; elsewhere do nothing."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    # SQLite's default page cache (2 MB) turns every index update of a large load into a page miss.
    (previous,) = raw.execute("PRAGMA cache_size").fetchone()
    raw.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {int(previous)}")


def bulk_insert(
    target: type[models.Model] | str,
    frame: pl.DataFrame | pa.Table,
    *,
    using: str = "default",
    chunk_rows: int = CHUNK_ROWS,
) -> int:
    """Insert every row of the frame into the model's table (or a named table); return the row count."""
    data = _as_polars(frame)
    table, columns = _table_and_columns(target, data.columns)
    if data.is_empty():
        return 0
    connection = connections[using]
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    with transaction.atomic(using=using):
        connection.ensure_connection()
        if connection.vendor == "postgresql":
            _copy_postgresql(connection, quote(table), column_list, data, chunk_rows)
        elif connection.vendor == "sqlite":
            placeholders = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {quote(table)} ({column_list}) VALUES ({placeholders})"  # noqa: S608 - names quoted
            with large_cache(using):
                raw = connection.connection
                for chunk in _text_chunks(data, chunk_rows):
                    raw.executemany(sql, chunk.iter_rows())
        else:
            placeholders = ", ".join("%s" for _ in columns)
            sql = f"INSERT INTO {quote(table)} ({column_list}) VALUES ({placeholders})"  # noqa: S608 - names quoted
            with connection.cursor() as cursor:
                for chunk in _text_chunks(data, chunk_rows):
                    cursor.executemany(sql, list(chunk.iter_rows()))
    return data.height


def _text_chunks(data: pl.DataFrame, chunk_rows: int) -> Any:
    # Dates and times go in as ISO text (the form Django itself stores in SQLite), booleans as 0/1.
    # Django keeps aware datetimes in SQLite as naive UTC text.
    converted = data.with_columns([_as_text(pl.col(name), dtype) for name, dtype in data.schema.items()])
    return converted.iter_slices(chunk_rows)


def _as_text(column: pl.Expr, dtype: Any) -> pl.Expr:
    if dtype == pl.Date:
        return column.dt.to_string("%Y-%m-%d")
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return column.dt.to_string("%Y-%m-%d %H:%M:%S%.6f")
    if dtype == pl.Boolean:
        return column.cast(pl.Int8)
    return column


def _copy_postgresql(connection: Any, table: str, column_list: str, data: pl.DataFrame, chunk_rows: int) -> None:
    # In CSV COPY an unquoted empty field is NULL and a quoted one ("") the empty string, as Polars writes them.
    sql = f"COPY {table} ({column_list}) FROM STDIN (FORMAT csv)"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(sql) as copy:
            for chunk in data.iter_slices(chunk_rows):
                copy.write(chunk.write_csv(include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f%z"))


def fetch_frame(
    sql: str, params: Sequence[Any] = (), *, schema: dict[str, Any], using: str = "default"
) -> pl.DataFrame:
    """Run a query and return its rows as a frame with the given column names and types."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")
