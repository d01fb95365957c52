"""Every write of the screening app (Art 40-41): rules, runs, pushes, self-checks, the sample, referrals.

Each service takes the acting user, checks what the actor may do, runs in one transaction with its audit row and
raises :class:`ScreeningError` with a code when it refuses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.campaigns.models import Campaign
from liangxian.core.audit import audit_record
from liangxian.core.scope import Actor
from liangxian.obligations.services import obligation_fulfil, obligation_raise
from liangxian.org.models import TownshipAppointment, TownshipPost, Unit, UnitKind, User

from . import frames as fr
from . import selectors
from .models import (
    Finding,
    Hit,
    Referral,
    Sample,
    SampleFinding,
    ScreeningRule,
    ScreeningRun,
    SelfCheck,
    SelfCheckAnswer,
)

RULES_FILE = Path(__file__).parent / "data" / "rules.json"
SELFCHECK_DAYS = 15  # Art 41: the township reports within 15 days of receiving the suspicious data
OBLIGATION = "selfcheck.report"
CODE_VERSION = "screening-1"
MAX_EVIDENCE_TEXT = 4000
MAX_UPLOAD = 10 * 1024 * 1024

FORBIDDEN_CODES = frozenset({"not_allowed", "out_of_scope"})
NOT_FOUND_CODES = frozenset({"not_found", "campaign_unknown"})
CONFLICT_CODES = frozenset({"already_pushed", "already_filed", "not_answered", "already_referred", "not_sampled"})
# Rules that would need data the system does not keep; shown as "needs data" and skipped.
NEEDS_DATA: dict[str, str] = {}


class ScreeningError(Exception):
    """A screening action refused, with a code for the API and a message for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _actor(user: User) -> Actor:
    return Actor.of(user)


def may_run(user: User) -> bool:
    """Tell whether the user may run, push and sample: tax and discipline."""
    a = _actor(user)
    return a.is_superuser or (a.unit_kind == "department" and a.department in ("tax", "discipline"))


def may_edit_rules(user: User) -> bool:
    a = _actor(user)
    return a.is_superuser or (a.unit_kind == "department" and a.department == "tax")


def may_answer(user: User, selfcheck: SelfCheck) -> bool:
    """Tell whether the user answers for this township: its specialist, its leader or its staff."""
    return user.unit_id == selfcheck.township_id and user.role in ("specialist", "township_leader", "staff", "leader")


def _require(ok: bool) -> None:
    if not ok:
        raise ScreeningError("not_allowed", _("This screening action is not within your unit's duty."))


# --- rules -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesLoaded:
    created: int
    updated: int
    unchanged: int


