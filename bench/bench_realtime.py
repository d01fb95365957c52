"""Benchmark: the signed real-time payment API on PostgreSQL behind gunicorn, beside pgbench's single-row inserts.

Issue 5's target: payments per second at least 25 % of pgbench's single-row insert rate on the same machine, and
p99 latency under 100 ms.

- ``prepare`` (a child): a fresh PostgreSQL database with a small synthetic county (default 20,000 persons), the
  coverage-2027 campaign and its roster built, a WeChat channel key; writes the payers (one must-pay roster entry
  each, with the amount that counts) for the load generator.
- ``serve``: ``gunicorn config.wsgi`` with 2 workers (4 threads each, as ``make serve``) on loopback, the dev
  settings on that database.
- ``load``: ``bench/loadgen.py`` in its own process — keep-alive clients, each request a new signed notification
  of a new channel transaction (so each is a new payment that counts) — for a warm-up, then the measured seconds.
  Payments/s counts 200 answers; p50/p99 over every measured request.
- ``pgbench``: the floor — ``pgbench -n -c CLIENTS -j 2 -T SECONDS`` running a custom script that inserts one row
  (transaction number, amount, time) into a plain table in the same database, same number of clients.
- ``inprocess`` (``--profile inprocess``): the service alone, no HTTP, for profiling the hot path and counting
  its queries.

``python bench/bench_realtime.py [--postgres URL] [--persons N] [--seconds S] [--clients C]``; the URL names a
database that may be dropped and created (default ``postgres://postgres@127.0.0.1:5432/bench_realtime``, or
``BENCH_POSTGRES``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PERSONS = 20_000
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_realtime"
SEED = 2025
YEAR = 2027
SECONDS = 20
WARMUP = 3.0
CLIENTS = 8
THREADS = 4  # per gunicorn worker, as ``make serve``
TARGET_SHARE = 0.25
TARGET_P99_MS = 100.0


def run(
    persons: int = DEFAULT_PERSONS,
    postgres: str = "",
    seconds: int = SECONDS,
    clients: int = CLIENTS,
    threads: int = THREADS,
) -> list[dict[str, Any]]:
    """Prepare the database, serve it with gunicorn, load it, run pgbench on it; return the rows side by side."""
    url = postgres or os.environ.get("BENCH_POSTGRES", DEFAULT_URL)
    if not shutil.which("pgbench"):
        return [_skipped("pgbench is not installed")]
    try:
        _recreate(url)
    except Exception as exc:
        return [_skipped(f"no PostgreSQL at {url}: {exc}")]
    with tempfile.TemporaryDirectory(prefix="liangxian-bench-realtime-") as tmp:
        work = Path(tmp)
        env = _env(work, url)
        prepared = _child("prepare", persons, work, env)
        server, port = _serve(work, env, threads=threads)
        try:
            spec = {
                **json.loads((work / "spec.json").read_text()),
                "url": f"http://127.0.0.1:{port}",
                "clients": clients,
                "seconds": seconds,
                "warmup": WARMUP,
            }
            (work / "spec.json").write_text(json.dumps(spec))
            cpu_before = _group_cpu(server.pid)
            load_before = os.getloadavg()[0]
            loaded = _load(work)
            loaded["server_cpu_s"] = _group_cpu(server.pid) - cpu_before
            loaded["load_before"] = f"{load_before:.1f}"
        finally:
            _stop(server)
        recorded = _child("count", persons, work, env)
        floor = _pgbench(url, clients=clients, seconds=seconds, work=work)
    return _rows(persons, prepared, loaded, recorded, floor, clients=clients, threads=threads)


def _skipped(why: str) -> dict[str, Any]:
    return {"name": "real-time API (skipped)", "figure": None, "unit": "/s", "comparison": None, "note": why}


def _rows(
    persons: int,
    prepared: dict[str, Any],
    loaded: dict[str, Any],
    recorded: dict[str, Any],
    floor: dict[str, Any],
    *,
    clients: int,
    threads: int,
) -> list[dict[str, Any]]:
    rate, tps = loaded["per_second"], floor["tps"]
    share = rate / tps if tps else None
    p99 = loaded["p99_ms"]
    verdict = "" if share is None else ("meets" if share >= TARGET_SHARE else "MISSES") + " the 25 % target"
    exhausted = " (ran out of payers: raise --persons)" if loaded.get("exhausted") else ""
    return [
        {
            "name": f"real-time notify: payments/s ({clients} clients, gunicorn 2×{threads}, PostgreSQL)",
            "figure": rate,
            "unit": "/s",
            "comparison": tps,
            "lower_is_better": False,
            "note": f"vs pgbench single-row INSERT tps, {clients} clients; {share:.0%} of it, {verdict}; answers "
            f"{loaded['statuses']}, outcomes {loaded['outcomes']}; payments in the database "
            f"{recorded['payments']:,}, notifications {recorded['notifications']:,}{exhausted}",
        },
        {
            "name": "  latency p99",
            "figure": p99,
            "unit": "ms",
            "comparison": TARGET_P99_MS,
            "lower_is_better": True,
            "note": f"target < 100 ms: {'meets' if p99 < TARGET_P99_MS else 'MISSES'}; p50 {loaded['p50_ms']:.1f} ms, "
            f"max {loaded['max_ms']:.1f} ms; pgbench latency avg {floor['latency_ms']} ms",
        },
        {
            "name": "  gunicorn CPU per payment",
            "figure": loaded["server_cpu_s"] / recorded["payments"] * 1000 if recorded["payments"] else None,
            "unit": "ms",
            "comparison": None,
            "note": "user + system CPU of the gunicorn master and workers over the load (warm-up included), divided "
            f"by the payments recorded; machine load average before the run {loaded.get('load_before', '?')}",
        },
        {
            "name": f"prepare ({persons:,} persons, {prepared['payers']:,} must-pay entries)",
            "figure": prepared["seconds"],
            "unit": "s",
            "comparison": None,
            "note": "not part of the target: county, campaign, roster build, channel key",
        },
    ]


# --- the parent's steps ----------------------------------------------------------------------------------


def _env(work: Path, url: str) -> dict[str, str]:
    from bench.common import child_env

    env = child_env(work, work / "unused.sqlite3")
    env["DATABASE_URL"] = url
    return env


def _recreate(url: str) -> None:
    import psycopg

    base, _slash, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _child(case: str, persons: int, work: Path, env: dict[str, str], profile: bool = False) -> dict[str, Any]:
    from bench.common import child_run

    return child_run(__file__, case, persons, work, env=env, profile=profile)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(work: Path, env: dict[str, str], *, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    """Start gunicorn (2 workers, ``threads`` threads each) on a free loopback port and wait until it answers."""
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [str(gunicorn), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    argv += ["--threads", str(threads), "--log-level", "warning"]
    log = (work / "gunicorn.log").open("wb")
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{(work / 'gunicorn.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5) as answer:
                if answer.status == 200:
                    return server, port
        except OSError:
            time.sleep(0.3)
    _stop(server)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the master and its two workers
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of a process group: gunicorn and its workers."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # after the command: state, ppid, pgrp, …, utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _load(work: Path) -> dict[str, Any]:
    print("  load …", file=sys.stderr, flush=True)
    argv = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--spec", str(work / "spec.json")]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


PGBENCH_SCRIPT = """\\set n random(1, 1000000000)
INSERT INTO bench_pgbench_payment (txn_no, amount_fen, paid_at) VALUES ('PG' || :n, 40000, now());
"""


def _pgbench(url: str, *, clients: int, seconds: int, work: Path) -> dict[str, Any]:
    """Run pgbench's single-row insert into a plain table of the same database, as many clients as the load."""
    import psycopg

    print("  pgbench …", file=sys.stderr, flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_pgbench_payment")
        conn.execute(
            "CREATE TABLE bench_pgbench_payment (id bigserial PRIMARY KEY, txn_no varchar(64) NOT NULL,"
            " amount_fen bigint NOT NULL, paid_at timestamptz NOT NULL)"
        )
    script = work / "insert.sql"
    script.write_text(PGBENCH_SCRIPT)
    argv = ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script), url]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{done.stderr[-3000:]}")
    tps = re.search(r"tps = ([0-9.]+)", done.stdout)
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    return {"tps": float(tps.group(1)) if tps else 0.0, "latency_ms": latency.group(1) if latency else "?"}


