"""Entitlement records from the bureaus and the white list of those who paid without one (Art 37).

Medical insurance and social security send back, as a file, the entitlements (权益) they recorded: one
:class:`Entitlement` per person (ID number), insurance type and coverage year. Each file is an
:class:`EntitlementImport`, imported whole or not at all; its repaired and rejected rows stay as
:class:`ImportRow` with the reasons. Whoever paid for a coverage year (net of refunds and reversals) and has no
entitlement for it is on the white list (白名单): a :class:`WhitelistEntry` with the cause found in the data and a
resolution recorded by a user. He leaves the list when his entitlement appears, or when a refund or reversal brings
what he paid to nothing; the entry is kept with the date and reason.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from liangxian.campaigns.models import InsuranceType


class Bureau(models.TextChoices):
    """The bureau that records entitlements, each for its own insurance type."""

    MEDICAL = "medical", _("Medical insurance bureau")
    SOCIAL = "social", _("Social security bureau")


# A bureau sends the entitlements of its own insurance type only.
INSURANCE_OF_BUREAU = {Bureau.MEDICAL: InsuranceType.MEDICAL, Bureau.SOCIAL: InsuranceType.PENSION}
BUREAU_OF_INSURANCE = {v: k for k, v in INSURANCE_OF_BUREAU.items()}


class ImportStatus(models.TextChoices):
    DONE = "done", _("Imported")
    REFUSED = "refused", _("Refused")


class EntitlementImport(models.Model):
    """One file of entitlement records from a bureau; the same file twice answers with the first import."""

    bureau = models.CharField(_("bureau"), max_length=10, choices=Bureau.choices)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices)
    error = models.TextField(_("why refused"), blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    latest_record_date = models.DateField(_("latest entitlement record date"), null=True, blank=True)
    via = models.CharField(_("sent through"), max_length=10, default="web")  # web, api, token, cli
    imported_by = models.ForeignKey(
        "org.User", verbose_name=_("imported by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("entitlement import")
        verbose_name_plural = _("entitlement imports")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "sha256"], condition=Q(status="done"), name="entitlement_import_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bureau} {self.filename}"


class Entitlement(models.Model):
    """An entitlement a bureau recorded for one person, insurance type and coverage year."""

    source = models.ForeignKey(
        EntitlementImport, verbose_name=_("import"), on_delete=models.PROTECT, related_name="entitlements"
    )
    row_number = models.PositiveIntegerField(_("row in the file"))
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    id_number = models.CharField(_("ID number"), max_length=30)
    name = models.CharField(_("name"), max_length=80)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    coverage_year = models.PositiveIntegerField(_("coverage year"))
    record_date = models.DateField(_("entitlement record date"))
    amount_fen = models.BigIntegerField(_("amount credited (fen)"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("entitlement record")
        verbose_name_plural = _("entitlement records")
        constraints = [
            models.UniqueConstraint(
                fields=["insurance", "id_number", "coverage_year"], name="entitlement_once_per_person_year"
            )
        ]
        indexes = [models.Index(fields=["insurance", "coverage_year", "name"])]

    def __str__(self) -> str:
        return f"{self.insurance} {self.coverage_year} {self.id_number}"


class RowOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REPAIRED = "repaired", _("Repaired")
    REJECTED = "rejected", _("Rejected")


class ImportRow(models.Model):
    """A repaired or rejected row of an entitlement file, as written, with the reasons (accepted rows are records)."""

    source = models.ForeignKey(
        EntitlementImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rows"
    )
    row_number = models.PositiveIntegerField(_("row in the file"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=RowOutcome.choices)
    reasons = models.TextField(_("reasons"))
    id_number = models.CharField(_("ID number as written"), max_length=60, blank=True)
    name = models.CharField(_("name"), max_length=80, blank=True)
    insurance = models.CharField(_("insurance type"), max_length=10, blank=True)
    coverage_year = models.PositiveIntegerField(_("coverage year"), null=True, blank=True)
    original = models.JSONField(_("row as written"), default=dict)

    class Meta:
        verbose_name = _("entitlement file row")
        verbose_name_plural = _("entitlement file rows")
        ordering = ["source", "row_number"]
        indexes = [models.Index(fields=["outcome", "insurance", "coverage_year"])]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.row_number} {self.outcome}"


class Cause(models.TextChoices):
    """Why a payer has no entitlement recorded, as far as the data shows (Art 37)."""

    ID_MISTYPED = "id_mistyped", _("ID number mistyped: an entitlement exists for the same name under another ID")
    REFUND_PENDING = "refund_pending", _("A refund is pending")
    NOT_PROCESSED = "not_processed", _("Not yet processed: paid after the bureau's latest records")
    INVESTIGATE = "investigate", _("To investigate")


class EntryStatus(models.TextChoices):
    LISTED = "listed", _("On the white list")
    LEFT = "left", _("Left the white list")


class LeftReason(models.TextChoices):
    ENTITLEMENT = "entitlement", _("The entitlement was recorded")
    REFUNDED = "refunded", _("Refunded or reversed: nothing paid any more")


class WhitelistEntry(models.Model):
    """A payer without a recorded entitlement, whose benefits are honoured while the cause is fixed (Art 37)."""

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    id_number = models.CharField(_("ID number"), max_length=30)
    name = models.CharField(_("name"), max_length=80, blank=True)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    coverage_year = models.PositiveIntegerField(_("coverage year"))
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    village_code = models.CharField(_("village code"), max_length=12, blank=True)
    net_paid_fen = models.BigIntegerField(_("net paid (fen)"))
    first_paid_at = models.DateTimeField(_("first paid at"))
    last_paid_at = models.DateTimeField(_("last paid at"))
    listed_at = models.DateTimeField(_("listed at"))
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices, default=Cause.INVESTIGATE)
    cause_id_number = models.CharField(_("ID number the entitlement is under"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.LISTED)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    left_reason = models.CharField(_("why left"), max_length=12, choices=LeftReason.choices, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        "org.User", verbose_name=_("resolved by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("white list entry")
        verbose_name_plural = _("white list entries")
        ordering = ["insurance", "coverage_year", "township_code", "id_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["insurance", "id_number", "coverage_year"],
                condition=Q(status="listed"),
                name="whitelist_listed_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "insurance", "coverage_year"]),
            models.Index(fields=["id_number"]),
        ]

    def __str__(self) -> str:
        return f"{self.insurance} {self.coverage_year} {self.id_number}"


class WhitelistRefresh(models.Model):
    """One run of the white-list refresh: who or what ran it, and what changed."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    by = models.ForeignKey(
        "org.User", verbose_name=_("run by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(_("trigger"), max_length=20, default="command")  # import, command, api, web
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)

    class Meta:
        verbose_name = _("white list refresh")
        verbose_name_plural = _("white list refreshes")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.trigger}"
