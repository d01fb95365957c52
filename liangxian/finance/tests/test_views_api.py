"""The finance pages, the API and the command: thin doors to the same services, scoped and logged."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from liangxian.core.models import AccessLog
from liangxian.finance.models import DaijiaoApplication, FundAccount, Transfer

from .fixtures import finance_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return finance_county()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cli(*args: str) -> Any:
    out = io.StringIO()
    call_command("finance", *args, "--json", stdout=out, stderr=io.StringIO())
    return orjson.loads(out.getvalue())


def test_pages_show_the_overview_drill_down_and_walk_an_application(county: dict[str, Any]) -> None:
    fin, leader, tax = _client(county["finance"]), _client(county["leader"]), _client(county["tax"])
    page = fin.get("/finance/?year=2027&insurance=medical")
    assert page.status_code == 200 and b"flow-on_behalf" in page.content and b"what=owed" in page.content
    assert leader.get("/finance/?year=2027&insurance=medical").status_code == 200
    assert tax.get("/finance/").status_code == 403
    persons = leader.get("/finance/persons/?year=2027&insurance=medical&what=owed")
    assert persons.status_code == 200 and "古丽·托乎提".encode() in persons.content
    assert county["people"]["guli"].id_number.encode() not in persons.content
    assert AccessLog.objects.filter(object_type="finance.owed", user_id=county["leader"].pk).exists()

    for step in ("draw", "submit", "approve", "batch"):
        r = fin.post("/finance/applications/act/", {"year": 2027, "insurance": "medical", "step": step})
        assert r.status_code == 302
    app = DaijiaoApplication.objects.get(insurance="medical")
    assert app.status == "approved" and app.batches.count() == 1
    assert (
        leader.post("/finance/applications/act/", {"year": 2027, "insurance": "pension", "step": "draw"}).status_code
        == 302
    )
    assert not DaijiaoApplication.objects.filter(insurance="pension").exists()  # a leader reads only
    batch = app.batches.get()
    download = fin.get(f"/finance/batches/{batch.pk}.csv")
    assert download.status_code == 200 and batch.batch_no.encode() in download.content
    assert leader.get(f"/finance/batches/{batch.pk}.csv").status_code == 403
    listing = fin.get("/finance/applications/?year=2027")
    assert batch.batch_no.encode() in listing.content

    # accounts, subsidies and transfers pages
    assert fin.post("/finance/accounts/", {"seed": "1"}).status_code == 302
    assert FundAccount.objects.count() == 6
    assert fin.get("/finance/accounts/").status_code == 200
    r = fin.post("/finance/subsidies/", {"year": 2027, "step": "rates", "insurance": "pension",
                                          "tier_0": "0", "rate_0": "35", "tier_1": "500", "rate_1": "65"})  # fmt: skip
    assert r.status_code == 302
    assert "¥100.00" in fin.get("/finance/subsidies/?year=2027").content.decode()  # 200-tier 35 + 500-tier 65
    r = fin.post("/finance/transfers/", {"year": 2027, "flow": "subsidy", "insurance": "medical", "amount": "1400",
                                          "value_date": "2026-11-28", "reference": "SUB1"})  # fmt: skip
    assert r.status_code == 302 and Transfer.objects.get().amount_fen == 140000
    assert "SUB1" in fin.get("/finance/transfers/?year=2027").content.decode()
    template = fin.get("/finance/statements/template.csv")
    assert "交易日期" in template.content.decode("utf-8-sig")


def test_api_owed_application_transfer_statement_and_overview(county: dict[str, Any]) -> None:
    fin, tax = _client(county["finance"]), _client(county["tax"])
    owed = fin.get("/api/finance/owed?year=2027&insurance=medical")
    assert owed.status_code == 200 and sum(x["owed_fen"] for x in owed.json()) == 100000
    assert tax.get("/api/finance/owed?year=2027").status_code == 403
    drawn = fin.post(
        "/api/finance/applications", {"year": 2027, "insurance": "medical"}, content_type="application/json"
    )
    assert drawn.status_code == 201
    number = drawn.json()["number"]
    assert fin.post(f"/api/finance/applications/{number}/batch").status_code == 409
    assert fin.post(f"/api/finance/applications/{number}/submit").status_code == 200
    approved = fin.post(
        f"/api/finance/applications/{number}/approve", {"approved": "900.00"}, content_type="application/json"
    )
    assert approved.status_code == 200 and approved.json()["approved_fen"] == 90000
    batch = fin.post(f"/api/finance/applications/{number}/batch")
    assert batch.status_code == 201 and batch.json()["persons"] == 3
    rec = fin.post(f"/api/finance/applications/{number}/reconcile").json()
    assert rec["paid_fen"] == 0 and rec["not_covered"] == 3 and rec["status"] == "approved"

    assert fin.post("/api/finance/accounts/seed").status_code == 200
    fiscal = FundAccount.objects.get(insurance="medical", kind="fiscal")
    t = fin.post("/api/finance/transfers", {"flow": "on_behalf", "insurance": "medical", "amount": "1000.00",
                                           "value_date": "2026-11-20", "reference": "R1", "coverage_year": 2027},
                 content_type="application/json")  # fmt: skip
    assert t.status_code == 201 and t.json()["amount_fen"] == 100000
    csv = "交易日期,金额,参考号\n2026-11-21,1000.00,R1\n2026-11-22,-5.00,FEE\n".encode()
    up = fin.post(f"/api/finance/accounts/{fiscal.pk}/statements", {"file": _upload(csv, "s.csv")})
    assert up.status_code == 201
    body = up.json()
    assert body["lines"] == 2 and body["unmatched_lines"][0]["amount_fen"] == -500 and body["unmatched_transfers"] == []
    view = fin.get("/api/finance/overview?year=2027&insurance=medical").json()
    assert view["ok"] and {c["code"] for c in view["checks"]} >= {"daijiao_owed", "contributions", "subsidy_persons"}
    persons = fin.get("/api/finance/persons?year=2027&insurance=medical&what=not_covered").json()
    assert persons["total"] == 3 and all("*" in r["id_number"] for r in persons["rows"])


def _upload(data: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_cli_walks_the_flows(county: dict[str, Any], tmp_path: Path) -> None:
    accounts = _cli("accounts", "--seed", "--as", "fin")
    assert len(accounts) == 6
    owed = _cli("owed", "--year", "2027")
    assert {(x["insurance"], x["category"]) for x in owed} >= {("medical", "orphan"), ("pension", "special_hardship")}
    _cli("apply", "draw", "--year", "2027", "--insurance", "pension", "--as", "fin")
    _cli("apply", "submit", "--year", "2027", "--insurance", "pension", "--as", "fin")
    app = _cli("apply", "approve", "--year", "2027", "--insurance", "pension", "--as", "fin")
    assert app["status"] == "approved" and app["approved_fen"] == 10000
    out = tmp_path / "b.csv"
    batch = _cli("batch", "--year", "2027", "--insurance", "pension", "--out", str(out), "--as", "fin")
    assert batch["persons"] == 1 and out.read_text(encoding="utf-8").startswith("txn_no,")
    subs = _cli("subsidies", "--year", "2027", "--seed-rates", "--record", "--as", "fin")
    assert [s["amount_fen"] for s in subs] == [140000, 9000]
    req = _cli("fundrequest", "draw", "--year", "2027", "--as", "fin")
    assert len(req["lines"]) == 4
    transfers = _cli("transfer", "--flow", "subsidy", "--insurance", "pension", "--amount", "90", "--date",
                     "2026-11-28", "--year", "2027", "--as", "fin")  # fmt: skip
    assert transfers[0]["amount_fen"] == 9000
    fiscal = FundAccount.objects.get(insurance="pension", kind="fiscal")
    statement = tmp_path / "s.csv"
    statement.write_text("交易日期,贷方金额,参考号\n2026-11-29,90.00,X\n", encoding="utf-8")
    result = _cli("statement", "--account", fiscal.number, "--file", str(statement), "--as", "fin")
    assert result["lines"] == 1 and result["unmatched_lines"] == [] and result["unmatched_transfers"] == []
    check = _cli("check", "--year", "2027")
    assert all(x["ok"] for x in check)
    with pytest.raises(CommandError):
        _cli("apply", "draw", "--year", "2027", "--insurance", "medical", "--as", county["tax"].username)


def test_api_rates_subsidies_and_the_yearly_application(county: dict[str, Any]) -> None:
    fin, leader = _client(county["finance"]), _client(county["leader"])
    body = [{"from_tier": "0", "rate": "40"}, {"from_tier": "500", "rate": "80"}]
    assert leader.put("/api/finance/rates/2027/pension", body, content_type="application/json").status_code == 403
    low = fin.put(
        "/api/finance/rates/2027/pension", [{"from_tier": "0", "rate": "20"}], content_type="application/json"
    )
    assert low.status_code == 400 and low.json()["code"] == "below_minimum"
    rates = fin.put("/api/finance/rates/2027/pension", body, content_type="application/json")
    assert rates.status_code == 200 and rates.json()["rows"][1] == {"from_tier_fen": 50000, "rate_fen": 8000}
    kept = fin.post("/api/finance/subsidies/2027/record").json()
    assert {x["insurance"]: x["amount_fen"] for x in kept} == {"medical": 140000, "pension": 12000}
    assert fin.post("/api/finance/fundrequests/2027/draw").status_code == 200
    assert fin.post("/api/finance/fundrequests/2027/submit").status_code == 200
    approved = fin.post(
        "/api/finance/fundrequests/2027/approve",
        {"approved": {"subsidy:medical": "3000.00"}, "note": "县政府批复"},
        content_type="application/json",
    )
    assert approved.status_code == 200
    lines = {(x["flow"], x["insurance"]): x["approved_fen"] for x in approved.json()["lines"]}
    assert lines[("subsidy", "medical")] == 300000 and lines[("on_behalf", "pension")] == 10000
    assert leader.get("/api/finance/fundrequests/2027").json()["status"] == "approved"
