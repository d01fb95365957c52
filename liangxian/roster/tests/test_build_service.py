"""The roster build (Art 7, 16-17; SPEC 4, 11): each eligibility and 代缴 rule with its numbers, rebuilds, failure."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from liangxian.campaigns.models import Campaign, ContributionTier, DaijiaoRule
from liangxian.core.models import AuditEvent
from liangxian.org.models import UnitKind
from liangxian.registry.models import Person, PersonCategory
from liangxian.registry.tests import exchange_fixtures as xf
from liangxian.registry.tests import factories as f
from liangxian.roster import build as build_module
from liangxian.roster.build import RosterBuildError, roster_build
from liangxian.roster.models import RosterBuild, RosterChange, RosterEntry, SurveyMark
from liangxian.roster.tests.build_fixtures import campaign_with_rules

pytestmark = pytest.mark.django_db

YEAR = 2027  # coverage year; ages are reckoned on 1 January 2027


def make_campaign(year: int = YEAR) -> Campaign:
    """Create the coverage-2027 campaign with medical 400 yuan and the national pension tiers (default 200)."""
    campaign = campaign_with_rules(year)
    for insurance in ("medical", "pension"):
        DaijiaoRule.objects.create(
            campaign=campaign, insurance=insurance, category="special_hardship", label="特困", mode="full", priority=1
        )
        DaijiaoRule.objects.create(
            campaign=campaign, insurance=insurance, category="orphan", label="孤儿", mode="full", priority=2
        )
        DaijiaoRule.objects.create(
            campaign=campaign,
            insurance=insurance,
            category="minimum_allowance",
            label="低保",
            mode="fixed",
            amount_fen=20000 if insurance == "medical" else 10000,
            priority=3,
        )
        DaijiaoRule.objects.create(
            campaign=campaign,
            insurance=insurance,
            category="disabled",
            label="重度残疾",
            details=["一级", "二级"],
            mode="fixed",
            amount_fen=20000 if insurance == "medical" else 10000,
            priority=5,
        )
    return campaign


class Lists:
    """The lists in force for the tests: one submission per category, opened directly on the register."""

    def __init__(self) -> None:
        self.unit = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="civil", code="dept-civil-lists")
        self.user = f.user(self.unit)
        self.submissions: dict[str, Any] = {}

    def submission(self, category: str) -> Any:
        if category not in self.submissions:
            ds = xf.dataset(f"test.{category}", provider="civil", category=category, columns=[])
            self.submissions[category] = xf.submission(ds, self.unit, self.user, [])
        return self.submissions[category]

    def put(self, person: Person, category: str, detail: str = "") -> PersonCategory:
        sub = self.submission(category)
        return PersonCategory.objects.create(
            person=person,
            category=category,
            detail=detail,
            dataset=sub.dataset_id,
            submission=sub,
            since=timezone.now(),
        )

    def mark(self, campaign: Campaign, person: Person, mark: str) -> SurveyMark:
        return SurveyMark.objects.create(
            campaign=campaign,
            person=person,
            mark=mark,
            submission=self.submission("township.village_survey"),
            township_code=person.township_code,
            village_code=person.village_code,
            since=timezone.now(),
        )


@pytest.fixture
def county() -> dict[str, Any]:
    divisions = f.county()
    medical = f.user(f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="medical", code="dept-medical"))
    return {"divisions": divisions, "medical": medical, "lists": Lists(), "campaign": make_campaign()}


def born(age: int, *, on: date = date(YEAR, 1, 1)) -> date:
    """Return the birth date of someone who has just reached ``age`` on the day ages are reckoned."""
    return on.replace(year=on.year - age)


def entry(person: Person, insurance: str) -> RosterEntry:
    return RosterEntry.objects.get(person=person, insurance=insurance)


# ------------------------------------------------------------------------------------------------- eligibility


@pytest.mark.parametrize(
    ("age", "must_pay", "reason"),
    [(15, False, "under_age"), (16, True, ""), (59, True, ""), (60, False, "over_age"), (75, False, "over_age")],
)
def test_pension_is_paid_from_16_to_under_60_and_those_60_and_over_draw(
    county: dict[str, Any], age: int, must_pay: bool, reason: str
) -> None:
    # Given a resident who has just turned ``age`` on 1 January of the coverage year
    person = f.person(f.VILLAGE_A1, birth_date=born(age))
    # When the roster is built
    roster_build(actor=county["medical"], campaign=county["campaign"])
    # Then pension follows the age rule, and medical insurance is due at any age
    pension = entry(person, "pension")
    assert (pension.must_pay, pension.reason) == (must_pay, reason)
    assert pension.amount_fen == (20000 if must_pay else 0)
    assert entry(person, "medical").must_pay is True
    assert entry(person, "medical").amount_fen == 40000


def test_a_59_year_old_whose_birthday_is_after_the_reckoning_day_still_pays(county: dict[str, Any]) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=date(YEAR - 60, 1, 2))  # turns 60 on 2 January 2027
    roster_build(actor=county["medical"], campaign=county["campaign"])
    assert entry(person, "pension").must_pay is True


def test_a_student_is_not_on_the_pension_roster_but_pays_medical_insurance(county: dict[str, Any]) -> None:
    student = f.person(f.VILLAGE_A1, birth_date=born(18))
    county["lists"].put(student, "student", "英吉沙县第一中学")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    assert (entry(student, "pension").must_pay, entry(student, "pension").reason) == (False, "student")
    medical = entry(student, "medical")
    assert (medical.must_pay, medical.amount_fen, medical.own_fen) == (True, 40000, 40000)


@pytest.mark.parametrize("status", ["deceased", "moved_away"])
def test_deceased_and_moved_away_are_excluded_with_their_reason(county: dict[str, Any], status: str) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=born(40), status=status)
    roster_build(actor=county["medical"], campaign=county["campaign"])
    for insurance in ("medical", "pension"):
        e = entry(person, insurance)
        assert (e.must_pay, e.reason, e.amount_fen, e.gov_fen, e.own_fen) == (False, status, 0, 0, 0)


def test_employees_scheme_and_a_household_registered_elsewhere_are_excluded(county: dict[str, Any]) -> None:
    employee = f.person(f.VILLAGE_A1, birth_date=born(40))
    floating = f.person(f.VILLAGE_A1, birth_date=born(40))
    county["lists"].put(employee, "employee_scheme")
    county["lists"].put(floating, "floating_population")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    assert entry(employee, "medical").reason == "employee_scheme"
    assert entry(employee, "pension").reason == "employee_scheme"
    assert (entry(floating, "medical").must_pay, entry(floating, "medical").reason) == (False, "not_local")


def test_survey_gone_is_not_liable_awaiting_public_security_and_cash_only_is_kept(county: dict[str, Any]) -> None:
    gone = f.person(f.VILLAGE_A1, birth_date=born(40))
    cash = f.person(f.VILLAGE_A1, birth_date=born(40))
    campaign = county["campaign"]
    county["lists"].mark(campaign, gone, "gone")
    county["lists"].mark(campaign, cash, "cash_only")
    roster_build(actor=county["medical"], campaign=campaign)
    assert (entry(gone, "medical").must_pay, entry(gone, "medical").reason) == (False, "survey_gone")
    assert entry(cash, "medical").cash_only is True
    assert entry(cash, "pension").cash_only is True
    assert entry(cash, "medical").must_pay is True
    assert entry(gone, "pension").cash_only is False


# ------------------------------------------------------------------------------------------------------- 代缴


def test_special_hardship_full_government_pays_the_400_yuan_medical_contribution(county: dict[str, Any]) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=born(40))
    county["lists"].put(person, "special_hardship")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    medical = entry(person, "medical")
    assert (medical.daijiao_category, medical.amount_fen, medical.gov_fen, medical.own_fen) == (
        "special_hardship",
        40000,
        40000,
        0,
    )
    assert medical.subsidy_fen == 70000  # the per-person fiscal subsidy is a 补贴, not 代缴


def test_special_hardship_full_pension_is_the_lowest_tier_100_paid_by_the_government(county: dict[str, Any]) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=born(40))
    county["lists"].put(person, "special_hardship")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    pension = entry(person, "pension")
    assert (pension.amount_fen, pension.gov_fen, pension.own_fen, pension.subsidy_fen) == (10000, 10000, 0, 3000)
    assert pension.tiers.split(",")[0] == "10000" and pension.tiers.split(",")[-1] == "200000"


def test_minimum_allowance_fixed_200_yuan_leaves_200_of_the_400_to_pay(county: dict[str, Any]) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=born(40))
    county["lists"].put(person, "minimum_allowance", "A类")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    medical = entry(person, "medical")
    assert (medical.daijiao_category, medical.gov_fen, medical.own_fen) == ("minimum_allowance", 20000, 20000)
    pension = entry(person, "pension")  # default tier 200 yuan, 100 of it paid for him
    assert (pension.amount_fen, pension.gov_fen, pension.own_fen) == (20000, 10000, 10000)


def test_on_both_lists_special_hardship_wins_and_minimum_allowance_is_kept(county: dict[str, Any]) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=born(40))
    county["lists"].put(person, "minimum_allowance")
    county["lists"].put(person, "special_hardship")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    medical = entry(person, "medical")
    assert (medical.daijiao_category, medical.other_categories) == ("special_hardship", "minimum_allowance")
    assert (medical.gov_fen, medical.own_fen) == (40000, 0)


def test_only_the_severe_disability_grades_count_for_daijiao(county: dict[str, Any]) -> None:
    severe = f.person(f.VILLAGE_A1, birth_date=born(40))
    mild = f.person(f.VILLAGE_A1, birth_date=born(40))
    county["lists"].put(severe, "disabled", "二级")
    county["lists"].put(mild, "disabled", "四级")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    assert (entry(severe, "medical").daijiao_category, entry(severe, "medical").own_fen) == ("disabled", 20000)
    assert (entry(mild, "medical").daijiao_category, entry(mild, "medical").own_fen) == ("", 40000)


def test_a_person_not_liable_keeps_no_daijiao_and_zero_amounts(county: dict[str, Any]) -> None:
    old = f.person(f.VILLAGE_A1, birth_date=born(70))
    county["lists"].put(old, "special_hardship")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    pension = entry(old, "pension")
    assert (pension.must_pay, pension.reason, pension.gov_fen, pension.daijiao_category) == (False, "over_age", 0, "")
    assert entry(old, "medical").gov_fen == 40000


# --------------------------------------------------------------------------------------------- builds and changes


def test_build_records_counts_sources_and_an_audit_event(county: dict[str, Any]) -> None:
    f.person(f.VILLAGE_A1, birth_date=born(40))
    poor = f.person(f.VILLAGE_A2, birth_date=born(70))
    county["lists"].put(poor, "special_hardship")
    build = roster_build(actor=county["medical"], campaign=county["campaign"])
    assert build.status == "done" and build.number == 1
    assert build.counts["entries"] == 4 and build.counts["must_pay"] == 3
    assert build.counts["by_insurance"]["pension"]["by_reason"] == {"over_age": 1}
    assert build.counts["by_insurance"]["medical"]["by_category"] == {"special_hardship": 1}
    assert build.changes == {"added": 4, "removed": 0, "changed": 0, "unchanged": 0, "first": True}
    assert list(build.sources) == ["test.special_hardship"]
    event = AuditEvent.objects.filter(action="roster.build").latest("seq")
    assert event.object_id == str(build.pk) and event.payload["entries"] == 4


def test_rebuilding_with_nothing_changed_changes_no_entry_and_records_no_change(county: dict[str, Any]) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=born(40))
    county["lists"].put(person, "minimum_allowance")
    first = roster_build(actor=county["medical"], campaign=county["campaign"])
    before = list(RosterEntry.objects.order_by("pk").values())
    second = roster_build(actor=county["medical"], campaign=county["campaign"])
    assert second.number == 2
    assert second.changes == {"added": 0, "removed": 0, "changed": 0, "unchanged": 2, "first": False}
    assert list(RosterEntry.objects.order_by("pk").values()) == before
    assert all(e["build_id"] == first.pk for e in before)
    assert not RosterChange.objects.filter(build=second).exists()


def test_a_category_change_shows_as_a_change_with_its_fields(county: dict[str, Any]) -> None:
    # Given a built roster with a resident on the minimum-allowance list
    person = f.person(f.VILLAGE_A1, birth_date=born(40))
    newcomer_village = f.VILLAGE_B1
    county["lists"].put(person, "minimum_allowance")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    # When civil affairs adds him to the special-hardship list and a new resident is registered
    county["lists"].put(person, "special_hardship")
    newcomer = f.person(newcomer_village, birth_date=born(30))
    build = roster_build(actor=county["medical"], campaign=county["campaign"])
    # Then the rebuild updates his entries and records which fields changed, before and after
    assert build.changes["changed"] == 2 and build.changes["added"] == 2
    change = RosterChange.objects.get(build=build, person_id=person.pk, insurance="medical")
    assert change.kind == "changed"
    assert change.fields["daijiao_category"] == ["minimum_allowance", "special_hardship"]
    assert change.fields["gov_fen"] == [20000, 40000]
    assert change.fields["own_fen"] == [20000, 0]
    assert change.fields["other_categories"] == ["", "minimum_allowance"]
    assert "amount_fen" not in change.fields
    assert entry(person, "medical").build_id == build.pk
    added = RosterChange.objects.filter(build=build, kind="added").values_list("person_id", flat=True)
    assert set(added) == {newcomer.pk}


def test_a_death_turns_a_payer_into_not_liable_on_rebuild(county: dict[str, Any]) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=born(40))
    roster_build(actor=county["medical"], campaign=county["campaign"])
    Person.objects.filter(pk=person.pk).update(status="deceased")
    build = roster_build(actor=county["medical"], campaign=county["campaign"])
    change = RosterChange.objects.get(build=build, person_id=person.pk, insurance="pension")
    assert change.fields["must_pay"] == [True, False]
    assert change.fields["reason"] == ["", "deceased"]
    assert change.fields["amount_fen"] == [20000, 0]


def test_a_failure_leaves_the_previous_roster_and_records_the_failed_build(
    county: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = f.person(f.VILLAGE_A1, birth_date=born(40))
    roster_build(actor=county["medical"], campaign=county["campaign"])
    before = list(RosterEntry.objects.order_by("pk").values())
    county["lists"].put(person, "special_hardship")
    real_insert = build_module.bulk_insert

    def insert_then_fail(target: Any, frame: Any, **kwargs: Any) -> int:
        real_insert(target, frame, **kwargs)
        if target is RosterChange:
            raise RuntimeError("disk full")
        return frame.height

    monkeypatch.setattr(build_module, "bulk_insert", insert_then_fail)
    with pytest.raises(RosterBuildError) as failed:
        roster_build(actor=county["medical"], campaign=county["campaign"])
    assert failed.value.code == "build_failed"
    assert list(RosterEntry.objects.order_by("pk").values()) == before
    build = RosterBuild.objects.get(number=2)
    assert build.status == "failed" and "disk full" in build.error
    assert not RosterChange.objects.exists()
    assert AuditEvent.objects.filter(action="roster.build_failed", object_id=str(build.pk)).exists()


def test_only_medical_social_and_tax_staff_may_build(county: dict[str, Any]) -> None:
    civil = county["lists"].user
    with pytest.raises(RosterBuildError) as refused:
        roster_build(actor=civil, campaign=county["campaign"])
    assert refused.value.code == "not_allowed"
    assert not RosterBuild.objects.exists()


def test_a_campaign_without_amounts_is_refused(county: dict[str, Any]) -> None:
    ContributionTier.objects.all().delete()
    with pytest.raises(RosterBuildError) as refused:
        roster_build(actor=county["medical"], campaign=county["campaign"])
    assert refused.value.code == "no_tiers"


def _entry_indexes() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, RosterEntry._meta.db_table)
    return {name for name, spec in found.items() if spec["index"]}


def test_a_first_build_puts_back_every_index_it_set_aside_for_the_load(county: dict[str, Any]) -> None:
    f.person(f.VILLAGE_A1, birth_date=born(40))
    before = _entry_indexes()
    roster_build(actor=county["medical"], campaign=county["campaign"])
    assert _entry_indexes() == before
    assert len(before) >= 5


def test_a_first_build_failing_mid_load_leaves_no_entry_and_every_index(
    county: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    f.person(f.VILLAGE_A1, birth_date=born(40))
    before = _entry_indexes()

    def fail(target: Any, frame: Any, **kwargs: Any) -> int:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(build_module, "bulk_insert", fail)
    with pytest.raises(RosterBuildError):
        roster_build(actor=county["medical"], campaign=county["campaign"])
    assert not RosterEntry.objects.exists()
    assert _entry_indexes() == before
    assert RosterBuild.objects.get().status == "failed"


def test_a_build_streamed_by_township_gives_the_same_roster_and_counts(
    county: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given residents in two townships, one of whom moves between them after the first build
    mover = f.person(f.VILLAGE_A1, birth_date=born(40))
    county["lists"].put(mover, "minimum_allowance")
    f.person(f.VILLAGE_B1, birth_date=born(70))
    whole = roster_build(actor=county["medical"], campaign=county["campaign"])
    # When the register counts as large, so that the build goes township by township
    monkeypatch.setattr(build_module, "STREAM_ABOVE", 0)
    same = roster_build(actor=county["medical"], campaign=county["campaign"])
    Person.objects.filter(pk=mover.pk).update(township_code=f.TOWN_B, village_code=f.VILLAGE_B1)
    moved = roster_build(actor=county["medical"], campaign=county["campaign"])
    # Then the counts are those of the single pass, and the move is a change, not a removal and an addition
    assert same.counts == whole.counts
    assert same.changes["changed"] == 0 and same.changes["unchanged"] == 4
    assert (moved.changes["changed"], moved.changes["added"], moved.changes["removed"]) == (2, 0, 0)
    assert RosterChange.objects.get(build=moved, insurance="medical").fields["village_code"] == [
        f.VILLAGE_A1,
        f.VILLAGE_B1,
    ]


def test_an_empty_register_builds_an_empty_roster(county: dict[str, Any]) -> None:
    build = roster_build(actor=county["medical"], campaign=county["campaign"])
    assert (build.status, build.counts["entries"], build.changes["added"]) == ("done", 0, 0)
