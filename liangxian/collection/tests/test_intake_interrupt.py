"""Killing `liangxian collection import` mid-way leaves nothing half-imported; the rerun imports the file whole.

Each backend gets a database of its own (migrated, a small county with a 2027 roster). A WeChat bill of 150,000
lines is imported from the command line in a child process and killed with SIGKILL once it holds its
transaction (SQLite: the write lock; PostgreSQL: a lock on the channel-file table). Then no payment, issue, file
record or audit row of it may be in the database, and the same command must import it whole.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import pytest

from liangxian.collection.channel_files import write_wechat_bill

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
LIANGXIAN = Path(sys.executable).with_name("liangxian")
LINES = 150_000
KILL_AFTER = 0.3
WAIT_LIMIT = 60.0
SETUP = """
import django
django.setup()
from liangxian.roster.tests.due_fixtures import due_county
due_county()
"""
TABLES = ["collection_payment", "collection_paymentissue", "collection_channelimport", "core_auditevent"]


class Target:
    def __init__(self, env: dict[str, str], sqlite_path: Path | None = None, url: str = "") -> None:
        self.env, self.sqlite_path, self.url = env, sqlite_path, url

    def query(self, sql: str) -> Any:
        if self.sqlite_path is not None:
            with closing(sqlite3.connect(self.sqlite_path, timeout=30)) as conn:
                return conn.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(sql).fetchone()
            return None if row is None else row[0]

    def running(self) -> bool:
        if self.sqlite_path is not None:
            with closing(sqlite3.connect(self.sqlite_path, timeout=0, isolation_level=None)) as conn:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError:
                    return True
                conn.execute("ROLLBACK")
            return False
        return bool(
            self.query(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE c.relname = 'collection_channelimport' AND l.mode = 'RowExclusiveLock'"
                " AND l.pid <> pg_backend_pid()"
            )
        )

    def state(self) -> dict[str, int]:
        return {t: int(self.query(f"SELECT count(*) FROM {t}")) for t in TABLES}  # noqa: S608 - fixed names


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LIANGXIAN_SQLITE")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", LIANGXIAN_VAR=str(tmp / "var"), PYTHONPATH=str(ROOT))
    return env


def _run(target: Target, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [str(LIANGXIAN), *args], env=target.env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    env = _env(tmp_path)
    if request.param == "sqlite":
        env["LIANGXIAN_SQLITE"] = str(tmp_path / "intake.sqlite3")
        made = Target(env, sqlite_path=tmp_path / "intake.sqlite3")
        admin = name = ""
    else:
        base = os.environ.get("DATABASE_URL", "")
        if not base.startswith(("postgres://", "postgresql://")):
            pytest.skip("DATABASE_URL does not point at PostgreSQL")
        import psycopg

        name = f"liangxian_intake_{uuid.uuid4().hex[:12]}"
        parts = urlsplit(base)
        admin = urlunsplit(parts._replace(path="/postgres"))
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made = Target(env, url=env["DATABASE_URL"])
    try:
        migrated = _run(made, "migrate", "--noinput", "-v0")
        assert migrated.returncode == 0, migrated.stderr[-2000:]
        loaded = subprocess.run(  # noqa: S603 - our own setup script
            [sys.executable, "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert loaded.returncode == 0, loaded.stderr[-2000:]
        yield made
    finally:
        if name:
            import psycopg

            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def bill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WeChat bill of payers mostly unknown to the register (each one queued: the heaviest load per line)."""
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    n = pl.int_range(0, LINES, eager=True)
    rows = pl.DataFrame(
        {
            "txn_no": ("42000" + n.cast(pl.String).str.pad_start(12, "0")),
            "paid_at": pl.datetime_range(start, start + timedelta(seconds=LINES - 1), "1s", eager=True),
            "id_number": "6531231980" + n.cast(pl.String).str.pad_start(8, "0"),
            "name": pl.Series(["测试"] * LINES),
            "insurance": pl.Series(["medical"] * LINES),
            "coverage_year": pl.Series([2027] * LINES),
            "amount_fen": pl.Series([40000] * LINES),
            "account": "o" + n.cast(pl.String),
        }
    )
    return write_wechat_bill(rows, tmp_path_factory.mktemp("bill") / "wechat-20261102.csv")


def test_killing_the_import_mid_way_leaves_nothing_and_the_rerun_imports_whole(target: Target, bill: Path) -> None:
    before = target.state()
    argv = [str(LIANGXIAN), "collection", "import", "--channel", "wechat", "--file", str(bill), "--json"]
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=target.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    try:
        while not target.running():
            if process.poll() is not None:
                pytest.fail(f"the import ended (exit {process.returncode}) before it was killed")
            if time.perf_counter() - started > WAIT_LIMIT:
                pytest.fail("the import did not start its transaction in time")
            time.sleep(0.02)
        time.sleep(KILL_AFTER)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed: make the file larger"
    assert target.state() == before

    rerun = _run(target, *argv[1:])
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr[-2000:]
    result = json.loads(rerun.stdout)
    assert result["counts"]["lines"] == LINES and result["counts"]["queued"] == LINES
    after = target.state()
    assert after["collection_payment"] == before["collection_payment"] + LINES
    assert after["collection_paymentissue"] == before["collection_paymentissue"] + LINES
    assert after["collection_channelimport"] == before["collection_channelimport"] + 1
    verified = _run(target, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