def rules_load(*, actor: User | None, path: Path = RULES_FILE, overwrite: bool = False) -> RulesLoaded:
    """Load the screening rules and their default thresholds from the JSON file; idempotent (Art 40)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {r.code: r for r in ScreeningRule.objects.all()}
        for order, row in enumerate(rows, start=1):
            values = {
                "title": row["title"],
                "explanation": row["explanation"],
                "thresholds": row.get("thresholds", {}),
                "enabled": row.get("enabled", True),
                "needs_data": NEEDS_DATA.get(row["code"], ""),
                "order": order * 10,
            }
            rule = existing.get(row["code"])
            if rule is None:
                rule = ScreeningRule.objects.create(code=row["code"], **values)
                audit_record(actor=actor, action="screening.rule.create", obj=rule, payload=values)
                created += 1
            elif overwrite and any(getattr(rule, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(rule, k, v)
                rule.save()
                audit_record(actor=actor, action="screening.rule.refresh", obj=rule, payload=values)
                updated += 1
            else:
                unchanged += 1
    return RulesLoaded(created, updated, unchanged)


def rule_update(
    *, actor: User, code: str, enabled: bool | None = None, thresholds: dict[str, Any] | None = None
) -> ScreeningRule:
    """Switch a rule on or off or change its thresholds (tax); thresholds are whole numbers ≥ 0 it already has."""
    _require(may_edit_rules(actor))
    with transaction.atomic():
        rule = ScreeningRule.objects.select_for_update().filter(code=code).first()
        if rule is None:
            raise ScreeningError("not_found", _("There is no such screening rule."))
        before = {"enabled": rule.enabled, "thresholds": dict(rule.thresholds)}
        if thresholds is not None:
            new = dict(rule.thresholds)
            for key, value in thresholds.items():
                if key not in rule.thresholds:
                    raise ScreeningError(
                        "threshold_unknown", _("The rule has no threshold %(name)s.") % {"name": str(key)[:40]}
                    )
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000_000:
                    raise ScreeningError(
                        "threshold_invalid", _("A threshold is a whole number from 0 up: %(name)s.") % {"name": key}
                    )
                new[key] = value
            rule.thresholds = new
        if enabled is not None:
            rule.enabled = bool(enabled)
        rule.updated_by = actor
        rule.updated_at = timezone.now()
        rule.save()
        audit_record(
            actor=actor,
            action="screening.rule.update",
            obj=rule,
            payload={"before": before, "after": {"enabled": rule.enabled, "thresholds": rule.thresholds}},
        )
    return rule


# --- runs ------------------------------------------------------------------------------------------------------


def _code_version() -> str:
    """The rules' own version and the installed package's, e.g. ``screening-1/0.1.0``."""
    try:
        package = metadata.version("liangxian")
    except metadata.PackageNotFoundError:
        package = ""
    return f"{CODE_VERSION}/{package}"[:40]


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def screening_run(*, actor: User | None, year: int, as_of: dt.datetime | None = None) -> ScreeningRun:
    """Run every enabled rule over the campaign's cash data and record the new hits (Art 40).

    A hit already found by an earlier run (same rule, same fingerprint) is counted but not recorded again.
    """
    if actor is not None:
        _require(may_run(actor))
    campaign = Campaign.objects.filter(coverage_year=year).first()
    if campaign is None:
        raise ScreeningError("campaign_unknown", _("There is no campaign for coverage year %(year)s.") % {"year": year})
    if not ScreeningRule.objects.exists():
        rules_load(actor=actor)
    rules = {r.code: dict(r.thresholds) for r in ScreeningRule.objects.filter(enabled=True, needs_data="")}
    started = timezone.now()
    data = selectors.load_frames(campaign, as_of=as_of)
    found = fr.run_rules(data, rules)
    found = found.with_columns(
        pl.col("township_code").fill_null(""),
        pl.col("village_code").fill_null(""),
        pl.col("account_hash").fill_null(""),
        pl.col("amount_fen").fill_null(0),
    )
    found = found.with_columns(
        pl.concat_str([pl.lit(f"{year}|"), pl.col("rule"), pl.lit("|"), pl.col("key")])
        .map_elements(lambda s: hashlib.sha256(s.encode()).hexdigest(), return_dtype=pl.String)
        .alias("fingerprint")
    ).unique("fingerprint", keep="first", maintain_order=True)
    counts = dict.fromkeys(rules, 0) | {
        r["rule"]: int(r["len"]) for r in found.group_by("rule").len().iter_rows(named=True)
    }
    with transaction.atomic():
        run = ScreeningRun.objects.create(
            coverage_year=year,
            started_by=actor,
            started_at=started,
            as_of=data.as_of,
            params={"rules": rules, "period_start": campaign.period_start.isoformat()},
            counts=counts,
            code_version=_code_version(),
        )
        known = set(Hit.objects.filter(coverage_year=year).values_list("fingerprint", flat=True))
        fresh = found.filter(~pl.col("fingerprint").is_in(sorted(known)))
        rule_ids = dict(ScreeningRule.objects.values_list("code", "pk"))
        now = timezone.now()
        Hit.objects.bulk_create(
            [
                Hit(
                    run=run,
                    rule_id=rule_ids[r["rule"]],
                    coverage_year=year,
                    township_code=r["township_code"],
                    village_code=r["village_code"],
                    collector_id=_int(r["collector_id"]),
                    person_id=_int(r["person_id"]),
                    payment_id=_int(r["payment_id"]),
                    receipt_id=_int(r["receipt_id"]),
                    account_hash=r["account_hash"],
                    amount_fen=int(r["amount_fen"]),
                    evidence=json.loads(r["evidence"] or "{}") | {"key": r["key"]},
                    fingerprint=r["fingerprint"],
                    created_at=now,
                )
                for r in fresh.iter_rows(named=True)
            ],
            batch_size=500,
        )
        run.new_hits = fresh.height
        run.finished_at = timezone.now()
        run.save(update_fields=["new_hits", "finished_at"])
        audit_record(
            actor=actor,
            action="screening.run",
            obj=run,
            payload={"year": year, "counts": counts, "new_hits": fresh.height, "rules": rules},
        )
    return run


def _township_units(codes: list[str]) -> dict[str, Unit]:
    return {u.division_id: u for u in Unit.objects.filter(kind=UnitKind.TOWNSHIP, division_id__in=codes, active=True)}


def run_push(*, actor: User | None, run_id: int) -> list[SelfCheck]:
    """Push a run's new hits to their townships: one self-check each, due in 15 days (Art 41)."""
    if actor is not None:
        _require(may_run(actor))
    with transaction.atomic():
        run = ScreeningRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise ScreeningError("not_found", _("There is no such screening run."))
        if run.pushed_at is not None:
            raise ScreeningError("already_pushed", _("This run was pushed to the townships already."))
        now = timezone.now()
        today = timezone.localdate(now)
        hits = list(run.hits.exclude(township_code="").order_by("pk"))
        units = _township_units(sorted({h.township_code for h in hits}))
        checks: dict[str, SelfCheck] = {}
        for code in sorted(units):
            checks[code] = SelfCheck.objects.create(
                run=run,
                township=units[code],
                township_code=code,
                pushed_at=now,
                deadline=today + dt.timedelta(days=SELFCHECK_DAYS),
            )
        SelfCheckAnswer.objects.bulk_create(
            [SelfCheckAnswer(selfcheck=checks[h.township_code], hit=h) for h in hits if h.township_code in checks]
        )
        run.pushed_at = now
        run.save(update_fields=["pushed_at"])
        for code, check in checks.items():
            obligation_raise(
                rule_code=OBLIGATION,
                unit=units[code],
                event_date=today,
                subject=f"screening-run-{run.pk}",
                subject_label=_("Self-check of screening run %(run)s") % {"run": run.pk},
                actor=actor,
            )
            audit_record(
                actor=actor,
                action="screening.selfcheck.push",
                obj=check,
                payload={"run": run.pk, "township": code, "hits": check.answers.count(), "deadline": check.deadline},
            )
    return list(checks.values())


