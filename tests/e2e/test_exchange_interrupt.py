"""Killing `liangxian exchange submit` in the middle of its load leaves the database as before; running it again works.

Each backend gets a database of its own, set up the way `make setup` does it (migrate, divisions, units,
catalogue, demo logins, a small demo county in the register). A police household register of ~40,000 rows is
submitted from the command line in a child process and killed with SIGKILL once it is inside its transaction:
the copy of the file appears under media/ just before the rows are loaded, and the database shows it too
(SQLite: the write lock is held; PostgreSQL: a lock on the submission-row table). Then nothing of the import may
be in the database, the audit chain must still verify, and the same command must run to completion.
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
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from liangxian.core.models import AuditEvent
from liangxian.exchange.models import Submission, SubmissionRow, VersionChange
from liangxian.registry.models import Person

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LIANGXIAN = Path(sys.executable).with_name("liangxian")
KIND = "public_security.household_register"
FILE_ROWS = 40_000
# After the import is seen inside its transaction, let it load for a moment before killing it.
KILL_AFTER = 0.3
WAIT_LIMIT = 45.0

SETUP = """
import io, django
django.setup()
from django.core.management import call_command
quiet = io.StringIO()
call_command("divisions", "load", stdout=quiet)
call_command("org", "bootstrap", stdout=quiet)
call_command("exchange", "catalogue", stdout=quiet)
call_command("demo_users", stdout=quiet)
call_command("demo_data", "--persons", "600", "--seed", "3", "--no-files", stdout=quiet)
"""


@dataclass
class Target:
    """A database of its own and the environment that points the command at it."""

    vendor: str
    var: Path
    env: dict[str, str]
    sqlite_path: Path | None = None
    url: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def query(self, sql: str) -> Any:
        """Return the first column of the first row, read outside any Django connection.

        The SQL is built here from the models' own table names, never from input.
        """
        if self.sqlite_path is not None:
            with closing(sqlite3.connect(self.sqlite_path, timeout=30)) as conn:
                return conn.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(sql).fetchone()
            return None if row is None else row[0]

    def import_running(self) -> bool:
        """Tell whether the submit holds a write inside its transaction (without disturbing it)."""
        media = self.var / "media" / "exchange"
        if media.is_dir() and any(p.is_file() for p in media.rglob("*")):
            return True
        if self.sqlite_path is not None:
            with closing(sqlite3.connect(self.sqlite_path, timeout=0, isolation_level=None)) as conn:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError:
                    return True  # another connection holds the write lock: the import's transaction
                conn.execute("ROLLBACK")
            return False
        return bool(
            self.query(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "  # noqa: S608
                f"WHERE c.relname = '{SubmissionRow._meta.db_table}' AND l.pid <> pg_backend_pid()"
            )
        )

    def state(self) -> dict[str, Any]:
        """Count what the import touches, and the head of the audit chain."""
        return {
            "submissions": self.query(f"SELECT count(*) FROM {Submission._meta.db_table}"),  # noqa: S608
            "rows": self.query(f"SELECT count(*) FROM {SubmissionRow._meta.db_table}"),  # noqa: S608
            "changes": self.query(f"SELECT count(*) FROM {VersionChange._meta.db_table}"),  # noqa: S608
            "persons": self.query(f"SELECT count(*) FROM {Person._meta.db_table}"),  # noqa: S608
            "audit_events": self.query(f"SELECT count(*) FROM {AuditEvent._meta.db_table}"),  # noqa: S608
            "audit_head": self.query(f"SELECT hash FROM {AuditEvent._meta.db_table} ORDER BY seq DESC LIMIT 1"),  # noqa: S608
        }


def _run(target: Target, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [str(LIANGXIAN), *args], env=target.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def _prepare(target: Target) -> None:
    started = time.perf_counter()
    migrated = _run(target, "migrate", "--noinput", "-v0")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    loaded = subprocess.run(  # noqa: S603 - our own setup script
        [sys.executable, "-c", SETUP], env=target.env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    target.timings["setup"] = time.perf_counter() - started


def _environment(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LIANGXIAN_SQLITE")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", LIANGXIAN_VAR=str(var), PYTHONPATH=str(ROOT))
    return env


@contextmanager
def _sqlite_target(tmp: Path) -> Iterator[Target]:
    env = _environment(tmp / "var")
    env["LIANGXIAN_SQLITE"] = str(tmp / "interrupt.sqlite3")
    yield Target("sqlite", tmp / "var", env, sqlite_path=tmp / "interrupt.sqlite3")


@contextmanager
def _postgres_target(tmp: Path, base_url: str) -> Iterator[Target]:
    import psycopg

    name = f"liangxian_interrupt_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(base_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = _environment(tmp / "var")
    env["DATABASE_URL"] = url
    try:
        yield Target("postgresql", tmp / "var", env, url=url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            # The killed client's backend may linger a moment; FORCE ends it.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def police_register(seed: int) -> tuple[Any, Any]:
    """The police household register of a synthetic county of FILE_ROWS persons, with its usual dirt: (spec, frame)."""
    from liangxian.demo.county import Draws, county_generate, villages_from_csv
    from liangxian.demo.files import department_files_build, dirty_rows

    county = county_generate(persons=FILE_ROWS, seed=seed, villages=villages_from_csv())
    spec = next(department_files_build(county))
    assert spec.kind == KIND
    frame = dirty_rows(
        spec.frame,
        draws=Draws(county.seed),
        stream=f"file.{spec.name}",
        fmt="xlsx",
        id_column=spec.id_column,
        name_column=spec.name_column,
    )
    return spec, frame


@pytest.fixture(scope="module")
def big_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A police household register of ~40,000 rows from the synthetic county, with its usual dirt."""
    from liangxian.demo.files import _write_xlsx

    spec, frame = police_register(seed=11)
    path = tmp_path_factory.mktemp("interrupt") / spec.name
    _write_xlsx(path, spec, frame, datetime(2025, 6, 30, 9, 0))
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A fresh database on the backend, set up as `make setup` does."""
    if request.param == "sqlite":
        context = _sqlite_target(tmp_path)
    else:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            pytest.skip("DATABASE_URL does not point at PostgreSQL")
        context = _postgres_target(tmp_path, url)
    with context as prepared:
        _prepare(prepared)
        yield prepared


def _submit_argv(path: Path) -> list[str]:
    return [str(LIANGXIAN), "exchange", "submit", "--kind", KIND, "--file", str(path), "--as", "police", "--json"]


def _kill_mid_load(target: Target, path: Path) -> float:
    """Start the submit, SIGKILL it once it is inside its transaction; return how long it ran."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own command
        _submit_argv(path), env=target.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        while not target.import_running():
            if process.poll() is not None:
                _, err = process.communicate()
                pytest.fail(f"the submit ended (exit {process.returncode}) before it loaded: {err.decode()[-2000:]}")
            if time.perf_counter() - started > WAIT_LIMIT:
                pytest.fail("the submit did not reach its load in time")
            time.sleep(0.02)
        time.sleep(KILL_AFTER)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL, (
        f"the submit finished (exit {process.returncode}) before it could be killed: make the file larger"
    )
    return time.perf_counter() - started


