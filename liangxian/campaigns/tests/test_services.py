"""The campaign's writes: created from the defaults, each edit a revision with what changed, validation, rights."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from liangxian.campaigns import rules, services
from liangxian.campaigns.errors import CampaignError
from liangxian.campaigns.models import Campaign, CampaignRevision, ContributionTier, DaijiaoRule, ExpansionTarget
from liangxian.campaigns.rules import Tier
from liangxian.core.models import AuditEvent
from liangxian.registry.tests import factories as f

YUAN = 100


def test_create_fills_the_spec_11_defaults(campaign: Campaign) -> None:
    medical = ContributionTier.objects.get(campaign=campaign, insurance="medical")
    assert (medical.amount_fen, medical.subsidy_fen, medical.is_default) == (400 * YUAN, 700 * YUAN, True)
    pension = list(ContributionTier.objects.filter(campaign=campaign, insurance="pension").order_by("amount_fen"))
    assert [t.amount_fen // YUAN for t in pension] == [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500, 2000]
    assert [t.subsidy_fen // YUAN for t in pension][:5] == [30, 30, 30, 30, 60]
    assert [t.amount_fen for t in pension if t.is_default] == [100 * YUAN]
    hardship = DaijiaoRule.objects.get(campaign=campaign, insurance="pension", category="special_hardship")
    assert hardship.mode == "full" and hardship.priority == 10
    disabled = DaijiaoRule.objects.get(campaign=campaign, insurance="medical", category="disabled")
    assert (disabled.mode, disabled.amount_fen, disabled.details) == ("fixed", 200 * YUAN, ["一级", "二级"])
    pension_rule = campaign.eligibility_rules.get(insurance="pension")
    assert (pension_rule.min_age, pension_rule.max_age) == (16, 60)
    assert pension_rule.exclude_categories == ["student", "employee_scheme"]
    assert pension_rule.over_age_reason == "60 周岁及以上按月领取待遇，不再缴费"
    # and revision 1 holds the snapshot, with an audit row
    revision = CampaignRevision.objects.get(campaign=campaign)
    assert revision.number == 1 and campaign.revision == 1
    assert revision.snapshot["tiers"]["medical"][0]["amount"] == "400.00"
    assert AuditEvent.objects.filter(action="campaign.create", object_id=str(campaign.pk)).exists()


@pytest.mark.parametrize(("year", "amount", "subsidy"), [(2022, 350, 610), (2023, 380, 640), (2024, 400, 670)])
def test_the_medical_default_follows_the_coverage_year(
    county: dict[str, Any], year: int, amount: int, subsidy: int
) -> None:
    c = services.campaign_create(
        actor=county["tax"],
        coverage_year=year,
        collection_year=year - 1,
        period_start=dt.date(year - 1, 9, 1),
        period_end=dt.date(year - 1, 12, 31),
    )
    tier = ContributionTier.objects.get(campaign=c, insurance="medical")
    assert (tier.amount_fen, tier.subsidy_fen) == (amount * YUAN, subsidy * YUAN)


def test_a_period_ending_before_it_starts_is_refused(county: dict[str, Any]) -> None:
    with pytest.raises(CampaignError) as err:
        services.campaign_create(
            actor=county["tax"],
            coverage_year=2027,
            collection_year=2026,
            period_start=dt.date(2026, 12, 31),
            period_end=dt.date(2026, 10, 8),
        )
    assert err.value.code == "period_order"
    assert not Campaign.objects.exists()


def test_a_second_campaign_of_the_same_year_is_refused(campaign: Campaign, county: dict[str, Any]) -> None:
    with pytest.raises(CampaignError) as err:
        services.campaign_create(
            actor=county["tax"],
            coverage_year=2027,
            collection_year=2026,
            period_start=dt.date(2026, 10, 8),
            period_end=dt.date(2026, 12, 31),
        )
    assert err.value.code == "exists"


def test_editing_a_tier_makes_a_revision_with_what_changed(campaign: Campaign, county: dict[str, Any]) -> None:
    # given the default pension tiers; when social security raises the 100 tier's subsidy to 40 yuan
    tiers = [
        Tier(t.amount_fen, 40 * YUAN if t.amount_fen == 100 * YUAN else t.subsidy_fen, t.is_default)
        for t in services.tiers_of(campaign, "pension")
    ]
    services.campaign_tiers_set(
        actor=county["social"], campaign=campaign, insurance="pension", tiers=tiers, reason="县里提高补贴"
    )
    # then the campaign is at revision 2 and the revision names the change, before and after
    campaign.refresh_from_db()
    assert campaign.revision == 2
    revision = CampaignRevision.objects.get(campaign=campaign, number=2)
    assert revision.reason == "县里提高补贴" and revision.changed_by == county["social"]
    assert revision.changed == [
        {
            "key": "tiers.pension.100.00",
            "part": "tiers",
            "before": {"subsidy": "30.00", "default": True, "region": False},
            "after": {"subsidy": "40.00", "default": True, "region": False},
        }
    ]
    assert rules.subsidy_fen(services.tiers_of(campaign, "pension"), 100 * YUAN) == 40 * YUAN
    assert AuditEvent.objects.filter(action="campaign.tiers_set").count() == 1


def test_an_edit_that_changes_nothing_makes_no_revision(campaign: Campaign, county: dict[str, Any]) -> None:
    services.campaign_tiers_set(
        actor=county["tax"], campaign=campaign, insurance="pension", tiers=services.tiers_of(campaign, "pension")
    )
    campaign.refresh_from_db()
    assert campaign.revision == 1 and CampaignRevision.objects.filter(campaign=campaign).count() == 1


def test_a_region_may_add_a_tier(campaign: Campaign, county: dict[str, Any]) -> None:
    tiers = [*services.tiers_of(campaign, "pension"), Tier(3000 * YUAN, 80 * YUAN, False, True)]
    services.campaign_tiers_set(actor=county["social"], campaign=campaign, insurance="pension", tiers=tiers)
    added = ContributionTier.objects.get(campaign=campaign, insurance="pension", amount_fen=3000 * YUAN)
    assert added.added_by_region and added.subsidy_fen == 80 * YUAN


@pytest.mark.parametrize(
    ("tiers", "code"),
    [
        ([Tier(0, 0, True)], "bad_tiers"),
        ([Tier(100 * YUAN, 30 * YUAN, True), Tier(100 * YUAN, 60 * YUAN)], "bad_tiers"),
    ],
)
def test_bad_tiers_are_refused_and_change_nothing(
    campaign: Campaign, county: dict[str, Any], tiers: list[Tier], code: str
) -> None:
    with pytest.raises(CampaignError) as err:
        services.campaign_tiers_set(actor=county["tax"], campaign=campaign, insurance="pension", tiers=tiers)
    assert err.value.code == code
    assert ContributionTier.objects.filter(campaign=campaign, insurance="pension").count() == 12


def test_lowering_the_medical_amount_below_a_fixed_daijiao_is_refused(
    campaign: Campaign, county: dict[str, Any]
) -> None:
    # the demo's 低保 fixed amount is 200 yuan of medical insurance; 150 would leave it above the contribution
    with pytest.raises(CampaignError) as err:
        services.campaign_tiers_set(
            actor=county["medical"], campaign=campaign, insurance="medical", tiers=[Tier(150 * YUAN, 700 * YUAN, True)]
        )
    assert err.value.code == "daijiao_above_contribution"


def test_daijiao_fixed_amount_above_the_contribution_is_refused(campaign: Campaign, county: dict[str, Any]) -> None:
    items = [*services.daijiao_of(campaign)]
    items = [
        r
        if (r.category, r.insurance) != ("minimum_allowance", "pension")
        else rules.Daijiao(r.category, r.insurance, "fixed", 150 * YUAN, r.priority, r.details, r.label)
        for r in items
    ]
    with pytest.raises(CampaignError) as err:
        services.campaign_daijiao_rules_set(actor=county["tax"], campaign=campaign, items=items)
    assert err.value.code == "bad_daijiao"
    assert "100.00" in err.value.message
    assert (
        DaijiaoRule.objects.get(campaign=campaign, insurance="pension", category="minimum_allowance").amount_fen
        == 100 * YUAN
    )


def test_daijiao_rules_are_replaced(campaign: Campaign, county: dict[str, Any]) -> None:
    items = [
        rules.Daijiao("special_hardship", "medical", "full", 0, 10, (), "特困人员"),
        rules.Daijiao("minimum_allowance", "medical", "fixed", 300 * YUAN, 40, (), "低保对象"),
    ]
    services.campaign_daijiao_rules_set(actor=county["medical"], campaign=campaign, items=items)
    assert DaijiaoRule.objects.filter(campaign=campaign).count() == 2
    campaign.refresh_from_db()
    changed = CampaignRevision.objects.get(campaign=campaign, number=2).changed
    assert {"daijiao"} == {c["part"] for c in changed}


def test_eligibility_is_validated_and_saved(campaign: Campaign, county: dict[str, Any]) -> None:
    with pytest.raises(CampaignError) as err:
        services.campaign_eligibility_set(
            actor=county["social"], campaign=campaign, insurance="pension", min_age=60, max_age=16
        )
    assert err.value.code == "bad_eligibility"
    services.campaign_eligibility_set(
        actor=county["social"],
        campaign=campaign,
        insurance="pension",
        min_age=16,
        max_age=65,
        exclude_categories=["student"],
        exclude_statuses=["deceased"],
    )
    rule = campaign.eligibility_rules.get(insurance="pension")
    assert rule.max_age == 65 and rule.exclude_categories == ["student"]


def test_period_and_status_and_county_deadlines(campaign: Campaign, county: dict[str, Any]) -> None:
    services.campaign_update(
        actor=county["tax_leader"],
        campaign=campaign,
        period_start=dt.date(2026, 10, 9),
        status="active",
        county_deadlines={"list.education.students": "2026-09-15"},
    )
    campaign.refresh_from_db()
    assert campaign.period_start == dt.date(2026, 10, 9) and campaign.status == "active"
    assert campaign.county_deadlines == {"list.education.students": "2026-09-15"}
    keys = {c["key"] for c in CampaignRevision.objects.get(campaign=campaign, number=2).changed}
    assert keys == {"period_start", "status", "county_deadlines.list.education.students"}
    with pytest.raises(CampaignError) as err:
        services.campaign_update(actor=county["tax"], campaign=campaign, period_end=dt.date(2026, 10, 1))
    assert err.value.code == "period_order"


@pytest.mark.parametrize("who", ["civil", "township"])
def test_only_tax_medical_social_and_superusers_edit(campaign: Campaign, county: dict[str, Any], who: str) -> None:
    with pytest.raises(CampaignError) as err:
        services.campaign_update(actor=county[who], campaign=campaign, status="active")
    assert err.value.code == "not_allowed"
    services.campaign_update(actor=county["admin"], campaign=campaign, status="active")
    campaign.refresh_from_db()
    assert campaign.status == "active"


def test_targets_set_and_removed(campaign: Campaign, county: dict[str, Any]) -> None:
    services.campaign_targets_set(
        actor=county["tax"],
        campaign=campaign,
        targets=[
            services.TargetSpec(f.VILLAGE_A1, "medical", 120, "可完成"),
            services.TargetSpec(f.TOWN_A, "medical", 300),
        ],
    )
    assert ExpansionTarget.objects.get(campaign=campaign, division_id=f.VILLAGE_A1).target == 120
    services.campaign_targets_set(
        actor=county["tax"], campaign=campaign, targets=[services.TargetSpec(f.VILLAGE_A1, "medical", None)]
    )
    assert not ExpansionTarget.objects.filter(campaign=campaign, division_id=f.VILLAGE_A1).exists()
    with pytest.raises(CampaignError) as err:
        services.campaign_targets_set(
            actor=county["tax"], campaign=campaign, targets=[services.TargetSpec("999", "medical", 1)]
        )
    assert err.value.code == "bad_targets"


def test_targets_load_from_a_sheet_by_code_or_by_names(campaign: Campaign, county: dict[str, Any]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["区划代码", "乡镇", "村（社区）", "医保扩面目标", "养老扩面目标", "税务部门意见"])
    sheet.append([f.VILLAGE_A1, "英吉沙镇", "一村", 100, 60, "同意"])
    sheet.append(["", "英吉沙镇", "二村", 80, 50, ""])
    sheet.append(["", "芒辛镇", "", 500, 300, ""])
    out = io.BytesIO()
    book.save(out)
    services.campaign_targets_load(actor=county["tax"], campaign=campaign, source=out.getvalue(), filename="目标.xlsx")
    got = {(t.division_id, t.insurance): t.target for t in ExpansionTarget.objects.filter(campaign=campaign)}
    assert got == {
        (f.VILLAGE_A1, "medical"): 100,
        (f.VILLAGE_A1, "pension"): 60,
        (f.VILLAGE_A2, "medical"): 80,
        (f.VILLAGE_A2, "pension"): 50,
        (f.TOWN_B, "medical"): 500,
        (f.TOWN_B, "pension"): 300,
    }


def test_a_targets_sheet_with_an_unknown_village_changes_nothing(campaign: Campaign, county: dict[str, Any]) -> None:
    data = "乡镇,村（社区）,医保扩面目标\n英吉沙镇,一村,10\n英吉沙镇,不存在村,5\n".encode()
    with pytest.raises(CampaignError) as err:
        services.campaign_targets_load(actor=county["tax"], campaign=campaign, source=data, filename="t.csv")
    assert err.value.code == "bad_targets" and "3" in err.value.message
    assert not ExpansionTarget.objects.filter(campaign=campaign).exists()


def test_fen_of_reads_yuan_and_refuses_text() -> None:
    assert services.fen_of("400", what="x") == 400 * YUAN
    assert services.fen_of(Decimal("30.50"), what="x") == 3050
    with pytest.raises(CampaignError):
        services.fen_of("四百", what="x")
