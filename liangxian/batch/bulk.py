"""Load frames into tables in bulk, inside the caller's transaction.

PostgreSQL: psycopg 3 ``COPY ... FROM STDIN`` fed with CSV that Polars writes (about 20x Django's
``bulk_create``). SQLite: a large frame goes by ADBC (Arrow columns bound in C, no Python object per cell) into a
staging file of its own, which the connection attaches and copies from in one ``INSERT ... SELECT``; a small one,
or where the ADBC driver is missing, by ``executemany`` on the raw DB-API connection. Other backends:
``executemany`` through Django's cursor. Nothing is committed here: the caller's ``transaction.atomic`` decides, so
an interrupted load changes nothing (the staging file is only ever read by the caller's transaction).
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from itertools import chain, islice
from typing import Any

import polars as pl
import pyarrow as pa
from django.db import connections, models, transaction

from .ahead import ahead_taken, sqlite_in_memory

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
STAGED_MIN_ROWS = 20_000  # SQLite: from this many rows on, load through an ADBC staging file
STAGE_PREFIX = "liangxian_stage_"
STAGES_ATTACHED_MAX = 6  # SQLite attaches at most 10 databases to a connection
SQLITE_ROWS_PER_STATEMENT = 256
SQLITE_CACHE_KIB = -65_536  # negative: KiB, so 64 MiB while loading


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
    # SQLite's default page cache (2 MB) turns every index update of a large load into a page miss. More than
    # 64 MiB buys nothing: a transaction's dirty pages stay in the cache until it is full, so a larger one only
    # holds a large list's rows (130 MB of pages for 300,000 rows) in memory until the commit (peak 1,036 MB
    # against 920 MB, at the same speed; the roster build the same 3.9 s).
    (previous,) = raw.execute("PRAGMA cache_size").fetchone()
    raw.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {int(previous)}")


@contextmanager
def checkpoint_after(using: str = "default") -> Iterator[None]:
    """Around a large write transaction on a SQLite file in WAL mode: commit without the checkpoint, then run it
    in the background; elsewhere do nothing.

    With SQLite's automatic checkpoint, the commit that crosses its threshold copies every page the transaction
    wrote from the WAL into the database file (and syncs it) before the caller gets on: about 0.5 s for a list of
    300,000 rows. The commit itself is durable in the WAL without it, so the copy may run after, on a connection of
    its own, while the request answers (PostgreSQL's checkpointer works the same way). A passive checkpoint waits
    for nobody: readers and writers go on while it copies.
    """
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.in_atomic_block or sqlite_in_memory(connection):
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    (mode,) = raw.execute("PRAGMA journal_mode").fetchone()
    if str(mode).lower() != "wal":
        yield
        return
    (previous,) = raw.execute("PRAGMA wal_autocheckpoint").fetchone()
    raw.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA wal_autocheckpoint = {int(previous)}")
        _checkpoints.submit(str(connection.settings_dict["NAME"]))


class _Checkpointer:
    """Run SQLite's passive checkpoints on one background thread, at most one waiting per database file."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._waiting: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, path: str) -> Future[None] | None:
        with self._lock:
            if path in self._waiting:
                return None  # the one waiting will copy this commit's pages too
            self._waiting.add(path)
            if self._pool is None:
                # Not a daemon: a command that ends right after its commit still finishes the copy before it exits.
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-checkpoint")
            return self._pool.submit(self._run, path)

    def _run(self, path: str) -> None:
        with self._lock:
            self._waiting.discard(path)
        try:
            with closing(sqlite3.connect(path, timeout=20)) as db:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            # The next automatic checkpoint of any connection copies the pages instead: nothing is lost.
            log.warning("background checkpoint of %s failed", path, exc_info=True)

    def wait(self) -> None:
        """Block until the checkpoints asked for so far have run (tests, benchmarks)."""
        with self._lock:
            pool = self._pool
        if pool is not None:
            pool.submit(lambda: None).result()


_checkpoints = _Checkpointer()
checkpoints_wait = _checkpoints.wait


def bulk_insert(
    target: type[models.Model] | str,
    frame: pl.DataFrame | pa.Table,
    *,
    using: str = "default",
    chunk_rows: int = CHUNK_ROWS,
    staged_min_rows: int = STAGED_MIN_ROWS,
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
            with large_cache(using):
                staged = data.height >= staged_min_rows and _insert_sqlite_staged(
                    connection, quote(table), columns, data, chunk_rows, staged_min_rows
                )
                if not staged:
                    head = f"INSERT INTO {quote(table)} ({column_list}) VALUES "  # noqa: S608 - names quoted
                    _insert_sqlite(connection.connection, head, data, chunk_rows)
        else:
            placeholders = ", ".join("%s" for _ in columns)
            sql = f"INSERT INTO {quote(table)} ({column_list}) VALUES ({placeholders})"  # noqa: S608 - names quoted
            with connection.cursor() as cursor:
                for chunk in _text_chunks(data, chunk_rows):
                    cursor.executemany(sql, list(chunk.iter_rows()))
    return data.height


@contextmanager
def temp_table(
    name: str,
    frame: pl.DataFrame,
    *,
    using: str = "default",
    types: Mapping[str, str] | None = None,
    text_type: str = "varchar(200)",
) -> Iterator[str]:
    """Load a frame into a temporary table for one set-based statement, yield its quoted name, and drop it after.

    A column's SQL type is the one ``types`` gives it, else ``boolean`` for a boolean column, else ``text_type``.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(name)
    given = types or {}

    def sql_type(column: str, dtype: Any) -> str:
        if column in given:
            return given[column]
        return "boolean" if dtype == pl.Boolean else text_type

    columns = ", ".join(f"{quote(c)} {sql_type(c, t)}" for c, t in frame.schema.items())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMPORARY TABLE {table} ({columns})")
    try:
        bulk_insert(name, frame, using=using)
        yield table
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _insert_sqlite(raw: Any, head: str, data: pl.DataFrame, chunk_rows: int) -> None:
    """Insert the frame with many rows to a statement: one statement per row costs SQLite a third more."""
    width = data.width
    try:
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, sqlite3.Error):
        limit = 999
    per = max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // width))
    one = "(" + ", ".join("?" * width) + ")"
    many = head + ", ".join([one] * per)
    for chunk in _text_chunks(data, chunk_rows):
        full = chunk.height - chunk.height % per
        if full:
            # The chunk's values in row order, cut into one flat tuple per statement: no Python loop per row.
            values = chain.from_iterable(chunk.slice(0, full).iter_rows())
            raw.executemany(many, _groups(values, per * width))
        if chunk.height > full:
            rest = chunk.slice(full)
            raw.execute(head + ", ".join([one] * rest.height), tuple(chain.from_iterable(rest.iter_rows())))


def _insert_sqlite_staged(
    connection: Any, table: str, columns: Sequence[str], data: pl.DataFrame, chunk_rows: int, min_rows: int
) -> bool:
    """Load the frame through staging files written by ADBC; return False (nothing done) where that cannot be.

    ADBC binds the Arrow columns in C: about half the time of ``executemany``, which turns every cell into a
    Python object and back. It writes on connections of its own, so it fills new files outside the caller's
    transaction: a large frame in two halves at once, one per core (the driver lets go of the GIL). The caller's
    connection then attaches the files and copies their rows in order, inside its transaction. The files are
    removed at once (the attached handles keep them readable); the attachments go when the transaction ends, since
    SQLite refuses to detach a database while a transaction is open.
    """
    try:
        import adbc_driver_sqlite.dbapi as adbc
    except ImportError:
        return False
    raw = connection.connection
    parts = 2 if data.height >= 2 * min_rows and (os.cpu_count() or 1) > 1 else 1
    if _stages_detach(raw) + parts > STAGES_ATTACHED_MAX:
        return False
    quote = connection.ops.quote_name
    converted = data.rename(dict(zip(data.columns, columns, strict=True)))
    converted = converted.with_columns([_as_text(pl.col(c), t) for c, t in converted.schema.items()])
    schema = converted.head(0).to_arrow().schema

    def ingest(part: pl.DataFrame, path: str) -> None:
        batches = (b for chunk in part.iter_slices(chunk_rows) for b in chunk.to_arrow().to_batches())
        with adbc.connect(path, autocommit=True) as staging, staging.cursor() as cursor:
            cursor.adbc_ingest("rows", pa.RecordBatchReader.from_batches(schema, batches), mode="create")

    size = -(-converted.height // parts)
    staged: list[tuple[str, str]] = []
    try:
        for _ in range(parts):
            name = f"{STAGE_PREFIX}{uuid.uuid4().hex}"
            handle, path = tempfile.mkstemp(prefix=name, suffix=".sqlite3")
            os.close(handle)
            staged.append((name, path))
        with ThreadPoolExecutor(max_workers=parts) as pool:
            futures = [pool.submit(ingest, converted.slice(i * size, size), path) for i, (_, path) in enumerate(staged)]
            try:
                for future in futures:
                    future.result()
            except (adbc.Error, pa.ArrowException) as exc:
                # A column type the driver cannot bind: nothing reached the database; load it row by row.
                log.warning("staging %s refused (%s): loading it with executemany", table, exc)
                return False
        for name, path in staged:
            raw.execute("ATTACH DATABASE ? AS " + quote(name), (path,))
    finally:
        for _, path in staged:
            os.unlink(path)
    column_list = ", ".join(quote(c) for c in columns)
    for name, _ in staged:
        raw.execute(f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {quote(name)}.rows")  # noqa: S608
    if raw.in_transaction:
        transaction.on_commit(lambda: _stages_detach_quietly(raw), using=connection.alias)
    else:
        _stages_detach(raw)
    return True


def _stages_detach(raw: Any) -> int:
    """Detach the staging files no transaction holds any more; return how many stay attached."""
    remaining = 0
    for _seq, name, _file in raw.execute("PRAGMA database_list").fetchall():
        if not name.startswith(STAGE_PREFIX):
            continue
        try:
            raw.execute(f'DETACH DATABASE "{name}"')
        except sqlite3.OperationalError:
            remaining += 1  # read by the open transaction: detached after it
    return remaining


def _stages_detach_quietly(raw: Any) -> None:
    # The connection may have closed meanwhile: its attachments went with it.
    with suppress(sqlite3.Error):
        _stages_detach(raw)


def _groups(values: Iterator[Any], size: int) -> Iterator[tuple[Any, ...]]:
    """Cut a flat stream of values into tuples of ``size`` (the last may be shorter)."""
    while group := tuple(islice(values, size)):
        yield group


def _text_chunks(data: pl.DataFrame, chunk_rows: int) -> Any:
    # Dates and times go in as ISO text (the form Django itself stores in SQLite), booleans as 0/1.
    # Django keeps aware datetimes in SQLite as naive UTC text.
    converted = data.with_columns([_as_text(pl.col(name), dtype) for name, dtype in data.schema.items()])
    return converted.iter_slices(chunk_rows)


def _as_text(column: pl.Expr, dtype: Any) -> pl.Expr:
    if isinstance(dtype, pl.Decimal):
        return column.cast(pl.String)  # as Django's adapter writes a Decimal: its str()
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


def read_frame(sql: str, params: Sequence[Any], *, schema: dict[str, Any], using: str = "default") -> pl.DataFrame:
    """Run a query into a frame without a Python object per row: COPY as CSV on PostgreSQL, JSON lines on SQLite.

    Select dates as text (``CAST(col AS TEXT)``): Polars parses them in one pass, where the drivers would build a
    ``date`` per cell. A ``pl.Struct`` column is a JSON column decoded into the struct's fields (the others are
    dropped unread). Row order is the query's only where the caller sorts the frame after. A read of the same query
    started by ``ahead.read_ahead`` in this scope, and still current, is taken instead of reading again.
    """
    ahead = ahead_taken(sql, params, using)
    if ahead is not None:
        return ahead
    connection = connections[using]
    connection.ensure_connection()
    structs = {k for k, v in schema.items() if isinstance(v, pl.Struct)}
    text_schema = {k: (pl.String if v in (pl.Date, pl.Boolean) else v) for k, v in schema.items()}
    if connection.vendor == "postgresql":
        csv_schema = {k: (pl.String if k in structs else v) for k, v in text_schema.items()}
        buffer = bytearray()
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for block in copy:
                buffer += block
        if not buffer:
            frame = pl.DataFrame(schema=text_schema)
        else:
            frame = pl.read_csv(bytes(buffer), has_header=False, new_columns=list(schema), schema_overrides=csv_schema)
            del buffer
            frame = frame.with_columns([pl.col(k).str.json_decode(schema[k]) for k in structs])
    elif connection.vendor == "sqlite":
        frame = _sqlite_frame(connection, sql, params, text_schema, structs)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        as_text = {k: (pl.String if k in structs else v) for k, v in text_schema.items()}
        frame = pl.DataFrame(rows, schema=as_text, orient="row")
        frame = frame.with_columns([pl.col(k).str.json_decode(schema[k]) for k in structs])
    casts = [pl.col(k).str.to_date("%Y-%m-%d", strict=False) for k, v in schema.items() if v == pl.Date]
    casts += [pl.col(k).is_in(["t", "true", "1", "True"]) for k, v in schema.items() if v == pl.Boolean]
    return frame.with_columns(casts) if casts else frame


@contextmanager
def sqlite_bytes(connection: Any) -> Iterator[None]:
    """Have a Django SQLite connection return text as bytes for a while: straight from SQLite, never decoded into
    a Python str only to be encoded again (a JSON-lines text for Polars, lines to hash)."""
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.text_factory
    raw.text_factory = bytes
    try:
        yield
    finally:
        raw.text_factory = previous


def _sqlite_frame(
    connection: Any, sql: str, params: Sequence[Any], schema: dict[str, Any], structs: set[str]
) -> pl.DataFrame:
    """Have SQLite write the rows as one JSON-lines text and Polars parse it: no tuple nor ``str`` per cell."""
    names = [f"c{i}" for i in range(len(schema))]
    by_key = dict(zip(schema, names, strict=True))
    plain = ", ".join(f"'{by_key[k]}', {by_key[k]}" for k in schema if k not in structs)
    line = f"json_object({plain})"
    if structs:
        # A JSON column (valid: checked, or written by an encoder) is spliced in as it is stored, so that Polars
        # decodes it in the same single pass; json() would parse and write it once more in SQLite. The object's
        # closing brace is cut and put back after: its plain values are scalars, so only one brace ends it.
        spliced = [f"'\"{by_key[k]}\":' || coalesce({by_key[k]}, 'null')" for k in schema if k in structs]
        head = f"rtrim({line}, '}}') || ',' || " if plain else "'{' || "
        line = head + " || ',' || ".join(spliced) + " || '}'"
    wrapped = (
        f"WITH q({', '.join(names)}) AS ({sql}) "  # noqa: S608 - the caller's query, wrapped
        f"SELECT group_concat({line}, char(10)) FROM q"
    )
    with sqlite_bytes(connection), connection.cursor() as cursor:
        cursor.execute(wrapped, list(params))
        (lines,) = cursor.fetchone()
    if not lines:
        return pl.DataFrame(schema=schema)
    frame = pl.read_ndjson(io.BytesIO(lines), schema=dict(zip(names, schema.values(), strict=True)))
    return frame.rename(dict(zip(names, schema, strict=True)))