# --- the cases (run inside the child) --------------------------------------------------------------------


def case_prepare(persons: int, work: Path) -> dict[str, Any]:
    """Build the county, campaign and roster; issue a WeChat key; write the payers and the key for the load."""
    import random

    from django.db import connection

    from bench.bench_roster import campaign_create
    from bench.common import county_database
    from liangxian.collection.realtime import channel_key_create
    from liangxian.roster.build import roster_build

    started = time.perf_counter()
    county_database(persons, seed=SEED)
    campaign = campaign_create()
    roster_build(actor=None, campaign=campaign)
    issued = channel_key_create(channel="wechat")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id_number, e.insurance, e.own_fen, e.gov_fen, e.tiers FROM roster_rosterentry e"
            " JOIN registry_person p ON p.id = e.person_id WHERE e.must_pay AND e.campaign_id = %s",
            [campaign.pk],
        )
        rows = cursor.fetchall()
    payers = []
    for id_number, insurance, own_fen, gov_fen, tiers in rows:
        if insurance == "medical":
            amount = own_fen
        else:
            amount = next((int(t) - gov_fen for t in (tiers or "").split(",") if t and int(t) > gov_fen), 0)
        if amount > 0:
            payers.append(
                {"id_number": id_number, "insurance": insurance, "coverage_year": YEAR, "amount": f"{amount / 100:.2f}"}
            )
    random.Random(SEED).shuffle(payers)
    spec = {"channel": "wechat", "key_id": issued.key.key_id, "secret": issued.secret, "payers": payers}
    (work / "spec.json").write_text(json.dumps(spec))
    return {"seconds": time.perf_counter() - started, "payers": len(payers)}


