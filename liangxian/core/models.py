"""Shared records: administrative divisions, the working-day calendar, the audit chain and the access log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    PREFECTURE = "prefecture", _("Prefecture")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village or community")


class Division(models.Model):
    """An administrative division (NBS statistical code), editable by the county's civil affairs."""

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class CalendarYear(models.Model):
    """A year of the working-day calendar; deadlines in it are computed only once the county confirms it."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    confirmed = models.BooleanField(_("confirmed"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.PROTECT
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class DayKind(models.TextChoices):
    WORKDAY = "workday", _("Working day")
    WEEKEND = "weekend", _("Weekend")
    HOLIDAY = "holiday", _("Public holiday")
    ADJUSTED_WORKDAY = "adjusted_workday", _("Adjusted working day")
    REGIONAL_HOLIDAY = "regional_holiday", _("Regional holiday")


class CalendarDay(models.Model):
    """One day of the calendar with whether government offices work on it."""

    date = models.DateField(_("date"), primary_key=True)
    year = models.ForeignKey(CalendarYear, verbose_name=_("year"), on_delete=models.CASCADE, related_name="days")
    kind = models.CharField(_("kind"), max_length=20, choices=DayKind.choices)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("holiday name"), max_length=60, blank=True)
    source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class AuditEvent(models.Model):
    """An append-only record of a state change, chained to the one before it by hash."""

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(_("actor label"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=80, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AccessAction(models.TextChoices):
    VIEW = "view", _("View")
    LIST = "list", _("List")
    EXPORT = "export", _("Export")
    DENIED = "denied", _("Denied")


class AccessLog(models.Model):
    """Who looked at or exported whose personal data, when, and for which duty (Art 20-21)."""

    at = models.DateTimeField(_("time"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT
    )
    unit_code = models.CharField(_("unit"), max_length=40, blank=True)
    duty = models.CharField(_("duty"), max_length=80)
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    object_type = models.CharField(_("object type"), max_length=80)
    object_ids = models.JSONField(_("objects"), default=list, blank=True)
    count = models.PositiveIntegerField(_("records"), default=0)
    query = models.CharField(_("query"), max_length=500, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    channel = models.CharField(_("channel"), max_length=10, default="web")

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_type}"
