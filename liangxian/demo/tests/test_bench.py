"""The benchmark runner: finds bench/bench_*.py and prints ours beside the comparison run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.conf import settings

RUNNER = Path(settings.BASE_DIR) / "bench" / "run.py"


@pytest.fixture(scope="module")
def runner():
    spec = importlib.util.spec_from_file_location("bench_run_under_test", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_runner_discovers_the_demo_data_benchmark(runner):
    names = [m.__name__ for m in runner.discover()]

    assert "bench.bench_demo_data" in names


def test_table_puts_ours_beside_the_comparison_with_a_ratio(runner):
    text = runner.table([{"name": "generate", "figure": 2.0, "unit": "s", "comparison": 10.0, "note": "naive loop"}])

    header, _, line = text.splitlines()
    assert header.split() == ["benchmark", "ours", "comparison", "ratio", "note"]
    assert "2.00 s" in line
    assert "10.00 s" in line
    assert "5.0×" in line
    assert "naive loop" in line


def test_a_small_generation_benchmark_runs(runner, capsys):
    runner.main(["--only", "demo_data", "--persons", "500", "--case", "generate", "--case", "generate_naive"])

    out = capsys.readouterr().out
    assert "generate 500 persons (frames)" in out
    assert "×" in out
