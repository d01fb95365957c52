"""Cash received, its pay-in, the day's balance and close, the ledger scan and its deadline (Art 29)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from liangxian.cash.models import CashDay, CashReceipt, DayStatus, LedgerScan
from liangxian.cash.services import (
    CashError,
    cash_day_clear,
    cash_day_close,
    cash_ledger_scan_upload,
    cash_payin_record,
    cash_receipt_record,
    day_totals,
    scan_deadline,
)
from liangxian.collection.models import EntrySettlement, Payment, ProofOfPayment
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.core.models import AuditEvent

from .cash_fixtures import cash_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return cash_county()


def test_collector_records_cash_from_a_payer_on_the_cash_list(county: dict[str, Any]) -> None:
    # when the authorised collector records 400 yuan from 吐尔逊 (on the cash list)
    receipt = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    # then it is recorded, not flagged, open, and audited
    assert receipt.amount_fen == 40000
    assert receipt.off_list is False
    assert receipt.payment_id is None
    assert receipt.business_date == timezone.localdate()
    assert AuditEvent.objects.filter(action="cash.receipt.record", object_id=str(receipt.pk)).exists()
    day = CashDay.objects.get(collector=county["collector"])
    assert (day.received_fen, day.paid_in_fen, day.open_fen, day.status) == (40000, 0, 40000, DayStatus.OPEN)


def test_cash_from_a_payer_off_the_cash_list_is_accepted_but_flagged(county: dict[str, Any]) -> None:
    receipt = cash_receipt_record(by=county["collector"], entry_id=county["aygul_entry"].pk, amount=Decimal("400.00"))
    assert receipt.off_list is True
    assert CashDay.objects.get(collector=county["collector"]).off_list == 1


@pytest.mark.parametrize(
    ("who", "entry", "amount", "code"),
    [
        ("unauthorised", "tursun_entry", "400", "not_authorised"),  # no authorisation from tax
        ("town_a_user", "tursun_entry", "400", "not_authorised"),  # not a collector
        ("collector", "li_entry", "400", "not_authorised"),  # 二村: not his village
        ("collector", "tursun_entry", "380", "wrong_amount"),
        ("collector", "tursun_entry", "400.001", "amount_invalid"),
        ("collector", "tursun_entry", "-400", "amount_invalid"),
    ],
)
def test_cash_is_refused_with_its_reason(county: dict[str, Any], who: str, entry: str, amount: str, code: str) -> None:
    with pytest.raises(CashError) as refused:
        cash_receipt_record(by=county[who], entry_id=county[entry].pk, amount=amount)
    assert refused.value.code == code
    assert not CashReceipt.objects.exists()


def test_a_withdrawn_authorisation_stops_cash(county: dict[str, Any]) -> None:
    county["collector"].authorisations.update(withdrawn_at=timezone.now())
    with pytest.raises(CashError) as refused:
        cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    assert refused.value.code == "not_authorised"


def test_the_same_payer_cannot_hand_over_cash_twice_before_it_is_paid_in(county: dict[str, Any]) -> None:
    cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    with pytest.raises(CashError) as refused:
        cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    assert refused.value.code == "already_open"


def test_payin_records_the_payment_counts_it_and_issues_the_proof(county: dict[str, Any]) -> None:
    receipt = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    # when the collector records the WeChat transaction that paid it in
    result = cash_payin_record(by=county["collector"], receipt_id=receipt.pk, channel="wechat", txn_no="4200001")
    # then a cash payment counts toward the entry, the proof is issued and the day balances
    payment = result.payment
    assert (payment.source, payment.collector_id, payment.entry_id) == (
        "cash",
        county["collector"].pk,
        receipt.entry_id,
    )
    assert result.linked is False and result.reason is None
    assert result.proof is not None and ProofOfPayment.objects.get(payment=payment).number == result.proof.number
    assert EntrySettlement.objects.get(entry_id=receipt.entry_id).paid is True
    assert day_totals(county["collector"].pk, receipt.business_date).open_fen == 0
    # and the payer no longer takes cash: he has paid
    with pytest.raises(CashError) as refused:
        cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    assert refused.value.code == "already_paid"


def test_payin_links_the_channel_record_that_arrived_first(county: dict[str, Any]) -> None:
    receipt = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    # given the channel's notification of the transaction came in before the collector recorded it
    first = payment_record(
        PaymentIn(
            channel="wechat",
            txn_no="4200002",
            id_number=county["people"]["tursun"].id_number,
            insurance="medical",
            coverage_year=2027,
            amount_fen=40000,
            paid_at=timezone.now(),
            source="api",
        )
    ).payment
    # when the collector records it
    result = cash_payin_record(by=county["collector"], receipt_id=receipt.pk, channel="wechat", txn_no="4200002")
    # then that record is linked, not a second payment
    assert result.linked is True and result.payment.pk == first.pk
    assert Payment.objects.count() == 1
    assert Payment.objects.get(pk=first.pk).collector_id == county["collector"].pk


def test_payin_refuses_a_channel_record_of_another_person_or_amount(county: dict[str, Any]) -> None:
    receipt = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    payment_record(
        PaymentIn(
            channel="wechat",
            txn_no="4200003",
            id_number=county["people"]["aygul"].id_number,
            insurance="medical",
            coverage_year=2027,
            amount_fen=40000,
            paid_at=timezone.now(),
            source="api",
        )
    )
    with pytest.raises(CashError) as refused:
        cash_payin_record(by=county["collector"], receipt_id=receipt.pk, channel="wechat", txn_no="4200003")
    assert refused.value.code == "payin_mismatch"
    receipt.refresh_from_db()
    assert receipt.payment_id is None


def test_only_the_collector_who_took_the_cash_pays_it_in(county: dict[str, Any]) -> None:
    receipt = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    with pytest.raises(CashError) as refused:
        cash_payin_record(by=county["unauthorised"], receipt_id=receipt.pk, channel="wechat", txn_no="X1")
    assert refused.value.code == "no_receipt"
    with pytest.raises(CashError) as refused:
        cash_payin_record(by=county["collector"], receipt_id=receipt.pk, channel="gov", txn_no="X1")
    assert refused.value.code == "channel_invalid"
    assert not Payment.objects.exists()


def test_close_day_raises_an_unbalanced_day_and_the_township_clears_it(county: dict[str, Any]) -> None:
    paid = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    cash_payin_record(by=county["collector"], receipt_id=paid.pk, channel="pos", txn_no="P-1")
    cash_receipt_record(by=county["collector"], entry_id=county["aygul_entry"].pk, amount="400")
    # when the evening close runs
    result = cash_day_close(by=None)
    # then the collector's day is raised with the 400 yuan not paid in
    assert [d.collector_id for d in result.raised] == [county["collector"].pk]
    day = CashDay.objects.get(collector=county["collector"])
    assert (day.status, day.raised_open_fen, day.township_code) == (
        DayStatus.RAISED,
        40000,
        county["town_a"].division_id,
    )
    # and township B may not clear it, township A must say how
    with pytest.raises(CashError):
        cash_day_clear(by=county["town_b_user"], day_id=day.pk, note="?")
    with pytest.raises(CashError) as refused:
        cash_day_clear(by=county["town_a_user"], day_id=day.pk, note=" ")
    assert refused.value.code == "note_required"
    cleared = cash_day_clear(by=county["town_a_user"], day_id=day.pk, note="次日已补缴")
    assert (cleared.status, cleared.note) == (DayStatus.CLEARED, "次日已补缴")


def test_close_day_marks_a_balanced_day(county: dict[str, Any]) -> None:
    paid = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    cash_payin_record(by=county["collector"], receipt_id=paid.pk, channel="hall", txn_no="H-1")
    result = cash_day_close(by=None)
    assert (result.balanced, result.raised) == (1, [])
    assert CashDay.objects.get().status == DayStatus.BALANCED


def test_the_village_owes_the_day_settlement_met_by_a_balanced_close_or_late_by_clearing(
    county: dict[str, Any],
) -> None:
    from liangxian.obligations.models import Obligation
    from liangxian.obligations.services import rules_load

    rules_load(actor=None)
    # given cash taken: the collector's village owes the day's settlement, due that day (Art 29)
    paid = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    owed = Obligation.objects.get(rule_id="cash.settle")
    assert owed.unit == county["collector"].unit and owed.due_date == paid.business_date
    # when it is paid in and the evening close finds the day balanced, then the settlement is met on time
    cash_payin_record(by=county["collector"], receipt_id=paid.pk, channel="hall", txn_no="H-3")
    cash_day_close(by=None)
    owed.refresh_from_db()
    assert owed.fulfilled_at is not None and not owed.late
    assert owed.fulfilled_ref == f"cash_day:{CashDay.objects.get().pk}"


def test_cash_taken_after_a_balanced_close_is_raised_at_once(county: dict[str, Any]) -> None:
    paid = cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    cash_payin_record(by=county["collector"], receipt_id=paid.pk, channel="hall", txn_no="H-2")
    cash_day_close(by=None)
    cash_receipt_record(by=county["collector"], entry_id=county["aygul_entry"].pk, amount="400")
    assert CashDay.objects.get().status == DayStatus.RAISED


def test_ledger_scan_is_sniffed_and_size_checked(county: dict[str, Any], settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    cash_receipt_record(by=county["collector"], entry_id=county["tursun_entry"].pk, amount="400")
    day = CashDay.objects.get()
    fake = SimpleUploadedFile("ledger.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(CashError) as refused:
        cash_ledger_scan_upload(by=county["town_a_user"], day_id=day.pk, upload=fake)
    assert refused.value.code == "scan_type"
    big = SimpleUploadedFile("ledger.png", b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024), content_type="image/png")
    with pytest.raises(CashError) as refused:
        cash_ledger_scan_upload(by=county["town_a_user"], day_id=day.pk, upload=big)
    assert refused.value.code == "scan_too_large"
    with pytest.raises(CashError):
        cash_ledger_scan_upload(
            by=county["town_b_user"], day_id=day.pk, upload=SimpleUploadedFile("a.jpg", b"\xff\xd8\xff1")
        )
    scan = cash_ledger_scan_upload(
        by=county["town_a_user"], day_id=day.pk, upload=SimpleUploadedFile("a.jpg", b"\xff\xd8\xff1")
    )
    assert (scan.content_type, scan.size) == ("image/jpeg", 4)
    assert LedgerScan.objects.count() == 1


def test_scan_deadline_is_seven_working_days_after_the_period(county: dict[str, Any]) -> None:
    campaign = county["campaign"]
    result = scan_deadline(campaign)
    if result.due is None:  # the calendar of that year is not confirmed in this database: the deadline waits
        assert result.pending_year is not None
        return
    assert result.due - campaign.period_end >= timedelta(days=7)
