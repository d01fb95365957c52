"""A small county with payments carrying e-tax vouchers, and the users who may and may not see the national runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from liangxian.collection.models import EntrySettlement, Payment
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.collection.tests.fixtures import paid_at
from liangxian.org.models import Role
from liangxian.roster.models import RosterEntry
from liangxian.roster.tests.due_fixtures import due_county, f


def pay(entry: RosterEntry, txn: str, amount_fen: int, *, voucher: str = "", other_fen: int = 0) -> Payment:
    return payment_record(
        PaymentIn(
            channel="wechat",
            txn_no=txn,
            id_number=entry.person.id_number,
            name=entry.person.name,
            insurance=entry.insurance,
            coverage_year=entry.campaign.coverage_year,
            amount_fen=amount_fen,
            other_fen=other_fen,
            paid_at=paid_at(),
            source="api",
            etax_voucher=voucher,
        )
    ).payment


def national_county() -> dict[str, Any]:
    """The due-list county with three payments: 阿依古丽 medical (voucher V1, entered 2 Nov), 王芳 medical with
    the government's 代缴 part (voucher V2), 李明 medical without a voucher yet; and a leader, a tax clerk and a
    village collector."""
    county = due_county()
    entries = {(e.person_id, e.insurance): e for e in RosterEntry.objects.select_related("person", "campaign")}
    people = county["people"]
    county["p1"] = pay(entries[(people["aygul"].pk, "medical")], "WX-1", 40000, voucher="V1")
    county["p2"] = pay(entries[(people["wang"].pk, "medical")], "WX-2", 20000, voucher="V2", other_fen=20000)
    county["p3"] = pay(entries[(people["li"].pk, "medical")], "WX-3", 40000)
    Payment.objects.filter(etax_voucher__in=["V1", "V2"]).update(treasury_date=date(2026, 11, 2))
    county["tax_user"] = county["tax"]
    finance = f.unit(f.COUNTY, kind="department", department="finance", code="dept-finance-leader")
    county["leader"] = f.user(finance, Role.LEADER, username="finance_leader")
    county["finance_staff"] = f.user(finance, Role.STAFF, username="finance_staff")
    county["entries"] = RosterEntry.objects.count()
    county["paid"] = EntrySettlement.objects.filter(paid=True).count()
    return county
