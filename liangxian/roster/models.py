"""The roster of a campaign, its passage to tax with the abnormal-data loop, the due-lists and the survey.

SPEC section 4, Art 7-8, 16-17, 27, 29. Money is integer fen. Township and village codes are denormalised on
each entry so a township or village user's scope is a prefix filter, never a join.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from liangxian.campaigns.models import InsuranceType


class BuildStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RosterBuild(models.Model):
    """One run of the roster build: the campaign revision it used, its counts and what changed."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="roster_builds"
    )
    number = models.PositiveIntegerField(_("build"))
    campaign_revision = models.PositiveIntegerField(_("campaign revision"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    built_by = models.ForeignKey(
        "org.User", verbose_name=_("built by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=BuildStatus.choices, default="running")
    # {"persons", "entries", "must_pay", "not_liable", "by_reason": {...}, "by_category": {...}}
    counts = models.JSONField(_("counts"), default=dict)
    # {"added", "removed", "changed", "unchanged"}
    changes = models.JSONField(_("changes since the last build"), default=dict)
    # The exchange submissions in force that the build read, by dataset code.
    sources = models.JSONField(_("lists used"), default=dict)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("roster build")
        verbose_name_plural = _("roster builds")
        ordering = ["campaign", "-number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="roster_build_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id} #{self.number}"


class RosterEntry(models.Model):
    """One person and insurance type in the campaign: must he pay, how much, and who pays which part.

    One per person, insurance type and campaign (coverage year): a second is an error (SPEC 11).
    ``amount_fen`` is the contribution due (medical: fixed; pension: the default tier, the payer chooses among
    ``tiers`` when paying); ``gov_fen`` the 代缴 part the government pays for him; ``own_fen`` what he pays
    himself (amount − gov); ``subsidy_fen`` the subsidy (补贴) that goes with the default tier — not 代缴.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="roster_entries"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="roster_entries"
    )
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    must_pay = models.BooleanField(_("must pay"))
    reason = models.CharField(_("why not"), max_length=40, blank=True)  # a code; labels in roster.rules
    amount_fen = models.BigIntegerField(_("contribution (fen)"), default=0)
    tiers = models.CharField(_("tiers open (fen, comma-separated)"), max_length=200, blank=True)
    daijiao_category = models.CharField(_("代缴 category"), max_length=40, blank=True)
    other_categories = models.CharField(_("other lists"), max_length=200, blank=True)
    gov_fen = models.BigIntegerField(_("paid by the government (fen)"), default=0)
    own_fen = models.BigIntegerField(_("own part (fen)"), default=0)
    subsidy_fen = models.BigIntegerField(_("subsidy (fen)"), default=0)
    cash_only = models.BooleanField(_("can pay only in cash"), default=False)
    township_code = models.CharField(_("township code"), max_length=12)
    village_code = models.CharField(_("village code"), max_length=12)
    build = models.ForeignKey(
        RosterBuild, verbose_name=_("last changed by build"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person", "insurance"], name="roster_entry_unique"),
        ]
        indexes = [
            models.Index(fields=["campaign", "village_code", "insurance"]),
            models.Index(fields=["campaign", "township_code", "insurance"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.insurance}"


class ChangeKind(models.TextChoices):
    ADDED = "added", _("Added")
    REMOVED = "removed", _("Removed")
    CHANGED = "changed", _("Changed")


class RosterChange(models.Model):
    """What one build changed for one person and insurance type, and which fields."""

    build = models.ForeignKey(RosterBuild, verbose_name=_("build"), on_delete=models.CASCADE, related_name="+")
    person_id = models.BigIntegerField(_("person"))
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    kind = models.CharField(_("change"), max_length=10, choices=ChangeKind.choices)
    fields = models.JSONField(_("fields"), default=dict)  # field -> [before, after]

    class Meta:
        verbose_name = _("roster change")
        verbose_name_plural = _("roster changes")
        indexes = [models.Index(fields=["build", "kind"])]

    def __str__(self) -> str:
        return f"{self.build_id} {self.person_id} {self.kind}"


class TransmissionStatus(models.TextChoices):
    APPROVED = "approved", _("Approved by the department")
    SENT = "sent", _("Sent to tax")
    RECEIVED = "received", _("Received and checked by tax")


class RosterTransmission(models.Model):
    """The valid contribution roster (有效缴费明细清册) of one insurance, approved and sent to tax (Art 7)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+"
    )
    insurance = models.CharField(_("insurance type"), max_length=10, choices=InsuranceType.choices)
    build = models.ForeignKey(RosterBuild, verbose_name=_("build"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("sending department"), on_delete=models.PROTECT, related_name="+"
    )
    entries = models.PositiveIntegerField(_("entries"), default=0)
    digest = models.CharField(_("digest"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TransmissionStatus.choices, default="approved")
    approved_by = models.ForeignKey(
        "org.User", verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_by = models.ForeignKey(
        "org.User", verbose_name=_("received by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster sent to tax")
        verbose_name_plural = _("rosters sent to tax")
        ordering = ["-approved_at"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.insurance} {self.status}"


class AbnormalKind(models.TextChoices):
    INVALID_ID = "invalid_id", _("Invalid or damaged ID number")
    DUPLICATE = "duplicate", _("Duplicate person")
    DECEASED = "deceased", _("Deceased per public security")
    DEREGISTERED = "deregistered", _("Deregistered per public security")
    AGE_OUT_OF_RANGE = "age_out_of_range", _("Age out of range")
    CONFLICTING_CATEGORIES = "conflicting_categories", _("Conflicting categories")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount does not match the tier")


class AbnormalStatus(models.TextChoices):
    RAISED = "raised", _("Raised by tax")
    FED_BACK = "fed_back", _("Fed back to the department")
    FORWARDED = "forwarded", _("Forwarded to another department")
    CONFIRMED = "confirmed", _("Confirmed by the other department")
    REPLIED = "replied", _("Verified and replied to tax")
    CLOSED = "closed", _("Closed")


class AbnormalItem(models.Model):
    """One abnormal datum tax found in a roster sent to it, through the loop of Art 7-8 with its deadlines."""

    transmission = models.ForeignKey(
        RosterTransmission, verbose_name=_("roster"), on_delete=models.PROTECT, related_name="abnormal_items"
    )
    entry = models.ForeignKey(
        RosterEntry, verbose_name=_("roster entry"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    id_number = models.CharField(_("ID number"), max_length=30, blank=True)
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    village_code = models.CharField(_("village code"), max_length=12, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=AbnormalKind.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AbnormalStatus.choices, default="raised")
    # The department that must verify (medical or social) and, once forwarded, the one that must confirm.
    department = models.ForeignKey(
        "org.Unit", verbose_name=_("verifying department"), on_delete=models.PROTECT, related_name="+"
    )
    forwarded_to = models.ForeignKey(
        "org.Unit", verbose_name=_("forwarded to"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"))
    fed_back_at = models.DateTimeField(_("fed back at"), null=True, blank=True)
    forwarded_at = models.DateTimeField(_("forwarded at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("abnormal item")
        verbose_name_plural = _("abnormal items")
        ordering = ["-raised_at", "id"]
        indexes = [models.Index(fields=["status", "department"]), models.Index(fields=["transmission", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id_number}"


class AbnormalStep(models.Model):
    """One step of an abnormal item's loop: who did what, when, with a note."""

    item = models.ForeignKey(AbnormalItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=20)  # raised, fed_back, forwarded, confirmed, replied, closed
    actor = models.ForeignKey(
        "org.User", verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("abnormal item step")
        verbose_name_plural = _("abnormal item steps")
        ordering = ["item", "at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action}"


class DueListPush(models.Model):
    """Tax pushing a township its due-list (应缴费人员台账, Art 27): which build, how many, when."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+"
    )
    township = models.ForeignKey("org.Unit", verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    build = models.ForeignKey(RosterBuild, verbose_name=_("build"), on_delete=models.PROTECT, related_name="+")
    entries = models.PositiveIntegerField(_("persons to pay"), default=0)
    pushed_by = models.ForeignKey("org.User", verbose_name=_("pushed by"), on_delete=models.PROTECT, related_name="+")
    pushed_at = models.DateTimeField(_("pushed at"))

    class Meta:
        verbose_name = _("due-list pushed")
        verbose_name_plural = _("due-lists pushed")
        ordering = ["-pushed_at"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.township_id}"


class SurveyMark(models.Model):
    """What a township's village survey (摸排, Art 17, 29) says of a person, from the survey in force.

    ``mark``: added (missing from the register, added by the survey), gone (no longer in the village: public
    security is asked to confirm), cash_only (can pay by no channel but cash, Art 29).
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey("registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    mark = models.CharField(_("mark"), max_length=12)
    note = models.CharField(_("note"), max_length=200, blank=True)
    submission = models.ForeignKey(
        "exchange.Submission", verbose_name=_("survey"), on_delete=models.PROTECT, related_name="+"
    )
    township_code = models.CharField(_("township code"), max_length=12)
    village_code = models.CharField(_("village code"), max_length=12)
    since = models.DateTimeField(_("since"))
    until = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey mark")
        verbose_name_plural = _("survey marks")
        indexes = [models.Index(fields=["campaign", "mark", "until"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.mark}"
