"""The People's Bank treasury statement of a month and its match against the collection records (Art 36).

Each month the People's Bank gives tax the statement of last month's receipts entered into the treasury; tax
imports it (:class:`TreasuryStatement`, one row per line in :class:`StatementLine` with the line's outcome), the
statement is matched against the payments whose treasury entry date falls in the month, and every difference is
kept (:class:`Difference`) until tax resolves it with a note. Tax signs the month off (:class:`TreasuryMonth`)
once every difference is resolved; a signed month is read-only.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from liangxian.campaigns.models import InsuranceType


class MonthStatus(models.TextChoices):
    OPEN = "open", _("Not signed off")
    SIGNED_OFF = "signed_off", _("Signed off")


class TreasuryMonth(models.Model):
    """One month of treasury reconciliation: its current statement, and its sign-off by tax."""

    month = models.CharField(_("month"), max_length=7, unique=True)  # YYYY-MM
    status = models.CharField(_("month status"), max_length=10, choices=MonthStatus.choices, default=MonthStatus.OPEN)
    statement = models.ForeignKey(
        "treasury.TreasuryStatement",
        verbose_name=_("current statement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        "org.User", verbose_name=_("signed off by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    sign_note = models.TextField(_("sign-off note"), blank=True)

    class Meta:
        verbose_name = _("treasury month")
        verbose_name_plural = _("treasury months")
        ordering = ["-month"]

    def __str__(self) -> str:
        return self.month


class TreasuryStatement(models.Model):
    """One statement file of the People's Bank for a month, imported whole or not at all (its sha256 once)."""

    month = models.ForeignKey(
        TreasuryMonth, verbose_name=_("month"), on_delete=models.PROTECT, related_name="statements"
    )
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    format = models.CharField(_("file format"), max_length=8)
    encoding = models.CharField(_("encoding"), max_length=12, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    imported_by = models.ForeignKey(
        "org.User", verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported at"))
    superseded_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("treasury statement")
        verbose_name_plural = _("treasury statements")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.month_id} {self.filename}"


class LineOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Line accepted")
    REPAIRED = "repaired", _("Line repaired")
    REJECTED = "rejected", _("Line rejected")


class StatementLine(models.Model):
    """One line of a statement as read: its values (when usable), its outcome and the reason."""

    statement = models.ForeignKey(
        TreasuryStatement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="lines"
    )
    row = models.PositiveIntegerField(_("row in the file"))
    voucher = models.CharField(_("e-tax voucher number"), max_length=40, blank=True)
    entry_date = models.DateField(_("entered into the treasury"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)  # negative for 退库
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices, blank=True)
    account = models.CharField(_("treasury or account"), max_length=80, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=LineOutcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    original = models.TextField(_("line as written"), blank=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "row"]
        indexes = [models.Index(fields=["statement", "outcome"]), models.Index(fields=["statement", "voucher"])]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.row}"


class DifferenceKind(models.TextChoices):
    """Why a voucher's receipts differ between the statement and our records (``matching.KINDS``)."""

    STATEMENT_ONLY = "statement_only", _("On the statement only")
    OURS_ONLY = "ours_only", _("In our records only")
    AMOUNT = "amount", _("Amounts differ")
    DATE = "date", _("Entry dates differ")
    REVERSAL = "reversal", _("Reversal on one side only")


class DifferenceStatus(models.TextChoices):
    OPEN = "open", _("To resolve")
    RESOLVED = "resolved", _("Resolved")


class Difference(models.Model):
    """One difference between a statement and our records for a voucher (its receipts, or its reversals)."""

    month = models.ForeignKey(TreasuryMonth, verbose_name=_("month"), on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(
        TreasuryStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="differences"
    )
    voucher = models.CharField(_("e-tax voucher number"), max_length=40)
    kind = models.CharField(_("difference kind"), max_length=16, choices=DifferenceKind.choices)
    # The voucher's reversals (negative lines) are compared apart from its receipts.
    negative = models.BooleanField(_("reversal side"), default=False)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices, blank=True)
    our_amount_fen = models.BigIntegerField(_("our amount (fen)"), null=True, blank=True)
    statement_amount_fen = models.BigIntegerField(_("statement amount (fen)"), null=True, blank=True)
    our_date = models.DateField(_("our entry date"), null=True, blank=True)
    statement_date = models.DateField(_("statement entry date"), null=True, blank=True)
    our_lines = models.PositiveIntegerField(_("our lines"), default=0)
    statement_lines = models.PositiveIntegerField(_("statement lines"), default=0)
    status = models.CharField(
        _("difference status"), max_length=10, choices=DifferenceStatus.choices, default=DifferenceStatus.OPEN
    )
    note = models.TextField(_("resolution note"), blank=True)
    resolved_by = models.ForeignKey(
        "org.User", verbose_name=_("resolved by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("treasury difference")
        verbose_name_plural = _("treasury differences")
        ordering = ["voucher", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "voucher", "kind", "negative"], name="treasury_difference_once"
            ),
        ]
        indexes = [models.Index(fields=["month", "status"]), models.Index(fields=["statement", "kind"])]

    def __str__(self) -> str:
        return f"{self.voucher} {self.kind}"
