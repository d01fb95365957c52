"""The white list through the API (session and a bureau's token), the pages and the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from liangxian.core.models import AccessLog
from liangxian.entitlements.models import Entitlement, WhitelistEntry
from liangxian.entitlements.services import entitlement_import
from liangxian.org.models import Role
from liangxian.web.api_auth import api_token_issue

from .fixtures import csv_file, f, line, paid_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    county = paid_county()
    entitlement_import(bureau="medical", by=county["medical"], data=csv_file(line(county["people"]["aygul"])))
    return county


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_bureau_fetches_its_own_white_list_with_full_ids_and_the_fetch_is_logged(county: dict[str, Any]) -> None:
    li = county["people"]["li"]
    response = _client(county["medical"]).get("/api/entitlements/whitelist", {"year": 2027})
    assert response.status_code == 200
    body = response.json()
    assert {e["name"] for e in body["items"]} == {"李明", "买买提·吐尔逊"}
    assert li.id_number in {e["id_number"] for e in body["items"]}
    assert {c["cause"]: c["count"] for c in body["by_cause"]}["investigate"] == 2
    log = AccessLog.objects.filter(object_type="entitlements.whitelistentry").latest("at")
    assert log.action == "list" and log.count == 2 and log.channel == "api"


def test_medical_cannot_fetch_the_pension_white_list(county: dict[str, Any]) -> None:
    response = _client(county["medical"]).get("/api/entitlements/whitelist", {"insurance": "pension"})
    assert response.status_code == 403
    assert AccessLog.objects.filter(action="denied", object_type="entitlements.whitelistentry").exists()
    social = _client(county["social"]).get("/api/entitlements/whitelist").json()
    assert {e["insurance"] for e in social["items"]} == {"pension"}


def test_tax_sees_both_lists_with_ids_masked_and_a_township_none(county: dict[str, Any]) -> None:
    body = _client(county["tax"]).get("/api/entitlements/whitelist").json()
    assert {e["insurance"] for e in body["items"]} == {"medical", "pension"}
    assert all("*" in e["id_number"] for e in body["items"])
    assert _client(county["town_a_user"]).get("/api/entitlements/whitelist").status_code == 403
    leader = f.user(county["tax"].unit, Role.LEADER, username="tax_leader")
    assert all("*" in e["id_number"] for e in _client(leader).get("/api/entitlements/whitelist").json()["items"])


def test_a_bureaus_system_sends_records_and_fetches_the_list_with_its_token(county: dict[str, Any]) -> None:
    admin = f.user(None, Role.SYSADMIN, username="admin", is_superuser=True)
    medical = county["medical"]
    _token, secret = api_token_issue(actor=admin, unit=medical.unit, user=medical, name="医保信息系统")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    upload = io.BytesIO(csv_file(line(county["people"]["mamat"])))
    upload.name = "mamat.csv"
    sent = client.post("/api/entitlements/imports", {"file": upload})
    assert sent.status_code == 201, sent.content
    assert sent.json()["via"] == "token" and sent.json()["whitelist"]["left_entitlement"] == 1
    listed = client.get("/api/entitlements/whitelist").json()
    assert [e["name"] for e in listed["items"]] == ["李明"]
    assert AccessLog.objects.filter(channel="token", object_type="entitlements.whitelistentry").exists()
    assert Client(HTTP_AUTHORIZATION="Bearer nope.nope").get("/api/entitlements/whitelist").status_code == 401


def test_resolve_through_the_api_and_the_export(county: dict[str, Any]) -> None:
    entry = WhitelistEntry.objects.get(name="李明")
    client = _client(county["medical"])
    resolved = client.post(
        f"/api/entitlements/whitelist/{entry.pk}/resolve", {"note": "已补录"}, content_type="application/json"
    )
    assert resolved.status_code == 200 and resolved.json()["resolution_note"] == "已补录"
    line_ = client.get(f"/api/entitlements/whitelist/{entry.pk}").json()
    assert [p["txn_no"] for p in line_["payments"]] == ["WX-3"]
    export = client.get("/api/entitlements/whitelist.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert AccessLog.objects.filter(action="export", object_type="entitlements.whitelistentry").exists()


def test_the_white_list_page_resolves_a_line_through_htmx(county: dict[str, Any]) -> None:
    client = _client(county["medical"])
    page = client.get("/entitlements/", {"cause": "investigate"})
    assert page.status_code == 200
    text = page.content.decode()
    assert county["people"]["li"].id_number in text and 'hx-post="/entitlements/' in text
    entry = WhitelistEntry.objects.get(name="李明")
    swapped = client.post(f"/entitlements/{entry.pk}/resolve/", {"note": "已通知医保经办"}, HTTP_HX_REQUEST="true")
    assert swapped.status_code == 200 and "已通知医保经办" in swapped.content.decode()
    assert "<html" not in swapped.content.decode()
    assert client.get(f"/entitlements/{entry.pk}/").status_code == 200
    masked = _client(county["tax"]).get("/entitlements/").content.decode()
    assert county["people"]["li"].id_number not in masked
    assert _client(county["town_a_user"]).get("/entitlements/").status_code == 404


def test_the_imports_page_takes_a_file_and_shows_each_rows_outcome(county: dict[str, Any]) -> None:
    client = _client(county["medical"])
    upload = io.BytesIO(csv_file(line(county["people"]["li"]), "123,王芳,医疗,2027,2026-11-10,"))
    upload.name = "batch.csv"
    response = client.post("/entitlements/imports/", {"file": upload}, follow=True)
    text = response.content.decode()
    assert response.status_code == 200 and "位数不对" in text
    assert Entitlement.objects.filter(id_number=county["people"]["li"].id_number).exists()
    template = client.get("/entitlements/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    assert "身份证号码" in client.get("/entitlements/template.csv").content.decode("utf-8-sig")


def test_the_command_line_imports_and_refreshes(county: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "social.csv"
    path.write_bytes(csv_file(line(county["people"]["aygul"], "城乡居民基本养老保险")))
    out = io.StringIO()
    call_command(
        "entitlements", "import", "--bureau", "social", "--file", str(path), "--as", county["social"].username,
        "--json", stdout=out,
    )  # fmt: skip
    result = json.loads(out.getvalue())
    assert result["counts"]["recorded"] == 1 and result["whitelist"]["left_entitlement"] == 1
    out = io.StringIO()
    call_command("entitlements", "whitelist", "--refresh", "--json", stdout=out)
    refreshed = json.loads(out.getvalue())
    assert refreshed["counts"]["listed_new"] == 0 and refreshed["counts"]["listed"] == 2
    again = io.StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "entitlements", "import", "--bureau", "medical", "--file", str(path), "--as", county["social"].username,
            "--json", stdout=again,
        )  # fmt: skip
    assert json.loads(again.getvalue())["code"] == "wrong_bureau"
