"""A small county's payments entered into the treasury in October 2026, and statements written from them."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import xlsxwriter
from django.utils import timezone

from liangxian.collection.models import Payment
from liangxian.core.calendar import calendar_seed
from liangxian.core.models import CalendarYear
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f

MONTH = "2026-10"
HEADER = "电子税票号,入库日期,金额(元),险种,收款国库/账户,退库标志"
_serial = iter(range(1, 10_000_000))


def payment(
    voucher: str,
    day: dt.date | None,
    amount_fen: int,
    *,
    insurance: str = "medical",
    other_fen: int = 0,
    kind: str = "payment",
    original: Payment | None = None,
    channel: str = "wechat",
) -> Payment:
    """Record a payment entered into the treasury on ``day`` under ``voucher``."""
    n = next(_serial)
    return Payment.objects.create(
        channel=channel,
        txn_no=f"T{n:08d}",
        kind=kind,
        original=original,
        id_number=f.id_number(),
        name="阿依古丽·艾买提",
        insurance=insurance,
        coverage_year=2027,
        amount_fen=amount_fen,
        other_fen=other_fen,
        paid_at=timezone.make_aware(dt.datetime(2026, 10, 9, 10, 0)),
        etax_voucher=voucher,
        treasury_date=day,
        source="file",
        township_code=f.TOWN_A,
        village_code=f.VILLAGE_A1,
        recorded_at=timezone.now(),
    )


def treasury_county() -> dict[str, Any]:
    """Tax, the People's Bank, finance and a township; a confirmed calendar; October's receipts on our side.

    Ours (October 2026): SP001 medical 400 (12 Oct); SP002 pension 200 (13 Oct); SP003 medical 400 (14 Oct);
    DJ001 a 代缴 batch of two medical 200 + 200 (20 Oct, government's part); SP005 medical 400 (21 Oct) and its
    refund −400 (22 Oct); SP006 pension 300 entered 1 Nov (not October).
    """
    f.county()
    tax = f.department("tax")
    # The People's Bank under the code the obligation rules name its owner unit by (``<county>-pbc``).
    pbc = f.user(
        f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="pbc", code="653123-pbc"), Role.STAFF, username="pbc"
    )
    finance = f.department("finance")
    town = f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code="township-a")
    calendar_seed(actor=None, first_year=2026, last_year=2026)
    CalendarYear.objects.update(confirmed=True)
    d = dt.date
    sp5 = payment("SP005", d(2026, 10, 21), 40000)
    return {
        "tax": tax,
        "pbc": pbc,
        "finance": finance,
        "township": f.user(town, Role.STAFF, username="town_a"),
        "payments": {
            "SP001": payment("SP001", d(2026, 10, 12), 40000),
            "SP002": payment("SP002", d(2026, 10, 13), 20000, insurance="pension"),
            "SP003": payment("SP003", d(2026, 10, 14), 40000),
            "DJ001a": payment("DJ001", d(2026, 10, 20), 0, other_fen=20000, channel="gov"),
            "DJ001b": payment("DJ001", d(2026, 10, 20), 0, other_fen=20000, channel="gov"),
            "SP005": sp5,
            "SP005r": payment("SP005", d(2026, 10, 22), -40000, kind="refund", original=sp5),
            "SP006": payment("SP006", d(2026, 11, 2), 30000, insurance="pension"),
        },
    }


CLEAN_LINES = [
    "SP001,2026-10-12,400.00,城乡居民基本医疗保险,国家金库英吉沙县支库,否",
    "SP002,2026-10-13,200.00,城乡居民基本养老保险,国家金库英吉沙县支库,否",
    "SP003,2026-10-14,400.00,城乡居民基本医疗保险,国家金库英吉沙县支库,否",
    "DJ001,2026-10-20,400.00,城乡居民基本医疗保险,国家金库英吉沙县支库,否",
    "SP005,2026-10-21,400.00,城乡居民基本医疗保险,国家金库英吉沙县支库,否",
    "SP005,2026-10-22,400.00,城乡居民基本医疗保险,国家金库英吉沙县支库,是",
]


def csv_bytes(lines: list[str], *, encoding: str = "utf-8", header: str = HEADER) -> bytes:
    """Write a statement csv in the given encoding (``utf-8-sig`` for a BOM)."""
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[Any]], *, title: str = "") -> bytes:
    """Write a statement workbook: an optional title row, the Chinese headers, then the rows as given."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("对账单")
    r = 0
    if title:
        sheet.write_string(0, 0, title)
        r = 1
    for c, h in enumerate(HEADER.split(",")):
        sheet.write_string(r, c, h)
    for i, row in enumerate(rows, start=r + 1):
        for c, value in enumerate(row):
            sheet.write(i, c, value)
    book.close()
    return buffer.getvalue()