# --- the township's self-check ---------------------------------------------------------------------------------


def _selfcheck_for(actor: User, selfcheck_id: int) -> SelfCheck:
    check = SelfCheck.objects.select_for_update().filter(pk=selfcheck_id).first()
    if check is None:
        raise ScreeningError("not_found", _("There is no such self-check."))
    _require(may_answer(actor, check))
    return check


def answer_record(
    *,
    actor: User,
    selfcheck_id: int,
    hit_id: int,
    finding: str,
    evidence: str,
    upload: UploadedFile | None = None,
) -> SelfCheckAnswer:
    """Record the township's finding on one hit with its evidence (Art 41)."""
    evidence = (evidence or "").strip()
    if finding not in Finding.values:
        raise ScreeningError("finding_invalid", _("Choose a finding: violation confirmed, explained or false alarm."))
    if not evidence or len(evidence) > MAX_EVIDENCE_TEXT:
        raise ScreeningError("evidence_required", _("Say what the township found and on what evidence."))
    if upload is not None and upload.size is not None and upload.size > MAX_UPLOAD:
        raise ScreeningError("upload_too_large", _("The evidence file is larger than 10 MB."))
    with transaction.atomic():
        check = _selfcheck_for(actor, selfcheck_id)
        if check.filed_at is not None:
            raise ScreeningError("already_filed", _("The self-check report is filed; its answers are final."))
        answer = check.answers.filter(hit_id=hit_id).first()
        if answer is None:
            raise ScreeningError("not_found", _("This item is not part of the self-check."))
        answer.finding = finding
        answer.evidence = evidence
        if upload is not None:
            answer.upload = upload
        answer.answered_by = actor
        answer.answered_at = timezone.now()
        answer.save()
        audit_record(
            actor=actor,
            action="screening.selfcheck.answer",
            obj=answer,
            payload={"hit": hit_id, "finding": finding, "evidence": evidence, "upload": answer.upload.name or ""},
        )
    return answer


