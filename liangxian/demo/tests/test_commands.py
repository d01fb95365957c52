"""``liangxian demo-data`` and ``liangxian bench`` as a user calls them."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from liangxian.registry.models import Household, Person


@pytest.mark.django_db
def test_demo_data_loads_writes_and_reports_json(divisions, tmp_path):
    out = io.StringIO()

    call_command("demo_data", persons=1200, seed=11, out=tmp_path, json=True, stdout=out)

    report = json.loads(out.getvalue())
    assert report["persons"] == Person.objects.count() == 1200
    assert report["households"] == Household.objects.count()
    assert sum(report["by_status"].values()) == 1200
    assert report["by_category"]["students"] > 0
    assert report["loaded"] is True
    assert "manifest.json" in report["files"]
    assert all((tmp_path / name).is_file() for name in report["files"])
    assert report["seconds"] > 0


@pytest.mark.django_db
def test_demo_data_without_loading_needs_no_database_rows(tmp_path):
    out = io.StringIO()

    call_command("demo_data", persons=300, seed=1, out=tmp_path, no_load=True, no_files=True, json=True, stdout=out)

    report = json.loads(out.getvalue())
    assert report["loaded"] is False
    assert report["files"] == []
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_demo_data_asks_for_divisions_before_loading(tmp_path):
    with pytest.raises(CommandError):
        call_command("demo_data", persons=100, seed=1, out=tmp_path, no_files=True, stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_data_prints_a_summary(divisions, tmp_path):
    out = io.StringIO()

    call_command("demo_data", persons=200, seed=2, out=tmp_path, no_files=True, stdout=out)

    assert "demo-2-200" in out.getvalue()


@pytest.mark.django_db
def test_large_counties_write_their_files_in_a_second_process(divisions, tmp_path, monkeypatch):
    from liangxian.demo.management.commands import demo_data

    monkeypatch.setattr(demo_data, "PARALLEL_FILES_FROM", 1)
    out = io.StringIO()

    call_command("demo_data", persons=400, seed=4, out=tmp_path, json=True, stdout=out)

    report = json.loads(out.getvalue())
    assert Person.objects.count() == 400
    assert (tmp_path / "manifest.json").is_file()
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["batch"] == report["batch"]
