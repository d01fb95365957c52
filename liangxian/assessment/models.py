"""The assessment of a campaign (Art 38-39): weights and thresholds as data, a run, its scores and evidence.

A run belongs to one campaign. Tax computes it at or after the end of the concentrated period; each score keeps
its component figures and each figure names the :class:`Evidence` row that holds the keys of the records it was
counted from. Once tax finalises the run nothing in it changes, so its printed report never changes under it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    TOWNSHIP = "township", _("Township")
    DEPARTMENT = "department", _("Department")
    STAFF = "staff", _("Staff")


class Criterion(models.TextChoices):
    COVERAGE = "coverage", _("Coverage against the expansion plan")
    COLLECTION_RATE = "collection_rate", _("Collection rate")
    TIMELINESS = "timeliness", _("Timeliness of obligations")
    DATA_QUALITY = "data_quality", _("Data quality of lists")
    CASH_FINDINGS = "cash_findings", _("Cash findings")
    SELFCHECK = "selfcheck", _("Self-check timeliness")


class Weight(models.Model):
    """The weight of one criterion in the score of one kind of subject (editable by tax)."""

    subject_kind = models.CharField(_("assessed"), max_length=12, choices=SubjectKind.choices)
    criterion = models.CharField(_("criterion"), max_length=20, choices=Criterion.choices)
    weight = models.PositiveSmallIntegerField(_("weight"))

    class Meta:
        verbose_name = _("assessment weight")
        verbose_name_plural = _("assessment weights")
        ordering = ["subject_kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["subject_kind", "criterion"], name="assessment_weight_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind} {self.criterion} {self.weight}"


class Threshold(models.Model):
    """A threshold of award eligibility (the floor of the collection rate, days late beyond which...)."""

    code = models.CharField(_("code"), max_length=30, primary_key=True)
    value = models.PositiveIntegerField(_("value"))

    class Meta:
        verbose_name = _("assessment threshold")
        verbose_name_plural = _("assessment thresholds")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}={self.value}"


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINAL = "final", _("Finalised")


class AssessmentRun(models.Model):
    """The assessment of one campaign: computed (again, while a draft) by tax, then finalised and frozen."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="assessment"
    )
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.DRAFT)
    as_of = models.DateField(_("facts as of"))
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        "org.User", verbose_name=_("computed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    before_period_end = models.BooleanField(_("computed before the period ended"), default=False)
    screening_ran = models.BooleanField(_("screening findings available"), default=False)
    weights = models.JSONField(_("weights used"), default=dict)
    thresholds = models.JSONField(_("thresholds used"), default=dict)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        "org.User", verbose_name=_("finalised by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        ordering = ["-campaign__coverage_year"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.status}"


class Score(models.Model):
    """One subject's score in a run: its components (figure, points, evidence reference), rank and award."""

    run = models.ForeignKey(AssessmentRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="scores")
    subject_kind = models.CharField(_("assessed"), max_length=12, choices=SubjectKind.choices)
    # A township's division code, a department unit's code, a collector's user id.
    subject_code = models.CharField(_("subject"), max_length=40)
    subject_label = models.CharField(_("name"), max_length=120)
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"))
    components = models.JSONField(_("components"), default=dict)
    award_lost = models.BooleanField(_("award eligibility lost"), default=False)
    award_reasons = models.JSONField(_("why"), default=list, blank=True)
    award_persons = models.JSONField(_("persons losing award eligibility"), default=list, blank=True)

    class Meta:
        verbose_name = _("assessment score")
        verbose_name_plural = _("assessment scores")
        ordering = ["run", "subject_kind", "rank", "subject_code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "subject_kind", "subject_code"], name="assessment_score_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind} {self.subject_code} {self.total}"


class EvidenceKind(models.TextChoices):
    ROSTER = "roster", _("Roster entries due and paid")
    TARGETS = "targets", _("Expansion targets and persons enrolled")
    OBLIGATIONS = "obligations", _("Obligations due")
    SUBMISSIONS = "submissions", _("List submissions")
    SCREENING = "screening", _("Screening findings")


class Evidence(models.Model):
    """The record keys behind one figure of one score, under a reference a reader of the report can look up."""

    run = models.ForeignKey(AssessmentRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="evidence")
    ref = models.CharField(_("evidence reference"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=EvidenceKind.choices)
    subject_kind = models.CharField(_("assessed"), max_length=12, choices=SubjectKind.choices)
    subject_code = models.CharField(_("subject"), max_length=40)
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    criterion = models.CharField(_("criterion"), max_length=20, choices=Criterion.choices)
    numerator = models.BigIntegerField(_("counted"), default=0)
    denominator = models.BigIntegerField(_("out of"), default=0)
    # Record keys by role, e.g. {"due": [...roster entry ids], "paid": [...]}, {"late": [...obligation ids]}.
    keys = models.JSONField(_("record keys"), default=dict)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("assessment evidence")
        verbose_name_plural = _("assessment evidence")
        ordering = ["run", "ref"]
        constraints = [models.UniqueConstraint(fields=["run", "ref"], name="assessment_evidence_once")]

    def __str__(self) -> str:
        return self.ref
