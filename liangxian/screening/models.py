"""Screening of cash data, the townships' self-checks, the working group's seeded sample and referrals (Art 40-41).

A :class:`ScreeningRule` is data: its explanation and thresholds are loaded from ``data/rules.json`` and edited by
tax. A :class:`ScreeningRun` runs every enabled rule over the campaign's cash receipts and payments and records a
:class:`Hit` per finding, keyed by a fingerprint so that a re-run adds only what is new. Pushing a run opens a
:class:`SelfCheck` per township (15 days, Art 41); the township answers each hit and files its report; the joint
working group draws a :class:`Sample` reproducible from its seed and records its :class:`SampleFinding`; a
violation is referred to discipline inspection with the whole trail (:class:`Referral`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScreeningRule(models.Model):
    """One screening rule: a plain explanation and its thresholds, both data (Art 40)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    explanation = models.TextField(_("explanation"))
    enabled = models.BooleanField(_("enabled"), default=True)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    needs_data = models.CharField(_("data missing for this rule"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_by = models.ForeignKey(
        "org.User", verbose_name=_("updated by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("screening rule")
        verbose_name_plural = _("screening rules")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code


class ScreeningRun(models.Model):
    """One run of the enabled rules over a campaign's cash data: who, when, parameters, counts, code version."""

    coverage_year = models.PositiveIntegerField(_("coverage year"))
    started_by = models.ForeignKey(
        "org.User", verbose_name=_("started by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    as_of = models.DateTimeField(_("data as of"))
    params = models.JSONField(_("rules and thresholds used"), default=dict)
    counts = models.JSONField(_("hits per rule"), default=dict)
    new_hits = models.PositiveIntegerField(_("new hits"), default=0)
    code_version = models.CharField(_("code version"), max_length=40, blank=True)
    pushed_at = models.DateTimeField(_("pushed to the townships at"), null=True, blank=True)

    class Meta:
        verbose_name = _("screening run")
        verbose_name_plural = _("screening runs")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.coverage_year} #{self.pk}"


class Hit(models.Model):
    """One suspicious finding of one rule, with its evidence in plain words."""

    run = models.ForeignKey(ScreeningRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="hits")
    rule = models.ForeignKey(ScreeningRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="hits")
    coverage_year = models.PositiveIntegerField(_("coverage year"))
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    village_code = models.CharField(_("village code"), max_length=12, blank=True)
    collector = models.ForeignKey(
        "org.User", verbose_name=_("collector"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
    receipt = models.ForeignKey(
        "cash.CashReceipt",
        verbose_name=_("cash receipt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account_hash = models.CharField(_("paying account (hashed)"), max_length=64, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), default=0)
    evidence = models.JSONField(_("evidence"), default=dict)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("found at"))

    class Meta:
        verbose_name = _("screening hit")
        verbose_name_plural = _("screening hits")
        ordering = ["pk"]
        indexes = [models.Index(fields=["coverage_year", "township_code"])]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.fingerprint[:10]}"


class SelfCheck(models.Model):
    """A township's self-check of the hits pushed to it from one run: 15 days to report (Art 41)."""

    run = models.ForeignKey(ScreeningRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="selfchecks")
    township = models.ForeignKey("org.Unit", verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    township_code = models.CharField(_("township code"), max_length=12)
    pushed_at = models.DateTimeField(_("pushed at"))
    deadline = models.DateField(_("report due"))
    filed_at = models.DateTimeField(_("report filed at"), null=True, blank=True)
    filed_by = models.ForeignKey(
        "org.User", verbose_name=_("filed by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    report = models.TextField(_("self-check report"), blank=True)
    late = models.BooleanField(_("filed late"), default=False)
    perfunctory = models.BooleanField(_("perfunctory"), default=False)

    class Meta:
        verbose_name = _("township self-check")
        verbose_name_plural = _("township self-checks")
        constraints = [models.UniqueConstraint(fields=["run", "township"], name="screening_selfcheck_once")]

    def __str__(self) -> str:
        return f"{self.township_code} run {self.run_id}"


class Finding(models.TextChoices):
    CONFIRMED = "confirmed", _("Violation confirmed")
    EXPLAINED = "explained", _("Explained")
    FALSE_ALARM = "false_alarm", _("False alarm")


class SelfCheckAnswer(models.Model):
    """The township's finding on one hit, with its evidence."""

    selfcheck = models.ForeignKey(
        SelfCheck, verbose_name=_("self-check"), on_delete=models.CASCADE, related_name="answers"
    )
    hit = models.OneToOneField(Hit, verbose_name=_("hit"), on_delete=models.PROTECT, related_name="answer")
    finding = models.CharField(_("finding"), max_length=12, choices=Finding.choices, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    upload = models.FileField(_("evidence file"), upload_to="screening/%Y/%m/", blank=True)
    answered_by = models.ForeignKey(
        "org.User", verbose_name=_("answered by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("self-check answer")
        verbose_name_plural = _("self-check answers")
        ordering = ["hit_id"]

    def __str__(self) -> str:
        return f"{self.hit_id}: {self.finding}"


class Sample(models.Model):
    """The joint working group's random sample of a run's pushed hits, reproducible from its seed (Art 41)."""

    run = models.ForeignKey(ScreeningRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="samples")
    seed = models.BigIntegerField(_("seed"))
    size = models.PositiveIntegerField(_("size"))
    hit_ids = models.JSONField(_("drawn hits"), default=list)
    drawn_by = models.ForeignKey("org.User", verbose_name=_("drawn by"), on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"))

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"run {self.run_id} seed {self.seed}"


class SampleFinding(models.Model):
    """The working group's own finding on one sampled hit."""

    sample = models.ForeignKey(Sample, verbose_name=_("sample"), on_delete=models.CASCADE, related_name="findings")
    hit = models.ForeignKey(Hit, verbose_name=_("hit"), on_delete=models.PROTECT, related_name="group_findings")
    finding = models.CharField(_("finding"), max_length=12, choices=Finding.choices)
    note = models.TextField(_("note"), blank=True)
    disagrees = models.BooleanField(_("disagrees with the township"), default=False)
    recorded_by = models.ForeignKey(
        "org.User", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("sample finding")
        verbose_name_plural = _("sample findings")
        constraints = [models.UniqueConstraint(fields=["sample", "hit"], name="screening_sample_finding_once")]

    def __str__(self) -> str:
        return f"{self.hit_id}: {self.finding}"


class Referral(models.Model):
    """A violation referred to discipline inspection with the whole trail (Art 41)."""

    hit = models.OneToOneField(Hit, verbose_name=_("hit"), on_delete=models.PROTECT, related_name="referral")
    township_code = models.CharField(_("township code"), max_length=12, blank=True)
    trail = models.JSONField(_("trail"), default=dict)
    leader_in_charge = models.ForeignKey(
        "org.User",
        verbose_name=_("township leader in charge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    perfunctory = models.BooleanField(_("self-check perfunctory"), default=False)
    referred_by = models.ForeignKey(
        "org.User", verbose_name=_("referred by"), on_delete=models.PROTECT, related_name="+"
    )
    referred_at = models.DateTimeField(_("referred at"))

    class Meta:
        verbose_name = _("referral to discipline inspection")
        verbose_name_plural = _("referrals to discipline inspection")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"referral {self.hit_id}"
