"""Department lists: the catalogue of datasets, submissions with their rows, approvals and versions (Art 7, 10-22)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from liangxian.core.fields import BulkJSONField


class Dataset(models.Model):
    """A list the measures name: who provides it, who uses it, its columns, approval and deadline (data, not code)."""

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    article = models.CharField(_("article"), max_length=40, blank=True)
    provider = models.CharField(_("provider department"), max_length=12, blank=True)
    provider_kind = models.CharField(_("provider unit kind"), max_length=12, default="department")
    consumers = models.JSONField(_("consumer departments"), default=list)
    # [{"key", "label", "synonyms": [...], "required": bool, "type": "id_number|name|text|date|phone|enum|division",
    #   "choices": [...], "help": "..."}]
    columns = models.JSONField(_("columns"), default=list)
    person_column = models.CharField(_("person key column"), max_length=40, default="id_number")
    # Where a list names a 代缴 or identity category, the column holding it (or a fixed category for the whole list).
    category_column = models.CharField(_("category column"), max_length=40, blank=True)
    category = models.CharField(_("category"), max_length=40, blank=True)
    needs_approval = models.BooleanField(_("needs the leader's signature and stamp"), default=False)
    # [{"key", "label", "unit": "provider|consumer", "roles": [...], "scan": bool}] in order.
    approval_stages = models.JSONField(_("approval stages"), default=list)
    # {"kind": "before_start|after_quarter_end|quarterly|after_event|set_by_county|before_roster", ...}
    deadline_rule = models.JSONField(_("deadline rule"), default=dict)
    frequency = models.CharField(_("frequency"), max_length=20, blank=True)
    authority_for_identity = models.BooleanField(_("authority for identity and status"), default=False)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ExchangeMethod(models.TextChoices):
    """How a list reached the system (Art 18)."""

    INTRANET = "intranet", _("Government intranet (upload)")
    API = "api", _("System interface")
    CLI = "cli", _("Command line")
    MEDIA = "media", _("Storage media")
    EMAIL = "email", _("E-mail")
    PAPER = "paper", _("Paper")


class SubmissionStatus(models.TextChoices):
    RECEIVED = "received", _("Received, being processed")
    REFUSED = "refused", _("Refused as a whole")
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    IN_FORCE = "in_force", _("In force")
    SUPERSEDED = "superseded", _("Superseded by a later version")


class Submission(models.Model):
    """One file or API call of one list from one unit: kept for good, every version."""

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.PROTECT, related_name="submissions"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("provider"), on_delete=models.PROTECT, related_name="submissions"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    method = models.CharField(_("exchange method"), max_length=10, choices=ExchangeMethod.choices)
    period = models.CharField(_("period"), max_length=20, blank=True)
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    previous = models.ForeignKey(
        "self", verbose_name=_("previous version"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=SubmissionStatus.choices)
    refused_reason = models.TextField(_("reason refused"), blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file = models.FileField(_("file"), upload_to="exchange/%Y/%m/", blank=True)
    sha256 = models.CharField(_("file checksum"), max_length=64)
    file_format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_accepted = models.PositiveIntegerField(_("accepted"), default=0)
    rows_repaired = models.PositiveIntegerField(_("repaired"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected"), default=0)
    code_version = models.CharField(_("code version"), max_length=40, blank=True)
    # How the rows' digests were computed (SubmissionRow.digest): two versions' digests compare only when equal.
    digest_scheme = models.CharField(_("row digest scheme"), max_length=40, blank=True)
    in_force_at = models.DateTimeField(_("in force since"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-submitted_at"]
        constraints = [
            # The same file from the same unit for the same list is one version, never two.
            models.UniqueConstraint(
                fields=["dataset", "unit", "sha256"],
                condition=~Q(status="refused"),
                name="exchange_one_version_per_file",
            ),
            models.UniqueConstraint(
                fields=["dataset", "unit", "version"],
                condition=Q(version__isnull=False),
                name="exchange_version_unique",
            ),
            models.CheckConstraint(
                condition=Q(
                    rows_total=models.F("rows_accepted") + models.F("rows_repaired") + models.F("rows_rejected")
                ),
                name="exchange_counts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.version or '-'} ({self.unit})"


class RowOutcome(models.TextChoices):
    # A context keeps "Rejected" (未通过) apart from a decision's "Rejected" (已驳回) elsewhere.
    ACCEPTED = "accepted", pgettext_lazy("row outcome", "Accepted")
    REPAIRED = "repaired", pgettext_lazy("row outcome", "Repaired")
    REJECTED = "rejected", pgettext_lazy("row outcome", "Rejected")


class SubmissionRow(models.Model):
    """One row of a submitted file: its outcome with reasons, the repaired values and the row as it came."""

    # No index of its own: the unique (submission, row_number) constraint serves every lookup by submission.
    submission = models.ForeignKey(
        Submission, verbose_name=_("submission"), on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    row_number = models.PositiveIntegerField(_("row in file"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=RowOutcome.choices)
    reasons = models.TextField(_("reasons"), blank=True)  # Chinese, "；"-separated, for the clerk
    reason_codes = models.CharField(_("reason codes"), max_length=200, blank=True)
    problem_column = models.CharField(_("column"), max_length=60, blank=True)
    id_number = models.CharField(_("ID number"), max_length=30, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=80, blank=True)
    category = models.CharField(_("category"), max_length=40, blank=True)
    # Both JSON columns are written in bulk from Polars (BulkJSONField: no per-row check on SQLite).
    data = BulkJSONField(_("values"), default=dict)  # canonical column key -> repaired value
    # Header as written -> cell text; kept for the rows that carry a reason (the error report), "{}" for the others.
    original = BulkJSONField(_("row as submitted"), default=dict)
    # A 64-bit digest of name and values (Submission.digest_scheme says how): the difference between two versions
    # compares these rather than every row's values; null where none was computed (the row is then compared).
    digest = models.BigIntegerField(_("digest"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission row")
        verbose_name_plural = _("submission rows")
        ordering = ["submission", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "row_number"], name="exchange_row_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}#{self.row_number} {self.outcome}"


class Approval(models.Model):
    """One stage of approving a list: who, when, and the scanned signed-and-stamped page (Art 10, 11, 14)."""

    submission = models.ForeignKey(
        Submission, verbose_name=_("submission"), on_delete=models.PROTECT, related_name="approvals"
    )
    stage = models.CharField(_("stage"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"))
    scan = models.FileField(_("signed and stamped scan"), upload_to="approvals/%Y/%m/", blank=True)
    scan_sha256 = models.CharField(_("scan checksum"), max_length=64, blank=True)
    scan_content_type = models.CharField(_("scan type"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["submission", "order"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "stage"], name="exchange_one_approval_per_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.stage}"


class ChangeKind(models.TextChoices):
    ADDED = "added", _("Added")
    REMOVED = "removed", _("Removed")
    CHANGED = "changed", _("Changed")


class VersionChange(models.Model):
    """A person added, removed or changed in a version against the one before it."""

    submission = models.ForeignKey(
        Submission, verbose_name=_("version"), on_delete=models.CASCADE, related_name="changes"
    )
    id_number = models.CharField(_("ID number"), max_length=30)
    name = models.CharField(_("name"), max_length=80, blank=True)
    kind = models.CharField(_("change"), max_length=10, choices=ChangeKind.choices)
    fields = models.JSONField(_("fields changed"), default=dict)  # key -> [before, after]

    class Meta:
        verbose_name = _("version change")
        verbose_name_plural = _("version changes")
        indexes = [models.Index(fields=["submission", "kind"])]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.kind} {self.id_number}"
