"""The bureaus' monthly report to tax and its analysis (Art 36), and tax's daily detail to the bureaus (Art 37).

A :class:`MonthlyReport` is what the medical insurance bureau or the social security bureau gives tax for a
month: per insurance type and township, the persons and amount credited and the refunds. Every row of the
file (or the form) is kept with its outcome; only accepted and repaired rows count. A month has one current
report per bureau; a later one replaces it and the earlier one is kept. A :class:`DifferenceNote` is a
clerk's word on one difference. A :class:`DailyFile` is one file of a day's receipts for one insurance type,
as sent to its bureau; a regenerated day keeps both generations.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from liangxian.campaigns.models import InsuranceType


class Bureau(models.TextChoices):
    """The two bureaus that report to tax, each for its insurance type."""

    MEDICAL = "medical", _("Medical insurance bureau")
    SOCIAL = "social", _("Social security bureau")


# The insurance type each bureau answers for, and the reverse.
BUREAU_INSURANCE: dict[str, str] = {"medical": "medical", "social": "pension"}
INSURANCE_BUREAU: dict[str, str] = {v: k for k, v in BUREAU_INSURANCE.items()}


class ReportSource(models.TextChoices):
    FILE = "file", _("Imported file")
    FORM = "form", _("Entered on the form")


class RowOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REPAIRED = "repaired", _("Repaired")
    REJECTED = "rejected", _("Rejected")


class MonthlyReport(models.Model):
    """A bureau's figures for one month (Art 36): imported from its file or entered on the form."""

    bureau = models.CharField(_("bureau"), max_length=10, choices=Bureau.choices)
    month = models.CharField(_("month"), max_length=7)  # YYYY-MM
    source = models.CharField(_("source"), max_length=8, choices=ReportSource.choices)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    current = models.BooleanField(_("current"), default=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "bureau", "-entered_at"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "month", "sha256"], name="bureaus_report_once"),
            models.UniqueConstraint(
                fields=["bureau", "month"], condition=Q(current=True), name="bureaus_report_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bureau} {self.month}"

    @property
    def insurance(self) -> str:
        return BUREAU_INSURANCE[self.bureau]


class ReportRow(models.Model):
    """One row of a report as given, with its outcome and reasons; township blank means the insurance's total."""

    report = models.ForeignKey(MonthlyReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=RowOutcome.choices)
    reasons = models.CharField(_("reasons"), max_length=500, blank=True)
    insurance = models.CharField(_("insurance type"), max_length=10, blank=True)
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    persons = models.BigIntegerField(_("persons credited"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("amount credited (fen)"), null=True, blank=True)
    refund_persons = models.BigIntegerField(_("refund persons"), null=True, blank=True)
    refund_fen = models.BigIntegerField(_("refunds (fen)"), null=True, blank=True)
    original = models.JSONField(_("row as written"), default=dict, blank=True)

    class Meta:
        verbose_name = _("report row")
        verbose_name_plural = _("report rows")
        ordering = ["report", "row"]

    def __str__(self) -> str:
        return f"{self.report_id}#{self.row} {self.outcome}"


class DifferenceNote(models.Model):
    """A clerk's note on one difference of a month (insurance type and township; blank township: the total)."""

    month = models.CharField(_("month"), max_length=7)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    note = models.TextField(_("note"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("difference note")
        verbose_name_plural = _("difference notes")
        ordering = ["month", "insurance", "township_code", "-written_at"]

    def __str__(self) -> str:
        return f"{self.month} {self.insurance} {self.township_code or '*'}"


class FileFormat(models.TextChoices):
    XLSX = "xlsx", "xlsx"
    CSV = "csv", "csv"


class DailyFile(models.Model):
    """One file of a day's receipts for one insurance type, sent to its bureau (Art 37)."""

    day = models.DateField(_("day of receipts"))
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    format = models.CharField(_("format"), max_length=4, choices=FileFormat.choices)
    generation = models.PositiveIntegerField(_("generation"), default=1)
    current = models.BooleanField(_("current"), default=True)
    rows = models.PositiveIntegerField(_("rows"))
    total_fen = models.BigIntegerField(_("total (fen)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    path = models.CharField(_("path"), max_length=300)  # under MEDIA_ROOT
    generated_at = models.DateTimeField(_("generated at"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("generated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("daily detail file")
        verbose_name_plural = _("daily detail files")
        ordering = ["-day", "insurance", "format", "-generation"]
        constraints = [
            models.UniqueConstraint(fields=["day", "insurance", "format", "generation"], name="bureaus_daily_once"),
            models.UniqueConstraint(
                fields=["day", "insurance", "format"], condition=Q(current=True), name="bureaus_daily_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.insurance}.{self.format}#{self.generation}"
