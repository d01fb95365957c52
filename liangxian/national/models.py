"""Runs of the jobs across counties (Art 9, 36): the national duplicate-enrolment check and the treasury match.

A :class:`JobRun` records one run over Parquet exported per county (``liangxian export parquet``): which job, on
which engine (DuckDB for one machine, Spark beyond it), over which data, when, on how many rows and with how many
findings. The duplicate check keeps its findings (:class:`DuplicateFinding`): the same ID number enrolled and paid
for the same insurance and coverage year in two or more counties.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    DUPLICATES = "duplicates", _("Duplicate enrolment across counties")
    TREASURY_MATCH = "treasury_match", _("Treasury match")


class Engine(models.TextChoices):
    DUCKDB = "duckdb", _("DuckDB (one machine)")
    SPARK = "spark", _("Spark (cluster)")


class JobRun(models.Model):
    """One run of a job across counties, with what it read and what it found."""

    kind = models.CharField(_("job"), max_length=16, choices=JobKind.choices)
    engine = models.CharField(_("engine"), max_length=8, choices=Engine.choices)
    data_dir = models.CharField(_("data directory"), max_length=500)
    statement = models.CharField(_("statement file"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    rows_in = models.BigIntegerField(_("rows read"))
    findings = models.BigIntegerField(_("findings"))
    counts = models.JSONField(_("findings by kind"), default=dict, blank=True)
    by = models.ForeignKey(
        "org.User", verbose_name=_("run by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["kind", "started_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.engine} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


class DuplicateFinding(models.Model):
    """One ID number enrolled and paid for the same insurance and year in two or more counties."""

    run = models.ForeignKey(JobRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="duplicates")
    id_number = models.CharField(_("ID number"), max_length=30)
    insurance = models.CharField(_("insurance type"), max_length=10)
    coverage_year = models.PositiveIntegerField(_("coverage year"))
    counties = models.CharField(_("counties"), max_length=400)  # comma-separated division codes, sorted
    county_count = models.PositiveIntegerField(_("number of counties"))
    province_count = models.PositiveIntegerField(_("number of provinces"))
    paid_fen = models.BigIntegerField(_("paid in all counties, net (fen)"))

    class Meta:
        verbose_name = _("duplicate enrolment")
        verbose_name_plural = _("duplicate enrolments")
        ordering = ["run", "id_number", "insurance", "coverage_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "id_number", "insurance", "coverage_year"], name="national_duplicate_once"
            )
        ]
        indexes = [models.Index(fields=["id_number"])]

    def __str__(self) -> str:
        return f"{self.id_number} {self.insurance} {self.coverage_year}"
