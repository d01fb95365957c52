"""A small county whose persons paid for 2027, the two bureaus, and entitlement files written on the fly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from liangxian.collection.models import Payment, PaymentKind
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.roster.models import RosterEntry
from liangxian.roster.tests.due_fixtures import due_county, f

__all__ = ["csv_file", "f", "line", "paid_county", "pay", "refund_of"]

PAID_AT = datetime(2026, 11, 2, 4, 30, tzinfo=UTC)
HEADER = "身份证号码,姓名,险种,缴费年度,权益记录日期,记账金额(元)"


def pay(entry: RosterEntry, txn: str, amount_fen: int, *, at: datetime = PAID_AT, channel: str = "wechat") -> Payment:
    """Record a payment of the entry's person for 2027."""
    return payment_record(
        PaymentIn(
            channel=channel,
            txn_no=txn,
            id_number=entry.person.id_number,
            name=entry.person.name,
            insurance=entry.insurance,
            coverage_year=entry.campaign.coverage_year,
            amount_fen=amount_fen,
            paid_at=at,
            source="api",
        )
    ).payment


def refund_of(payment: Payment, txn: str, *, kind: str = PaymentKind.REFUND) -> Payment:
    """Record the whole payment coming back (a refund or a reversal) as the channel reports it."""
    return payment_record(
        PaymentIn(
            channel=payment.channel,
            txn_no=txn,
            id_number=payment.id_number,
            name=payment.name,
            insurance=payment.insurance,
            coverage_year=payment.coverage_year,
            amount_fen=-payment.amount_fen,
            paid_at=PAID_AT.replace(day=5),
            source="api",
            kind=kind,
            original_id=payment.pk,
        )
    ).payment


def paid_county() -> dict[str, Any]:
    """The due-list county with its two bureaus; paid on 2 Nov 2026 for 2027: 阿依古丽 medical and pension,
    李明 medical, 买买提 medical."""
    county = due_county()
    county["medical"] = f.department("medical")
    county["social"] = f.department("social")
    entries = {(e.person_id, e.insurance): e for e in RosterEntry.objects.select_related("person", "campaign")}
    people = county["people"]
    county["pay_aygul_medical"] = pay(entries[(people["aygul"].pk, "medical")], "WX-1", 40000)
    county["pay_aygul_pension"] = pay(entries[(people["aygul"].pk, "pension")], "WX-2", 20000)
    county["pay_li"] = pay(entries[(people["li"].pk, "medical")], "WX-3", 40000)
    county["pay_mamat"] = pay(entries[(people["mamat"].pk, "medical")], "WX-5", 40000)
    county["entries"] = entries
    return county


def csv_file(*rows: str) -> bytes:
    """Write an entitlement file as the bureaus send it: UTF-8 csv with the Chinese headers."""
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def line(person: Any, insurance: str = "城乡居民基本医疗保险", *, date: str = "2026-11-10", id_number: str = "") -> str:
    """One row of an entitlement file for a person, 2027."""
    return f"{id_number or person.id_number},{person.name},{insurance},2027,{date},400.00"
