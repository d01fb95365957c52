"""The pages, the xlsx, the API and the command line give the same figures, within each user's scope."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from liangxian.core.models import AccessLog

from .fixtures import NOVEMBER, A, B, report_county

pytestmark = pytest.mark.django_db
NOV = {"month": "2026-11"}


@pytest.fixture
def county() -> dict[str, Any]:
    return report_county()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def test_overview_page_shows_the_figures_and_the_chart_data(county: dict[str, Any]) -> None:
    response = client_for(county["tax"]).get(reverse("reports:overview"), {"period": "month", **NOV})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="rep-data"' in html and "vendor/echarts.min.js" in html
    report = response.context["report"]
    assert report.figures("medical").net_fen == NOVEMBER["medical"]["net_fen"]
    assert "2350.00" in html and "2650.00" in html  # medical net, both insurances net
    assert response.context["chart"]["month_net"][0] == ["2350.00"]
    assert AccessLog.objects.filter(object_type="reports.summary", action="list").exists()


def test_overview_with_a_bad_period_falls_back_and_says_why(county: dict[str, Any]) -> None:
    response = client_for(county["tax"]).get(reverse("reports:overview"), {"period": "month", "month": "2026-13"})

    assert response.status_code == 200
    assert response.context["error"] and response.context["period"].kind == "year"


def test_accounts_page_for_finance_and_refused_to_a_township(county: dict[str, Any]) -> None:
    page = client_for(county["finance"]).get(reverse("reports:accounts"), NOV)
    refused = client_for(county["town_a"]).get(reverse("reports:accounts"), NOV)
    police = client_for(county["police"]).get(reverse("reports:overview"))

    assert page.status_code == 200 and 'id="rep-flows"' in page.content.decode()
    assert page.context["report"].accounts("medical").fiscal.balance_fen == 370000
    assert refused.status_code == 403 and police.status_code == 403
    assert AccessLog.objects.filter(action="denied", object_type="reports.accounts").count() == 1


def test_township_page_is_his_township_and_not_another(county: dict[str, Any]) -> None:
    client = client_for(county["town_a"])

    own = client.get(reverse("reports:overview"), NOV)
    other = client.get(reverse("reports:overview"), {**NOV, "township": B})

    assert own.status_code == 200 and own.context["report"].total.net_fen == 175000
    assert "to-accounts" not in own.content.decode()
    assert other.status_code == 404


def test_drill_down_page_masks_and_logs(county: dict[str, Any]) -> None:
    response = client_for(county["tax"]).get(
        reverse("reports:payments"), {**NOV, "insurance": "medical", "channel": "hall"}
    )

    html = response.content.decode()
    assert response.status_code == 200 and html.count('class="payment"') == 3
    assert "********" in html and "C1" in html
    log = AccessLog.objects.filter(object_type="collection.payment").get()
    assert log.count == 3 and log.path.startswith("/reports/payments/")


def read_sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_xlsx_has_the_same_figures_and_escapes_formulas(county: dict[str, Any]) -> None:
    response = client_for(county["finance"]).get(reverse("reports:xlsx"), NOV)

    assert response.status_code == 200 and response["Content-Disposition"].endswith('2026-11.xlsx"')
    sheets = read_sheets(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    first, by_channel, by_town, by_month, by_account, transfers = sheets.values()
    assert first[0][0].startswith("导出人")
    order = ["gross_fen", "refund_fen", "reversal_fen", "net_fen", "own_fen", "gov_fen"]
    for row, insurance in zip(first[3:6], ["medical", "pension", ""], strict=True):
        expected = NOVEMBER[insurance]
        assert row[1:4] == (expected["payments"], expected["refunds"], expected["reversals"])
        assert [Decimal(str(v)) for v in row[4:10]] == [yuan(expected[k]) for k in order]
        assert row[10:13] == (expected["persons"], expected["persons_own"], expected["persons_gov"])
        assert [Decimal(str(v)) for v in row[13:15]] == [yuan(expected["treasury_fen"]), yuan(expected["pending_fen"])]
    assert len(by_channel) == 3 + 5 and len(by_town) == 3 + 5 and len(by_month) == 3 + 2
    town_a_medical = next(r for r in by_town[3:] if r[1] == A and r[3] == 1550)
    assert town_a_medical[7] == 4
    balances = {r[3]: Decimal(str(r[-1])) for r in by_account[3:]}
    assert balances["M-IN"] == yuan(65000) and balances["M-FS"] == yuan(370000) and balances["P-IN"] == yuan(10000)
    names = [r[2] for r in by_account[3:]]
    assert '\'=HYPERLINK("http://x","y")' in names  # escaped, read back as text
    assert all(not str(v).startswith("=") for sheet in sheets.values() for row in sheet for v in row if v)
    assert len(transfers) == 3 + 5
    assert AccessLog.objects.filter(object_type="reports.summary", action="export").count() == 1


def test_township_xlsx_has_no_accounts(county: dict[str, Any]) -> None:
    response = client_for(county["town_a"]).get(reverse("reports:xlsx"), NOV)

    sheets = read_sheets(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert len(sheets) == 4
    assert Decimal(str(next(iter(sheets.values()))[5][7])) == Decimal("1750")


def test_api_summary_and_accounts(county: dict[str, Any]) -> None:
    client = client_for(county["tax"])

    body = client.get("/api/reports/summary", NOV).json()
    accounts = client.get("/api/reports/accounts", NOV).json()
    ranged = client.get("/api/reports/summary", {"from": "2026-11-30", "to": "2026-12-01"}).json()

    for f in body["insurances"]:
        assert {k: f[k] for k in NOVEMBER[f["insurance"]]} == NOVEMBER[f["insurance"]]
    assert {k: body["total"][k] for k in NOVEMBER[""]} == NOVEMBER[""]
    assert body["period"] == {
        "kind": "month", "key": "2026-11", "label": "2026-11", "start": "2026-11-01", "end": "2026-11-30", "year": None
    }  # fmt: skip
    medical = next(a for a in accounts["insurances"] if a["insurance"] == "medical")
    assert medical["income"]["receipts_fen"] == 235000 and medical["income"]["balance_fen"] == 65000
    assert medical["fiscal"]["in_by_flow"] == {"contributions": 150000, "on_behalf": 20000, "subsidy": 300000}
    assert accounts["has_accounts"] is True and accounts["transfer_count"] == 5
    assert ranged["total"]["net_fen"] == 80000


def test_api_scope_and_errors(county: dict[str, Any]) -> None:
    town = client_for(county["town_a"])

    own = town.get("/api/reports/summary", NOV).json()
    other = town.get("/api/reports/summary", {**NOV, "township": B})
    accounts = town.get("/api/reports/accounts", NOV)
    police = client_for(county["police"]).get("/api/reports/summary")
    bad = client_for(county["tax"]).get("/api/reports/summary", {"month": "2026-11", "year": "2027"})

    assert own["area"] == A and own["total"]["net_fen"] == 175000
    assert other.status_code == 404 and accounts.status_code == 403 and police.status_code == 403
    assert bad.status_code == 400 and bad.json()["detail"]


def test_cli_json_and_xlsx(county: dict[str, Any], tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "nov.xlsx"

    call_command("reports", "summary", "--month", "2026-11", "--as", county["tax"].username, "--json", "--xlsx",
                 str(target), stdout=out)  # fmt: skip

    body = json.loads(out.getvalue())
    assert {k: body["summary"]["total"][k] for k in NOVEMBER[""]} == NOVEMBER[""]
    assert body["accounts"]["insurances"][0]["income"]["balance_fen"] == 65000
    sheets = read_sheets(target.read_bytes())
    assert Decimal(str(next(iter(sheets.values()))[3][7])) == yuan(NOVEMBER["medical"]["net_fen"])


def test_cli_text_for_a_township_and_refusals(county: dict[str, Any]) -> None:
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("reports", "summary", "--year", "2027", "--as", "town_a", stdout=out)
    # A's medical of 2027: P1 400, P2 400 − R1 400, G1 200, C1 200, P8 400, October's P6 400, December's P10 400
    assert "net=2000.00" in out.getvalue()

    with pytest.raises(CommandError, match="forbidden"):
        call_command("reports", "summary", "--as", county["police"].username, stdout=io.StringIO())
    with pytest.raises(CommandError, match="bad_period"):
        call_command("reports", "summary", "--month", "2026-13", "--as", "town_a", stdout=io.StringIO())
