"""Training, drills, publicity and special inspections with attendance; public notices and their posting proofs.

- :class:`Activity` is one recorded activity (Art 15, 23, 25, 40): its kind, date, organiser, the townships and
  villages it covered (:class:`ActivityArea`), who attended (:class:`Attendance`) and its files
  (:class:`ActivityAttachment`). The yearly minimums it is counted against are :class:`ActivityMinimum` rows.
- :class:`CountyNotice` is tax's county-level notice of a campaign (Art 42), drafted from the campaign, published.
- :class:`PostingProof` is a photo of a village's paid list as posted, sent back to tax (Art 42).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    TRAINING = "training", _("Training")
    DRILL = "drill", _("System drill")
    PUBLICITY = "publicity", _("Publicity")
    INSPECTION = "inspection", _("Special inspection of cash")


class PublicityChannel(models.TextChoices):
    BROADCAST = "broadcast", _("Radio broadcast")
    TELEVISION = "tv", _("Television")
    ONLINE = "online", _("Online media")
    WECHAT = "wechat", _("WeChat")
    POSTERS = "posters", _("Posters and notices")
    MEETING = "meeting", _("Meetings")
    DOOR = "door", _("Door-to-door")
    HALL = "hall", _("Service hall guidance")
    OTHER = "other", _("Other")


class Activity(models.Model):
    """One training, drill, publicity activity or special inspection, as recorded by its organiser."""

    kind = models.CharField(_("activity kind"), max_length=12, choices=ActivityKind.choices)
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("title"), max_length=200)
    organiser = models.ForeignKey(
        "org.Unit", verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="outreach_activities"
    )
    # Departments that ran it jointly (Art 25: tax with medical insurance and social security; Art 40: the group).
    joint_units = models.ManyToManyField(
        "org.Unit", verbose_name=_("jointly with"), blank=True, related_name="outreach_joint_activities"
    )
    channel = models.CharField(_("publicity channel"), max_length=12, choices=PublicityChannel.choices, blank=True)
    minutes = models.TextField(_("minutes or findings"), blank=True)
    practice_site = models.BooleanField(_("ran on the practice site"), default=False)
    recorded_by = models.ForeignKey(
        "org.User", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("outreach activity")
        verbose_name_plural = _("outreach activities")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["kind", "held_on"])]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class ActivityArea(models.Model):
    """A township, or a village of it, that an activity covered."""

    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="areas")
    township_code = models.CharField(_("township code"), max_length=9)
    village_code = models.CharField(_("village code"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("area covered")
        verbose_name_plural = _("areas covered")
        constraints = [
            models.UniqueConstraint(fields=["activity", "township_code", "village_code"], name="outreach_area_once")
        ]
        indexes = [models.Index(fields=["township_code"])]

    def __str__(self) -> str:
        return self.village_code or self.township_code


class Attendance(models.Model):
    """Whether one invited person took part in an activity."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="attendance"
    )
    user = models.ForeignKey("org.User", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("present"), default=False)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["activity", "user"], name="outreach_attendance_once")]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.user_id} {self.present}"


class ActivityAttachment(models.Model):
    """A file kept with an activity: a sign-in sheet, a photo, an inspection report (PDF, PNG or JPEG)."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="outreach/activities/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("checksum"), max_length=64)
    content_type = models.CharField(_("file type"), max_length=40)
    size = models.BigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        "org.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("activity attachment")
        verbose_name_plural = _("activity attachments")
        constraints = [models.UniqueConstraint(fields=["activity", "sha256"], name="outreach_attachment_once")]

    def __str__(self) -> str:
        return self.filename


class MinimumPer(models.TextChoices):
    DEPARTMENT = "department", _("Per department")
    TOWNSHIP = "township", _("Per township")


class ActivityMinimum(models.Model):
    """The yearly minimum of one kind of activity (Art 15, 23, 25, 40), editable by the county."""

    kind = models.CharField(_("activity kind"), max_length=12, choices=ActivityKind.choices, unique=True)
    per = models.CharField(_("counted"), max_length=12, choices=MinimumPer.choices)
    minimum = models.PositiveSmallIntegerField(_("at least, per year"))
    # For a minimum per department: the departments that owe it (Art 25: tax, medical insurance, social security).
    departments = models.JSONField(_("departments that owe it"), default=list, blank=True)

    class Meta:
        verbose_name = _("yearly minimum")
        verbose_name_plural = _("yearly minimums")

    def __str__(self) -> str:
        return f"{self.kind} ≥ {self.minimum}"


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class CountyNotice(models.Model):
    """Tax's county-level public notice of a campaign (Art 42): drafted from the campaign, then published."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="outreach_notice"
    )
    status = models.CharField(_("notice status"), max_length=10, choices=NoticeStatus.choices, default="draft")
    complaint_phone = models.CharField(_("complaint phone"), max_length=40)
    channels = models.JSONField(_("ways to pay"), default=list)
    note = models.TextField(_("further note"), blank=True)
    note_ug = models.TextField(_("further note in Uyghur"), blank=True)
    drafted_by = models.ForeignKey("org.User", verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("drafted at"))
    published_by = models.ForeignKey(
        "org.User", verbose_name=_("published by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("county notice")
        verbose_name_plural = _("county notices")

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.status}"


class PostingProof(models.Model):
    """A photo showing a village's paid list posted (Art 42), sent back to tax; kept, never replaced."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+"
    )
    village_code = models.CharField(_("village code"), max_length=12)
    township_code = models.CharField(_("township code"), max_length=9)
    photo = models.FileField(_("photo"), upload_to="outreach/proofs/%Y/%m/")
    sha256 = models.CharField(_("checksum"), max_length=64)
    content_type = models.CharField(_("file type"), max_length=40)
    size = models.BigIntegerField(_("size (bytes)"))
    posted_on = models.DateField(_("posted on"))
    place = models.CharField(_("where posted"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        "org.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("posting proof")
        verbose_name_plural = _("posting proofs")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "village_code", "sha256"], name="outreach_proof_once")
        ]
        indexes = [models.Index(fields=["campaign", "village_code"])]

    def __str__(self) -> str:
        return f"{self.village_code} {self.sha256[:12]}"
