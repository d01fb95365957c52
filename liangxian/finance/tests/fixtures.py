"""A small roster for finance: 代缴 persons in three categories, paid and refunded payments of both insurances.

Medical (400 yuan; subsidy 700): 阿依古丽 pays 400; 王芳 (低保, government 200) pays her own 200; 李明 pays 400 and
is refunded in full; 买买提 pays 400; 古丽 (特困, government 400) and 艾力 (孤儿, government 400) pay nothing
themselves. Pension: 阿依古丽 pays the 200 tier; 买买提 the 500 tier; 古丽 (特困, government 100) is paid for.
"""

from __future__ import annotations

from typing import Any

from liangxian.collection.models import Payment
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.collection.tests.fixtures import paid_at
from liangxian.org.models import Role
from liangxian.roster.models import RosterEntry
from liangxian.roster.tests.due_fixtures import due_county, entry, f

__all__ = ["f", "finance_county", "pay"]


def pay(e: RosterEntry, txn: str, amount_fen: int, *, channel: str = "wechat", **extra: Any) -> Payment:
    return payment_record(
        PaymentIn(
            channel=channel,
            txn_no=txn,
            id_number=e.person.id_number,
            name=e.person.name,
            insurance=e.insurance,
            coverage_year=e.campaign.coverage_year,
            amount_fen=amount_fen,
            paid_at=paid_at(),
            source="api",
            **extra,
        )
    ).payment


def finance_county() -> dict[str, Any]:
    county = due_county()
    the_build = county["build"]
    people = county["people"]
    people["guli"] = f.person(f.VILLAGE_A1, name="古丽·托乎提")
    people["ali"] = f.person(f.VILLAGE_B1, name="艾力·买买提")
    entry(people["guli"], the_build, daijiao_category="special_hardship", gov_fen=40000, own_fen=0)
    entry(people["ali"], the_build, daijiao_category="orphan", gov_fen=40000, own_fen=0)
    entry(people["mamat"], the_build, insurance="pension", amount_fen=20000, own_fen=20000)
    entry(
        people["guli"], the_build, insurance="pension", amount_fen=10000, own_fen=0, gov_fen=10000,
        daijiao_category="special_hardship",
    )  # fmt: skip
    RosterEntry.objects.filter(insurance="pension").update(tiers="10000,20000,50000", cash_only=False)
    entries = {(e.person_id, e.insurance): e for e in RosterEntry.objects.select_related("person", "campaign")}

    def e(name: str, insurance: str = "medical") -> RosterEntry:
        return entries[(people[name].pk, insurance)]

    pay(e("aygul"), "WX-1", 40000)
    pay(e("wang"), "WX-2", 20000)
    li = pay(e("li"), "WX-3", 40000)
    pay(e("li"), "WX-3R", -40000, kind="refund", original_id=li.pk)
    pay(e("mamat"), "WX-4", 40000)
    pay(e("aygul", "pension"), "WX-5", 20000, tier_fen=20000)
    pay(e("mamat", "pension"), "WX-6", 50000, tier_fen=50000)
    finance_unit = f.unit(f.COUNTY, kind="department", department="finance", code="dept-finance")
    county["finance"] = f.user(finance_unit, Role.STAFF, username="fin")
    county["leader"] = f.user(county["tax"].unit, Role.LEADER, username="tax_leader")
    county["entries"] = entries
    county["e"] = e
    return county
