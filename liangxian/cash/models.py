"""Cash taken by village collectors, its pay-in, the daily balance and the signed cash ledger (Art 29).

A :class:`CashReceipt` is the cash one payer handed one collector for one roster entry. Its pay-in is the channel
transaction through which the collector paid that cash in on the payer's behalf: a :class:`collection.Payment`
(source ``cash``), linked once. Per collector and business day, :class:`CashDay` holds the balance — received
equals paid in plus still open — and, when the day closes unbalanced, the difference raised to the township,
which the township clears with a note. :class:`LedgerScan` keeps the signed and fingerprinted cash ledger
(现金征缴登记台账) of a collector's day as scanned.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from liangxian.campaigns.models import InsuranceType


class CashReceipt(models.Model):
    """Cash received from one payer for one roster entry; paid in once, through a channel transaction."""

    collector = models.ForeignKey(
        "org.User", verbose_name=_("collector"), on_delete=models.PROTECT, related_name="cash_receipts"
    )
    entry = models.ForeignKey(
        "roster.RosterEntry", verbose_name=_("roster entry"), on_delete=models.PROTECT, related_name="cash_receipts"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("payer"), on_delete=models.PROTECT, related_name="cash_receipts"
    )
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    coverage_year = models.PositiveIntegerField(_("coverage year"))
    amount_fen = models.BigIntegerField(_("cash received (fen)"))
    tier_fen = models.BigIntegerField(_("chosen tier (fen)"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    business_date = models.DateField(_("business day"))
    township_code = models.CharField(_("township code"), max_length=12)
    village_code = models.CharField(_("village code"), max_length=12)
    # Art 29: cash is for those the township's survey found unable to pay otherwise; others are accepted, flagged.
    off_list = models.BooleanField(_("payer not on the cash list"), default=False)
    payment = models.OneToOneField(
        "collection.Payment",
        verbose_name=_("pay-in"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cash_receipt",
    )
    paid_in_at = models.DateTimeField(_("paid in at"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("cash receipt")
        verbose_name_plural = _("cash receipts")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="cash_receipt_positive"),
            # One open (not yet paid-in) receipt per roster entry: the same cash is not taken twice.
            models.UniqueConstraint(
                fields=["entry"], condition=models.Q(payment__isnull=True), name="cash_receipt_one_open_per_entry"
            ),
        ]
        indexes = [models.Index(fields=["collector", "business_date"]), models.Index(fields=["township_code"])]

    def __str__(self) -> str:
        return f"{self.collector_id} {self.business_date} {self.amount_fen}"


class DayStatus(models.TextChoices):
    OPEN = "open", _("Day not closed yet")
    BALANCED = "balanced", _("Balanced: all cash paid in")
    RAISED = "raised", _("Difference raised to the township")
    CLEARED = "cleared", _("Difference cleared by the township")


class CashDay(models.Model):
    """One collector's business day: cash received = paid in + still open; a difference is raised (Art 29)."""

    collector = models.ForeignKey("org.User", verbose_name=_("collector"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("business day"))
    township_code = models.CharField(_("township code"), max_length=12)
    village_code = models.CharField(_("village code"), max_length=12)
    receipts = models.PositiveIntegerField(_("receipts"), default=0)
    received_fen = models.BigIntegerField(_("cash received (fen)"), default=0)
    paid_in_fen = models.BigIntegerField(_("cash paid in (fen)"), default=0)
    open_fen = models.BigIntegerField(_("cash not yet paid in (fen)"), default=0)
    off_list = models.PositiveIntegerField(_("payers not on the cash list"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=DayStatus.choices, default=DayStatus.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    raised_at = models.DateTimeField(_("raised at"), null=True, blank=True)
    raised_open_fen = models.BigIntegerField(_("difference raised (fen)"), default=0)
    cleared_by = models.ForeignKey(
        "org.User", verbose_name=_("cleared by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    note = models.TextField(_("township's note"), blank=True)

    class Meta:
        verbose_name = _("collector's cash day")
        verbose_name_plural = _("collectors' cash days")
        constraints = [
            models.UniqueConstraint(fields=["collector", "day"], name="cash_day_once"),
            models.CheckConstraint(
                condition=models.Q(received_fen=models.F("paid_in_fen") + models.F("open_fen")),
                name="cash_day_balance",
            ),
        ]
        indexes = [models.Index(fields=["township_code", "day"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.collector_id} {self.day}"


class LedgerScan(models.Model):
    """The scan of a collector's signed and fingerprinted cash ledger for one day; kept, never replaced."""

    day = models.ForeignKey(
        CashDay, verbose_name=_("collector's cash day"), on_delete=models.PROTECT, related_name="scans"
    )
    scan = models.FileField(_("ledger scan"), upload_to="cash-ledgers/%Y/%m/")
    sha256 = models.CharField(_("scan checksum"), max_length=64)
    content_type = models.CharField(_("scan type"), max_length=40)
    size = models.BigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        "org.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("cash ledger scan")
        verbose_name_plural = _("cash ledger scans")
        constraints = [models.UniqueConstraint(fields=["day", "sha256"], name="cash_ledger_scan_once")]

    def __str__(self) -> str:
        return f"{self.day_id} {self.sha256[:12]}"
