"""The exchange benchmark runs end to end at a tiny size and reports ours beside the fastexcel floor."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_exchange.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_exchange_smoke", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_reports_submit_and_version_two_beside_the_fastexcel_read() -> None:
    # Given the benchmark module, When it runs at 400 persons for the xlsx cases
    rows = _module().run(persons=400, cases=["read_xlsx", "submit_xlsx", "v2_xlsx"])

    # Then each submit has a time, the read floor as comparison, a peak memory, and v2 shows its changes
    by_name = {row["name"]: row for row in rows}
    submits = [row for name, row in by_name.items() if name.startswith("xlsx v")]
    assert len(submits) == 2
    assert all(row["figure"] > 0 and row["comparison"] > 0 for row in submits)
    changes = next(row for row in rows if row["name"].strip() == "version changes")
    assert "added" in changes["note"] and "removed" in changes["note"]
    peaks = [row for row in rows if row["name"].strip() == "peak memory"]
    assert peaks and all(row["figure"] > 0 for row in peaks)
