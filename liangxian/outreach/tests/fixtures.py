"""A small county for outreach: departments named as the obligation rules name them, two townships, three villages,
their specialists and collectors, the 2027 campaign, and payments in village A1 (one refunded)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

from django.utils import timezone

from liangxian.campaigns.models import Campaign, ContributionTier
from liangxian.collection.models import Payment
from liangxian.org.models import Role, Unit, UnitKind, User
from liangxian.registry.tests import factories as f

_serial = itertools.count(1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def dept(name: str, *, username: str | None = None) -> User:
    """A staff member of a county department whose unit code is the one the obligation rules use."""
    unit = Unit.objects.filter(code=f"{f.COUNTY}-{name}").first() or Unit.objects.create(
        code=f"{f.COUNTY}-{name}",
        name=f"{name} bureau",
        kind=UnitKind.DEPARTMENT,
        department=name,
        division_id=f.COUNTY,
        phone="0998-1234567" if name == "tax" else "",
    )
    return f.user(unit, Role.STAFF, username=username or name)


def payment(
    person: Any,
    amount_fen: int,
    *,
    insurance: str = "medical",
    kind: str = "payment",
    original: Payment | None = None,
    village: str = f.VILLAGE_A1,
    year: int = 2027,
) -> Payment:
    n = next(_serial)
    return Payment.objects.create(
        channel="wechat",
        txn_no=f"OUT{n:08d}",
        kind=kind,
        original=original,
        person=person,
        id_number=person.id_number,
        name=person.name,
        insurance=insurance,
        coverage_year=year,
        amount_fen=amount_fen,
        paid_at=timezone.make_aware(dt.datetime(2026, 10, 9, 10, 0)),
        source="file",
        township_code=village[:9],
        village_code=village,
        recorded_at=timezone.now(),
    )


def outreach_county() -> dict[str, Any]:
    """Build the county; return its users, units, campaign and people."""
    f.county()
    town_a = Unit.objects.create(
        code=f.TOWN_A, name="英吉沙镇", name_ug="يېڭىسار بازىرى", kind=UnitKind.TOWNSHIP, division_id=f.TOWN_A
    )
    town_b = Unit.objects.create(code=f.TOWN_B, name="芒辛镇", kind=UnitKind.TOWNSHIP, division_id=f.TOWN_B)
    villages = {}
    for code, name, parent in (
        (f.VILLAGE_A1, "一村", town_a),
        (f.VILLAGE_A2, "二村", town_a),
        (f.VILLAGE_B1, "三村", town_b),
    ):
        villages[code] = Unit.objects.create(
            code=code, name=name, name_ug=f"كەنت {name}", kind=UnitKind.VILLAGE, division_id=code, parent=parent
        )
    now = timezone.now()
    campaign = Campaign.objects.create(
        coverage_year=2027,
        collection_year=2026,
        name="2027年度城乡居民两险集中征缴",
        period_start=dt.date(2026, 9, 1),
        period_end=dt.date(2026, 12, 31),
        status="active",
        created_at=now,
        updated_at=now,
    )
    ContributionTier.objects.create(
        campaign=campaign, insurance="medical", amount_fen=40000, subsidy_fen=70000, is_default=True
    )
    for amount in (20000, 50000):
        ContributionTier.objects.create(
            campaign=campaign, insurance="pension", amount_fen=amount, subsidy_fen=3000 if amount < 50000 else 6000
        )
    people = {
        "zhang": f.person(f.VILLAGE_A1, name="张三丰"),
        "ayi": f.person(f.VILLAGE_A1, name="阿依古丽·艾买提"),
        "li": f.person(f.VILLAGE_A1, name="李明"),
        "wang": f.person(f.VILLAGE_A2, name="王五"),
    }
    payment(people["zhang"], 40000)
    payment(people["zhang"], 20000, insurance="pension")
    refunded = payment(people["li"], 40000)
    payment(people["li"], -40000, kind="refund", original=refunded)
    payment(people["ayi"], 40000)
    payment(people["ayi"], 40000, year=2026)  # last year's: not on this year's list
    payment(people["wang"], 40000, village=f.VILLAGE_A2)
    return {
        "tax": dept("tax"),
        "medical": dept("medical"),
        "social": dept("social"),
        "discipline": dept("discipline"),
        "publicity": dept("publicity"),
        "town_a": town_a,
        "town_b": town_b,
        "villages": villages,
        "specialist_a": f.user(town_a, Role.SPECIALIST, username="spec_a", full_name="努尔艾力"),
        "specialist_b": f.user(town_b, Role.SPECIALIST, username="spec_b", full_name="热合曼"),
        "collector_a1": f.user(villages[f.VILLAGE_A1], Role.COLLECTOR, username="coll_a1", full_name="阿卜杜拉"),
        "head_a1": f.user(villages[f.VILLAGE_A1], Role.VILLAGE_HEAD, username="head_a1", full_name="吐尔逊"),
        "collector_b1": f.user(villages[f.VILLAGE_B1], Role.COLLECTOR, username="coll_b1", full_name="买买提"),
        "campaign": campaign,
        "people": people,
    }


def upload(content: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer
