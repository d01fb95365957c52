"""The refund and problem pages, the API and the command: thin doors to the same services, scoped and logged."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openpyxl import load_workbook

from liangxian.collection.models import Payment
from liangxian.core.models import AccessLog
from liangxian.refunds.models import PaymentProblem, Refund, RefundDocument

from .fixtures import refund_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return refund_county()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_walk_a_refund_through_and_mask_the_id_for_the_township(county: dict[str, Any]) -> None:
    tax, medical, town_a = _client(county["tax"]), _client(county["medical"]), _client(county["town_a_user"])
    li = county["li"]
    # given the township asks from the queue's link, prefilled with the payment
    page = town_a.get(f"/refunds/?payment={li.pk}")
    assert page.status_code == 200 and b'name="payment"' in page.content
    response = town_a.post("/refunds/request/", {"payment": li.pk, "reason": "duplicate", "amount": "400"})
    refund = Refund.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/refunds/{refund.pk}/"
    # then the township's list masks the ID number and tax's shows it whole
    listing = town_a.get("/refunds/").content.decode()
    assert li.id_number not in listing and li.id_number[-4:] in listing and refund.number in listing
    assert li.id_number in tax.get("/refunds/").content.decode()
    # when tax (not the bureau) tries to approve, nothing changes; the medical bureau approves and carries out
    tax.post(f"/refunds/{refund.pk}/approve/")
    assert Refund.objects.get().status == "requested"
    assert b'class="primary approve"' in medical.get(f"/refunds/{refund.pk}/").content
    medical.post(f"/refunds/{refund.pk}/approve/", {"note": "ok"})
    medical.post(f"/refunds/{refund.pk}/execute/")
    assert Refund.objects.get().status == "executed"
    # and the bureau sends the roster, which tax downloads and receives
    assert b"send-roster" in medical.get("/refunds/rosters/").content
    medical.post("/refunds/rosters/send/")
    roster = Refund.objects.get().roster
    assert roster is not None
    download = tax.get(f"/refunds/rosters/{roster.pk}.xlsx")
    book = load_workbook(io.BytesIO(download.getvalue()), read_only=True)
    assert next(book.active.iter_rows(min_row=5, max_row=5, values_only=True))[1] == refund.number
    tax.post(f"/refunds/rosters/{roster.pk}/receive/")
    roster.refresh_from_db()
    assert roster.received_at is not None
    assert AccessLog.objects.filter(object_type="refunds.refundroster", action="export").exists()
    # and a township of elsewhere neither lists nor opens it
    town_b = _client(county["town_b_user"])
    assert refund.number not in town_b.get("/refunds/").content.decode()
    assert town_b.get(f"/refunds/{refund.pk}/").status_code == 404
    assert _client(county["police"]).get("/refunds/").status_code == 404


def test_document_upload_page_keeps_the_scan(county: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    tax = _client(county["tax"])
    tax.post("/refunds/request/", {"channel": "wechat", "txn_no": "WX-3", "reason": "duplicate"})
    refund = Refund.objects.get()
    scan = SimpleUploadedFile("form.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png")
    tax.post(f"/refunds/{refund.pk}/documents/", {"title": "退费申请表", "scan": scan})
    document = RefundDocument.objects.get()
    assert document.original_held_by == "medical"
    assert tax.get(f"/refunds/documents/{document.pk}/").status_code == 200
    assert _client(county["town_b_user"]).get(f"/refunds/documents/{document.pk}/").status_code == 404


def test_problem_pages_from_report_to_close(county: dict[str, Any]) -> None:
    town_a, tax = _client(county["town_a_user"]), _client(county["tax"])
    town_a.post("/refunds/problems/report/", {"category": "cannot_pay", "subject": "老人缴费难", "text": "老人无手机"})
    problem = PaymentProblem.objects.get()
    assert problem.subject in tax.get("/refunds/problems/").content.decode()
    assert problem.subject not in _client(county["town_b_user"]).get("/refunds/problems/").content.decode()
    tax.post(f"/refunds/problems/{problem.pk}/answer/", {"answer": "请村协理员代为办理"})
    page = town_a.get(f"/refunds/problems/{problem.pk}/").content.decode()
    assert "请村协理员代为办理" in page and "close-problem" in page
    town_a.post(f"/refunds/problems/{problem.pk}/close/", {"note": "已办理"})
    assert PaymentProblem.objects.get().status == "closed"


def test_api_refund_flow_and_coded_errors(county: dict[str, Any]) -> None:
    tax, medical = _client(county["tax"]), _client(county["medical"])
    body = {"payment_id": county["aygul_medical"].pk, "reason": "not_eligible", "amount": "400.00"}
    created = tax.post("/api/refunds/", body, content_type="application/json")
    assert created.status_code == 201
    refund = created.json()
    assert refund["amount_fen"] == 40000 and refund["bureau"] == "medical" and refund["status"] == "requested"
    again = tax.post("/api/refunds/", body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_requested"
    more = tax.post("/api/refunds/", {**body, "amount": "0.01"}, content_type="application/json")
    assert more.status_code == 409 and more.json()["code"] == "exceeds_paid"
    wrong = tax.post(f"/api/refunds/{refund['id']}/approve", {"note": ""}, content_type="application/json")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_bureau"
    approved = medical.post(f"/api/refunds/{refund['id']}/approve", {"note": ""}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["roster_due"] is None
    executed = medical.post(f"/api/refunds/{refund['id']}/execute")
    assert executed.status_code == 200 and executed.json()["roster_due"]
    assert Payment.objects.get(pk=executed.json()["refund_payment_id"]).amount_fen == -40000
    roster = medical.post("/api/refunds/rosters")
    assert roster.status_code == 201 and roster.json()["count"] == 1
    empty = medical.post("/api/refunds/rosters")
    assert empty.status_code == 409 and empty.json()["code"] == "nothing_to_send"
    assert [r["number"] for r in tax.get("/api/refunds/").json()] == [refund["number"]]
    assert _client(county["town_b_user"]).get(f"/api/refunds/{refund['id']}").status_code == 404


def test_api_problems(county: dict[str, Any]) -> None:
    town_a, tax = _client(county["town_a_user"]), _client(county["tax"])
    made = town_a.post(
        "/api/refunds/problems",
        {"category": "channel_down", "subject": "POS 故障", "text": "乡镇大厅 POS 无法刷卡"},
        content_type="application/json",
    )
    assert made.status_code == 201
    pid = made.json()["id"]
    refused = tax.post(
        "/api/refunds/problems", {"category": "other", "subject": "s", "text": "t"}, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    answer = tax.post(f"/api/refunds/problems/{pid}/answer", {"answer": "已报修"}, content_type="application/json")
    assert answer.json()["status"] == "answered"
    closed = town_a.post(f"/api/refunds/problems/{pid}/close", {"note": ""}, content_type="application/json")
    assert closed.json()["status"] == "closed"
    assert _client(county["town_b_user"]).get(f"/api/refunds/problems/{pid}").status_code == 404


def test_command_requests_approves_executes_and_sends_the_roster(county: dict[str, Any], tmp_path: Any) -> None:
    out = io.StringIO()
    tax, social = county["tax"].username, county["social"].username
    call_command(
        "refunds",
        "request",
        "--as",
        tax,
        "--channel",
        "wechat",
        "--txn",
        "WX-2",
        "--reason",
        "wrong_tier",
        "--json",
        stdout=out,
    )
    number = orjson.loads(out.getvalue())["number"]
    call_command("refunds", "approve", number, "--as", social, stdout=io.StringIO())
    call_command("refunds", "execute", number, "--as", social, stdout=io.StringIO())
    target = tmp_path / "roster.xlsx"
    out = io.StringIO()
    call_command("refunds", "roster", "--as", social, "--out", str(target), "--json", stdout=out)
    assert orjson.loads(out.getvalue())["total_fen"] == 20000 and target.stat().st_size > 0
    with pytest.raises(CommandError, match="not_found"):  # the other bureau does not even see it
        call_command("refunds", "reject", number, "--as", county["medical"].username, "--note", "x")
