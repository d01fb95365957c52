"""The campaign pages: everyone signed in reads; tax edits through the page; civil affairs may not."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from liangxian.campaigns import services
from liangxian.campaigns.models import Campaign, CampaignRevision, ContributionTier, DaijiaoRule, ExpansionTarget
from liangxian.registry.tests import factories as f

YUAN = 100


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _tier_post(campaign: Campaign, insurance: str, **changes: str) -> dict[str, str]:
    data: dict[str, str] = {"reason": "测试"}
    for n, t in enumerate(services.tiers_of(campaign, insurance)):
        data[f"amount_{n}"] = str(t.amount_fen // YUAN)
        data[f"subsidy_{n}"] = str(t.subsidy_fen // YUAN)
        if t.is_default:
            data["default"] = str(n)
    data.update(changes)
    return data


def test_list_and_detail_show_the_campaign_to_a_reader(campaign: Campaign, county: dict[str, Any]) -> None:
    client = client_for(county["civil"])
    listing = client.get(reverse("campaigns:list"))
    assert listing.status_code == 200 and "2027年度城乡居民两险集中征缴" in listing.content.decode()
    page = client.get(reverse("campaigns:detail", args=[2027])).content.decode()
    assert "2026-10-08 — 2026-12-31" in page
    assert "400.00" in page and "700.00" in page and "2000.00" in page
    assert "特困人员" in page and "一级、二级" in page
    # and a reader sees no edit link
    assert reverse("campaigns:edit_tiers", args=[2027, "pension"]) not in page


def test_tax_edits_a_tier_through_the_page(campaign: Campaign, county: dict[str, Any]) -> None:
    client = client_for(county["tax"])
    url = reverse("campaigns:edit_tiers", args=[2027, "pension"])
    assert client.get(url).status_code == 200
    # when tax changes the 100 tier's subsidy to 40 yuan
    response = client.post(url, _tier_post(campaign, "pension", subsidy_0="40"))
    assert response.status_code == 302
    tier = ContributionTier.objects.get(campaign=campaign, insurance="pension", amount_fen=100 * YUAN)
    assert tier.subsidy_fen == 40 * YUAN
    # then the history shows revision 2 and the change
    history = client.get(reverse("campaigns:revisions", args=[2027])).content.decode()
    assert "r2" in history and "tiers.pension.100.00" in history and "40.00" in history


def test_a_duplicate_tier_is_shown_as_an_error(campaign: Campaign, county: dict[str, Any]) -> None:
    client = client_for(county["tax"])
    url = reverse("campaigns:edit_tiers", args=[2027, "pension"])
    response = client.post(url, _tier_post(campaign, "pension", amount_1="100"), follow=True)
    assert response.status_code == 200
    assert "100.00" in response.content.decode() and CampaignRevision.objects.filter(campaign=campaign).count() == 1


def test_civil_affairs_may_not_edit(campaign: Campaign, county: dict[str, Any]) -> None:
    client = client_for(county["civil"])
    url = reverse("campaigns:edit_tiers", args=[2027, "pension"])
    assert client.get(url).status_code == 403
    assert client.post(url, _tier_post(campaign, "pension", subsidy_0="40")).status_code == 403
    assert (
        ContributionTier.objects.get(campaign=campaign, insurance="pension", amount_fen=100 * YUAN).subsidy_fen
        == 30 * YUAN
    )


def test_edit_period_daijiao_eligibility_and_targets_pages(campaign: Campaign, county: dict[str, Any]) -> None:
    client = client_for(county["medical"])
    year = 2027
    r = client.post(
        reverse("campaigns:edit_period", args=[year]),
        {
            "name": campaign.name,
            "collection_year": "2026",
            "period_start": "2026-10-10",
            "period_end": "2026-12-31",
            "status": "active",
            "county_deadlines": "list.education.students 2026-09-15",
        },
    )
    assert r.status_code == 302
    campaign.refresh_from_db()
    assert str(campaign.period_start) == "2026-10-10" and campaign.county_deadlines == {
        "list.education.students": "2026-09-15"
    }

    assert client.get(reverse("campaigns:edit_daijiao", args=[year])).status_code == 200
    r = client.post(
        reverse("campaigns:edit_daijiao", args=[year]),
        {
            "category_0": "special_hardship",
            "label_0": "特困人员",
            "insurance_0": "medical",
            "mode_0": "full",
            "priority_0": "10",
            "category_1": "disabled",
            "label_1": "重度残疾人",
            "details_1": "一级，二级",
            "insurance_1": "medical",
            "mode_1": "fixed",
            "amount_1": "250",
            "priority_1": "30",
        },
    )
    assert r.status_code == 302
    assert DaijiaoRule.objects.get(campaign=campaign, category="disabled").details == ["一级", "二级"]

    r = client.post(
        reverse("campaigns:edit_eligibility", args=[year, "pension"]),
        {
            "min_age": "16",
            "max_age": "60",
            "age_on": "01-01",
            "exclude_categories": "student, employee_scheme",
            "exclude_statuses": "deceased",
            "require_local_household": "on",
        },
    )
    assert r.status_code == 302
    assert campaign.eligibility_rules.get(insurance="pension").exclude_statuses == ["deceased"]

    r = client.post(
        reverse("campaigns:edit_targets", args=[year]),
        {f"t_{f.VILLAGE_A1}_medical": "120", f"t_{f.VILLAGE_A1}_pension": "", f"t_{f.TOWN_A}_medical": "300"},
    )
    assert r.status_code == 302
    assert ExpansionTarget.objects.get(campaign=campaign, division_id=f.VILLAGE_A1, insurance="medical").target == 120


def test_a_township_sees_only_its_own_targets(campaign: Campaign, county: dict[str, Any]) -> None:
    services.campaign_targets_set(
        actor=county["tax"],
        campaign=campaign,
        targets=[services.TargetSpec(f.VILLAGE_A1, "medical", 111), services.TargetSpec(f.VILLAGE_B1, "medical", 999)],
    )
    page = client_for(county["township"]).get(reverse("campaigns:detail", args=[2027])).content.decode()
    assert "111" in page and "999" not in page
    county_page = client_for(county["tax"]).get(reverse("campaigns:detail", args=[2027])).content.decode()
    assert "999" in county_page and "1110" in county_page  # the total of both villages


def test_create_page(county: dict[str, Any]) -> None:
    client = client_for(county["tax"])
    r = client.post(
        reverse("campaigns:create"),
        {"coverage_year": "2028", "collection_year": "2027", "period_start": "2027-10-08", "period_end": "2027-12-31"},
    )
    assert r.status_code == 302 and Campaign.objects.filter(coverage_year=2028).exists()
    assert client_for(county["civil"]).get(reverse("campaigns:create")).status_code == 403


def test_unknown_year_is_404(county: dict[str, Any]) -> None:
    assert client_for(county["civil"]).get(reverse("campaigns:detail", args=[1999])).status_code == 404