def report_file(*, actor: User, selfcheck_id: int, report: str) -> SelfCheck:
    """File the township's self-check report once every item is answered; fulfils its obligation (Art 41)."""
    report = (report or "").strip()
    if not report or len(report) > 20000:
        raise ScreeningError("report_required", _("Write the self-check report."))
    with transaction.atomic():
        check = _selfcheck_for(actor, selfcheck_id)
        if check.filed_at is not None:
            raise ScreeningError("already_filed", _("The self-check report is filed already."))
        if check.answers.filter(finding="").exists():
            raise ScreeningError("not_answered", _("Answer every item before filing the report."))
        now = timezone.now()
        check.filed_at = now
        check.filed_by = actor
        check.report = report
        check.late = timezone.localdate(now) > check.deadline
        check.save(update_fields=["filed_at", "filed_by", "report", "late"])
        obligation_fulfil(
            rule_code=OBLIGATION,
            unit=check.township,
            ref=f"screening-selfcheck-{check.pk}",
            label=_("Self-check report of screening run %(run)s") % {"run": check.run_id},
            at=now,
            actor=actor,
            subject=f"screening-run-{check.run_id}",
        )
        audit_record(
            actor=actor,
            action="screening.selfcheck.file",
            obj=check,
            payload={"report": report, "late": check.late, "deadline": check.deadline},
        )
    return check


# --- the working group's sample --------------------------------------------------------------------------------


def draw(hit_ids: list[int], size: int, seed: int) -> list[int]:
    """Draw ``size`` of the hits reproducibly: random.Random(seed) over the ids sorted ascending."""
    pool = sorted(hit_ids)
    return sorted(random.Random(seed).sample(pool, min(size, len(pool))))  # noqa: S311 -- reproducible by design


def sample_draw(*, actor: User, run_id: int, size: int, seed: int | None = None) -> Sample:
    """Draw the working group's random sample of a run's pushed hits, recording the seed (Art 41)."""
    _require(may_run(actor))
    if not 1 <= size <= 10000:
        raise ScreeningError("size_invalid", _("The sample size is a whole number from 1 to 10000."))
    if seed is None:
        seed = random.SystemRandom().randrange(1, 2**31)
    if not 0 <= seed < 2**63:
        raise ScreeningError("seed_invalid", _("The seed is a whole number from 0 up."))
    with transaction.atomic():
        run = ScreeningRun.objects.filter(pk=run_id).first()
        if run is None:
            raise ScreeningError("not_found", _("There is no such screening run."))
        pushed = list(SelfCheckAnswer.objects.filter(selfcheck__run=run).values_list("hit_id", flat=True))
        if not pushed:
            raise ScreeningError("not_pushed", _("Push the run to the townships before drawing a sample."))
        chosen = draw(pushed, size, seed)
        sample = Sample.objects.create(
            run=run, seed=seed, size=size, hit_ids=chosen, drawn_by=actor, drawn_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="screening.sample.draw",
            obj=sample,
            payload={"seed": seed, "size": size, "hits": chosen},
        )
    return sample


