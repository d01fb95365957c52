"""Benchmark: generate the synthetic county (300,000 persons), load it into a fresh SQLite, write its files.

Each case runs in a child process of its own (``python bench/bench_demo_data.py --case NAME``) with its own
temporary var/ and SQLite file, so its wall time and peak resident memory are its own. The comparison runs:

- generation: the same fields drawn one row at a time in a plain Python loop with ``random.Random`` (the
  obvious way to write a generator) against the vectorised Polars frames;
- loading: the same generated rows saved with Django ``bulk_create(batch_size=5000)`` against executemany on
  the raw connection, both in one transaction on a fresh database and both sealed in the audit chain.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PERSONS = 300_000
CASES = ("generate", "generate_naive", "load", "load_bulk_create", "files")


def run(persons: int = DEFAULT_PERSONS, cases: list[str] | None = None) -> list[dict[str, Any]]:
    """Run each case in a child process and pair it with its comparison run."""
    wanted = [c for c in CASES if not cases or c in cases]
    results = {case: _child(case, persons) for case in wanted}

    def figure(case: str, key: str) -> float | None:
        result = results.get(case)
        return None if result is None else result[key]

    scale = f"{persons:,} persons"
    rows: list[dict[str, Any]] = []
    if "generate" in results or "generate_naive" in results:
        rows += [
            {
                "name": f"generate {scale} (frames)",
                "figure": figure("generate", "seconds"),
                "unit": "s",
                "comparison": figure("generate_naive", "seconds"),
                "note": "comparison: same fields, one row at a time in a Python loop (random.Random)",
            },
            {
                "name": "  peak memory",
                "figure": figure("generate", "peak_mb"),
                "unit": "MB",
                "comparison": figure("generate_naive", "peak_mb"),
                "note": "peak RSS of the child process, interpreter and imports included",
            },
        ]
    if "load" in results or "load_bulk_create" in results:
        rows += [
            {
                "name": f"generate + load {scale} into fresh SQLite",
                "figure": figure("load", "seconds"),
                "unit": "s",
                "comparison": figure("load_bulk_create", "seconds"),
                "note": "comparison: same rows via Django bulk_create(batch_size=5000); both one transaction + seal",
            },
            {
                "name": "  of which loading",
                "figure": figure("load", "load_seconds"),
                "unit": "s",
                "comparison": figure("load_bulk_create", "load_seconds"),
                "note": f"{figure('load', 'rows') or 0:,.0f} rows (persons + households); executemany vs bulk_create",
            },
            {
                "name": "  peak memory",
                "figure": figure("load", "peak_mb"),
                "unit": "MB",
                "comparison": figure("load_bulk_create", "peak_mb"),
                "note": "peak RSS of the child process",
            },
        ]
    if "files" in results:
        rows += [
            {
                "name": f"department files for {scale}",
                "figure": figure("files", "seconds"),
                "unit": "s",
                "comparison": None,
                "note": f"{figure('files', 'files'):.0f} files, {figure('files', 'mb'):.0f} MB "
                "(xlsxwriter constant_memory, Polars csv)",
            },
            {
                "name": "  peak memory",
                "figure": figure("files", "peak_mb"),
                "unit": "MB",
                "comparison": None,
                "note": "",
            },
        ]
    return rows


def _child(case: str, persons: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="liangxian-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.dev",
            LIANGXIAN_VAR=tmp,
            LIANGXIAN_SQLITE=str(Path(tmp) / "bench.sqlite3"),
            PYTHONPATH=str(ROOT),
        )
        argv = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--persons", str(persons), "--out", tmp]
        completed = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"bench case {case} failed:\n{completed.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
        return result


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepare_database() -> None:
    from django.core.management import call_command

    from liangxian.core.divisions import divisions_load

    call_command("migrate", verbosity=0)
    divisions_load(actor=None, county="653123")


def case_generate(persons: int, out: Path) -> dict[str, Any]:
    from liangxian.demo.county import county_generate, villages_from_csv

    villages = villages_from_csv()
    started = time.perf_counter()
    county = county_generate(persons=persons, seed=2025, villages=villages)
    return {"seconds": time.perf_counter() - started, "rows": county.persons.height}


def case_generate_naive(persons: int, out: Path) -> dict[str, Any]:
    from liangxian.demo.county import villages_from_csv

    villages = villages_from_csv().to_dicts()
    started = time.perf_counter()
    rows = naive_generate(persons=persons, seed=2025, villages=villages)
    return {"seconds": time.perf_counter() - started, "rows": len(rows)}


def case_load(persons: int, out: Path) -> dict[str, Any]:
    _prepare_database()
    from liangxian.demo.county import county_generate
    from liangxian.demo.selectors import demo_villages
    from liangxian.demo.services import demo_county_load

    started = time.perf_counter()
    county = county_generate(persons=persons, seed=2025, villages=demo_villages())
    load = demo_county_load(actor=None, county=county)
    return {
        "seconds": time.perf_counter() - started,
        "load_seconds": load.seconds,
        "rows": load.persons + load.households,
    }


def case_load_bulk_create(persons: int, out: Path) -> dict[str, Any]:
    _prepare_database()
    import polars as pl
    from django.db import transaction

    from liangxian.core.sealing import seal_batch
    from liangxian.demo.county import county_generate
    from liangxian.demo.selectors import demo_villages
    from liangxian.demo.services import register_frames
    from liangxian.registry.models import Household, Person

    started = time.perf_counter()
    county = county_generate(persons=persons, seed=2025, villages=demo_villages())
    households, people = register_frames(county)
    loading = time.perf_counter()
    with transaction.atomic():
        Household.objects.bulk_create((Household(**row) for row in households.iter_rows(named=True)), batch_size=5000)
        ids = dict(Household.objects.values_list("number", "id"))
        people = people.with_columns(
            household_id=pl.col("household_number").replace_strict(ids, return_dtype=pl.Int64)
        ).drop("household_number")
        Person.objects.bulk_create((Person(**row) for row in people.iter_rows(named=True)), batch_size=5000)
        seal_batch(actor=None, model=Person, batch_id=county.batch, action="demo_data.load", payload={})
    done = time.perf_counter()
    return {"seconds": done - started, "load_seconds": done - loading, "rows": people.height + households.height}


def case_files(persons: int, out: Path) -> dict[str, Any]:
    from liangxian.demo.county import county_generate, villages_from_csv
    from liangxian.demo.files import department_files_write

    county = county_generate(persons=persons, seed=2025, villages=villages_from_csv())
    started = time.perf_counter()
    manifest = department_files_write(county, out / "files")
    size = sum(p.stat().st_size for p in (out / "files").iterdir())
    return {"seconds": time.perf_counter() - started, "files": len(manifest["files"]), "mb": size / 1e6}


# --- the comparison generator: the same fields, one row at a time ----------------------------------------

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


def naive_generate(*, persons: int, seed: int, villages: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Draw households and residents row by row with random.Random, as a straightforward generator would."""
    from liangxian.demo import vocab
    from liangxian.demo.county import AS_OF, HOUSEHOLD_SIZE_WEIGHTS

    rng = random.Random(seed)
    weights = [rng.random() ** 2 * 2.2 + 0.35 for _ in villages]
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    household = 0
    while len(rows) < persons:
        household += 1
        size = min(rng.choices(range(1, 9), weights=HOUSEHOLD_SIZE_WEIGHTS)[0], persons - len(rows))
        village = rng.choices(villages, weights=weights)[0]
        han = rng.random() < 0.05
        head_age = 21 + int(((rng.random() + rng.random()) / 2) ** 1.6 * 62)
        surname = rng.choice(vocab.HAN_SURNAMES)
        father = rng.choice(vocab.UYGHUR_MALE)
        for pos in range(size):
            male = rng.random() < 0.5 if pos else rng.random() < 0.9
            if pos == 0:
                relation, age = "户主", head_age
            elif pos == 1:
                relation, age = "配偶", max(18, head_age - rng.randrange(9))
            else:
                relation, age = ("子" if male else "女"), max(0, head_age - 21 - 2 * pos - rng.randrange(5))
            birth = AS_OF - timedelta(days=age * 365 + rng.randrange(365))
            if han:
                name = surname + rng.choice(vocab.HAN_MALE_CHARS if male else vocab.HAN_FEMALE_CHARS)
            else:
                given = rng.choice(vocab.UYGHUR_MALE if male else vocab.UYGHUR_FEMALE)
                name = f"{given}·{father if pos >= 2 else rng.choice(vocab.UYGHUR_MALE)}"
            area = "653123" if rng.random() < 0.92 else rng.choice(vocab.KASHGAR_OTHER_COUNTIES)
            while True:
                order = rng.randrange(500) * 2 + (1 if male else 0)
                body = f"{area}{birth:%Y%m%d}{order:03d}"
                id_number = body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
                if id_number not in seen:
                    seen.add(id_number)
                    break
            status = "deceased" if rng.random() < 0.005 else "moved_away" if rng.random() < 0.01 else "active"
            rows.append(
                {
                    "household": f"{village['village_code']}{household:05d}",
                    "village_code": village["village_code"],
                    "township_code": village["township_code"],
                    "name": name,
                    "sex": "M" if male else "F",
                    "birth_date": birth,
                    "relation": relation,
                    "id_number": id_number,
                    "phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.7 else "",
                    "status": status,
                    "status_date": AS_OF - timedelta(days=rng.randrange(365)) if status != "active" else None,
                    "student": 6 <= age <= 18 and rng.random() < 0.95,
                    "disabled": rng.random() < 0.02,
                }
            )
    return rows


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=CASES, required=True)
    parser.add_argument("--persons", type=int, default=DEFAULT_PERSONS)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    import django

    django.setup()
    result = globals()[f"case_{args.case}"](args.persons, args.out)
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    _main()
