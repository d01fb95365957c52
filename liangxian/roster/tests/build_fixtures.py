"""A campaign with the default figures of SPEC 11, shared by the roster build's tests and bench/bench_roster.py."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from liangxian.campaigns.models import Campaign, ContributionTier, EligibilityRule

PENSION_TIERS = (100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500, 2000)


def campaign_with_rules(year: int) -> Campaign:
    """Create the campaign with medical 400 yuan, the national pension tiers (default 200) and the eligibility rules.

    No 代缴 rule: each caller adds its own.
    """
    now = timezone.now()
    campaign = Campaign.objects.create(
        coverage_year=year,
        collection_year=year - 1,
        name=f"{year}年度城乡居民两险集中征缴",
        period_start=date(year - 1, 9, 1),
        period_end=date(year - 1, 12, 31),
        status="active",
        created_at=now,
        updated_at=now,
    )
    ContributionTier.objects.create(
        campaign=campaign, insurance="medical", amount_fen=40000, subsidy_fen=70000, is_default=True
    )
    ContributionTier.objects.bulk_create(
        ContributionTier(
            campaign=campaign,
            insurance="pension",
            amount_fen=yuan * 100,
            subsidy_fen=3000 if yuan < 500 else 6000,
            is_default=yuan == 200,
        )
        for yuan in PENSION_TIERS
    )
    EligibilityRule.objects.create(
        campaign=campaign,
        insurance="medical",
        exclude_categories=["employee_scheme"],
        exclude_statuses=["deceased", "moved_away"],
    )
    EligibilityRule.objects.create(
        campaign=campaign,
        insurance="pension",
        min_age=16,
        max_age=60,
        age_on="01-01",
        over_age_reason="领取养老金",
        exclude_categories=["student", "employee_scheme"],
        exclude_statuses=["deceased", "moved_away"],
    )
    return campaign
