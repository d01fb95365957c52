"""Finance (Art 9, SPEC 7): the insurance accounts and the three flows kept apart.

``FundAccount`` and ``Transfer`` are read by ``reports`` (Art 34, by insurance type and by account): keep their
names and fields; add, never rename.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from liangxian.campaigns.models import InsuranceType


class AccountKind(models.TextChoices):
    """The three accounts of each insurance (SPEC 7)."""

    INCOME = "income", _("Income account")  # 收入户
    FISCAL = "fiscal", _("Fiscal special account")  # 财政专户
    EXPENDITURE = "expenditure", _("Expenditure account")  # 支出户


class Flow(models.TextChoices):
    """Finance keeps three flows apart (Art 9)."""

    CONTRIBUTIONS = "contributions", _("Contributions collected")  # 两险资金
    ON_BEHALF = "on_behalf", _("Paid on behalf by the government")  # 代缴资金
    SUBSIDY = "subsidy", _("Government subsidies")  # 补贴资金


class FundAccount(models.Model):
    """A bank account of one insurance type: its income, fiscal special or expenditure account."""

    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    kind = models.CharField(_("account kind"), max_length=12, choices=AccountKind.choices)
    name = models.CharField(_("account name"), max_length=120)
    bank = models.CharField(_("bank"), max_length=120, blank=True)
    number = models.CharField(_("account number"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("fund account")
        verbose_name_plural = _("fund accounts")
        ordering = ["insurance", "kind"]
        constraints = [models.UniqueConstraint(fields=["insurance", "kind"], name="fundaccount_one_per_kind")]

    def __str__(self) -> str:
        return self.name


class Transfer(models.Model):
    """Money moved for one flow and insurance type into (and out of) an account, e.g. 收入户 → 财政专户."""

    flow = models.CharField(_("flow"), max_length=14, choices=Flow.choices)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    from_account = models.ForeignKey(
        FundAccount,
        verbose_name=_("from account"),
        on_delete=models.PROTECT,
        related_name="transfers_out",
        null=True,
        blank=True,
    )
    to_account = models.ForeignKey(
        FundAccount, verbose_name=_("to account"), on_delete=models.PROTECT, related_name="transfers_in"
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    value_date = models.DateField(_("value date"))
    period = models.CharField(_("period"), max_length=7, blank=True)  # YYYY-MM the transfer covers
    coverage_year = models.PositiveIntegerField(_("coverage year"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-value_date", "-id"]
        indexes = [models.Index(fields=["insurance", "flow", "value_date"])]

    def __str__(self) -> str:
        return f"{self.get_flow_display()} {self.value_date} {self.amount_fen}"
