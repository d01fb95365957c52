"""Entitlement files (dirty rows, repeats, the bureau's own insurance) and the white list computed from them."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
import xlsxwriter

from liangxian.collection.models import PaymentKind
from liangxian.core.idnumbers import check_digit
from liangxian.core.models import AuditEvent
from liangxian.entitlements.models import (
    Entitlement,
    EntitlementImport,
    ImportRow,
    WhitelistEntry,
)
from liangxian.entitlements.services import EntitlementError, entitlement_import, whitelist_refresh, whitelist_resolve
from liangxian.refunds.services import refund_request

from .fixtures import csv_file, line, paid_county, pay, refund_of

pytestmark = pytest.mark.django_db


def _import(county: dict[str, Any], data: bytes, bureau: str = "medical", name: str = "records.csv") -> Any:
    return entitlement_import(bureau=bureau, by=county[bureau], data=data, filename=name)


def _listed(insurance: str = "medical") -> dict[str, WhitelistEntry]:
    return {e.name: e for e in WhitelistEntry.objects.filter(status="listed", insurance=insurance)}


def _other_id(id_number: str) -> str:
    """The same person's number with two digits of the sequence swapped: a typical mistyping that still checks."""
    body = id_number[:14] + id_number[15] + id_number[14] + id_number[16]
    if body == id_number[:17]:
        body = id_number[:14] + "9" + id_number[15:17]
    return body + check_digit(body)


def test_a_dirty_file_is_accepted_repaired_or_rejected_row_by_row_with_reasons() -> None:
    # given a medical file with clean, repairable and broken rows
    county = paid_county()
    p = county["people"]
    data = csv_file(
        line(p["aygul"]),
        f" {p['li'].id_number} ,李 明,390,2027年,2026/11/10,¥400",  # spaces, a code, 年, a slashed date, ¥
        f"{p['mamat'].id_number},{p['mamat'].name},城乡居民基本养老保险,2027,2026-11-10,",  # the other bureau's
        "6.53123198001E+17,王芳,,2027,2026-11-10,",  # Excel spoiled the ID
        f"{p['zhao'].id_number},赵六,,27,2026-11-10,abc",  # no insurance (filled), a year that is not one
        line(p["aygul"]),  # the same record twice
        ",,,,,",  # a blank row
    )
    # when the medical bureau imports it
    result = _import(county, data)
    # then each row has its outcome and a reason a clerk can read
    counts = result.source.counts
    assert (counts["rows"], counts["accepted"], counts["repaired"], counts["rejected"]) == (6, 1, 1, 4)
    assert counts["recorded"] == 2 and counts["blank_rows"] == 1
    rows = {r.row_number: r for r in ImportRow.objects.filter(source=result.source)}
    assert rows[3].outcome == "repaired" and "年份" in rows[3].reasons and "日期格式" in rows[3].reasons
    assert "只能报送城乡居民基本医疗保险" in rows[4].reasons
    assert "科学计数法" in rows[5].reasons
    assert "缴费年度无法识别" in rows[6].reasons
    assert "与第 2 行重复" in rows[7].reasons
    li = Entitlement.objects.get(id_number=p["li"].id_number)
    assert (li.name, li.insurance, li.coverage_year, li.amount_fen, li.person_id) == (
        "李明",
        "medical",
        2027,
        40000,
        p["li"].pk,
    )
    assert str(result.source.latest_record_date) == "2026-11-10"


def test_the_same_file_twice_answers_with_the_first_import() -> None:
    county = paid_county()
    data = csv_file(line(county["people"]["aygul"]))
    first = _import(county, data)
    again = _import(county, data, name="renamed.csv")
    assert again.repeat and again.source.pk == first.source.pk
    assert Entitlement.objects.count() == 1 and EntitlementImport.objects.count() == 1


