"""Complaints and reports with the reporter's identity sealed (Art 43), and first-question inquiries (Art 24).

No model here holds the reporter's identity in plain text: ``SealedIdentity`` keeps only the Fernet token, and
its key lives outside the database (``liangxian.complaints.seal``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelDepartment(models.TextChoices):
    """The departments that publish a mailbox, e-mail and phone for complaints and reports (Art 43)."""

    DISCIPLINE = "discipline", _("Discipline inspection and supervision commission")
    TAX = "tax", _("Tax bureau")
    MEDICAL = "medical", _("Medical insurance bureau")
    SOCIAL = "social", _("Human resources and social security bureau")


class ReceivedVia(models.TextChoices):
    WEB = "web", _("Web form")
    MAILBOX = "mailbox", _("Mailbox")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit in person")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned")
    INVESTIGATING = "investigating", _("Investigating")
    CONCLUDED = "concluded", _("Concluded")


class ReportChannel(models.Model):
    """A department's published mailbox, e-mail and phone for complaints and reports (Art 43)."""

    department = models.CharField(_("department"), max_length=20, choices=ChannelDepartment.choices, unique=True)
    mailbox = models.CharField(_("mailbox address"), max_length=200, blank=True)
    email = models.CharField(_("e-mail"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    hours = models.CharField(_("office hours"), max_length=120, blank=True)
    mailbox_ug = models.CharField(_("mailbox address in Uyghur"), max_length=200, blank=True)
    hours_ug = models.CharField(_("office hours in Uyghur"), max_length=120, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True, on_delete=models.PROTECT
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint channel")
        verbose_name_plural = _("complaint channels")
        ordering = ["department"]

    def __str__(self) -> str:
        return str(self.get_department_display())


class Complaint(models.Model):
    """A complaint or report received by a department or through the public form (Art 43)."""

    number = models.CharField(_("case number"), max_length=20, unique=True)
    follow_hash = models.CharField(_("follow-up code hash"), max_length=200)
    received_via = models.CharField(_("received via"), max_length=10, choices=ReceivedVia.choices)
    receiving_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("receiving unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_received",
    )
    received_at = models.DateTimeField(_("received at"))
    subject = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("allegation"))
    township_code = models.CharField(_("township"), max_length=12, blank=True, db_index=True)
    village_code = models.CharField(_("village"), max_length=12, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    outcome = models.TextField(_("outcome"), blank=True)
    public_outcome = models.TextField(_("public outcome"), blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("concluded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class SealedIdentity(models.Model):
    """The reporter's identity as one Fernet token; the key is kept outside the database."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="sealed_identity")
    token = models.TextField()
    sealed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("sealed identity")
        verbose_name_plural = _("sealed identities")

    def __str__(self) -> str:
        return f"sealed #{self.complaint_id}"


class Assignment(models.Model):
    """An investigator assigned to a complaint by the discipline or tax head; ``ended_at`` ends the duty."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="assignments")
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("investigator"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["assigned_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "investigator"],
                condition=models.Q(ended_at__isnull=True),
                name="complaints_one_active_assignment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}:{self.investigator_id}"


class Step(models.Model):
    """One step of the (joint) investigation: which unit, who, when, what was done."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"))
    note = models.TextField(_("note"))

    class Meta:
        verbose_name = _("investigation step")
        verbose_name_plural = _("investigation steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint_id} step {self.pk}"


class PublicAttempt(models.Model):
    """One public form post or follow-up try from a client address, for rate limiting.

    The address is kept only as a keyed hash: a reporter's address would point to him.
    """

    kind = models.CharField(max_length=10)  # report, follow
    client = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(db_index=True)
    ok = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["kind", "client", "at"], name="complaints_attempt_ip")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at}"


class Inquiry(models.Model):
    """A question put to a unit, owned by whoever first received it until it is answered (Art 24)."""

    asker = models.CharField(_("asked by (person or phone)"), max_length=120)
    question = models.TextField(_("question"))
    channel = models.CharField(_("channel"), max_length=10, choices=ReceivedVia.choices)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first receiver"), on_delete=models.PROTECT, related_name="+"
    )
    received_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("receiving unit"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"))
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("now with"), on_delete=models.PROTECT, related_name="+"
    )
    holder_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("now with unit"), on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"inquiry {self.pk}"


class Handover(models.Model):
    """An inquiry passed from one user to another; the first receiver stays responsible (Art 24)."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="handovers")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey("org.Unit", verbose_name=_("to unit"), on_delete=models.PROTECT, related_name="+")
    from_unit = models.ForeignKey("org.Unit", verbose_name=_("from unit"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"))
    reason = models.TextField(_("why"))

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"handover {self.pk}"
