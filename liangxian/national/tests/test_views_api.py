"""The page, the API and the CLI of the jobs across counties: who sees them, masked IDs, logged listings."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from liangxian.core.idnumbers import mask
from liangxian.core.models import AccessLog, AuditEvent
from liangxian.national.models import DuplicateFinding, JobRun

from . import data
from .fixtures import national_county

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _cli(*args: str) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_cli_runs_both_jobs_and_records_them(tmp_path: Path) -> None:
    county = national_county()
    data.enrolments(tmp_path)
    found = _cli(
        "national", "duplicates", "--data", str(tmp_path), "--engine", "duckdb", "--as", county["tax"].username
    )
    assert found["run"]["findings"] == 2 and found["run"]["rows_in"] == 8
    assert [f["id_number"] for f in found["findings"]] == [mask(data.ID_1), mask(data.ID_2)]
    run = JobRun.objects.get(pk=found["run"]["id"])
    assert run.kind == "duplicates" and run.by == county["tax"]
    assert set(DuplicateFinding.objects.filter(run=run).values_list("id_number", flat=True)) == {data.ID_1, data.ID_2}
    payments, statement = data.payments_and_statement(tmp_path)
    matched = _cli("national", "treasury-match", "--payments", str(payments), "--statement", str(statement))
    assert matched["run"]["counts"] == {"statement_only": 1, "ours_only": 1, "amount": 1, "date": 1, "reversal": 1}
    assert {d["voucher"] for d in matched["differences"]} == {"V2", "V3", "V4", "V5", "V9"}
    assert len(_cli("national", "runs")["runs"]) == 2
    assert AuditEvent.objects.filter(action__in=["national.duplicates", "national.treasury_match"]).count() == 2
    with pytest.raises(CommandError, match="forbidden"):
        _cli("national", "runs", "--as", county["finance_staff"].username)
    with pytest.raises(CommandError, match="not_found"):
        _cli("national", "duplicates", "--data", str(tmp_path / "nowhere"))


def test_export_cli(tmp_path: Path) -> None:
    national_county()
    result = _cli("export", "parquet", "--out", str(tmp_path), "--county", "653123")
    assert result["payments"] == 3 and result["counties"] == ["653123"]
    assert (tmp_path / "payments" / "county=653123").is_dir()
    with pytest.raises(CommandError, match="bad_county"):
        _cli("export", "parquet", "--out", str(tmp_path), "--county", "65")


def test_page_and_api_show_runs_and_masked_findings(tmp_path: Path) -> None:
    county = national_county()
    data.enrolments(tmp_path)
    run_id = _cli("national", "duplicates", "--data", str(tmp_path))["run"]["id"]
    for user in (county["tax"], county["leader"]):
        client = _client(user)
        page = client.get("/national/")
        assert page.status_code == 200 and f"/national/runs/{run_id}/" in page.content.decode()
        detail = client.get(f"/national/runs/{run_id}/").content.decode()
        assert mask(data.ID_1) in detail and data.ID_1 not in detail
        runs = client.get("/api/national/runs").json()
        assert runs[0]["id"] == run_id and runs[0]["findings"] == 2
        findings = client.get(f"/api/national/runs/{run_id}/findings").json()
        assert findings[0] == {
            "id_number": mask(data.ID_1), "insurance": "medical", "coverage_year": 2027,
            "counties": ["110101", "653123"], "county_count": 2, "province_count": 2, "paid_fen": 80000,
        }  # fmt: skip
    assert AccessLog.objects.filter(object_type="national.duplicatefinding", channel="web").count() == 2
    assert AccessLog.objects.filter(object_type="national.duplicatefinding", channel="api").count() == 2
    for user in (county["finance_staff"], county["village_a1_user"]):
        assert _client(user).get("/national/").status_code == 404
        assert _client(user).get(f"/api/national/runs/{run_id}/findings").status_code == 403
    assert Client().get("/api/national/runs").status_code == 401


def test_page_exports_this_county_and_checks(tmp_path: Path, settings: object) -> None:
    county = national_county()
    folder = Path(settings.LIANGXIAN_NATIONAL_DATA)  # type: ignore[attr-defined]
    data._write(
        folder, "enrolments", "110101",
        [{"id_number": county["people"]["aygul"].id_number, "insurance": "medical", "coverage_year": 2027,
          "province": "11", "paid": True, "paid_fen": 40000}],
        data.ENROLMENT_COLUMNS,
    )  # fmt: skip
    response = _client(county["tax"]).post("/national/run/", follow=True)
    assert response.status_code == 200
    run = JobRun.objects.get()
    assert run.findings == 1 and run.by == county["tax"]
    text = response.content.decode()
    assert mask(county["people"]["aygul"].id_number) in text and "110101" in text