def test_killing_the_submit_mid_load_leaves_the_database_as_before_and_a_rerun_works(
    target: Target, big_list: Path
) -> None:
    # Given a set-up database and its state
    before = target.state()
    assert before["submissions"] == 0

    # When the submit of a 40,000-row list is killed inside its transaction
    target.timings["killed_after"] = _kill_mid_load(target, big_list)

    # Then nothing of it is in the database and the audit chain still holds
    assert target.state() == before
    verified = _run(target, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # When the same command runs again
    started = time.perf_counter()
    rerun = _run(target, *_submit_argv(big_list)[1:])
    target.timings["rerun"] = time.perf_counter() - started

    # Then it completes with one version whose counts add up, the register grown, the chain still whole
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr[-2000:]
    result = json.loads(rerun.stdout)
    after = target.state()
    assert result["version"] == 1
    assert result["rows"] == result["accepted"] + result["repaired"] + result["rejected"]
    assert result["rows"] >= FILE_ROWS
    assert after["submissions"] == 1
    assert after["rows"] == result["rows"]
    assert after["persons"] > before["persons"]
    assert after["audit_events"] > before["audit_events"]
    verified = _run(target, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"{target.vendor}: " + ", ".join(f"{k} {v:.1f} s" for k, v in target.timings.items()))
