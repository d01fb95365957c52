"""Refunds from request to roster (Art 32-33) and payment problems (Art 26): who may act, and never more than paid."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from liangxian.collection.models import EntrySettlement, Payment, PaymentIssue
from liangxian.core.models import AuditEvent
from liangxian.refunds import services
from liangxian.refunds.models import PaymentProblem, Refund, RefundRoster
from liangxian.refunds.services import RefundError

from .fixtures import f, refund_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return refund_county()


def _error(call: Any, **kw: Any) -> str:
    with pytest.raises(RefundError) as caught:
        call(**kw)
    return caught.value.code


def test_a_refund_goes_from_request_to_the_roster_and_the_entry_is_unpaid_again(county: dict[str, Any]) -> None:
    payment = county["aygul_medical"]
    # given tax asks for the whole payment back (not eligible)
    refund = services.refund_request(by=county["tax"], payment=payment, reason="not_eligible")
    assert refund.amount_fen == 40000 and refund.bureau == "medical" and refund.number.startswith("TF2027")
    # when the medical insurance bureau approves and carries it out
    services.refund_approve(by=county["medical"], refund=refund)
    refund.refresh_from_db()
    assert refund.status == "approved" and refund.roster_due is None
    services.refund_execute(by=county["medical"], refund=refund)
    refund.refresh_from_db()
    # Art 32: the roster is due to tax 2 working days after the refund is carried out
    assert refund.roster_due is not None and refund.roster_due > timezone.localdate(refund.executed_at)
    # then a negative payment linked to the original is on record and the entry is no longer paid
    record = refund.refund_payment
    assert record is not None
    assert (record.kind, record.amount_fen, record.original_id, record.channel) == (
        "refund",
        -40000,
        payment.pk,
        "wechat",
    )
    assert record.txn_no == refund.number
    assert not EntrySettlement.objects.get(entry_id=payment.entry_id).paid
    # and the bureau's roster holds it, with the total, for tax
    roster = services.refund_roster_send(by=county["medical"])
    book = load_workbook(roster.file.path, read_only=True)
    rows = list(book.active.iter_rows(min_row=5, values_only=True))
    assert rows[0][1] == refund.number and rows[0][9] == 400
    assert rows[-1][0] == "合计" and rows[-1][9] == 400
    assert roster.count == 1 and roster.total_fen == 40000
    refund.refresh_from_db()
    assert refund.roster_id == roster.pk and not services.is_late(refund)
    services.refund_roster_receive(by=county["tax"], roster=roster)
    assert RefundRoster.objects.get(pk=roster.pk).received_at is not None
    actions = set(AuditEvent.objects.filter(action__startswith="refund.").values_list("action", flat=True))
    assert actions == {
        "refund.request",
        "refund.approve",
        "refund.execute",
        "refund.roster_send",
        "refund.roster_receive",
    }


def test_only_the_bureau_of_the_insurance_approves(county: dict[str, Any]) -> None:
    pension = services.refund_request(by=county["tax"], payment=county["aygul_pension"], reason="wrong_tier")
    assert pension.bureau == "social"
    assert _error(services.refund_approve, by=county["medical"], refund=pension) == "wrong_bureau"
    assert _error(services.refund_approve, by=county["tax"], refund=pension) == "wrong_bureau"
    assert _error(services.refund_execute, by=county["social"], refund=pension) == "wrong_status"
    services.refund_approve(by=county["social"], refund=pension)
    assert Refund.objects.get(pk=pension.pk).status == "approved"


def test_a_township_asks_for_its_payers_duplicate_from_the_queue(county: dict[str, Any]) -> None:
    # the duplicate sits in the queue without an entry, but it keeps the township it was matched to
    refund = services.refund_request(by=county["town_a_user"], payment=county["li_again"], reason="duplicate")
    assert refund.township_code == f.TOWN_A and refund.payment.entry_id is None


def test_refund_never_exceeds_what_was_paid_nor_is_asked_twice(county: dict[str, Any]) -> None:
    payment = county["li"]
    tax = county["tax"]
    services.refund_request(by=tax, payment=payment, reason="wrong_tier", amount=Decimal("100"))
    assert _error(services.refund_request, by=tax, payment=payment, reason="wrong_tier", amount="100") == (
        "already_requested"
    )
    assert _error(services.refund_request, by=tax, payment=payment, reason="wrong_tier", amount="300.01") == (
        "exceeds_paid"
    )
    services.refund_request(by=tax, payment=payment, reason="wrong_tier", amount="300")
    assert _error(services.refund_request, by=tax, payment=payment, reason="wrong_tier", amount="0.01") == (
        "exceeds_paid"
    )
    assert _error(services.refund_request, by=tax, payment=payment, reason="nope") == "bad_reason"
    assert _error(services.refund_request, by=tax, payment=payment, reason="duplicate", amount="abc") == "bad_amount"


def test_the_database_refuses_the_same_pending_refund_twice(county: dict[str, Any]) -> None:
    first = services.refund_request(by=county["tax"], payment=county["li"], reason="duplicate")
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            number="X",
            payment=first.payment,
            amount_fen=first.amount_fen,
            reason="duplicate",
            bureau="medical",
            requested_by=county["tax"],
            requested_at=first.requested_at,
        )


def test_who_may_request(county: dict[str, Any]) -> None:
    # township B cannot ask for township A's payer; the police cannot ask at all
    assert _error(services.refund_request, by=county["town_b_user"], payment=county["li"], reason="duplicate") == (
        "forbidden"
    )
    assert _error(services.refund_request, by=county["police"], payment=county["li"], reason="duplicate") == "forbidden"
    refund = services.refund_request(by=county["town_a_user"], payment=county["li"], reason="duplicate")
    assert refund.township_code == f.TOWN_A


def test_a_refused_refund_frees_the_amount(county: dict[str, Any]) -> None:
    refund = services.refund_request(by=county["tax"], payment=county["li"], reason="duplicate")
    assert _error(services.refund_reject, by=county["medical"], refund=refund, note=" ") == "note_required"
    services.refund_reject(by=county["medical"], refund=refund, note="已核实，应缴")
    again = services.refund_request(by=county["tax"], payment=county["li"], reason="duplicate")
    assert again.amount_fen == 40000


def test_a_duplicate_in_the_queue_is_refunded_and_leaves_the_first_payment_counting(county: dict[str, Any]) -> None:
    duplicate = county["li_again"]
    assert PaymentIssue.objects.filter(payment=duplicate, reason="already_paid").exists()
    refund = services.refund_request(by=county["tax"], payment=duplicate, reason="duplicate")
    services.refund_approve(by=county["medical"], refund=refund)
    services.refund_execute(by=county["medical"], refund=refund)
    assert Payment.objects.get(txn_no=refund.number).channel == "hall"
    assert EntrySettlement.objects.get(entry_id=county["li"].entry_id).paid


def test_documents_are_sniffed_and_the_original_stays_with_the_bureau(county: dict[str, Any]) -> None:
    refund = services.refund_request(by=county["tax"], payment=county["li"], reason="duplicate")
    scan = SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    doc = services.refund_document_add(by=county["tax"], refund=refund, title="退费申请表", scan=scan)
    assert doc.original_held_by == "medical" and doc.content_type == "application/pdf"
    fake = SimpleUploadedFile("a.pdf", b"MZ not a pdf", content_type="application/pdf")
    assert _error(services.refund_document_add, by=county["tax"], refund=refund, title="x", scan=fake) == "scan_type"
    scan2 = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\nxx")
    assert _error(services.refund_document_add, by=county["town_b_user"], refund=refund, title="x", scan=scan2) == (
        "not_found"
    )


def test_a_late_roster_is_flagged(county: dict[str, Any]) -> None:
    from datetime import timedelta

    refund = services.refund_request(by=county["tax"], payment=county["li"], reason="duplicate")
    services.refund_approve(by=county["medical"], refund=refund)
    services.refund_execute(by=county["medical"], refund=refund)
    refund.refresh_from_db()
    assert refund.roster_due is not None
    assert not services.is_late(refund, today=refund.roster_due)
    assert services.is_late(refund, today=refund.roster_due + timedelta(days=1))


def test_problems_go_from_the_township_to_tax_and_back(county: dict[str, Any]) -> None:
    town_a = county["town_a_user"]
    problem = services.problem_report(
        by=town_a,
        category="channel_down",
        subject="小程序无法支付",
        text="一村多户反映小程序支付失败",
        id_number=county["people"]["li"].id_number,
    )
    assert problem.township_code == f.TOWN_A and problem.person_id == county["people"]["li"].pk
    assert _error(services.problem_answer, by=town_a, problem=problem, answer="x") == "forbidden"
    services.problem_answer(by=county["tax"], problem=problem, answer="已联系渠道恢复")
    assert _error(services.problem_close, by=county["town_b_user"], problem=problem) == "not_found"
    services.problem_close(by=town_a, problem=problem, note="已恢复")
    problem = PaymentProblem.objects.get(pk=problem.pk)
    assert problem.status == "closed" and problem.answered_at and problem.closed_at
    assert _error(services.problem_answer, by=county["tax"], problem=problem, answer="x") == "wrong_status"
    assert _error(services.problem_report, by=county["tax"], category="other", subject="s", text="t") == "forbidden"
    assert (
        _error(
            services.problem_report,
            by=county["town_b_user"],
            category="other",
            subject="s",
            text="t",
            id_number=county["people"]["li"].id_number,
        )
        == "unknown_person"
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=45000), st.sampled_from(["request", "approve", "execute", "reject"])
        ),
        min_size=1,
        max_size=8,
    )
)
def test_refunded_never_exceeds_paid(county: dict[str, Any], steps: list[tuple[int, str]]) -> None:
    payment = county["mamat"]
    tax, medical = county["tax"], county["medical"]
    with transaction.atomic():
        for fen, action in steps:
            try:
                if action == "request":
                    services.refund_request(
                        by=tax, payment=payment, reason="not_eligible", amount=Decimal(fen).scaleb(-2)
                    )
                    continue
                target = Refund.objects.filter(
                    payment=payment, status="requested" if action != "execute" else "approved"
                ).first()
                if target is None:
                    continue
                if action == "approve":
                    services.refund_approve(by=medical, refund=target)
                elif action == "execute":
                    services.refund_execute(by=medical, refund=target)
                else:
                    services.refund_reject(by=medical, refund=target, note="no")
            except RefundError:
                pass
            refunded = -sum(Payment.objects.filter(original=payment).values_list("amount_fen", flat=True))
            pending = sum(
                Refund.objects.filter(payment=payment, status__in=["requested", "approved"]).values_list(
                    "amount_fen", flat=True
                )
            )
            assert 0 <= refunded <= payment.amount_fen
            assert refunded + pending <= payment.amount_fen
        transaction.set_rollback(True)


def test_the_payment_queue_sends_a_duplicate_to_refund_through_the_hook(county: dict[str, Any]) -> None:
    from liangxian.collection import queue

    issue = PaymentIssue.objects.get(payment=county["li_again"], reason="already_paid")
    queue.issue_resolve(by=county["tax"], issue_id=issue.pk, resolution="refund", note="重复缴费，退回")
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.reason, refund.amount_fen) == (county["li_again"].pk, "duplicate", 40000)
    assert PaymentIssue.objects.get(pk=issue.pk).resolution == "refund"


def test_the_bureau_owes_the_roster_once_it_refunds_and_meets_it_by_sending(
    county: dict[str, Any],
) -> None:
    from liangxian.obligations.models import Obligation
    from liangxian.obligations.services import rules_load

    rules_load(actor=None)
    refund = services.refund_request(by=county["tax"], payment=county["li"], reason="duplicate")
    services.refund_approve(by=county["medical"], refund=refund)
    assert not Obligation.objects.filter(rule_id="refund.roster").exists()
    services.refund_execute(by=county["medical"], refund=refund)
    owed = Obligation.objects.get(rule_id="refund.roster")
    refund.refresh_from_db()
    assert owed.unit == county["medical"].unit and owed.due_date == refund.roster_due and owed.fulfilled_at is None
    roster = services.refund_roster_send(by=county["medical"])
    owed.refresh_from_db()
    assert owed.fulfilled_at is not None and not owed.late and owed.fulfilled_ref == f"refund_roster:{roster.pk}"
