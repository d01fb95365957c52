"""Attempts to look oneself up on the payer's pages: the record behind slowing and locking repeated guessing."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LookupOutcome(models.TextChoices):
    OK = "ok", _("Payer lookup succeeded")
    FAILED = "failed", _("Payer lookup failed: details did not match")
    LOCKED = "locked", _("Payer lookup refused: too many recent failures")


class LookupAttempt(models.Model):
    """One try at the payer lookup, keyed by a keyed hash of the ID number typed (never the number itself)."""

    id_hash = models.CharField(_("ID number (keyed hash)"), max_length=64)
    ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    at = models.DateTimeField(_("time"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=LookupOutcome.choices)
    via = models.CharField(_("proved by"), max_length=10, blank=True)  # phone or proof

    class Meta:
        verbose_name = _("payer lookup attempt")
        verbose_name_plural = _("payer lookup attempts")
        indexes = [models.Index(fields=["id_hash", "at"]), models.Index(fields=["ip", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.outcome}"
