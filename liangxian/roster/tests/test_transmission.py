"""The roster passing to tax (Art 7, 8): approval and sending by the right department, and each abnormal kind
found by tax's checks on a small roster written directly (not through the build)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from liangxian.campaigns.models import Campaign, ContributionTier, EligibilityRule
from liangxian.core.calendar import calendar_seed, calendar_year_confirm
from liangxian.core.idnumbers import check_digit
from liangxian.core.models import AuditEvent
from liangxian.obligations.services import rules_load
from liangxian.org.models import Role, UnitKind
from liangxian.registry.models import Person
from liangxian.registry.tests import factories as f
from liangxian.roster import checks
from liangxian.roster.models import (
    AbnormalItem,
    AbnormalStep,
    RosterBuild,
    RosterEntry,
    RosterTransmission,
    TransmissionStatus,
)
from liangxian.roster.transmission import (
    RosterLoopError,
    roster_transmission_approve,
    roster_transmission_receive,
    roster_transmission_send,
)

pytestmark = pytest.mark.django_db

YEAR = 2027


def ident(serial: int, born: str = "19800101") -> str:
    body = f"653123{born}{serial:03d}"
    return body + check_digit(body)


def make_campaign() -> Campaign:
    now = timezone.now()
    campaign = Campaign.objects.create(
        coverage_year=YEAR,
        collection_year=YEAR - 1,
        name="2027年度城乡居民两险集中征缴",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        status="active",
        created_at=now,
        updated_at=now,
    )
    ContributionTier.objects.create(campaign=campaign, insurance="medical", amount_fen=40000, is_default=True)
    for yuan in (100, 200, 300):
        ContributionTier.objects.create(campaign=campaign, insurance="pension", amount_fen=yuan * 100)
    EligibilityRule.objects.create(campaign=campaign, insurance="medical")
    EligibilityRule.objects.create(campaign=campaign, insurance="pension", min_age=16, max_age=60, age_on="01-01")
    return campaign


def make_build(campaign: Campaign, number: int = 1) -> RosterBuild:
    return RosterBuild.objects.create(
        campaign=campaign, number=number, campaign_revision=1, started_at=timezone.now(), status="done"
    )


def entry(
    campaign: Campaign,
    build: RosterBuild,
    person: Person,
    insurance: str = "medical",
    *,
    amount: int = 40000,
    gov: int = 0,
    own: int | None = None,
    category: str = "",
    others: str = "",
    must_pay: bool = True,
) -> RosterEntry:
    return RosterEntry.objects.create(
        campaign=campaign,
        person=person,
        insurance=insurance,
        must_pay=must_pay,
        amount_fen=amount,
        gov_fen=gov,
        own_fen=amount - gov if own is None else own,
        daijiao_category=category,
        other_categories=others,
        township_code=person.township_code,
        village_code=person.village_code,
        build=build,
    )


@pytest.fixture
def county() -> dict[str, Any]:
    """Two townships, tax, medical insurance, social security, civil affairs, and a campaign with one build."""
    f.county()
    rules_load(actor=None)
    calendar_seed(actor=None, first_year=2026, last_year=2026)
    calendar_year_confirm(actor=None, year=2026)
    units = {
        name: f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department=name, code=f"653123-{name}")
        for name in ("tax", "medical", "social", "civil", "police")
    }
    town = f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code=f.TOWN_A)
    campaign = make_campaign()
    return {
        "campaign": campaign,
        "build": make_build(campaign),
        "units": units,
        "tax": f.user(units["tax"], username="tax1", full_name="税务员"),
        "medical": f.user(units["medical"], username="med1", full_name="医保员"),
        "medical_leader": f.user(units["medical"], Role.LEADER, username="medlead"),
        "social": f.user(units["social"], username="soc1"),
        "civil": f.user(units["civil"], username="civ1"),
        "township": f.user(town, Role.SPECIALIST, username="town1"),
    }


def small_roster(county: dict[str, Any]) -> dict[str, RosterEntry]:
    """One clean entry and one entry of each abnormal kind; returns the entries by label."""
    c, b = county["campaign"], county["build"]
    va = f.VILLAGE_A1
    out: dict[str, RosterEntry] = {}
    out["clean"] = entry(c, b, f.person(va, name="艾力", id_number=ident(1)))
    bad = ident(2)[:17] + ("1" if ident(2)[17] != "1" else "2")
    out["invalid"] = entry(c, b, f.person(va, name="王芳", id_number=bad))
    # The 15-digit spelling of number 3: damaged, and the same person as the 18-digit holder.
    holder = f.person(va, name="李四", id_number=ident(3))
    out["dup_18"] = entry(c, b, holder)
    out["dup_15"] = entry(c, b, f.person(va, name="李四", id_number=ident(3)[:6] + ident(3)[8:17]))
    born = date(1985, 5, 5)
    out["twin_a"] = entry(c, b, f.person(va, name="张三", birth_date=born, id_number=ident(4, "19850505")))
    out["twin_b"] = entry(c, b, f.person(f.VILLAGE_B1, name="张三", birth_date=born, id_number=ident(5, "19850505")))
    out["dead"] = entry(c, b, f.person(va, name="周五", status="deceased", id_number=ident(6)))
    out["gone"] = entry(c, b, f.person(va, name="吴六", status="moved_away", id_number=ident(7)))
    old = f.person(va, name="老人", birth_date=date(1960, 6, 1), id_number=ident(8, "19600601"))
    out["old"] = entry(c, b, old, "pension", amount=10000)
    young = f.person(va, name="少年", birth_date=date(2012, 3, 1), id_number=ident(9, "20120301"))
    out["young"] = entry(c, b, young, "pension", amount=10000)
    out["conflict"] = entry(
        c,
        b,
        f.person(va, name="特困低保", id_number=ident(10)),
        gov=40000,
        category="special_hardship",
        others="minimum_allowance",
    )
    grown = f.person(va, name="成年孤儿", birth_date=date(2000, 2, 2), id_number=ident(11, "20000202"))
    out["orphan"] = entry(c, b, grown, gov=40000, category="orphan")
    out["off_tier"] = entry(c, b, f.person(va, name="错档", id_number=ident(12)), amount=35000)
    out["unbalanced"] = entry(c, b, f.person(va, name="不平", id_number=ident(13)), gov=10000, own=20000)
    # Not on the roster sent to tax: not liable.
    out["not_liable"] = entry(c, b, f.person(va, name="不缴", status="deceased", id_number=ident(14)), must_pay=False)
    return out


def kinds_by_entry(transmission: RosterTransmission) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for entry_id, kind in AbnormalItem.objects.filter(transmission=transmission).values_list("entry_id", "kind"):
        out.setdefault(entry_id, set()).add(kind)
    return out


def send_and_receive(
    county: dict[str, Any], insurance: str = "medical", today: date | None = None
) -> RosterTransmission:
    sender = county["medical"] if insurance == "medical" else county["social"]
    sent = roster_transmission_approve(actor=sender, campaign=county["campaign"], insurance=insurance)
    roster_transmission_send(actor=sender, transmission=sent)
    return roster_transmission_receive(actor=county["tax"], transmission=sent, today=today or date(2026, 9, 25))


# --- approval and sending ---------------------------------------------------------------------------------------


def test_medical_approves_and_sends_the_latest_build_and_the_digest_counts_must_pay_entries(county: dict) -> None:
    roster = small_roster(county)
    sent = roster_transmission_approve(actor=county["medical_leader"], campaign=county["campaign"], insurance="medical")
    assert sent.status == TransmissionStatus.APPROVED
    assert sent.build == county["build"]
    medical_must_pay = sum(1 for e in roster.values() if e.insurance == "medical" and e.must_pay)
    assert sent.entries == medical_must_pay == 12
    assert len(sent.digest) == 64
    roster_transmission_send(actor=county["medical"], transmission=sent)
    sent.refresh_from_db()
    assert sent.status == TransmissionStatus.SENT and sent.sent_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"roster.transmission.approve", "roster.transmission.send"} <= actions


def test_only_the_department_of_the_insurance_approves_and_a_build_is_approved_once(county: dict) -> None:
    small_roster(county)
    for user, insurance in ((county["social"], "medical"), (county["medical"], "pension"), (county["tax"], "medical")):
        with pytest.raises(RosterLoopError) as caught:
            roster_transmission_approve(actor=user, campaign=county["campaign"], insurance=insurance)
        assert caught.value.code == "not_sender"
    roster_transmission_approve(actor=county["social"], campaign=county["campaign"], insurance="pension")
    with pytest.raises(RosterLoopError) as again:
        roster_transmission_approve(actor=county["social"], campaign=county["campaign"], insurance="pension")
    assert again.value.code == "already_approved"


def test_a_roster_rebuilt_after_approval_cannot_be_sent(county: dict) -> None:
    small_roster(county)
    sent = roster_transmission_approve(actor=county["medical"], campaign=county["campaign"], insurance="medical")
    make_build(county["campaign"], number=2)
    with pytest.raises(RosterLoopError) as caught:
        roster_transmission_send(actor=county["medical"], transmission=sent)
    assert caught.value.code == "stale_build"


def test_without_a_finished_build_nothing_is_approved(county: dict) -> None:
    RosterBuild.objects.filter(pk=county["build"].pk).update(status="running")
    with pytest.raises(RosterLoopError) as caught:
        roster_transmission_approve(actor=county["medical"], campaign=county["campaign"], insurance="medical")
    assert caught.value.code == "no_build"


def test_only_tax_receives_and_only_once(county: dict) -> None:
    small_roster(county)
    sent = roster_transmission_approve(actor=county["medical"], campaign=county["campaign"], insurance="medical")
    with pytest.raises(RosterLoopError) as early:
        roster_transmission_receive(actor=county["tax"], transmission=sent)
    assert early.value.code == "not_sent"
    roster_transmission_send(actor=county["medical"], transmission=sent)
    with pytest.raises(RosterLoopError) as wrong:
        roster_transmission_receive(actor=county["medical"], transmission=sent)
    assert wrong.value.code == "not_tax"
    roster_transmission_receive(actor=county["tax"], transmission=sent)
    with pytest.raises(RosterLoopError) as twice:
        roster_transmission_receive(actor=county["tax"], transmission=sent)
    assert twice.value.code == "not_sent"


# --- the checks: each abnormal kind ---------------------------------------------------------------------------


def test_receipt_finds_each_abnormal_kind_on_a_small_medical_roster(county: dict) -> None:
    roster = small_roster(county)
    sent = send_and_receive(county)
    found = kinds_by_entry(sent)
    assert roster["clean"].pk not in found
    assert found[roster["invalid"].pk] == {"invalid_id"}
    assert found[roster["dup_18"].pk] == {"duplicate"}
    assert found[roster["dup_15"].pk] == {"invalid_id", "duplicate"}  # damaged spelling and a second holder
    assert found[roster["twin_a"].pk] == found[roster["twin_b"].pk] == {"duplicate"}
    assert found[roster["dead"].pk] == {"deceased"}
    assert found[roster["gone"].pk] == {"deregistered"}
    assert found[roster["conflict"].pk] == {"conflicting_categories"}
    assert found[roster["orphan"].pk] == {"conflicting_categories"}
    assert found[roster["off_tier"].pk] == {"amount_mismatch"}
    assert found[roster["unbalanced"].pk] == {"amount_mismatch"}
    assert roster["not_liable"].pk not in found  # not on the roster sent
    assert roster["old"].pk not in found  # pension entries travel with social security's roster
    sent.refresh_from_db()
    assert sent.status == TransmissionStatus.RECEIVED and sent.received_by == county["tax"]
    items = AbnormalItem.objects.filter(transmission=sent)
    assert items.count() == 12
    assert set(items.values_list("department__code", flat=True)) == {"653123-medical"}
    assert AbnormalStep.objects.filter(item__transmission=sent, action="raised").count() == 12
    detail = items.get(entry=roster["off_tier"]).detail
    assert detail == "缴费金额350.00元不在本年度缴费档次内"
    assert items.get(entry=roster["unbalanced"]).detail == "个人缴纳200.00元与代缴100.00元之和不等于缴费金额400.00元"
    assert "特困人员与低保对象" in items.get(entry=roster["conflict"]).detail
    assert items.get(entry=roster["orphan"]).detail == "在孤儿名单上，但2027-01-01已满26周岁"


def test_pension_ages_outside_16_to_60_on_1_january_are_out_of_range(county: dict) -> None:
    roster = small_roster(county)
    # one in range: 40 on 2027-01-01
    fine = entry(
        county["campaign"],
        county["build"],
        f.person(f.VILLAGE_A1, name="中年", birth_date=date(1986, 12, 31), id_number=ident(20, "19861231")),
        "pension",
        amount=20000,
    )
    sent = send_and_receive(county, "pension")
    found = kinds_by_entry(sent)
    assert found == {roster["old"].pk: {"age_out_of_range"}, roster["young"].pk: {"age_out_of_range"}}
    assert fine.pk not in found
    details = dict(AbnormalItem.objects.filter(transmission=sent).values_list("entry_id", "detail"))
    assert details[roster["old"].pk] == "2027-01-01年满66周岁，不在应缴年龄（16–60周岁，不含上限）内"
    assert details[roster["young"].pk].startswith("2027-01-01年满14周岁")
    assert set(AbnormalItem.objects.filter(transmission=sent).values_list("department__code", flat=True)) == {
        "653123-social"
    }


def test_age_is_reckoned_on_the_campaign_day_birthday_included() -> None:
    rules = checks.CheckRules(tiers_fen=(10000,), min_age=16, max_age=60, age_on=date(2027, 1, 1))
    import polars as pl

    frame = pl.DataFrame({"_born": [date(1967, 1, 1), date(1967, 1, 2), date(2011, 1, 1), date(2011, 1, 2)]})
    ages = frame.select(checks._age(rules).alias("age"))["age"].to_list()
    assert ages == [60, 59, 16, 15]


def test_a_clean_roster_raises_nothing(county: dict) -> None:
    entry(county["campaign"], county["build"], f.person(f.VILLAGE_A1, id_number=ident(30)))
    sent = send_and_receive(county)
    assert AbnormalItem.objects.filter(transmission=sent).count() == 0
    assert AuditEvent.objects.filter(action="roster.transmission.receive", object_id=str(sent.pk)).exists()


def test_lists_opened_in_the_register_after_the_build_count_as_conflicting() -> None:
    import polars as pl

    # Given an entry built with 低保 only, and the register now also holding him on the 特困 list
    entries = pl.DataFrame(
        {
            "entry_id": [1, 2],
            "person_id": [10, 20],
            "id_number": ["a", "b"],
            "township_code": ["653123100", "653123100"],
            "village_code": ["653123100001", "653123100001"],
            "daijiao_category": ["minimum_allowance", ""],
            "other_categories": ["", ""],
            "_born": [date(1970, 1, 1), date(1970, 1, 1)],
        }
    )
    categories = pl.DataFrame({"person_id": [10, 20], "category": ["special_hardship", "disabled"]})
    rules = checks.CheckRules(tiers_fen=(40000,), min_age=None, max_age=None, age_on=date(2027, 1, 1))
    # When the categories are checked
    found = checks.check_categories(entries, categories, rules)
    # Then only the first is conflicting, with the pair named
    assert found["entry_id"].to_list() == [1]
    assert found["detail"].to_list() == ["特困人员与低保对象不应同时在册"]