def test_an_unreadable_file_changes_nothing_and_is_kept_as_refused() -> None:
    county = paid_county()
    with pytest.raises(EntitlementError) as caught:
        _import(county, b"\x89PNG\r\n\x1a\n....", name="scan.png")
    assert caught.value.code == "unreadable" and caught.value.source is not None
    assert caught.value.source.status == "refused" and Entitlement.objects.count() == 0
    with pytest.raises(EntitlementError) as missing:
        _import(county, "姓名,险种\n李明,医疗\n".encode(), name="short.csv")
    assert "缺少必需的列" in missing.value.message


def test_a_bureau_imports_its_own_records_only() -> None:
    county = paid_county()
    with pytest.raises(EntitlementError) as caught:
        entitlement_import(bureau="medical", by=county["social"], data=csv_file(line(county["people"]["aygul"])))
    assert caught.value.code == "wrong_bureau"
    with pytest.raises(EntitlementError) as tax:
        entitlement_import(bureau="medical", by=county["tax"], data=csv_file(line(county["people"]["aygul"])))
    assert tax.value.code == "forbidden"


def test_whoever_paid_without_an_entitlement_is_listed_and_leaves_when_it_arrives() -> None:
    # given medical entitlements recorded for 阿依古丽 only, up to 10 November
    county = paid_county()
    p = county["people"]
    result = _import(county, csv_file(line(p["aygul"])))
    # then 李明 and 买买提, who paid on 2 November, are on the medical white list, to be investigated
    listed = _listed()
    assert set(listed) == {"李明", "买买提·吐尔逊"}
    assert {e.cause for e in listed.values()} == {"investigate"}
    assert listed["李明"].net_paid_fen == 40000 and listed["李明"].person_id == p["li"].pk
    assert listed["李明"].township_code == p["li"].township_code
    # and 阿依古丽's pension is listed as not yet processed: social security has sent nothing
    assert _listed("pension")["阿依古丽·艾买提"].cause == "not_processed"
    assert result.refresh is not None and result.refresh.counts["listed_new"] == 3
    # when 买买提's entitlement arrives in the next file
    _import(county, csv_file(line(p["mamat"], date="2026-11-20")), name="next.csv")
    # then he leaves the list, and his entry is kept with the date and the reason
    left = WhitelistEntry.objects.get(name="买买提·吐尔逊")
    assert (left.status, left.left_reason) == ("left", "entitlement") and left.left_at is not None
    assert set(_listed()) == {"李明"}


def test_a_refund_or_reversal_to_nothing_keeps_or_takes_a_payer_off() -> None:
    # given 李明 refunded in full before anything is imported: he is never listed
    county = paid_county()
    refund_of(county["pay_li"], "WX-3-R")
    whitelist_refresh()
    assert "李明" not in _listed() and "买买提·吐尔逊" in _listed()
    # when 买买提's payment is reversed
    refund_of(county["pay_mamat"], "WX-5-R", kind=PaymentKind.REVERSAL)
    run = whitelist_refresh()
    # then he leaves the list because nothing is paid any more
    gone = WhitelistEntry.objects.get(name="买买提·吐尔逊")
    assert (gone.status, gone.left_reason) == ("left", "refunded")
    assert run.counts["left_refunded"] == 1


def test_an_entitlement_under_a_mistyped_id_number_names_the_cause() -> None:
    county = paid_county()
    p = county["people"]
    wrong = _other_id(p["li"].id_number)
    _import(county, csv_file(line(p["aygul"]), line(p["li"], id_number=wrong)))
    li = _listed()["李明"]
    assert (li.cause, li.cause_id_number) == ("id_mistyped", wrong)


def test_a_payment_after_the_bureaus_latest_records_is_not_yet_processed() -> None:
    county = paid_county()
    p = county["people"]
    late = pay(county["entries"][(p["wang"].pk, "medical")], "WX-9", 20000, at=datetime(2026, 11, 20, 3, tzinfo=UTC))
    _import(county, csv_file(line(p["aygul"], date="2026-11-10")))
    listed = _listed()
    assert listed["王芳"].cause == "not_processed" and listed["王芳"].first_paid_at == late.paid_at
    assert listed["李明"].cause == "investigate"


