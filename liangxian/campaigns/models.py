"""The campaign of one insurance year: its period, amounts, 代缴 and eligibility rules and its plan (SPEC 2, 4, 11).

Everything here is data the county edits on a page; no amount or age is written in code. Every edit through
the services bumps ``Campaign.revision`` and stores a ``CampaignRevision`` snapshot, so a roster build can name
the rules it used. Money is integer fen in the database (``*_fen``) and Decimal yuan in the domain.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InsuranceType(models.TextChoices):
    """The two residents' insurances; ``national_code`` gives the national platform's code (SPEC 11)."""

    MEDICAL = "medical", _("Residents' basic medical insurance")
    PENSION = "pension", _("Urban and rural residents' basic pension insurance")


NATIONAL_CODES = {InsuranceType.MEDICAL: "390", InsuranceType.PENSION: "170"}


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    """One insurance year's concentrated collection (集中征缴): collected in one year for the coverage year."""

    coverage_year = models.PositiveIntegerField(_("coverage year"), unique=True)
    collection_year = models.PositiveIntegerField(_("collection year"))
    name = models.CharField(_("name"), max_length=100)
    period_start = models.DateField(_("concentrated period starts"))
    period_end = models.DateField(_("concentrated period ends"))
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default="draft")
    # Each edit through the services adds one; roster builds record the revision they used.
    revision = models.PositiveIntegerField(_("revision"), default=1)
    # Where the county set a deadline the measures leave open (education's student list: Art 16), as
    # {"obligation rule code": "YYYY-MM-DD"}; the obligations engine reads it.
    county_deadlines = models.JSONField(_("deadlines set by the county"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        "org.User", verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        "org.User", verbose_name=_("updated by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-coverage_year"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="campaign_period")
        ]

    def __str__(self) -> str:
        return self.name


class ContributionTier(models.Model):
    """An amount a payer of one insurance may pay in the campaign, with the subsidy (补贴) that goes with it.

    Medical insurance has one tier: the fixed individual contribution, its ``subsidy_fen`` the per-person fiscal
    subsidy (财政补助) to the fund. Pension has the national tiers and any the region adds, each with its
    contribution subsidy (缴费补贴) credited to the payer's account. Neither subsidy is 代缴 (see DaijiaoRule).
    """

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="tiers")
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    amount_fen = models.PositiveBigIntegerField(_("individual contribution (fen)"))
    subsidy_fen = models.PositiveBigIntegerField(_("subsidy (fen)"), default=0)
    is_default = models.BooleanField(_("default tier"), default=False)
    added_by_region = models.BooleanField(_("added by the region"), default=False)

    class Meta:
        verbose_name = _("contribution tier")
        verbose_name_plural = _("contribution tiers")
        ordering = ["campaign", "insurance", "amount_fen"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "insurance", "amount_fen"], name="campaign_tier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.insurance} {self.amount_fen}"


class DaijiaoMode(models.TextChoices):
    FULL = "full", _("Full individual contribution (pension: the lowest tier)")
    FIXED = "fixed", _("A fixed amount")
    NONE = "none", _("None")


class DaijiaoRule(models.Model):
    """What the government pays of a resident's own part (代缴) for one category and insurance type.

    ``category`` is a registry PersonCategory code (special_hardship, orphan, minimum_allowance,
    poverty_monitoring, disabled …); ``details`` narrows it to some PersonCategory.detail values (e.g. the
    disability grades that count as severe), empty meaning any. A person on several lists gets the single most
    favourable category (largest amount; ``priority``, lower first, breaks ties); all his lists are kept.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="daijiao_rules"
    )
    category = models.CharField(_("category"), max_length=40)
    label = models.CharField(_("label"), max_length=60)  # 特困, 孤儿, 低保 … as the county writes it
    details = models.JSONField(_("only these details"), default=list, blank=True)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=DaijiaoMode.choices)
    amount_fen = models.PositiveBigIntegerField(_("fixed amount (fen)"), default=0)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)

    class Meta:
        verbose_name = _("代缴 rule")
        verbose_name_plural = _("代缴 rules")
        ordering = ["campaign", "insurance", "priority", "category"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "insurance", "category"], name="campaign_daijiao_unique")
        ]

    def __str__(self) -> str:
        return f"{self.insurance} {self.category} {self.mode}"


class EligibilityRule(models.Model):
    """Who must pay one insurance type in the campaign (SPEC 4): ages, lists and statuses that exclude.

    Ages are whole years reached on ``age_on`` (month-day within the coverage year, e.g. "01-01"); a person is
    eligible when ``min_age <= age < max_age`` (either bound may be empty). ``exclude_categories`` are registry
    category codes (student for pension, employee_scheme …); ``exclude_statuses`` register statuses
    (deceased, moved_away); ``require_local_household`` asks for household registration in the county.
    ``over_age_reason`` names why those at or over ``max_age`` do not pay (pension: they draw instead).
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="eligibility_rules"
    )
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("age from which not to pay"), null=True, blank=True)
    age_on = models.CharField(_("age reckoned on (MM-DD of the coverage year)"), max_length=5, default="01-01")
    over_age_reason = models.CharField(_("why those over age do not pay"), max_length=100, blank=True)
    exclude_categories = models.JSONField(_("excluded categories"), default=list, blank=True)
    exclude_statuses = models.JSONField(_("excluded statuses"), default=list, blank=True)
    require_local_household = models.BooleanField(_("household registration in the county required"), default=True)

    class Meta:
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
        constraints = [models.UniqueConstraint(fields=["campaign", "insurance"], name="campaign_eligibility_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.insurance}"


class ExpansionTarget(models.Model):
    """The enrolment-expansion plan (扩面参保计划, Art 4, 7): persons to enrol per township or village."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="expansion_targets"
    )
    division = models.ForeignKey(
        "core.Division", verbose_name=_("township or village"), on_delete=models.PROTECT, related_name="+"
    )
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    target = models.PositiveIntegerField(_("persons to enrol"))
    tax_opinion = models.TextField(_("tax bureau's opinion"), blank=True)

    class Meta:
        verbose_name = _("enrolment target")
        verbose_name_plural = _("enrolment targets")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "division", "insurance"], name="campaign_target_unique")
        ]

    def __str__(self) -> str:
        return f"{self.division_id} {self.insurance} {self.target}"


class CampaignRevision(models.Model):
    """A snapshot of the whole campaign (period, tiers, rules, targets) after one edit: who, when and why."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("revision"))
    snapshot = models.JSONField(_("snapshot"))
    changed = models.JSONField(_("what changed"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        "org.User", verbose_name=_("changed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("campaign revision")
        verbose_name_plural = _("campaign revisions")
        ordering = ["campaign", "-number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="campaign_revision_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id} r{self.number}"
