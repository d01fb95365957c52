"""Run every benchmark in bench/ and print its figures beside its comparison run.

Each ``bench/bench_*.py`` exposes ``run(persons=...) -> list[dict]``; a row has ``name``, ``figure``, ``unit``,
``comparison`` (the same work done the ordinary way, or None) and ``note`` (what the comparison is).
``make bench`` and ``liangxian bench`` both call :func:`main`.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
COLUMNS = ("benchmark", "ours", "comparison", "ratio", "note")


def discover(pattern: str = "") -> list[ModuleType]:
    """Import every bench_*.py module (whose name contains ``pattern``), in name order."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    modules = []
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        if pattern and pattern not in path.stem:
            continue
        spec = importlib.util.spec_from_file_location(f"bench.{path.stem}", path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if callable(getattr(module, "run", None)):
            modules.append(module)
    return modules


def _call(run: Callable[..., list[dict[str, Any]]], options: dict[str, Any]) -> list[dict[str, Any]]:
    # Pass a benchmark only the options it declares, so each module takes what fits it.
    accepted = inspect.signature(run).parameters
    return run(**{k: v for k, v in options.items() if k in accepted and v is not None})


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("s", "MB") or abs(value) < 1000:
        return f"{value:,.2f} {unit}"
    return f"{value:,.0f} {unit}"


def ratio(row: dict[str, Any]) -> str:
    """How many times better ours is: time and memory lower is better, throughput higher."""
    ours, other = row.get("figure"), row.get("comparison")
    if not ours or not other:
        return "—"
    better = other / ours if row.get("lower_is_better", True) else ours / other
    return f"{better:,.1f}×"


def table(rows: Sequence[dict[str, Any]]) -> str:
    """Lay the rows out as one plain-text table."""
    cells = [
        (
            str(r["name"]),
            _number(r.get("figure"), r.get("unit", "")),
            _number(r.get("comparison"), r.get("unit", "")),
            ratio(r),
            str(r.get("note", "")),
        )
        for r in rows
    ]

    def width(text: str) -> int:
        # East Asian characters take two columns in a terminal.
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    widths = [max([width(h)] + [width(c[i]) for c in cells]) for i, h in enumerate(COLUMNS)]
    lines = []
    for line in [COLUMNS, tuple("-" * w for w in widths), *cells]:
        padded = [text + " " * (widths[i] - width(text)) for i, text in enumerate(line)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print one table (or JSON)."""
    parser = argparse.ArgumentParser(prog="bench", description="Run the benchmarks in bench/.")
    parser.add_argument("--persons", type=int, default=None, help="Scale: residents to generate (default 300000).")
    parser.add_argument("--only", default="", help="Run only bench modules whose name contains this text.")
    parser.add_argument("--case", action="append", default=None, help="Run only these cases (repeatable).")
    parser.add_argument("--json", action="store_true", help="Print the rows as JSON.")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for module in discover(args.only):
        print(f"running {module.__name__} …", file=sys.stderr, flush=True)
        module_rows = _call(module.run, {"persons": args.persons, "cases": args.case})
        rows.extend({"module": module.__name__.removeprefix("bench."), **r} for r in module_rows)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(table(rows))
        print(f"\n{len(rows)} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
