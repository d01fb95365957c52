"""The pages, the API and the command: thin doors to the same services, scoped to each bureau and logged."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from liangxian.bureaus import services
from liangxian.bureaus.models import DailyFile, DifferenceNote, MonthlyReport
from liangxian.core.models import AccessLog
from liangxian.registry.tests import factories as f
from liangxian.web.api_auth import api_token_issue

from .fixtures import MONTH, send_on_time

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _bearer(user: Any) -> dict[str, Any]:
    admin = f.user(None, "sysadmin", is_superuser=True)
    _, secret = api_token_issue(actor=admin, unit=user.unit, user=user, name="bureau system")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_each_bureau_downloads_only_its_insurance_and_a_township_sees_nothing(county: dict[str, Any]) -> None:
    services.daily_detail_generate(by=county["tax"], day=date(2026, 10, 31))
    medical_file = DailyFile.objects.get(day=date(2026, 10, 31), insurance="medical", format="xlsx")
    pension_file = DailyFile.objects.get(day=date(2026, 10, 31), insurance="pension", format="csv")
    medical = _client(county["medical"])
    listing = medical.get("/bureaus/daily/").content.decode()
    assert (
        f"/bureaus/daily/files/{medical_file.pk}/" in listing
        and f"/bureaus/daily/files/{pension_file.pk}/" not in listing
    )
    download = medical.get(f"/bureaus/daily/files/{medical_file.pk}/")
    content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert download.status_code == 200 and content.startswith(b"PK")
    assert medical.get(f"/bureaus/daily/files/{pension_file.pk}/").status_code == 404
    logged = AccessLog.objects.filter(object_type="bureaus.dailyfile", user=county["medical"])
    assert {(a.action, a.count) for a in logged} == {("export", medical_file.rows), ("denied", 1)}
    township = _client(county["township"])
    for url in (
        "/bureaus/",
        "/bureaus/daily/",
        f"/bureaus/compare/{MONTH}/",
        f"/bureaus/daily/files/{medical_file.pk}/",
    ):
        assert township.get(url).status_code == 404, url


def test_the_bureaus_system_downloads_by_api_with_its_token(county: dict[str, Any]) -> None:
    services.daily_detail_generate(by=county["tax"], day=date(2026, 10, 31))
    headers = _bearer(county["social"])
    client = Client()
    response = client.get("/api/bureaus/daily/2026-10-31/pension?format=csv", **headers)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"\xef\xbb\xbf") and b"WX-Q3" in body
    assert client.get("/api/bureaus/daily/2026-10-31/medical", **headers).status_code == 403
    assert client.get("/api/bureaus/daily/2026-10-30/pension", **headers).status_code == 404
    listed = client.get("/api/bureaus/daily", **headers).json()
    assert {d["insurance"] for d in listed} == {"pension"}
    assert AccessLog.objects.filter(object_type="bureaus.dailyfile", channel="api", action="export").count() == 1
    assert Client().get("/api/bureaus/daily").status_code == 401


def test_the_api_imports_a_report_and_answers_the_comparison(county: dict[str, Any]) -> None:
    services.daily_detail_run(by=None, since=date(2026, 10, 1))
    send_on_time()
    client = Client()
    headers = _bearer(county["medical"])
    csv = "险种,乡镇,入账人数,入账金额（元）,退费人数,退费金额（元）\n医保,合计,5,1810,0,0\n".encode()
    upload = io.BytesIO(csv)
    upload.name = "report.csv"
    response = client.post("/api/bureaus/reports", {"bureau": "medical", "month": MONTH, "file": upload}, **headers)
    assert response.status_code == 201, response.content
    upload.seek(0)
    assert client.post("/api/bureaus/reports", {"bureau": "medical", "month": MONTH, "file": upload}, **headers).json()[
        "repeated"
    ]
    upload.seek(0)
    refused = client.post("/api/bureaus/reports", {"bureau": "social", "month": MONTH, "file": upload}, **headers)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    comparison = client.get(f"/api/bureaus/compare/{MONTH}", **headers).json()
    (line,) = comparison["lines"]
    assert line["net_diff_fen"] == 37000 and line["unexplained_fen"] == 0
    assert {c["code"] for c in line["causes"] if c["applies"]} == {"queue", "refunds", "timing"}
    noted = client.post(
        f"/api/bureaus/compare/{MONTH}/notes",
        orjson.dumps({"insurance": "medical", "note": "已核实：31日明细次月入账"}),
        content_type="application/json",
        **headers,
    )
    assert noted.status_code == 201 and DifferenceNote.objects.get().township_code == ""


def test_the_pages_import_compare_drill_down_and_note(county: dict[str, Any]) -> None:
    services.daily_detail_run(by=None, since=date(2026, 10, 1))
    send_on_time()
    tax = _client(county["tax"])
    upload = io.BytesIO("入账人数,入账金额\n5,1810\n".encode())
    upload.name = "月报.csv"
    response = tax.post("/bureaus/reports/import/", {"bureau": "medical", "month": MONTH, "file": upload})
    report = MonthlyReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/bureaus/reports/{report.pk}/"
    page = tax.get(f"/bureaus/compare/{MONTH}/").content.decode()
    assert "cause-timing applies" in page and "cause-government applies" not in page
    drill = tax.get(f"/bureaus/compare/{MONTH}/cause/?insurance=medical&township=&cause=queue").content.decode()
    p7 = county["payments"]["p7"]
    assert "WX-7" in drill and p7.id_number not in drill and p7.id_number[-4:] in drill
    assert AccessLog.objects.filter(object_type="collection.payment", user=county["tax"], action="list").exists()
    tax.post(f"/bureaus/compare/{MONTH}/note/", {"insurance": "medical", "township": "", "note": "待查"})
    assert "待查" in tax.get(f"/bureaus/compare/{MONTH}/").content.decode()
    assert tax.get("/bureaus/reports/template.xlsx").status_code == 200
    entered = tax.post(
        "/bureaus/reports/enter/", {"bureau": "social", "month": MONTH, "persons-total": "1", "amount-total": "300"}
    )
    assert entered.status_code == 302 and MonthlyReport.objects.filter(bureau="social", source="form").exists()


def test_the_commands_import_compare_and_send_the_daily_detail(county: dict[str, Any], tmp_path: Path) -> None:
    out = io.StringIO()
    call_command(
        "bureaus", "daily-detail", "--since", "2026-10-01", "--out", str(tmp_path / "out"), "--json", stdout=out
    )
    days = orjson.loads(out.getvalue())["days"]
    assert len(days) == 10 and all(d["status"] == "generated" for d in days)
    assert (
        len(list((tmp_path / "out").iterdir())) == 2 * DailyFile.objects.values("day", "insurance").distinct().count()
    )
    out = io.StringIO()
    call_command("bureaus", "daily-detail", "--date", "2026-10-31", "--json", stdout=out)
    assert orjson.loads(out.getvalue())["days"][0]["status"] == "already_sent"
    send_on_time()
    report = tmp_path / "report.csv"
    report.write_text("险种,入账人数,入账金额（元）,退费人数,退费金额（元）\n养老,1,200,1,200\n", encoding="utf-8")
    out = io.StringIO()
    call_command(
        "bureaus", "report-import", "--month", MONTH, "--bureau", "social", "--file", str(report), "--as",
        county["social"].username, "--json", stdout=out,
    )  # fmt: skip
    assert orjson.loads(out.getvalue())["counts"] == {"accepted": 1, "repaired": 0, "rejected": 0}
    out = io.StringIO()
    call_command("bureaus", "compare", "--month", MONTH, "--json", stdout=out)
    lines = {(line["insurance"], line["township_code"]) for line in orjson.loads(out.getvalue())["lines"]}
    assert ("pension", "") in lines and ("medical", "") in lines  # medical not reported: tax's figures alone
