"""What the benchmarks that run each case in a child process share: the child's environment and run, the case's
side of it, the template database with the synthetic county, and the peak memory.

Imported as ``bench.common``: the benchmarks put the repository root on ``sys.path`` (``_main`` and ``run.py``),
and their children have it on ``PYTHONPATH``.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def child_env(work: Path, db: Path) -> dict[str, str]:
    """Return the environment of a case's child: dev settings on the SQLite file ``db``, no DATABASE_URL."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        LIANGXIAN_VAR=str(work / "var"),
        LIANGXIAN_SQLITE=str(db),
        PYTHONPATH=str(ROOT),
    )
    return env


def child_run(
    script: str, case: str, persons: int, work: Path, *, env: dict[str, str], profile: bool = False
) -> dict[str, Any]:
    """Run one case of the benchmark ``script`` in a child process and return the figures it printed last."""
    argv = [sys.executable, str(Path(script).resolve()), "--case", case, "--persons", str(persons)]
    argv += ["--work", str(work)] + (["--cprofile"] if profile else [])
    print(f"  {case} …", file=sys.stderr, flush=True)
    completed = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"bench case {case} failed:\n{completed.stderr[-3000:]}")
    if profile:
        print(completed.stderr, file=sys.stderr)
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def case_main(case: Callable[[int, Path], dict[str, Any]], persons: int, work: Path, *, cprofile: bool) -> None:
    """In the child: run the case (under cProfile, its report on stderr), print its figures with the peak memory.

    BENCH_PROFILE_CPU=1 counts CPU time instead of wall time (steadier on a busy machine, blind to waits);
    BENCH_PROFILE_FILTER narrows the cumulative report to the functions it matches.
    """
    if cprofile:
        profiler = cProfile.Profile(time.process_time) if os.environ.get("BENCH_PROFILE_CPU") else cProfile.Profile()
        result = profiler.runcall(case, persons, work)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 45)
        stats.sort_stats("tottime").print_stats(25)
        print(text.getvalue(), file=sys.stderr)
    else:
        result = case(persons, work)
    result["peak_mb"] = peak_mb()
    print(json.dumps(result, default=str))


def peak_mb() -> float:
    """Return the high-water mark of this process and of any it waited for, in MB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def county_database(persons: int, *, seed: int, area: str | None = None) -> Any:
    """Migrate the database, load divisions, units, catalogue and demo logins, and put a synthetic county (of the
    villages of ``area``, default the demo county) in the register; return the county."""
    from django.core.management import call_command

    from liangxian.demo.county import county_generate
    from liangxian.demo.selectors import demo_villages
    from liangxian.demo.services import demo_county_load

    quiet = io.StringIO()
    call_command("migrate", verbosity=0)
    call_command("divisions", "load", stdout=quiet)
    call_command("org", "bootstrap", stdout=quiet)
    call_command("exchange", "catalogue", stdout=quiet)
    call_command("demo_users", stdout=quiet)
    villages = demo_villages() if area is None else demo_villages(county=area)
    county = county_generate(persons=persons, seed=seed, villages=villages)
    demo_county_load(actor=None, county=county)
    return county
