"""The pages, the API and the command share the services: scope, upload, differences, resolve, sign-off."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from liangxian.core.models import AccessLog
from liangxian.treasury.models import Difference, TreasuryMonth

from .fixtures import CLEAN_LINES, csv_bytes, treasury_county

pytestmark = pytest.mark.django_db

MISSING_SP001 = CLEAN_LINES[1:]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, lines: list[str], month: str = "2026-10", name: str = "s.csv") -> Any:
    f = io.BytesIO(csv_bytes(lines))
    f.name = name
    return client.post("/treasury/upload/", {"month": month, "file": f})


def test_a_township_user_cannot_see_the_reconciliation() -> None:
    county = treasury_county()
    client = client_for(county["township"])
    assert client.get("/treasury/").status_code == 404
    assert client.get("/treasury/2026-10/").status_code == 404
    assert client.get("/api/treasury/months").status_code == 403
    assert upload(client, CLEAN_LINES).status_code == 404


def test_tax_uploads_sees_differences_resolves_with_htmx_and_signs_off() -> None:
    county = treasury_county()
    tax = client_for(county["tax"])
    # the months list shows October with our records and the statement's due date
    page = tax.get("/treasury/").content.decode()
    assert "2026-10" in page and "2026-11-04" in page

    response = upload(tax, MISSING_SP001)
    assert response.status_code == 302 and response["Location"].endswith("/treasury/2026-10/")
    page = tax.get("/treasury/2026-10/").content.decode()
    assert 'data-kind="ours_only"' in page and "SP001" in page
    assert page.count('class="difference"') == 1

    # filter by kind
    assert 'class="difference"' not in tax.get("/treasury/2026-10/?kind=amount").content.decode()

    # sign-off refused while open
    tax.post("/treasury/2026-10/signoff/")
    assert TreasuryMonth.objects.get().status == "open"

    difference = Difference.objects.get()
    row = tax.post(
        f"/treasury/2026-10/differences/{difference.pk}/resolve/", {"note": "银行漏记"}, HTTP_HX_REQUEST="true"
    )
    assert row.status_code == 200 and row.content.decode().lstrip().startswith("<tr")
    assert 'data-status="resolved"' in row.content.decode()

    # drill to the payments behind the voucher: IDs masked, the view logged
    payments = tax.get(f"/treasury/2026-10/differences/{difference.pk}/payments/").content.decode()
    sp001 = county["payments"]["SP001"]
    assert sp001.id_number not in payments and sp001.id_number[:6] + "********" in payments
    assert AccessLog.objects.filter(object_type="collection.payment", user=county["tax"]).exists()

    tax.post("/treasury/2026-10/signoff/", {"note": "一致"})
    assert TreasuryMonth.objects.get().status == "signed_off"
    # a signed month refuses a new statement, with the reason shown
    response = upload(tax, CLEAN_LINES, name="new.csv")
    assert response.status_code == 200 and "2026-10" in response.content.decode()
    assert TreasuryMonth.objects.get().statements.count() == 1


def test_the_bank_may_upload_but_not_resolve_or_drill() -> None:
    county = treasury_county()
    bank = client_for(county["pbc"])
    assert upload(bank, MISSING_SP001).status_code == 302
    difference = Difference.objects.get()
    bank.post(f"/treasury/2026-10/differences/{difference.pk}/resolve/", {"note": "x"})
    assert Difference.objects.get().status == "open"
    assert bank.get(f"/treasury/2026-10/differences/{difference.pk}/payments/").status_code == 404


def test_the_template_downloads_as_xlsx_with_chinese_headers() -> None:
    from liangxian.batch.readers import read_table
    from liangxian.treasury.frames import COLUMNS

    county = treasury_county()
    response = client_for(county["tax"]).get("/treasury/template.xlsx")
    assert response.status_code == 200
    read = read_table(response.content, filename="t.xlsx", columns=COLUMNS)
    assert list(read.header_map) == ["电子税票号", "入库日期", "金额(元)", "险种", "收款国库/账户", "退库标志"]


def test_the_api_uploads_lists_resolves_and_signs_off() -> None:
    county = treasury_county()
    api = client_for(county["tax"])
    body = {"month": "2026-10", "file": io.BytesIO(csv_bytes(MISSING_SP001))}
    body["file"].name = "s.csv"  # type: ignore[attr-defined]
    created = api.post("/api/treasury/statements", body)
    assert created.status_code == 201, created.content
    assert created.json()["counts"]["by_kind"]["ours_only"] == 1
    again = io.BytesIO(csv_bytes(MISSING_SP001))
    again.name = "s.csv"
    assert api.post("/api/treasury/statements", {"month": "2026-10", "file": again}).status_code == 200

    lines = api.get("/api/treasury/months/2026-10/lines?outcome=accepted").json()
    assert [line["voucher"] for line in lines] == ["SP002", "SP003", "DJ001", "SP005", "SP005"]
    assert api.get("/api/treasury/months/2026-10/lines").json() == []  # nothing repaired or rejected

    months = api.get("/api/treasury/months").json()
    october = next(m for m in months if m["month"] == "2026-10")
    assert october["status"] == "open" and october["open_differences"] == 1
    assert october["statement_due"] == "2026-11-04"

    diffs = api.get("/api/treasury/months/2026-10/differences?kind=ours_only").json()
    assert [(d["voucher"], d["kind"]) for d in diffs] == [("SP001", "ours_only")]
    refused = api.post("/api/treasury/months/2026-10/signoff", {"note": ""}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "open_differences"
    missing_note = api.post(
        f"/api/treasury/differences/{diffs[0]['id']}/resolve", {"note": ""}, content_type="application/json"
    )
    assert missing_note.status_code == 400
    resolved = api.post(
        f"/api/treasury/differences/{diffs[0]['id']}/resolve", {"note": "漏记"}, content_type="application/json"
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    signed = api.post("/api/treasury/months/2026-10/signoff", {"note": ""}, content_type="application/json")
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"


def test_the_api_refuses_the_township_and_an_unreadable_file() -> None:
    county = treasury_county()
    f = io.BytesIO(b"\x89PNG\r\n\x1a\nxxxx")
    f.name = "s.csv"
    town = client_for(county["township"]).post("/api/treasury/statements", {"month": "2026-10", "file": f})
    assert town.status_code == 403
    f.seek(0)
    bad = client_for(county["tax"]).post("/api/treasury/statements", {"month": "2026-10", "file": f})
    assert bad.status_code == 400 and bad.json()["code"] == "unreadable"


def test_the_command_imports_lists_and_signs_off(tmp_path: Path) -> None:
    county = treasury_county()
    path = tmp_path / "statement.csv"
    path.write_bytes(csv_bytes(MISSING_SP001))
    out = io.StringIO()
    call_command(
        "reconcile",
        "treasury",
        "--month",
        "2026-10",
        "--file",
        str(path),
        "--as",
        county["tax"].username,
        "--json",
        stdout=out,
    )
    result = orjson.loads(out.getvalue())
    assert (result["lines"], result["accepted"], result["rejected"], result["differences_ours_only"]) == (5, 5, 0, 1)

    out = io.StringIO()
    call_command("reconcile", "differences", "--month", "2026-10", "--json", stdout=out)
    listed = orjson.loads(out.getvalue())
    assert [(d["voucher"], d["kind"]) for d in listed] == [("SP001", "ours_only")]

    with pytest.raises(CommandError, match="open_differences"):
        call_command("reconcile", "signoff", "--month", "2026-10", "--as", county["tax"].username)

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nxxxx")
    with pytest.raises(CommandError, match="unreadable"):
        call_command("reconcile", "treasury", "--month", "2026-10", "--file", str(bad), "--as", county["tax"].username)
