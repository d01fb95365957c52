"""The cash pages, API, ledger PDF and commands: the same services behind each door (Art 29)."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from liangxian.cash.models import CashDay, CashReceipt, DayStatus, LedgerScan
from liangxian.cash.services import cash_payin_record, cash_receipt_record
from liangxian.core.models import AccessLog

from .cash_fixtures import cash_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return cash_county()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_collector_finds_records_and_pays_in_on_his_page(county: dict[str, Any]) -> None:
    client = client_for(county["collector"])
    # when he searches by name
    page = client.get(reverse("cash:home"), {"q": "吐尔逊"})
    assert page.status_code == 200
    assert f'data-entry="{county["tursun_entry"].pk}"'.encode() in page.content
    assert AccessLog.objects.filter(object_type="cash.payer").exists()
    # and by the last 4 digits of the ID
    last4 = county["people"]["tursun"].id_number[-4:]
    assert (
        f'data-entry="{county["tursun_entry"].pk}"'.encode() in client.get(reverse("cash:home"), {"q": last4}).content
    )
    # 二村's 李明 is not in his villages
    assert b'data-entry="' not in client.get(reverse("cash:home"), {"q": "李明"}).content
    # when he records the cash and the pay-in
    client.post(reverse("cash:receipt_create"), {"entry": county["tursun_entry"].pk, "amount": "400.00"})
    receipt = CashReceipt.objects.get()
    client.post(reverse("cash:payin_create", args=[receipt.pk]), {"channel": "wechat", "txn_no": "W-9"})
    # then his page shows the day balanced, with the proof number
    page = client.get(reverse("cash:home"))
    receipt.refresh_from_db()
    assert receipt.payment_id is not None
    assert b'class="open" data-fen="0"' in page.content
    assert receipt.payment is not None
    assert receipt.payment.proof.number in page.content.decode()


def test_a_collector_without_authorisation_sees_no_search(county: dict[str, Any]) -> None:
    page = client_for(county["unauthorised"]).get(reverse("cash:home"), {"q": "李明"})
    assert b"not-authorised" in page.content
    assert b'data-entry="' not in page.content


def test_township_sees_its_collectors_days_and_clears_a_difference(
    county: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    call_command("cash", "close-day", stdout=io.StringIO())
    day = CashDay.objects.get()
    town_a = client_for(county["town_a_user"])
    page = town_a.get(reverse("cash:township"))
    assert f'data-day="{day.pk}"'.encode() in page.content and b"cash-day raised" in page.content
    # township B does not see it
    assert (
        f'data-day="{day.pk}"'.encode() not in client_for(county["town_b_user"]).get(reverse("cash:township")).content
    )
    # the township uploads the signed ledger's scan and clears the difference with a note
    scan = io.BytesIO(b"%PDF-1.4 signed")
    scan.name = "ledger.pdf"
    town_a.post(reverse("cash:scan_upload", args=[day.pk]), {"scan": scan})
    assert LedgerScan.objects.filter(day=day).count() == 1
    town_a.post(reverse("cash:day_clear", args=[day.pk]), {"note": "已补缴"})
    day.refresh_from_db()
    assert day.status == DayStatus.CLEARED
    # a collector may not open the township page's days of others; a village user sees only his own
    assert client_for(county["unauthorised"]).get(reverse("cash:township")).status_code == 200


def test_ledger_pdf_has_the_columns_the_lines_and_the_total(county: dict[str, Any]) -> None:
    receipt = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    cash_receipt_record(by=county["collector"], entry_id=county["aygul_entry"].pk, amount="400")
    cash_payin_record(by=county["collector"], receipt_id=receipt.pk, channel="pos", txn_no="P-7")
    url = reverse("cash:ledger_pdf", args=[county["collector"].pk, timezone.localdate().isoformat()])
    response = client_for(county["collector"]).get(url)
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for column in (
        "序号",
        "姓名",
        "身份证号",
        "险种",
        "金额",
        "缴费时间",
        "缴费人签字/指印",
        "协管员签字/指印",
        "村负责人签字/指印",
    ):
        assert column in text
    assert "吐尔逊" in text and "800.00" in text
    assert county["people"]["tursun"].id_number not in text  # masked for a village collector
    # township B may not print it
    assert client_for(county["town_b_user"]).get(url).status_code == 404


def test_api_records_cash_and_pay_in_and_shows_the_balance(county: dict[str, Any]) -> None:
    client = client_for(county["collector"])
    payers = client.get("/api/cash/payers", {"q": "吐尔逊"}).json()
    assert [p["entry_id"] for p in payers] == [county["tursun_entry"].pk]
    created = client.post(
        "/api/cash/receipts", {"entry_id": payers[0]["entry_id"], "amount": "400.00"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    receipt_id = created.json()["id"]
    refused = client.post(
        "/api/cash/receipts", {"entry_id": payers[0]["entry_id"], "amount": "400"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "already_open")
    paid = client.post(
        f"/api/cash/receipts/{receipt_id}/payin", {"channel": "bank", "txn_no": "B-1"}, content_type="application/json"
    )
    assert paid.status_code == 201, paid.content
    assert paid.json()["proof_number"].startswith("JF2027")
    balance = client.get("/api/cash/balance").json()
    assert (balance["received_fen"], balance["paid_in_fen"], balance["open_fen"]) == (40000, 40000, 0)
    # the township lists the day; the unauthorised collector is refused cash
    days = client_for(county["town_a_user"]).get("/api/cash/days").json()
    assert [d["received_fen"] for d in days] == [40000]
    other = client_for(county["unauthorised"]).post(
        "/api/cash/receipts", {"entry_id": county["li_entry"].pk, "amount": "400"}, content_type="application/json"
    )
    assert (other.status_code, other.json()["code"]) == (403, "not_authorised")


def test_close_day_command_reports_the_raised_days_as_json(county: dict[str, Any]) -> None:
    cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    out = io.StringIO()
    call_command("cash", "close-day", "--date", timezone.localdate().isoformat(), "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["raised"] == [
        {"collector": "village_a1", "township": county["town_a"].division_id, "open_fen": 40000}
    ]


def test_ledger_command_writes_the_pdf(county: dict[str, Any], tmp_path: Any) -> None:
    cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    target = tmp_path / "ledger.pdf"
    day = timezone.localdate().isoformat()
    call_command(
        "cash", "ledger", "--collector", "village_a1", "--date", day, "--out", str(target), stdout=io.StringIO()
    )
    assert target.read_bytes().startswith(b"%PDF")
    assert date.fromisoformat(day)


def test_api_keeps_a_ledger_scan_and_refuses_a_disguised_file(
    county: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    day = CashDay.objects.get()
    client = client_for(county["town_a_user"])
    fake = io.BytesIO(b"MZ not an image")
    fake.name = "ledger.png"
    refused = client.post(f"/api/cash/days/{day.pk}/scans", {"scan": fake})
    assert (refused.status_code, refused.json()["code"]) == (400, "scan_type")
    png = io.BytesIO(b"\x89PNG\r\n\x1a\n0000")
    png.name = "ledger.png"
    kept = client.post(f"/api/cash/days/{day.pk}/scans", {"scan": png})
    assert kept.status_code == 201, kept.content
    assert kept.json()["content_type"] == "image/png"
    other = io.BytesIO(b"\xff\xd8\xff0000")
    other.name = "ledger.jpg"
    assert client_for(county["town_b_user"]).post(f"/api/cash/days/{day.pk}/scans", {"scan": other}).status_code == 404


def test_tax_filters_the_days_by_township(county: dict[str, Any]) -> None:
    cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    day = CashDay.objects.get()
    tax = client_for(county["tax"])
    assert f'data-day="{day.pk}"'.encode() in tax.get(reverse("cash:township")).content
    assert b'id="f-township"' in tax.get(reverse("cash:township")).content
    filtered = tax.get(reverse("cash:township"), {"township": county["town_b"].division_id})
    assert f'data-day="{day.pk}"'.encode() not in filtered.content
