"""`liangxian exchange submit|kinds|catalogue`."""
# ruff: noqa: F811 -- the shared fixtures come from test_services and are used as parameters

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from liangxian.exchange.models import Dataset, Submission

from .test_services import DISABLED_HEADER, county, csv_bytes, disabled_row  # noqa: F401

pytestmark = pytest.mark.django_db


def test_catalogue_command_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("exchange", "catalogue")
    count = Dataset.objects.count()
    call_command("exchange", "catalogue")
    assert Dataset.objects.count() == count
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_kinds_json_lists_chinese_names_providers_and_columns(
    county: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    call_command("exchange", "kinds", "--json")
    kinds = {k["code"]: k for k in json.loads(capsys.readouterr().out)}
    assert kinds["civil_affairs.orphans"]["name"] == "孤儿名单"
    assert kinds["civil_affairs.orphans"]["provider"] == "civil"
    assert "身份证号码" in kinds["civil_affairs.orphans"]["columns"]


def test_submit_prints_counts_and_refuses_with_exit_2(
    county: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "list.csv"
    good.write_bytes(csv_bytes(DISABLED_HEADER, [disabled_row(1, "王芳"), disabled_row(1, "王芳")]))
    capsys.readouterr()
    kind = "disabled_persons_federation.certified"
    call_command(
        "exchange", "submit", "--kind", kind, "--file", str(good), "--as", county["disabled"].username, "--json"
    )
    result = json.loads(capsys.readouterr().out)
    assert (result["rows"], result["accepted"], result["repaired"], result["rejected"]) == (2, 1, 0, 1)
    assert Submission.objects.get(pk=result["submission"]).method == "cli"

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(["序号", "备注"], [["1", "x"]]))
    with pytest.raises(SystemExit) as exited:
        call_command("exchange", "submit", "--kind", kind, "--file", str(bad), "--as", county["disabled"].username)
    assert exited.value.code == 2
    assert Submission.objects.count() == 1
