"""A small county with a campaign that ended, its roster, plan, obligations, lists and screening findings.

Township A (英吉沙镇): 5 entries due, 4 paid (A1: 3 of 4, A2: 1 of 1); plan 5 medical; obligations: one on time,
one never met (31 days overdue on 10 November); no list; screening: 3 hits, 1 confirmed, 3 self-checks due, 1 late,
1 perfunctory. Township B (芒辛镇): 2 due, 2 paid; plan 1 (village B1); one obligation on time; one list of 10 rows
with 5 rejected. Departments: tax (one obligation on time), civil (one met late; a list 90 + 5 repaired of 100),
medical (a list refused). Collector of A1: 2 hits, 1 confirmed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from typing import Any

import polars as pl
from django.utils import timezone

from liangxian.campaigns.models import Campaign, ExpansionTarget
from liangxian.collection.models import EntrySettlement
from liangxian.exchange.models import Dataset, Submission
from liangxian.obligations.models import Obligation, ObligationRule
from liangxian.org.models import CollectorAuthorisation, Role, TownshipAppointment, Unit, UnitKind
from liangxian.registry.tests import factories as f
from liangxian.roster.models import RosterBuild, RosterEntry

AS_OF = dt.date(2026, 11, 10)
_serial = itertools.count(1)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 10, 0))


def campaign() -> Campaign:
    now = timezone.now()
    return Campaign.objects.create(
        coverage_year=2027,
        collection_year=2026,
        name="2027年度城乡居民两险集中征缴",
        period_start=dt.date(2026, 9, 1),
        period_end=dt.date(2026, 10, 31),
        status="active",
        created_at=now,
        updated_at=now,
    )


def entries(the_campaign: Campaign, village: str, due: int, paid: int, names: list[str]) -> list[RosterEntry]:
    build = RosterBuild.objects.filter(campaign=the_campaign).first() or RosterBuild.objects.create(
        campaign=the_campaign, number=1, campaign_revision=1, started_at=timezone.now(), status="done"
    )
    out = []
    for i in range(due):
        person = f.person(village, name=names[i % len(names)])
        e = RosterEntry.objects.create(
            campaign=the_campaign,
            person=person,
            insurance="medical",
            must_pay=True,
            amount_fen=40000,
            own_fen=40000,
            township_code=village[:9],
            village_code=village,
            build=build,
        )
        if i < paid:
            EntrySettlement.objects.create(entry=e, own_paid_fen=40000, paid=True, paid_at=_aware(dt.date(2026, 9, 5)))
        out.append(e)
    return out


def obligation(rule: ObligationRule, unit: Any, campaign: Campaign, due: dt.date, done: dt.date | None) -> Obligation:
    return Obligation.objects.create(
        rule=rule,
        campaign=campaign,
        unit=unit,
        period=f"p{next(_serial)}",
        due_date=due,
        created_at=timezone.now(),
        fulfilled_at=_aware(done) if done else None,
        late=bool(done and done > due),
    )


def submission(unit: Any, by: Any, *, rows: int, accepted: int, repaired: int = 0, status: str = "in_force") -> Any:
    ds, _ = Dataset.objects.get_or_create(code="test.list", defaults={"name": "低保人员名单"})
    n = next(_serial)
    return Submission.objects.create(
        dataset=ds,
        unit=unit,
        submitted_by=by,
        submitted_at=_aware(dt.date(2026, 8, 1)),
        method="intranet",
        status=status,
        sha256=hashlib.sha256(f"s{n}".encode()).hexdigest(),
        rows_total=rows,
        rows_accepted=accepted,
        rows_repaired=repaired,
        rows_rejected=rows - accepted - repaired,
    )


def assessed_county() -> dict[str, Any]:
    """Build the county described in the module docstring; return its users and records."""
    f.county()
    town_a = f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code="township-a")
    town_b = f.unit(f.TOWN_B, kind=UnitKind.TOWNSHIP, code="township-b")
    tax = f.department("tax")
    civil = f.department("civil")
    medical = f.department("medical")
    discipline = f.department("discipline")
    publicity = f.department("publicity")
    township_a = f.user(town_a, Role.SPECIALIST, username="town_a")
    leader = f.user(town_a, Role.TOWNSHIP_LEADER, username="leader_a", full_name="艾力·吐尔逊")
    TownshipAppointment.objects.create(township=town_a, post="leader_in_charge", user=leader, since=dt.date(2026, 1, 1))
    collector = f.collector(f.VILLAGE_A1)
    village_a1 = Unit.objects.get(code=f"village-{f.VILLAGE_A1}")
    collector.full_name = "买买提·艾力"
    collector.save(update_fields=["full_name"])
    CollectorAuthorisation.objects.create(
        collector=collector,
        village=village_a1,
        granted_by=tax,
        granted_at=timezone.now(),
        valid_from=dt.date(2026, 1, 1),
    )
    c = campaign()
    a1 = entries(c, f.VILLAGE_A1, 4, 3, ["阿依古丽·艾买提", "王芳", "李明", "赵六"])
    a2 = entries(c, f.VILLAGE_A2, 1, 1, ["古丽"])
    b1 = entries(c, f.VILLAGE_B1, 2, 2, ["张三", "李四"])
    ExpansionTarget.objects.create(campaign=c, division_id=f.TOWN_A, insurance="medical", target=5)
    ExpansionTarget.objects.create(campaign=c, division_id=f.VILLAGE_B1, insurance="medical", target=1)
    rule = ObligationRule.objects.create(
        code="test.report", title="报送自查报告", owner_kind="township", anchor="event", offset=15
    )
    d = dt.date
    late_a = obligation(rule, town_a, c, d(2026, 10, 10), None)
    obligation(rule, town_a, c, d(2026, 10, 1), d(2026, 9, 30))
    obligation(rule, town_b, c, d(2026, 10, 1), d(2026, 10, 1))
    obligation(rule, tax.unit, c, d(2026, 10, 1), d(2026, 9, 28))
    late_civil = obligation(rule, civil.unit, c, d(2026, 10, 1), d(2026, 10, 4))
    b_list = submission(town_b, tax, rows=10, accepted=5)
    civil_list = submission(civil.unit, civil, rows=100, accepted=90, repaired=5)
    refused = submission(medical.unit, medical, rows=0, accepted=0, status="refused")
    return {
        "campaign": c,
        "tax": tax,
        "civil": civil,
        "medical": medical,
        "discipline": discipline,
        "publicity": publicity,
        "township_a": township_a,
        "leader": leader,
        "collector": collector,
        "a1": a1,
        "a2": a2,
        "b1": b1,
        "late_a": late_a,
        "late_civil": late_civil,
        "b_list": b_list,
        "civil_list": civil_list,
        "refused": refused,
    }


def township_findings(year: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "township_code": [f.TOWN_A],
            "hits": [3],
            "confirmed": [1],
            "selfcheck_due": [3],
            "selfcheck_late": [1],
            "perfunctory": [1],
        }
    )


def collector_findings_of(collector_id: int) -> Any:
    def collector_findings(year: int) -> pl.DataFrame:
        return pl.DataFrame({"collector_id": [collector_id], "hits": [2], "confirmed": [1]})

    return collector_findings


def patch_screening(monkeypatch: Any, collector_id: int) -> None:
    """Give the screening findings above through the two functions the screening app provides."""
    from liangxian.screening import selectors

    monkeypatch.setattr(selectors, "township_findings", township_findings, raising=False)
    monkeypatch.setattr(selectors, "collector_findings", collector_findings_of(collector_id), raising=False)