def test_a_pending_refund_is_the_cause_until_it_is_carried_out() -> None:
    county = paid_county()
    p = county["people"]
    refund_request(by=county["tax"], payment=county["pay_li"], reason="duplicate")
    _import(county, csv_file(line(p["aygul"])))
    assert _listed()["李明"].cause == "refund_pending"


def test_the_refresh_is_idempotent() -> None:
    county = paid_county()
    _import(county, csv_file(line(county["people"]["aygul"])))
    before = list(WhitelistEntry.objects.order_by("pk").values())
    events = AuditEvent.objects.count()
    run = whitelist_refresh()
    assert run.counts["listed_new"] == run.counts["updated"] == run.counts["left_entitlement"] == 0
    assert run.counts["left_refunded"] == 0 and run.counts["listed"] == 3
    assert list(WhitelistEntry.objects.order_by("pk").values()) == before
    assert AuditEvent.objects.count() == events


def test_a_resolution_is_recorded_by_tax_or_the_insurances_bureau_only() -> None:
    county = paid_county()
    _import(county, csv_file(line(county["people"]["aygul"])))
    entry = _listed()["李明"]
    with pytest.raises(EntitlementError) as caught:
        whitelist_resolve(by=county["social"], entry=entry, note="已核实")
    assert caught.value.code == "forbidden"
    with pytest.raises(EntitlementError):
        whitelist_resolve(by=county["medical"], entry=entry, note="  ")
    done = whitelist_resolve(by=county["medical"], entry=entry, note="已通知参保人补录")
    assert (done.resolution_note, done.resolved_by) == ("已通知参保人补录", county["medical"])
    assert done.status == "listed"  # a resolution does not take him off: his entitlement does
    assert AuditEvent.objects.filter(action="entitlements.whitelist_resolve").count() == 1


def test_an_xlsx_with_an_id_number_stored_as_a_number_rejects_that_row() -> None:
    # given an xlsx where Excel kept one ID number as a number (its last digits are gone)
    county = paid_county()
    p = county["people"]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_string(0, 0, "2027年度医保权益记录")  # a title above the header
    for col, head in enumerate(["身份证号", "姓名", "险种名称", "缴费年度", "权益记录日期", "记账金额（元）"]):
        sheet.write_string(1, col, head)
    sheet.write_row(2, 0, [p["aygul"].id_number, p["aygul"].name, "居民医保", "2027", "2026-11-10", "400"])
    sheet.write_number(3, 0, float(p["li"].id_number))
    sheet.write_row(3, 1, [p["li"].name, "居民医保", 2027, "2026-11-10"])
    book.close()
    # when it is imported
    result = _import(county, buffer.getvalue(), name="records.xlsx")
    # then the first row is recorded and the numeric one is rejected with the reason
    assert (result.source.counts["accepted"], result.source.counts["rejected"]) == (1, 1)
    assert "数值格式" in ImportRow.objects.get(source=result.source).reasons
    assert Entitlement.objects.filter(id_number=p["aygul"].id_number).exists()


def test_a_cause_follows_the_data_and_the_entry_is_updated_in_place() -> None:
    # given 阿依古丽's pension listed as not yet processed: social security has sent nothing
    county = paid_county()
    p = county["people"]
    whitelist_refresh()
    entry = WhitelistEntry.objects.get(insurance="pension")
    assert entry.cause == "not_processed"
    # when social security sends records dated after her payment, hers not among them
    result = _import(county, csv_file(line(p["wang"], "城乡居民基本养老保险", date="2026-11-20")), bureau="social")
    # then the same entry now waits to be investigated, and its amounts and times are kept
    entry.refresh_from_db()
    assert entry.cause == "investigate" and entry.status == "listed"
    assert entry.net_paid_fen == 20000 and entry.first_paid_at == county["pay_aygul_pension"].paid_at
    assert result.refresh is not None and result.refresh.counts["updated"] == 1
    assert WhitelistEntry.objects.filter(insurance="pension").count() == 1
