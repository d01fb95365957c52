"""A small county with a campaign, a finished roster build and its entries, for the due-list and survey tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from liangxian.campaigns.models import Campaign, DaijiaoRule, ExpansionTarget
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f
from liangxian.roster.models import RosterBuild, RosterEntry

__all__ = ["due_county", "entry", "f"]


def campaign(*, start: date | None = None, year: int = 2027) -> Campaign:
    """Create a campaign whose period starts on ``start`` (default: in a month)."""
    now = timezone.now()
    begin = start or (timezone.localdate() + timedelta(days=30))
    return Campaign.objects.create(
        coverage_year=year,
        collection_year=year - 1,
        name=f"{year}年度城乡居民两险集中征缴",
        period_start=begin,
        period_end=begin + timedelta(days=90),
        status="active",
        created_at=now,
        updated_at=now,
    )


def build(the_campaign: Campaign, number: int = 1, status: str = "done") -> RosterBuild:
    now = timezone.now()
    return RosterBuild.objects.create(
        campaign=the_campaign,
        number=number,
        campaign_revision=1,
        started_at=now,
        finished_at=now,
        status=status,
    )


def entry(
    person: Any, the_build: RosterBuild, *, insurance: str = "medical", must_pay: bool = True, **extra: Any
) -> RosterEntry:
    return RosterEntry.objects.create(
        campaign=the_build.campaign,
        person=person,
        insurance=insurance,
        must_pay=must_pay,
        amount_fen=extra.pop("amount_fen", 40000),
        own_fen=extra.pop("own_fen", 40000 if must_pay else 0),
        township_code=person.township_code,
        village_code=person.village_code,
        build=the_build,
        **extra,
    )


def due_county() -> dict[str, Any]:
    """Two townships (A: villages A1, A2; B: B1), their units and users, tax and police, a campaign and a build.

    Entries: A1 阿依古丽 (medical, pays; pension, cash only), A1 王芳 (medical, 低保), A2 李明 (medical),
    A2 赵六 (must not pay), B1 买买提 (medical).
    """
    f.county()
    town_a = f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code="township-a")
    town_b = f.unit(f.TOWN_B, kind=UnitKind.TOWNSHIP, code="township-b")
    village_a1 = f.unit(f.VILLAGE_A1, kind=UnitKind.VILLAGE, code="village-a1")
    village_a1.parent = town_a
    village_a1.save(update_fields=["parent"])
    tax = f.department("tax")
    police = f.department("police")
    the_campaign = campaign()
    the_build = build(the_campaign)
    people = {
        "aygul": f.person(f.VILLAGE_A1, name="阿依古丽·艾买提", phone="13999800001"),
        "wang": f.person(f.VILLAGE_A1, name="王芳"),
        "li": f.person(f.VILLAGE_A2, name="李明"),
        "zhao": f.person(f.VILLAGE_A2, name="赵六"),
        "mamat": f.person(f.VILLAGE_B1, name="买买提·吐尔逊"),
    }
    entry(people["aygul"], the_build)
    entry(people["aygul"], the_build, insurance="pension", amount_fen=20000, own_fen=20000, cash_only=True)
    entry(people["wang"], the_build, daijiao_category="minimum_allowance", gov_fen=20000, own_fen=20000)
    entry(people["li"], the_build)
    entry(people["zhao"], the_build, must_pay=False, reason="employee_scheme")
    entry(people["mamat"], the_build)
    DaijiaoRule.objects.create(
        campaign=the_campaign,
        category="minimum_allowance",
        label="低保",
        insurance="medical",
        mode="fixed",
        amount_fen=20000,
        priority=30,
    )
    ExpansionTarget.objects.create(campaign=the_campaign, division_id=f.VILLAGE_A1, insurance="medical", target=4)
    return {
        "campaign": the_campaign,
        "build": the_build,
        "town_a": town_a,
        "town_b": town_b,
        "tax": tax,
        "police": police,
        "town_a_user": f.user(town_a, Role.STAFF, username="town_a"),
        "town_b_user": f.user(town_b, Role.STAFF, username="town_b"),
        "village_a1_user": f.user(village_a1, Role.COLLECTOR, username="village_a1"),
        "people": people,
    }
