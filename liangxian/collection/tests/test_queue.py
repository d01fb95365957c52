"""The payment queue: scope, resolution (match after a correction, accept, refund hook), the pages, API and CLI."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from liangxian.collection import channel_files as cf
from liangxian.collection import queue
from liangxian.collection.models import EntrySettlement, Payment, PaymentIssue
from liangxian.collection.queue import QueueError, QueueFilters, issue_resolve, issues_query
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.collection.tests.fixtures import f, paid_at
from liangxian.core.audit import chain_verify
from liangxian.core.models import AccessLog, AuditEvent
from liangxian.core.scope import Actor
from liangxian.roster.tests.due_fixtures import due_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    world = due_county()
    world["finance"] = f.department("finance")
    return world


@pytest.fixture
def no_refund_hook() -> Iterator[None]:
    saved = list(queue._refund_hook)
    queue._refund_hook.clear()
    yield
    queue._refund_hook[:] = saved


def _pay(person: Any, txn: str, amount: int, id_number: str = "", channel: str = "hall") -> Payment:
    return payment_record(
        PaymentIn(
            channel=channel,
            txn_no=txn,
            id_number=id_number or person.id_number,
            insurance="medical",
            coverage_year=2027,
            amount_fen=amount,
            paid_at=paid_at(),
            source="file",
            name=person.name,
        )
    ).payment


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_township_sees_only_its_own_items_and_tax_sees_all(county: dict[str, Any]) -> None:
    people = county["people"]
    _pay(people["li"], "A", 39000)  # township A, wrong amount
    _pay(people["mamat"], "B", 39000)  # township B
    _pay(people["li"], "U", 40000, id_number="110101199003074477")  # unknown person: no township
    town_a = Actor.of(county["town_a_user"])
    assert {i.payment.txn_no for i in issues_query(town_a, QueueFilters())} == {"A"}
    assert {i.payment.txn_no for i in issues_query(Actor.of(county["tax"]), QueueFilters())} == {"A", "B", "U"}
    unknown = QueueFilters(reason="unknown_person")
    assert [i.payment.txn_no for i in issues_query(Actor.of(county["finance"]), unknown)] == ["U"]
    with pytest.raises(QueueError):
        issues_query(Actor.of(county["village_a1_user"]), QueueFilters())


def test_match_after_a_corrected_id_number_counts_the_payment(county: dict[str, Any]) -> None:
    li = county["people"]["li"]
    payment = _pay(li, "U1", 40000, id_number="110101199003074477")
    issue = PaymentIssue.objects.get(payment=payment)
    with pytest.raises(QueueError) as still:
        issue_resolve(by=county["tax"], issue_id=issue.pk, resolution="match", note="re-check")
    assert still.value.code == "still_unmatched"
    issue_resolve(
        by=county["tax"], issue_id=issue.pk, resolution="match", note="typo in the ID", id_number=li.id_number
    )
    payment.refresh_from_db()
    issue.refresh_from_db()
    assert payment.entry is not None and payment.entry.person_id == li.pk
    assert payment.id_number == "110101199003074477"  # as paid, kept
    assert (issue.status, issue.resolution, issue.note) == ("resolved", "match", "typo in the ID")
    assert EntrySettlement.objects.get(entry=payment.entry).paid
    assert AuditEvent.objects.filter(action="collection.issue_resolve", object_id=str(issue.pk)).exists()
    assert chain_verify().ok
    with pytest.raises(QueueError) as again:
        issue_resolve(by=county["tax"], issue_id=issue.pk, resolution="accept", note="x")
    assert again.value.code == "resolved"


def test_accept_needs_a_note_and_keeps_the_payment_as_it_is(county: dict[str, Any]) -> None:
    payment = _pay(county["people"]["li"], "W1", 39000)
    issue = PaymentIssue.objects.get(payment=payment)
    with pytest.raises(QueueError) as no_note:
        issue_resolve(by=county["town_a_user"], issue_id=issue.pk, resolution="accept", note=" ")
    assert no_note.value.code == "note_required"
    issue_resolve(by=county["town_a_user"], issue_id=issue.pk, resolution="accept", note="payer will top up")
    payment.refresh_from_db()
    assert payment.entry_id is None
    # Another township cannot touch it.
    other = _pay(county["people"]["li"], "W2", 38000)
    with pytest.raises(QueueError) as out_of_scope:
        issue_resolve(
            by=county["town_b_user"], issue_id=PaymentIssue.objects.get(payment=other).pk, resolution="accept", note="x"
        )
    assert out_of_scope.value.code == "not_found"


def test_send_to_refund_calls_the_registered_hook(county: dict[str, Any], no_refund_hook: None) -> None:
    li = county["people"]["li"]
    _pay(li, "P1", 40000)
    second = _pay(li, "P2", 40000)
    issue = PaymentIssue.objects.get(payment=second, reason="already_paid")
    with pytest.raises(QueueError) as unavailable:
        issue_resolve(by=county["tax"], issue_id=issue.pk, resolution="refund", note="duplicate")
    assert unavailable.value.code == "refund_unavailable"
    calls: list[dict[str, Any]] = []
    queue.refund_hook_register(lambda **kw: calls.append(kw))
    issue_resolve(by=county["tax"], issue_id=issue.pk, resolution="refund", note="paid twice")
    assert calls[0]["payment"].pk == second.pk and calls[0]["reason"] == "duplicate"
    assert PaymentIssue.objects.get(pk=issue.pk).resolution == "refund"


# ------------------------------------------------------------------------------------------------ pages


def test_imports_page_uploads_a_file_and_shows_its_counts(county: dict[str, Any], tmp_path: Path) -> None:
    li = county["people"]["li"]
    rows = [
        {"txn_no": "W1", "paid_at": paid_at(), "id_number": li.id_number, "name": li.name, "insurance": "medical",
         "coverage_year": 2027, "amount_fen": 40000},
        {"txn_no": "W2", "paid_at": paid_at(), "id_number": li.id_number, "name": li.name, "insurance": "medical",
         "coverage_year": 2027, "amount_fen": 1},
    ]  # fmt: skip
    path = cf.write_wechat_bill(rows, tmp_path / "bill.csv")
    client = _client(county["tax"])
    assert client.get(reverse("collection:imports")).status_code == 200
    with path.open("rb") as handle:
        response = client.post(reverse("collection:imports"), {"channel": "wechat", "file": handle})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="count-lines"><dt>' in html and "<dd>2</dd>" in html
    assert 'class="count-queued"><dt>' in html
    assert Payment.objects.count() == 2
    template = client.get(reverse("collection:import_template", args=["pos"]))
    assert template.status_code == 200 and "terminal" in template.content.decode("utf-8-sig").splitlines()[0]
    refused = client.post(
        reverse("collection:imports"), {"channel": "hall", "file": io.BytesIO(b"nothing,here\n1,2\n")}
    )
    assert refused.status_code == 400 and 'data-code="missing_columns"' in refused.content.decode()
    assert _client(county["town_a_user"]).get(reverse("collection:imports")).status_code == 403


def test_queue_page_lists_filters_and_resolves(county: dict[str, Any]) -> None:
    li = county["people"]["li"]
    payment = _pay(li, "U1", 40000, id_number="110101199003074477")
    _pay(li, "W1", 38000)
    issue = PaymentIssue.objects.get(payment=payment)
    client = _client(county["tax"])
    page = client.get(reverse("collection:queue"), {"reason": "unknown_person"})
    html = page.content.decode()
    assert page.status_code == 200 and f'data-issue="{issue.pk}"' in html and "W1" not in html
    assert AccessLog.objects.filter(object_type="collection.paymentissue").exists()
    response = client.post(
        reverse("collection:issue_resolve", args=[issue.pk]),
        {"resolution": "match", "id_number": li.id_number, "note": "corrected"},
    )
    assert response.status_code == 302
    assert Payment.objects.get(pk=payment.pk).entry_id is not None
    # The township's collector (a village) has no queue.
    assert _client(county["village_a1_user"]).get(reverse("collection:queue")).status_code == 403
    masked = _client(county["town_a_user"]).get(reverse("collection:queue"), {"status": "all"}).content.decode()
    assert li.id_number not in masked


# ------------------------------------------------------------------------------------------------ API and CLI


def test_api_imports_lists_and_resolves(county: dict[str, Any], tmp_path: Path) -> None:
    li = county["people"]["li"]
    path = cf.write_channel_csv(
        "etax",
        [{"txn_no": "E1", "paid_at": paid_at(), "id_number": li.id_number, "insurance": "medical",
          "coverage_year": 2027, "amount_fen": 100}],
        tmp_path / "etax.csv",
    )  # fmt: skip
    client = _client(county["tax"])
    with path.open("rb") as handle:
        created = client.post("/api/collection/imports", {"channel": "etax", "file": handle})
    assert created.status_code == 201, created.content
    assert created.json()["counts"]["queued"] == 1
    with path.open("rb") as handle:
        again = client.post("/api/collection/imports", {"channel": "etax", "file": handle})
    assert again.status_code == 200 and again.json()["repeat"] and again.json()["id"] == created.json()["id"]
    bad = client.post("/api/collection/imports", {"channel": "etax", "file": io.BytesIO(b"x\n")})
    assert bad.status_code == 400 and set(bad.json()) >= {"code", "detail"}
    listed = client.get("/api/collection/imports").json()
    assert [i["status"] for i in listed] == ["refused", "done"]
    issues = client.get("/api/collection/issues", {"reason": "wrong_amount"}).json()
    assert issues["count"] == 1 and issues["rows"][0]["txn_no"] == "E1"
    issue_id = issues["rows"][0]["id"]
    no_note = client.post(
        f"/api/collection/issues/{issue_id}/resolve",
        {"resolution": "accept", "note": ""},
        content_type="application/json",
    )
    assert no_note.status_code == 400 and no_note.json()["code"] == "note_required"
    done = client.post(
        f"/api/collection/issues/{issue_id}/resolve",
        {"resolution": "accept", "note": "small test payment"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    forbidden = _client(county["village_a1_user"]).get("/api/collection/issues")
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"


def test_cli_imports_prints_counts_and_refuses_with_a_non_zero_exit(county: dict[str, Any], tmp_path: Path) -> None:
    li = county["people"]["li"]
    path = cf.write_channel_csv(
        "bank",
        [{"txn_no": "B1", "paid_at": paid_at(), "id_number": li.id_number, "insurance": "medical",
          "coverage_year": 2027, "amount_fen": 40000, "card_no": "6222020200000000001"}],
        tmp_path / "bank.csv",
    )  # fmt: skip
    out = io.StringIO()
    call_command("collection", "import", "--channel", "bank", "--file", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["counts"]["counted"] == 1 and not result["repeat"]
    assert Payment.objects.get(txn_no="B1").account_hash == cf.account_hash("6222020200000000001")
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n", encoding="utf-8")
    with pytest.raises(SystemExit) as refused:
        call_command("collection", "import", "--channel", "bank", "--file", str(bad), stdout=io.StringIO())
    assert refused.value.code == 2
    _pay(li, "Q1", 1)
    listed = io.StringIO()
    call_command("collection", "issues", "--json", stdout=listed)
    assert [r["txn_no"] for r in json.loads(listed.getvalue())] == ["Q1"]