def case_count(persons: int, work: Path) -> dict[str, Any]:
    """Count what the load left in the database (every 200 answer is one payment, never two)."""
    from liangxian.collection.models import Notification, Payment

    return {"payments": Payment.objects.count(), "notifications": Notification.objects.count()}


def case_inprocess(persons: int, work: Path) -> dict[str, Any]:
    """Call the service directly for 300 payers (no HTTP): time per notification and queries per notification."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from liangxian.collection.realtime import notification_receive, signed_headers

    spec = json.loads((work / "spec.json").read_text())
    n = min(300, len(spec["payers"]))
    queries = 0
    started = time.perf_counter()
    for i, payer in enumerate(spec["payers"][-n:]):
        body = json.dumps(
            {**payer, "txn_no": f"INPROC{i:08d}", "paid_at": "2026-11-02T12:30:00+08:00", "account": "o1"}
        ).encode()
        headers = signed_headers(spec["key_id"], spec["secret"], body)
        with CaptureQueriesContext(connection) as captured:
            notification_receive(
                channel="wechat",
                key_id=headers["X-Liangxian-Key"],
                timestamp=headers["X-Liangxian-Timestamp"],
                nonce=headers["X-Liangxian-Nonce"],
                signature=headers["X-Liangxian-Signature"],
                body=body,
            )
        queries += len(captured)
    seconds = time.perf_counter() - started
    return {"notifications": n, "ms_each": seconds / n * 1000, "queries_each": queries / n}


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", default=None)
    parser.add_argument("--persons", type=int, default=DEFAULT_PERSONS)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--postgres", default="", help="a PostgreSQL database URL that may be dropped and created")
    parser.add_argument("--seconds", type=int, default=SECONDS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--threads", type=int, default=THREADS, help="threads per gunicorn worker")
    parser.add_argument("--cprofile", action="store_true", help="(child) run the case under cProfile")
    parser.add_argument("--profile", action="store_true", help="prepare, then profile the service in process")
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.case is None:
        if args.profile:
            _profile(args.persons, args.postgres)
            return
        from bench.run import table

        options = {"seconds": args.seconds, "clients": args.clients, "threads": args.threads}
        figures = run(persons=args.persons, postgres=args.postgres, **options)
        print(table(figures))
        return
    import django

    from bench.common import case_main

    django.setup()
    case_main(globals()[f"case_{args.case}"], args.persons, args.work, cprofile=args.cprofile)


def _profile(persons: int, postgres: str) -> None:
    url = postgres or os.environ.get("BENCH_POSTGRES", DEFAULT_URL)
    _recreate(url)
    with tempfile.TemporaryDirectory(prefix="liangxian-bench-realtime-") as tmp:
        work = Path(tmp)
        env = _env(work, url)
        _child("prepare", persons, work, env)
        print(json.dumps(_child("inprocess", persons, work, env, profile=True), indent=2))


if __name__ == "__main__":
    _main()