def sample_finding_record(*, actor: User, sample_id: int, hit_id: int, finding: str, note: str = "") -> SampleFinding:
    """Record the group's finding on a sampled hit; disagreeing with the township marks its self-check perfunctory."""
    _require(selectors.in_group(_actor(actor)))
    if finding not in Finding.values:
        raise ScreeningError("finding_invalid", _("Choose a finding: violation confirmed, explained or false alarm."))
    note = (note or "").strip()[:MAX_EVIDENCE_TEXT]
    with transaction.atomic():
        sample = Sample.objects.select_for_update().filter(pk=sample_id).first()
        if sample is None:
            raise ScreeningError("not_found", _("There is no such sample."))
        if hit_id not in sample.hit_ids:
            raise ScreeningError("not_sampled", _("This item was not drawn in the sample."))
        answer = SelfCheckAnswer.objects.select_related("selfcheck").filter(hit_id=hit_id).first()
        disagrees = answer is not None and answer.finding != finding
        found, _created = SampleFinding.objects.update_or_create(
            sample=sample,
            hit_id=hit_id,
            defaults={
                "finding": finding,
                "note": note,
                "disagrees": disagrees,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        if disagrees and answer is not None and not answer.selfcheck.perfunctory:
            SelfCheck.objects.filter(pk=answer.selfcheck_id).update(perfunctory=True)
        audit_record(
            actor=actor,
            action="screening.sample.finding",
            obj=found,
            payload={
                "hit": hit_id,
                "finding": finding,
                "township_finding": answer.finding if answer else "",
                "disagrees": disagrees,
                "note": note,
            },
        )
    return found


# --- referrals -------------------------------------------------------------------------------------------------


def _leader_in_charge(township: Unit | None) -> User | None:
    if township is None:
        return None
    appointment = (
        TownshipAppointment.objects.filter(township=township, post=TownshipPost.LEADER_IN_CHARGE, until__isnull=True)
        .select_related("user")
        .first()
    )
    return appointment.user if appointment else None


def referral_make(*, actor: User, hit_id: int) -> Referral:
    """Refer a confirmed violation to discipline inspection with the whole trail (Art 41).

    A hit qualifies when the township or the group confirmed it; when the township's self-check was found
    perfunctory, its leader in charge (分管领导) is named.
    """
    _require(may_run(actor))
    with transaction.atomic():
        hit = Hit.objects.select_related("rule", "run").filter(pk=hit_id).first()
        if hit is None:
            raise ScreeningError("not_found", _("There is no such hit."))
        if Referral.objects.filter(hit=hit).exists():
            raise ScreeningError("already_referred", _("This hit was referred already."))
        answer = SelfCheckAnswer.objects.select_related("selfcheck", "selfcheck__township").filter(hit=hit).first()
        group = list(SampleFinding.objects.filter(hit=hit).order_by("pk"))
        confirmed = (answer is not None and answer.finding == Finding.CONFIRMED) or any(
            g.finding == Finding.CONFIRMED for g in group
        )
        if not confirmed:
            raise ScreeningError(
                "not_confirmed", _("Only a violation confirmed by the township or the working group is referred.")
            )
        check = answer.selfcheck if answer else None
        perfunctory = bool(check and check.perfunctory)
        leader = _leader_in_charge(check.township) if perfunctory and check else None
        trail = {
            "rule": hit.rule.code,
            "rule_title": hit.rule.title,
            "explanation": hit.rule.explanation,
            "evidence": hit.evidence,
            "amount_fen": hit.amount_fen,
            "run": hit.run_id,
            "township_code": hit.township_code,
            "village_code": hit.village_code,
            "collector_id": hit.collector_id,
            "township_answer": (
                {
                    "finding": answer.finding,
                    "evidence": answer.evidence,
                    "upload": answer.upload.name or "",
                    "answered_at": answer.answered_at.isoformat() if answer.answered_at else None,
                }
                if answer
                else None
            ),
            "selfcheck": (
                {
                    "id": check.pk,
                    "deadline": check.deadline.isoformat(),
                    "filed_at": check.filed_at.isoformat() if check.filed_at else None,
                    "late": check.late,
                    "perfunctory": check.perfunctory,
                    "report": check.report,
                }
                if check
                else None
            ),
            "group_findings": [
                {"sample": g.sample_id, "finding": g.finding, "note": g.note, "disagrees": g.disagrees} for g in group
            ],
            "leader_in_charge": str(leader) if leader else None,
        }
        referral = Referral.objects.create(
            hit=hit,
            township_code=hit.township_code,
            trail=trail,
            leader_in_charge=leader,
            perfunctory=perfunctory,
            referred_by=actor,
            referred_at=timezone.now(),
        )
        audit_record(actor=actor, action="screening.referral.make", obj=referral, payload=trail)
    return referral
