"""Reads started ahead on a second SQLite connection, taken later by the same read in the caller's transaction.

A large list's submit loads its rows on one core before it reads what the database already holds (the register,
the earlier version's digests). On SQLite those reads can run during the load, on another connection, and be
taken once the transaction wants them, provided they see exactly what the transaction would have read:

- the scope (``atomic_reading_ahead``) is one transaction, begun by it outside any other, and a read is started
  only inside it. That transaction began with ``BEGIN IMMEDIATE`` (the settings' transaction mode), so it holds
  SQLite's one write lock from its start: nothing has been committed since it began, and nothing can be while it
  lasts. A reader beside it (WAL mode) sees the database exactly as the transaction found it;
- the caller reads ahead only what its transaction will not have written by the time it takes the read.

Where this cannot hold (PostgreSQL, whose other transactions commit at any time; an in-memory database; a scope
opened inside another transaction, a test's say, whose rows a second connection cannot see; ``LIANGXIAN_READ_AHEAD``
off) nothing is read ahead, and ``read_frame`` reads as usual.

Reading ahead while the file itself is read would overlap more, but needs a check that nothing was committed in
between, and held a list's file and the register in memory at once: 1,076 MB at the peak for 300,000 rows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger(__name__)


class _Read:
    """One read ahead: a thread with a connection of its own (Django keeps one per thread), closed after it."""

    def __init__(self, sql: str, params: Sequence[Any], schema: dict[str, Any], using: str) -> None:
        self.sql, self.params, self.schema, self.using = sql, list(params), schema, using
        self.frame: pl.DataFrame | None = None
        self._thread = threading.Thread(target=self._run, name="read-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from .bulk import read_frame

        try:
            self.frame = read_frame(self.sql, self.params, schema=self.schema, using=self.using)
        except Exception:  # the transaction reads again on its own connection, which reports any error
            log.warning("a read ahead failed; it will be read again", exc_info=True)
        finally:
            connections[self.using].close()

    def take(self) -> pl.DataFrame | None:
        """Wait for the read; return its frame, or None if it failed."""
        self._thread.join()
        return self.frame


class _Scopes(threading.local):
    """This thread's open scopes, innermost last: the alias and its reads ahead by (sql, parameters)."""

    def __init__(self) -> None:
        self.open: list[tuple[str, bool, dict[tuple[str, tuple[Any, ...]], _Read]]] = []
        self.taken = 0


_scopes = _Scopes()


@contextmanager
def atomic_reading_ahead(using: str = "default") -> Iterator[None]:
    """``transaction.atomic(using)``, inside which ``read_ahead`` may start reads on a second connection.

    The reads not taken are waited for and dropped at its end.
    """
    with _reads_ahead(using), transaction.atomic(using=using):
        yield


@contextmanager
def _reads_ahead(using: str) -> Iterator[None]:
    reads: dict[tuple[str, tuple[Any, ...]], _Read] = {}
    _scopes.open.append((using, _possible(using), reads))
    try:
        yield
    finally:
        _scopes.open.pop()
        for read in reads.values():
            read.take()  # nothing reads on once the scope is closed


def _possible(using: str) -> bool:
    """A SQLite file, outside any transaction, whose transactions begin with BEGIN IMMEDIATE; reads ahead on."""
    connection = connections[using]
    return bool(
        getattr(settings, "LIANGXIAN_READ_AHEAD", True)
        and connection.vendor == "sqlite"
        and not sqlite_in_memory(connection)
        and not connection.in_atomic_block
        and str(connection.settings_dict.get("OPTIONS", {}).get("transaction_mode", "")).upper() == "IMMEDIATE"
    )


class Settled:
    """Rows that no transaction changes any more, read on a second connection before the transaction begins."""

    def __init__(self, sql: str, params: Sequence[Any], schema: dict[str, Any], using: str) -> None:
        self._read = _Read(sql, params, schema, using)

    def frame(self) -> pl.DataFrame | None:
        """Wait for the rows; None if the read failed (read them again then)."""
        frame = self._read.take()
        if frame is not None:
            _scopes.taken += 1
        return frame


def read_settled(sql: str, params: Sequence[Any], *, schema: dict[str, Any], using: str = "default") -> Settled | None:
    """Start reading committed rows that are never updated (a version's rows) while the caller does other work.

    Unlike ``read_ahead`` this needs no transaction to hold the snapshot still: the rows read are the rows there
    will be. Only outside any transaction (a second connection cannot see an open transaction's rows) and where
    reads ahead are possible at all; None elsewhere.
    """
    return Settled(sql, params, schema, using) if _possible(using) else None


def sqlite_in_memory(connection: Any) -> bool:
    return bool(connection.is_in_memory_db())


def read_ahead(sql: str, params: Sequence[Any], *, schema: dict[str, Any], using: str = "default") -> bool:
    """Start ``read_frame(sql, params)`` on a second connection, for the same read later in this scope to take.

    Return whether it started (see the module's docstring for where it cannot).
    """
    if not _scopes.open:
        return False
    alias, possible, reads = _scopes.open[-1]
    # In the scope's own transaction (it was opened outside any other).
    if alias != using or not possible or not connections[using].in_atomic_block:
        return False
    key = (sql, tuple(params))
    if key not in reads:
        reads[key] = _Read(sql, params, schema, using)
    return True


def ahead_taken(sql: str, params: Sequence[Any], using: str) -> pl.DataFrame | None:
    """The frame read ahead for this query in this scope, or None."""
    if not _scopes.open or _scopes.open[-1][0] != using:
        return None
    read = _scopes.open[-1][2].pop((sql, tuple(params)), None)
    if read is None:
        return None
    frame = read.take()
    if frame is not None:
        _scopes.taken += 1
    return frame


def reads_ahead_taken() -> int:
    """Count the reads ahead this thread has taken so far (tests, benchmarks)."""
    return _scopes.taken
