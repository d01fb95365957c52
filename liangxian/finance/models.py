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


# --------------------------------------------------------------------------------------------- standards


class SubsidyRate(models.Model):
    """One row of a year's subsidy standard: from a tier (fen) up, the subsidy per payer (SPEC 11).

    Pension: the contribution subsidy (缴费补贴) of the highest row whose ``from_tier_fen`` the payer's net tier
    reaches (default 30 yuan below 500, 60 from 500); medical: one row from 0, the per-person fiscal subsidy
    (财政补助, e.g. 700 yuan) to the fund. Seeded from the campaign's tiers where the campaign has them.
    """

    coverage_year = models.PositiveIntegerField(_("coverage year"))
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    from_tier_fen = models.BigIntegerField(_("from tier (fen)"), default=0)
    rate_fen = models.BigIntegerField(_("subsidy per payer (fen)"))
    source = models.CharField(_("source"), max_length=12, default="default")  # default | campaign | edited
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.PROTECT, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("subsidy rate")
        verbose_name_plural = _("subsidy rates")
        ordering = ["coverage_year", "insurance", "from_tier_fen"]
        constraints = [
            models.UniqueConstraint(
                fields=["coverage_year", "insurance", "from_tier_fen"], name="finance_subsidyrate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.coverage_year} {self.insurance} ≥{self.from_tier_fen}: {self.rate_fen}"


class SubsidyFigure(models.Model):
    """The subsidy of a coverage year and insurance type as computed from the paid persons, kept for the record."""

    coverage_year = models.PositiveIntegerField(_("coverage year"))
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    amount_fen = models.BigIntegerField(_("subsidy (fen)"), default=0)
    tiers = models.JSONField(_("per tier"), default=list, blank=True)  # [{tier_fen, rate_fen, persons, amount_fen}]
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("computed by"), on_delete=models.PROTECT, null=True, blank=True
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("subsidy figure")
        verbose_name_plural = _("subsidy figures")
        constraints = [
            models.UniqueConstraint(fields=["coverage_year", "insurance"], name="finance_subsidyfigure_unique")
        ]

    def __str__(self) -> str:
        return f"{self.coverage_year} {self.insurance}: {self.amount_fen}"


# --------------------------------------------------------------------------------------- 代缴 applications


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")


class DaijiaoApplication(models.Model):
    """Finance's application to pay the residents' own part on their behalf (代缴) for a year and insurance type."""

    number = models.CharField(_("application number"), max_length=24, unique=True)
    coverage_year = models.PositiveIntegerField(_("coverage year"))
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices, default="draft")
    persons = models.PositiveIntegerField(_("persons"), default=0)
    owed_fen = models.BigIntegerField(_("owed (fen)"), default=0)
    approved_fen = models.BigIntegerField(_("approved (fen)"), null=True, blank=True)
    paid_fen = models.BigIntegerField(_("paid (fen)"), default=0)
    paid_persons = models.PositiveIntegerField(_("persons paid"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drawn up by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("drawn up at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("on-behalf application")
        verbose_name_plural = _("on-behalf applications")
        ordering = ["-coverage_year", "insurance"]
        constraints = [
            models.UniqueConstraint(fields=["coverage_year", "insurance"], name="finance_daijiao_one_per_year")
        ]

    def __str__(self) -> str:
        return self.number


class DaijiaoLine(models.Model):
    """One category line of a 代缴 application: the persons and the amount owed for them."""

    application = models.ForeignKey(
        DaijiaoApplication, verbose_name=_("application"), on_delete=models.CASCADE, related_name="lines"
    )
    category = models.CharField(_("category"), max_length=40)
    label = models.CharField(_("label"), max_length=60, blank=True)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    owed_fen = models.BigIntegerField(_("owed (fen)"), default=0)

    class Meta:
        verbose_name = _("on-behalf application line")
        verbose_name_plural = _("on-behalf application lines")
        ordering = ["application", "category"]
        constraints = [models.UniqueConstraint(fields=["application", "category"], name="finance_daijiao_line_unique")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.category}"


class DaijiaoBatch(models.Model):
    """The 代缴 batch that pays an application: the gov-channel file collection imports, by its batch number."""

    application = models.ForeignKey(
        DaijiaoApplication, verbose_name=_("application"), on_delete=models.PROTECT, related_name="batches"
    )
    batch_no = models.CharField(_("batch number"), max_length=40)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    amount_fen = models.BigIntegerField(_("amount (fen)"), default=0)
    content = models.TextField(_("file"), blank=True)  # the csv as produced ("" for a batch adopted from collection)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("produced by"), on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(_("produced at"))

    class Meta:
        verbose_name = _("on-behalf batch")
        verbose_name_plural = _("on-behalf batches")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["application", "batch_no"], name="finance_batch_unique")]

    def __str__(self) -> str:
        return self.batch_no


# ------------------------------------------------------------------------- yearly application for fiscal funds


class FundRequest(models.Model):
    """The yearly application for fiscal funds (年度财政资金申请) of a coverage year, per flow and insurance type."""

    coverage_year = models.PositiveIntegerField(_("coverage year"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices, default="draft")
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drawn up by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("drawn up at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("application for fiscal funds")
        verbose_name_plural = _("applications for fiscal funds")
        ordering = ["-coverage_year"]

    def __str__(self) -> str:
        return str(self.coverage_year)


class FundRequestLine(models.Model):
    """One flow and insurance type of the yearly application: the estimate and the amount approved."""

    request = models.ForeignKey(
        FundRequest, verbose_name=_("application"), on_delete=models.CASCADE, related_name="lines"
    )
    flow = models.CharField(_("flow"), max_length=14, choices=Flow.choices)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    estimated_fen = models.BigIntegerField(_("estimated (fen)"), default=0)
    approved_fen = models.BigIntegerField(_("approved (fen)"), null=True, blank=True)
    basis = models.CharField(_("basis"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("application line")
        verbose_name_plural = _("application lines")
        ordering = ["request", "flow", "insurance"]
        constraints = [
            models.UniqueConstraint(fields=["request", "flow", "insurance"], name="finance_fundrequest_line_unique")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.flow} {self.insurance}"


# ------------------------------------------------------------------------------------------ bank statements


class StatementFormat(models.TextChoices):
    MT940 = "mt940", _("MT940")
    CSV = "csv", _("csv")
    XLSX = "xlsx", _("xlsx")


class BankStatement(models.Model):
    """A bank statement of one fund account, as imported (MT940 or the documented csv/xlsx layout)."""

    account = models.ForeignKey(
        FundAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="statements"
    )
    format = models.CharField(_("format"), max_length=6, choices=StatementFormat.choices)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    reference = models.CharField(_("statement reference"), max_length=60, blank=True)
    date_from = models.DateField(_("from"), null=True, blank=True)
    date_to = models.DateField(_("to"), null=True, blank=True)
    opening_fen = models.BigIntegerField(_("opening balance (fen)"), null=True, blank=True)
    closing_fen = models.BigIntegerField(_("closing balance (fen)"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, null=True, blank=True
    )
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.filename


class StatementLine(models.Model):
    """One booking of a statement: credit positive, debit negative; matched to a recorded transfer or not."""

    statement = models.ForeignKey(
        BankStatement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveIntegerField(_("line"))
    value_date = models.DateField(_("value date"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=120, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    repair = models.CharField(_("repaired"), max_length=200, blank=True)
    transfer = models.OneToOneField(
        Transfer,
        verbose_name=_("matched transfer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statement_line",
    )
    match_kind = models.CharField(_("matched by"), max_length=12, blank=True)  # reference | amount_date

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "line_no"]
        constraints = [models.UniqueConstraint(fields=["statement", "line_no"], name="finance_statementline_unique")]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.line_no} {self.amount_fen}"
