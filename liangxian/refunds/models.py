"""Refunds of wrong payments (Art 32-33) and the payment problems townships raise with tax (Art 26).

A :class:`Refund` is requested (by tax, or a township on the payer's behalf) for one counted payment, approved by
the bureau of its insurance (medical insurance for medical, social security for pension), carried out — which
records the refund as a new negative :class:`~liangxian.collection.models.Payment` linked to the original — and
sent to tax on a :class:`RefundRoster` within 2 working days of approval. The documents behind a refund are
scanned and kept with who holds the original (the bureau); tax keeps the copy (Art 33).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Refunds still waiting to be carried out: two of them for the same payment and amount are one refund asked twice.
PENDING = ("requested", "approved")


class RefundReason(models.TextChoices):
    """Why a payment is refunded (Art 32)."""

    NOT_ELIGIBLE = "not_eligible", _("Not eligible to enrol")
    WRONG_TIER = "wrong_tier", _("Wrong contribution tier chosen")
    DUPLICATE = "duplicate", _("Paid twice (duplicate payment)")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the bureau's approval")
    APPROVED = "approved", _("Approved, to be carried out")
    REJECTED = "rejected", _("Refused by the bureau")
    EXECUTED = "executed", _("Refunded")


class Bureau(models.TextChoices):
    """The bureau that approves and carries out a refund: the one of the payment's insurance."""

    MEDICAL = "medical", _("Medical insurance bureau")
    SOCIAL = "social", _("Social security bureau")


class Refund(models.Model):
    """A refund of (part of) one payment's own amount, from request to the refund roster sent to tax."""

    number = models.CharField(_("refund number"), max_length=24, unique=True)
    payment = models.ForeignKey(
        "collection.Payment", verbose_name=_("payment refunded"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount_fen = models.BigIntegerField(_("refund amount (fen)"))
    reason = models.CharField(_("refund reason"), max_length=20, choices=RefundReason.choices)
    note = models.TextField(_("refund note"), blank=True)
    bureau = models.CharField(_("approving bureau"), max_length=10, choices=Bureau.choices)
    status = models.CharField(
        _("refund status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    village_code = models.CharField(_("village code"), max_length=12, blank=True)
    requested_by = models.ForeignKey(
        "org.User", verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        "org.User",
        verbose_name=_("approved or refused by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("approved or refused at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    roster_due = models.DateField(_("refund roster due to tax"), null=True, blank=True)
    executed_by = models.ForeignKey(
        "org.User", verbose_name=_("refunded by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    executed_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refund_payment = models.OneToOneField(
        "collection.Payment",
        verbose_name=_("refund payment record"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_order",
    )
    roster = models.ForeignKey(
        "refunds.RefundRoster",
        verbose_name=_("refund roster"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="refund_amount_positive"),
            # The same refund asked twice (a double click, a second clerk) while the first still waits.
            models.UniqueConstraint(
                fields=["payment", "amount_fen"],
                condition=models.Q(status__in=PENDING),
                name="refund_pending_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "bureau"]), models.Index(fields=["township_code"])]

    def __str__(self) -> str:
        return self.number


class RefundRoster(models.Model):
    """The refund roster (退费清册) a bureau sends tax: the refunds it carried out, as an xlsx (Art 32)."""

    number = models.CharField(_("roster number"), max_length=24, unique=True)
    bureau = models.CharField(_("bureau"), max_length=10, choices=Bureau.choices)
    sent_by = models.ForeignKey("org.User", verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent to tax at"))
    count = models.PositiveIntegerField(_("refunds on the roster"))
    total_fen = models.BigIntegerField(_("roster total (fen)"))
    file = models.FileField(_("roster file"), upload_to="refunds/rosters/%Y/")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    received_by = models.ForeignKey(
        "org.User", verbose_name=_("received by tax"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received by tax at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund roster")
        verbose_name_plural = _("refund rosters")
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class RefundDocument(models.Model):
    """A scanned document behind a refund; the bureau holds the original, tax the copy (Art 33)."""

    refund = models.ForeignKey(Refund, verbose_name=_("refund"), on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(_("document title"), max_length=120)
    original_held_by = models.CharField(_("original held by"), max_length=10, choices=Bureau.choices)
    file = models.FileField(_("scan"), upload_to="refunds/documents/%Y/%m/")
    content_type = models.CharField(_("scan type"), max_length=40)
    sha256 = models.CharField(_("scan checksum"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        "org.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("refund document")
        verbose_name_plural = _("refund documents")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class ProblemCategory(models.TextChoices):
    """What kind of payment problem a township reports (Art 26)."""

    CHANNEL_DOWN = "channel_down", _("A payment channel is down")
    CANNOT_PAY = "cannot_pay", _("A payer cannot pay")
    WRONG_AMOUNT = "wrong_amount", _("A wrong amount was charged")
    OTHER = "other", _("Another payment problem")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("Awaiting the tax bureau's answer")
    ANSWERED = "answered", _("Answered by the tax bureau")
    CLOSED = "closed", _("Closed by the township")


class PaymentProblem(models.Model):
    """A problem with payment a township reports to tax, tax's answer, and its closing (Art 26)."""

    township_code = models.CharField(_("township code"), max_length=12)
    category = models.CharField(_("problem category"), max_length=20, choices=ProblemCategory.choices)
    subject = models.CharField(_("problem subject"), max_length=120)
    text = models.TextField(_("problem description"))
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        "collection.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("problem status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    reported_by = models.ForeignKey(
        "org.User", verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"))
    answer = models.TextField(_("tax bureau's answer"), blank=True)
    answered_by = models.ForeignKey(
        "org.User", verbose_name=_("answered by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "org.User", verbose_name=_("closed by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        verbose_name = _("payment problem")
        verbose_name_plural = _("payment problems")
        ordering = ["-reported_at", "-pk"]
        indexes = [models.Index(fields=["status", "township_code"])]

    def __str__(self) -> str:
        return self.subject
