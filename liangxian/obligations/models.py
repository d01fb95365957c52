"""Obligations: the rules of SPEC section 2 as data, and the dated obligations they create per unit.

A rule says who owes what by when: the owner units, the anchor the deadline counts from (the campaign's
period start or end, a month or quarter end, an event, or a yearly count), the offset in calendar days,
working days or months, and what fulfils it. The engine (services) turns rules into ``Obligation`` rows; any
app raises and fulfils obligations through ``services.obligation_raise`` / ``services.obligation_fulfil``.
A deadline in a year whose working calendar is not confirmed is stored with ``due_date`` empty and the reason
in ``pending_reason``; it is recomputed when the county confirms the year, never guessed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Anchor(models.TextChoices):
    PERIOD_START = "period_start", _("Start of the concentrated period")
    PERIOD_END = "period_end", _("End of the concentrated period")
    MONTH_END = "month_end", _("Each month end")
    QUARTER_END = "quarter_end", _("Each quarter end")
    EVENT = "event", _("An event")
    YEARLY = "yearly", _("Times a year")
    COUNTY_SET = "county_set", _("A date the county sets")


class OffsetUnit(models.TextChoices):
    DAYS = "days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")
    MONTHS = "months", _("months")


class OwnerKind(models.TextChoices):
    DEPARTMENT = "department", _("Departments")
    TOWNSHIP = "township", _("Every township")
    VILLAGE = "village", _("Every village")
    BANK = "bank", _("Every bank")


class ObligationRule(models.Model):
    """One row of SPEC section 2: an obligation the measures create, as data the county may edit."""

    code = models.CharField(_("code"), max_length=60, primary_key=True)
    title = models.CharField(_("obligation"), max_length=200)  # Chinese, as the county writes it
    article = models.CharField(_("article"), max_length=40, blank=True)
    owner_kind = models.CharField(_("owner kind"), max_length=12, choices=OwnerKind.choices)
    # For departments: the department codes (org.Department) that each owe it, e.g. ["medical", "social"].
    owner_departments = models.JSONField(_("owner departments"), default=list, blank=True)
    anchor = models.CharField(_("counted from"), max_length=14, choices=Anchor.choices)
    # Signed: -1 month before the start, 5 days after a quarter end, 7 working days after an event.
    offset = models.IntegerField(_("offset"), default=0)
    offset_unit = models.CharField(_("offset unit"), max_length=14, choices=OffsetUnit.choices, default="days")
    # For anchor=event: the event code apps raise it with (identity_change, abnormal_received, refund …).
    event = models.CharField(_("event"), max_length=40, blank=True)
    # For anchor=yearly: how many times a year at least.
    times_per_year = models.PositiveSmallIntegerField(_("times a year"), null=True, blank=True)
    # What fulfils it: "dataset:<exchange dataset code>" or "action:<code>" (roster.sent, duelist.pushed …).
    fulfilled_by = models.CharField(_("fulfilled by"), max_length=80, blank=True)
    note = models.TextField(_("note"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("obligation rule")
        verbose_name_plural = _("obligation rules")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.title


class Obligation(models.Model):
    """One dated obligation of one unit: due (or pending with a reason), then fulfilled by something, when."""

    rule = models.ForeignKey(ObligationRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="obligations",
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="+")
    # Which occurrence: "campaign" for once per campaign, "2026-10" a month, "2026-Q3" a quarter,
    # "2026#1" the first of a yearly count, or the event's key.
    period = models.CharField(_("period"), max_length=40)
    # What the event was about ("exchange.submission:12", "roster.abnormal:7"), empty for dated ones.
    subject = models.CharField(_("subject"), max_length=80, blank=True)
    subject_label = models.CharField(_("about"), max_length=200, blank=True)
    trigger_date = models.DateField(_("counted from"), null=True, blank=True)
    due_date = models.DateField(_("due"), null=True, blank=True)
    pending_reason = models.CharField(_("why the date is pending"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    fulfilled_ref = models.CharField(_("fulfilled by"), max_length=80, blank=True)
    fulfilled_label = models.CharField(_("fulfilled by (label)"), max_length=200, blank=True)
    fulfilled_by_user = models.ForeignKey(
        "org.User",
        verbose_name=_("fulfilled by user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Recorded when fulfilled (or when found overdue at fulfilment): lateness is a fact, not a view.
    late = models.BooleanField(_("late"), default=False)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["due_date", "rule__order"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "unit", "period", "subject"], name="obligation_unique"),
        ]
        indexes = [models.Index(fields=["unit", "fulfilled_at", "due_date"])]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.unit_id} {self.period}"
