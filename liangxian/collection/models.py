"""Payments as the channels report them, the queue of payments that match nothing, and proofs of payment.

One :class:`Payment` per channel transaction (SPEC 5, 11): the database forbids the same channel transaction
twice. A reversal or refund is a new record with a negative amount linked to the original, never an edit.
A payment is *counted* toward a roster entry only when it matched that entry and its amount is valid: then
``entry`` is set. Anything else keeps ``entry`` empty and has an open :class:`PaymentIssue` saying why; the
issue is resolved on the queue page, never dropped. :class:`EntrySettlement` holds, per roster entry, the net
counted amount and whether the entry is paid: the due-lists' ``paid_q`` reads it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from liangxian.campaigns.models import InsuranceType


class Channel(models.TextChoices):
    """Where a payment came in (Art 26, 29). Cash is paid in by the collector through one of these."""

    WECHAT = "wechat", _("WeChat mini-program")
    HALL = "hall", _("Tax service hall")
    POS = "pos", _("POS terminal")
    ETAX = "etax", _("Electronic tax bureau")
    SICLIENT = "siclient", _("Social-insurance client")
    BANK = "bank", _("Bank batch debit")
    GOV = "gov", _("Government 代缴 batch (finance)")


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REVERSAL = "reversal", _("Reversal")
    REFUND = "refund", _("Refund")


class PaymentSource(models.TextChoices):
    FILE = "file", _("Channel daily file")
    API = "api", _("Real-time notification")
    CASH = "cash", _("Cash paid in by a collector")
    BATCH = "batch", _("Batch from finance")


class Payment(models.Model):
    """One channel transaction: a payment (positive) or a reversal or refund of one (negative, linked)."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    txn_no = models.CharField(_("channel transaction number"), max_length=64)
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    original = models.ForeignKey(
        "self",
        verbose_name=_("original payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    id_number = models.CharField(_("ID number as paid"), max_length=30)
    name = models.CharField(_("name as paid"), max_length=80, blank=True)
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    coverage_year = models.PositiveIntegerField(_("coverage year"))
    tier_fen = models.BigIntegerField(_("chosen tier (fen)"), null=True, blank=True)  # pension: the payer's choice
    amount_fen = models.BigIntegerField(_("individual amount (fen)"))  # negative for a reversal or refund
    subsidy_fen = models.BigIntegerField(_("subsidy (fen)"), default=0)
    other_fen = models.BigIntegerField(_("other payer's amount (fen)"), default=0)
    paid_at = models.DateTimeField(_("paid at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    account_hash = models.CharField(_("paying account (hashed)"), max_length=64, blank=True)
    pos_terminal = models.CharField(_("POS terminal"), max_length=40, blank=True)
    operator = models.CharField(_("operator"), max_length=40, blank=True)
    collector = models.ForeignKey(
        "org.User",
        verbose_name=_("collector (cash)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    etax_voucher = models.CharField(_("e-tax voucher number"), max_length=40, blank=True)
    treasury_date = models.DateField(_("entered into the treasury"), null=True, blank=True)
    batch_no = models.CharField(_("batch number"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=PaymentSource.choices)
    channel_import = models.ForeignKey(
        "collection.ChannelImport",
        verbose_name=_("daily file"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    notified_at = models.DateTimeField(_("notified in real time at"), null=True, blank=True)
    in_file_at = models.DateTimeField(_("seen in the daily file at"), null=True, blank=True)
    # Set only when the payment counts toward this entry (matched, valid amount); otherwise an issue is open.
    entry = models.ForeignKey(
        "roster.RosterEntry",
        verbose_name=_("roster entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    village_code = models.CharField(_("village code"), max_length=12, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["channel", "txn_no"], name="payment_channel_txn_unique"),
            models.CheckConstraint(
                condition=(models.Q(kind="payment", amount_fen__gte=0, original__isnull=True))
                # A refund whose original is not on record is kept (and queued ``refund_unlinked``), never dropped.
                | (models.Q(kind__in=["reversal", "refund"], amount_fen__lte=0)),
                name="payment_sign_and_link",
            ),
        ]
        indexes = [
            models.Index(fields=["coverage_year", "village_code"]),
            models.Index(fields=["id_number"]),
            models.Index(fields=["paid_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.txn_no}"


class IssueReason(models.TextChoices):
    """Why a payment does not count (yet): the queue's reasons, each said to the clerk."""

    UNKNOWN_PERSON = "unknown_person", _("The ID number is not in the register")
    NO_ENTRY = "no_entry", _("The person has no roster entry for this insurance and year")
    NOT_DUE = "not_due", _("The roster says this person does not pay (exempt, insured elsewhere …)")
    WRONG_AMOUNT = "wrong_amount", _("The amount matches neither the contribution nor a tier")
    ALREADY_PAID = "already_paid", _("The entry was already paid: a second payment")
    NOT_IN_FILE = "not_in_file", _("Notified in real time but missing from the channel's daily file")
    REFUND_UNLINKED = "refund_unlinked", _("A refund or reversal whose original payment is not on record")
    NO_CAMPAIGN = "no_campaign", _("No campaign for this coverage year")


class IssueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class PaymentIssue(models.Model):
    """A payment that does not count as it came, with the reason; resolved on the queue page, never dropped."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="issues")
    reason = models.CharField(_("reason"), max_length=20, choices=IssueReason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    raised_at = models.DateTimeField(_("raised at"))
    resolved_by = models.ForeignKey(
        "org.User", verbose_name=_("resolved by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("payment issue")
        verbose_name_plural = _("payment issues")
        constraints = [models.UniqueConstraint(fields=["payment", "reason"], name="payment_issue_unique")]
        indexes = [models.Index(fields=["status", "reason"])]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.reason}"


class ImportStatus(models.TextChoices):
    DONE = "done", _("Imported")
    REFUSED = "refused", _("Refused")


class ChannelImport(models.Model):
    """One channel's daily detail file, imported whole or not at all; the same file twice is not re-imported."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    business_date = models.DateField(_("business date"), null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices)
    error = models.TextField(_("why refused"), blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    imported_by = models.ForeignKey(
        "org.User", verbose_name=_("imported by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel file")
        verbose_name_plural = _("channel files")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sha256"], condition=models.Q(status="done"), name="channel_import_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.filename}"


class EntrySettlement(models.Model):
    """Per roster entry: the net amounts counted toward it and whether it is paid (read by the due-lists).

    Paid means the person's own part is covered (medical ``own_paid_fen >= own_fen``; pension any tier) and the
    government's 代缴 part too (``gov_paid_fen >= gov_fen``); the person's part comes in ``Payment.amount_fen``,
    the government's in ``Payment.other_fen`` (the 代缴 batch from finance).
    """

    entry = models.OneToOneField(
        "roster.RosterEntry",
        verbose_name=_("roster entry"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="settlement",
    )
    own_paid_fen = models.BigIntegerField(_("paid by the person, net (fen)"), default=0)
    gov_paid_fen = models.BigIntegerField(_("paid by the government, net (fen)"), default=0)
    paid = models.BooleanField(_("paid"), default=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("entry settlement")
        verbose_name_plural = _("entry settlements")
        indexes = [models.Index(fields=["paid"])]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.own_paid_fen}+{self.gov_paid_fen}"


class ProofOfPayment(models.Model):
    """A proof of payment (缴费证明): a number anyone can check on the public page, through the QR code's token."""

    number = models.CharField(_("proof number"), max_length=24, unique=True)
    token = models.CharField(_("check token"), max_length=32, unique=True)
    payment = models.OneToOneField(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="proof")
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        "org.User", verbose_name=_("issued by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("proof of payment")
        verbose_name_plural = _("proofs of payment")

    def __str__(self) -> str:
        return self.number


class ChannelKey(models.Model):
    """A channel system's key for signing real-time notifications (HMAC-SHA256 over timestamp, nonce and body).

    The secret must be kept to check signatures, so it is stored as issued; only system administrators see it,
    once, when it is created.
    """

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    key_id = models.CharField(_("key id"), max_length=32, unique=True)
    secret = models.CharField(_("secret"), max_length=128)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel key")
        verbose_name_plural = _("channel keys")

    def __str__(self) -> str:
        return f"{self.channel} {self.key_id}"


class Notification(models.Model):
    """One accepted real-time notification; a nonce seen twice is a replay and is refused."""

    key = models.ForeignKey(ChannelKey, verbose_name=_("key"), on_delete=models.PROTECT, related_name="+")
    nonce = models.CharField(_("nonce"), max_length=64)
    txn_no = models.CharField(_("channel transaction number"), max_length=64)
    received_at = models.DateTimeField(_("received at"))
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    repeat = models.BooleanField(_("repeat of an earlier notification"), default=False)

    class Meta:
        verbose_name = _("real-time notification")
        verbose_name_plural = _("real-time notifications")
        constraints = [models.UniqueConstraint(fields=["key", "nonce"], name="notification_nonce_once")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.txn_no}"
