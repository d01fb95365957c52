"""Every write of the assessment (Art 38-39): one transaction and one audit row each.

- :func:`weights_load`: put the default weights and thresholds (``criteria.json``) into the tables, where missing.
- :func:`weights_update`: tax changes weights and thresholds.
- :func:`assessment_compute`: tax computes (again, while a draft) a campaign's assessment from the recorded facts.
- :func:`assessment_finalise`: tax finalises it; it is then frozen and the ``campaign.summary`` obligation met.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.campaigns.models import Campaign
from liangxian.core.audit import audit_record
from liangxian.obligations.services import obligation_fulfil

from . import facts, frames, rules
from .models import AssessmentRun, Criterion, Evidence, EvidenceKind, RunStatus, Score, SubjectKind, Threshold, Weight

if TYPE_CHECKING:
    from liangxian.org.models import User

CRITERIA_FILE = Path(__file__).with_name("criteria.json")
SUMMARY_RULE = "campaign.summary"
SHORT = {
    Criterion.COVERAGE: "COV",
    Criterion.COLLECTION_RATE: "RATE",
    Criterion.TIMELINESS: "TIME",
    Criterion.DATA_QUALITY: "DQ",
    Criterion.CASH_FINDINGS: "CASH",
    Criterion.SELFCHECK: "SELF",
}
KIND_LETTER = {SubjectKind.TOWNSHIP: "T", SubjectKind.DEPARTMENT: "D", SubjectKind.STAFF: "S"}
ALL_SEEING = frozenset({"tax", "discipline", "audit", "finance"})


class AssessmentError(Exception):
    """A rule of the assessment refused the change; ``code`` says which."""

    def __init__(self, code: str, message: object) -> None:
        self.code = code
        self.message = str(message)
        super().__init__(self.message)


FORBIDDEN_CODES = frozenset({"forbidden"})
NOT_FOUND_CODES = frozenset({"not_found", "no_campaign", "no_run"})
CONFLICT_CODES = frozenset({"finalised"})


# ------------------------------------------------------------------------------------------------ who may act


def _department(user: User | None) -> str:
    unit = user.unit if user is not None else None
    return unit.department if unit is not None and unit.kind == "department" else ""


def may_manage(user: User | None) -> bool:
    """Tell whether the user computes and finalises assessments and sets the weights: tax (Art 38)."""
    return user is not None and bool(user.is_superuser or _department(user) == "tax")


def may_view_all(user: User | None) -> bool:
    """Tell whether the user reads every score: tax, discipline inspection, audit and finance."""
    return user is not None and bool(user.is_superuser or _department(user) in ALL_SEEING)


def own_township(user: User | None) -> str:
    """Return the township division code whose own scores the user reads, or ''."""
    unit = user.unit if user is not None else None
    return str(unit.division_id) if unit is not None and unit.kind == "township" else ""


def may_view(user: User | None) -> bool:
    return may_view_all(user) or bool(own_township(user))


def _require_manager(user: User | None) -> None:
    if not may_manage(user):
        raise AssessmentError("forbidden", _("Only the tax bureau computes the assessment and sets its weights."))


# ------------------------------------------------------------------------------------------------ weights


def default_criteria() -> dict[str, Any]:
    """Return the default weights and thresholds as the app ships them."""
    data: dict[str, Any] = json.loads(CRITERIA_FILE.read_text(encoding="utf-8"))
    return data


def weights_load(*, by: User | None = None, reset: bool = False) -> dict[str, Any]:
    """Put the default weights and thresholds into the tables where missing (all of them with ``reset``)."""
    data = default_criteria()
    with transaction.atomic():
        created = 0
        for kind, weights in data["weights"].items():
            for criterion, weight in weights.items():
                if reset:
                    Weight.objects.update_or_create(subject_kind=kind, criterion=criterion, defaults={"weight": weight})
                else:
                    created += Weight.objects.get_or_create(
                        subject_kind=kind, criterion=criterion, defaults={"weight": weight}
                    )[1]
        for code, value in data["thresholds"].items():
            if reset:
                Threshold.objects.update_or_create(code=code, defaults={"value": value})
            else:
                created += Threshold.objects.get_or_create(code=code, defaults={"value": value})[1]
        if created or reset:
            audit_record(actor=by, action="assessment.weights.load", payload={"reset": reset, "created": created})
    return current_criteria()


def current_criteria() -> dict[str, Any]:
    """Return the weights (by subject kind and criterion) and thresholds in force."""
    weights: dict[str, dict[str, int]] = {}
    for w in Weight.objects.order_by("subject_kind", "pk"):
        weights.setdefault(w.subject_kind, {})[w.criterion] = w.weight
    weights = {k: weights[k] for k in SubjectKind.values if k in weights}
    thresholds = dict(Threshold.objects.values_list("code", "value"))
    if not weights:
        return default_criteria()
    return {"weights": weights, "thresholds": thresholds}


def weights_update(
    *, by: User, weights: dict[str, dict[str, int]] | None = None, thresholds: dict[str, int] | None = None
) -> dict[str, Any]:
    """Change weights and thresholds (tax); each weight 0-100, each threshold 0-100000; kinds and codes known."""
    _require_manager(by)
    if not Weight.objects.exists():
        weights_load(by=by)
    before = current_criteria()
    weights = weights or {}
    thresholds = thresholds or {}
    for kind, values in weights.items():
        if kind not in SubjectKind.values or not isinstance(values, dict):
            raise AssessmentError("bad_weight", _("Unknown kind of subject: %(kind)s") % {"kind": kind})
        for criterion, value in values.items():
            if criterion not in before["weights"].get(kind, {}):
                raise AssessmentError("bad_weight", _("Unknown criterion: %(criterion)s") % {"criterion": criterion})
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                raise AssessmentError("bad_weight", _("A weight is a whole number from 0 to 100."))
    for code, value in thresholds.items():
        if code not in before["thresholds"]:
            raise AssessmentError("bad_threshold", _("Unknown threshold: %(code)s") % {"code": code})
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100_000:
            raise AssessmentError("bad_threshold", _("A threshold is a whole number from 0 to 100000."))
    for kind, values in weights.items():
        if sum({**before["weights"][kind], **values}.values()) <= 0:
            raise AssessmentError("bad_weight", _("The weights of a kind of subject cannot all be zero."))
    with transaction.atomic():
        for kind, values in weights.items():
            for criterion, value in values.items():
                Weight.objects.filter(subject_kind=kind, criterion=criterion).update(weight=value)
        for code, value in thresholds.items():
            Threshold.objects.filter(code=code).update(value=value)
        after = current_criteria()
        audit_record(actor=by, action="assessment.weights.update", payload={"before": before, "after": after})
    return after


# ------------------------------------------------------------------------------------------------ compute


@dataclass
class _Sheet:
    """The scores and evidence of a run being built."""

    year: int
    weights: dict[str, dict[str, int]]
    scores: list[Score] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def figure(
        self,
        components: dict[str, Any],
        shares: dict[str, Decimal],
        where: dict[str, str],
        *,
        criterion: str,
        evidence_kind: str,
        numerator: int,
        denominator: int,
        keys: dict[str, list[int]],
        note: str = "",
        share: Decimal | None = None,
    ) -> None:
        kind, code, township = where["kind"], where["code"], where["township"]
        weight = self.weights.get(kind, {}).get(criterion)
        if weight is None:
            return
        ref = f"{self.year}-{KIND_LETTER[SubjectKind(kind)]}{code}-{SHORT[Criterion(criterion)]}"
        share = rules.ratio(numerator, denominator) if share is None else share
        shares[criterion] = share
        components[criterion] = {
            "weight": weight,
            "numerator": numerator,
            "denominator": denominator,
            "share": str(share.quantize(Decimal("0.0001"))),
            "shown": rules.pct(share),
            "points": str(rules.points(weight, share)),
            "evidence": ref,
            "note": note,
        }
        self.evidence.append(
            Evidence(
                ref=ref,
                kind=evidence_kind,
                subject_kind=kind,
                subject_code=code,
                township_code=township,
                criterion=criterion,
                numerator=numerator,
                denominator=denominator,
                keys={k: [int(i) for i in v] for k, v in keys.items()},
                note=note[:200],
            )
        )

    def score(
        self,
        where: dict[str, str],
        *,
        label: str,
        components: dict[str, Any],
        shares: dict[str, Decimal],
        reasons: list[str],
        persons: list[dict[str, Any]] | None = None,
    ) -> None:
        kind, code, township = where["kind"], where["code"], where["township"]
        self.scores.append(
            Score(
                subject_kind=kind,
                subject_code=code,
                subject_label=label[:120],
                township_code=township,
                total=rules.total(self.weights.get(kind, {}), shares),
                rank=0,
                components=components,
                award_lost=bool(reasons),
                award_reasons=reasons,
                award_persons=persons or [],
            )
        )

    def rank(self) -> None:
        for kind in SubjectKind.values:
            group = [s for s in self.scores if s.subject_kind == kind]
            for s, r in zip(group, rules.ranks([s.total for s in group]), strict=True):
                s.rank = r


def _ids(row: dict[str, Any] | None, key: str) -> list[int]:
    return list(row.get(key) or []) if row else []


def _n(row: dict[str, Any] | None, key: str) -> int:
    return int(row.get(key) or 0) if row else 0


def _obligation_figures(
    sheet: _Sheet, comps: dict[str, Any], shares: dict[str, Decimal], t: dict[str, Any] | None, where: dict[str, str]
) -> None:
    sheet.figure(
        comps,
        shares,
        where,
        criterion=Criterion.TIMELINESS,
        evidence_kind=EvidenceKind.OBLIGATIONS,
        numerator=_n(t, "on_time_n"),
        denominator=_n(t, "due"),
        keys={k: _ids(t, k) for k in ("on_time", "late", "open", "beyond")},
        note="" if t else _("No obligation was due."),
    )


def _rate_figure(
    sheet: _Sheet,
    comps: dict[str, Any],
    shares: dict[str, Decimal],
    r: dict[str, Any] | None,
    where: dict[str, str],
    note: str = "",
) -> None:
    sheet.figure(
        comps,
        shares,
        where,
        criterion=Criterion.COLLECTION_RATE,
        evidence_kind=EvidenceKind.ROSTER,
        numerator=_n(r, "paid_n"),
        denominator=_n(r, "due"),
        keys={"paid": _ids(r, "paid"), "unpaid": _ids(r, "unpaid")},
        note=note,
    )


def _cash_figure(
    sheet: _Sheet,
    comps: dict[str, Any],
    shares: dict[str, Decimal],
    f: dict[str, Any] | None,
    where: dict[str, str],
    not_run: str,
) -> int:
    """The cash findings' figure (hits not confirmed, of all hits); return the confirmed violations."""
    hits, confirmed = _n(f, "hits"), _n(f, "confirmed")
    sheet.figure(
        comps,
        shares,
        where,
        criterion=Criterion.CASH_FINDINGS,
        evidence_kind=EvidenceKind.SCREENING,
        numerator=hits - confirmed,
        denominator=hits,
        keys={},
        note=not_run or _("%(hits)s hits, %(confirmed)s confirmed") % {"hits": hits, "confirmed": confirmed},
    )
    return confirmed


def _quality_figures(
    sheet: _Sheet, comps: dict[str, Any], shares: dict[str, Decimal], q: dict[str, Any] | None, where: dict[str, str]
) -> None:
    sheet.figure(
        comps,
        shares,
        where,
        criterion=Criterion.DATA_QUALITY,
        evidence_kind=EvidenceKind.SUBMISSIONS,
        numerator=_n(q, "usable"),
        denominator=_n(q, "rows"),
        keys={k: _ids(q, k) for k in ("submissions", "refused", "poor")},
        note=(
            _("%(refused)s of %(lists)s lists refused as a whole")
            % {"refused": len(_ids(q, "refused")), "lists": len(_ids(q, "submissions"))}
            if q
            else _("No list was submitted.")
        ),
        # A list refused as a whole gave no usable row: the share of lists taken scales the share of rows.
        share=rules.ratio(_n(q, "usable"), _n(q, "rows"))
        * rules.ratio(len(_ids(q, "submissions")) - len(_ids(q, "refused")), len(_ids(q, "submissions"))),
    )


def _list_reasons(t: dict[str, Any] | None, q: dict[str, Any] | None, beyond_days: int) -> list[str]:
    reasons = []
    if _ids(q, "refused"):
        reasons.append(_("A list it submitted was refused as a whole (%(n)s).") % {"n": len(_ids(q, "refused"))})
    if _ids(q, "poor"):
        reasons.append(_("Lists with too many rejected rows (%(n)s).") % {"n": len(_ids(q, "poor"))})
    if _ids(t, "beyond"):
        reasons.append(
            _("Obligations late or unmet beyond %(days)s days (%(n)s).")
            % {"days": beyond_days, "n": len(_ids(t, "beyond"))}
        )
    return reasons


def _build(campaign: Campaign, as_of: dt.date, criteria: dict[str, Any]) -> tuple[_Sheet, dict[str, Any]]:
    year = campaign.coverage_year
    th = {**default_criteria()["thresholds"], **criteria["thresholds"]}
    floor, beyond_days = int(th["rate_floor_pct"]), int(th["late_beyond_days"])
    sheet = _Sheet(year=year, weights=criteria["weights"])
    roster = facts.roster_frame(campaign)
    rate_t = frames.collection_rate(roster, "township_code")
    rate_v = frames.collection_rate(roster, "village_code")
    cover = frames.coverage(facts.targets_frame(campaign), facts.enrolled_frame(campaign))
    timely = frames.timeliness(facts.obligations_frame(campaign, as_of), beyond_days)
    quality = frames.data_quality(facts.submissions_frame(campaign, as_of), int(th["rejected_rows_pct"]))
    t_frame, screened = facts.township_findings(year)
    c_frame, c_screened = facts.collector_findings(year)
    t_find, c_find = frames.findings(t_frame, "township_code"), frames.findings(c_frame, "collector_id")
    not_run = "" if screened else _("Screening not run: no findings counted.")
    leaders = facts.leaders_in_charge()
    staff = facts.collectors()
    confirmed_staff = {
        r["collector_id"]: r for r in staff.iter_rows(named=True) if _n(c_find.get(r["collector_id"]), "confirmed")
    }

    units = facts.township_units()
    for code, name in facts.townships().items():
        unit = units.get(code)
        comps: dict[str, Any] = {}
        shares: dict[str, Decimal] = {}
        where = {"kind": SubjectKind.TOWNSHIP, "code": code, "township": code}
        c, r = cover.get(code), rate_t.get(code)
        t = timely.get(unit.pk) if unit else None
        q = quality.get(unit.pk) if unit else None
        f = t_find.get(code)
        sheet.figure(
            comps,
            shares,
            where,
            criterion=Criterion.COVERAGE,
            evidence_kind=EvidenceKind.TARGETS,
            numerator=_n(c, "enrolled_n"),
            denominator=_n(c, "target"),
            keys={"targets": _ids(c, "targets"), "enrolled": _ids(c, "enrolled")},
            note="" if _n(c, "target") else _("No target in the expansion plan."),
        )
        _rate_figure(sheet, comps, shares, r, where)
        _obligation_figures(sheet, comps, shares, t, where)
        _quality_figures(sheet, comps, shares, q, where)
        confirmed = _cash_figure(sheet, comps, shares, f, where, not_run)
        due, late, perfunctory = _n(f, "selfcheck_due"), _n(f, "selfcheck_late"), _n(f, "perfunctory")
        sheet.figure(
            comps,
            shares,
            where,
            criterion=Criterion.SELFCHECK,
            evidence_kind=EvidenceKind.SCREENING,
            numerator=due - late,
            denominator=due,
            keys={},
            note=not_run
            or _("%(due)s self-checks due, %(late)s late, %(perfunctory)s perfunctory")
            % {"due": due, "late": late, "perfunctory": perfunctory},
        )
        reasons: list[str] = []
        persons: list[dict[str, Any]] = []
        if confirmed:
            reasons.append(_("Confirmed cash violations (%(n)s).") % {"n": confirmed})
        if perfunctory:
            reasons.append(_("Self-checks found perfunctory (%(n)s).") % {"n": perfunctory})
            if code in leaders:
                uid, label = leaders[code]
                persons.append(
                    {
                        "user_id": uid,
                        "name": label,
                        "reason": _("Leader in charge of perfunctory self-checks (Art 41)."),
                    }
                )
        if _n(r, "due") and rules.ratio(_n(r, "paid_n"), _n(r, "due")) * 100 < floor:
            reasons.append(_("Collection rate below %(floor)s%%.") % {"floor": floor})
        reasons += _list_reasons(t, q, beyond_days)
        persons += [
            {"user_id": cid, "name": row["label"], "reason": _("Confirmed cash violation.")}
            for cid, row in confirmed_staff.items()
            if row["township_code"] == code
        ]
        sheet.score(where, label=name, components=comps, shares=shares, reasons=reasons, persons=persons)

    for unit in facts.department_units():
        t, q = timely.get(unit.pk), quality.get(unit.pk)
        if t is None and q is None:
            continue  # nothing was asked of it in this campaign
        comps, shares = {}, {}
        where = {"kind": SubjectKind.DEPARTMENT, "code": unit.code, "township": ""}
        _obligation_figures(sheet, comps, shares, t, where)
        _quality_figures(sheet, comps, shares, q, where)
        sheet.score(where, label=unit.name, components=comps, shares=shares, reasons=_list_reasons(t, q, beyond_days))

    for row in staff.iter_rows(named=True):
        cid = row["collector_id"]
        r, f = rate_v.get(row["village_code"]), c_find.get(cid)
        comps, shares = {}, {}
        where = {"kind": SubjectKind.STAFF, "code": str(cid), "township": row["township_code"]}
        _rate_figure(sheet, comps, shares, r, where, note=row["village_code"])
        _cash_figure(sheet, comps, shares, f, where, "" if c_screened else not_run)
        reasons = []
        if confirmed:
            reasons.append(_("Confirmed cash violations (%(n)s).") % {"n": confirmed})
        if _n(r, "due") and rules.ratio(_n(r, "paid_n"), _n(r, "due")) * 100 < floor:
            reasons.append(_("Collection rate below %(floor)s%%.") % {"floor": floor})
        sheet.score(where, label=row["label"], components=comps, shares=shares, reasons=reasons)

    sheet.rank()
    counts = {kind: sum(1 for s in sheet.scores if s.subject_kind == kind) for kind in SubjectKind.values} | {
        "award_lost": sum(1 for s in sheet.scores if s.award_lost),
        "screening_ran": screened,
    }
    return sheet, counts


def campaign_of(year: int | str) -> Campaign:
    """Return the campaign of a coverage year or refuse."""
    try:
        value = int(year)
    except (TypeError, ValueError):
        value = 0
    campaign = Campaign.objects.filter(coverage_year=value).first() if 0 < value < 10_000 else None
    if campaign is None:
        raise AssessmentError("no_campaign", _("No campaign for that coverage year."))
    return campaign


def assessment_compute(*, by: User | None, year: int | str, as_of: dt.date | None = None) -> AssessmentRun:
    """Compute a campaign's assessment from the recorded facts (Art 38); replace a draft, never a final one.

    ``by`` None is the system (the demo); a user must be of tax. Facts count as of ``as_of`` (today).
    """
    if by is not None:
        _require_manager(by)
    campaign = campaign_of(year)
    as_of = as_of or timezone.localdate()
    if AssessmentRun.objects.filter(campaign=campaign, status=RunStatus.FINAL).exists():
        raise AssessmentError("finalised", _("This campaign's assessment is finalised and no longer changes."))
    if not Weight.objects.exists():
        weights_load(by=by)
    criteria = current_criteria()
    sheet, counts = _build(campaign, as_of, criteria)
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().filter(campaign=campaign).first()
        if run is not None and run.status == RunStatus.FINAL:
            raise AssessmentError("finalised", _("This campaign's assessment is finalised and no longer changes."))
        values = {
            "as_of": as_of,
            "computed_at": timezone.now(),
            "computed_by": by,
            "before_period_end": as_of <= campaign.period_end,
            "screening_ran": bool(counts["screening_ran"]),
            "weights": criteria["weights"],
            "thresholds": criteria["thresholds"],
            "counts": counts,
        }
        if run is None:
            run = AssessmentRun.objects.create(campaign=campaign, **values)
        else:
            for k, v in values.items():
                setattr(run, k, v)
            run.save()
            Score.objects.filter(run=run).delete()
            Evidence.objects.filter(run=run).delete()
        for s in sheet.scores:
            s.run = run
        for e in sheet.evidence:
            e.run = run
        Score.objects.bulk_create(sheet.scores, batch_size=500)
        Evidence.objects.bulk_create(sheet.evidence, batch_size=200)
        audit_record(
            actor=by,
            action="assessment.run.compute",
            obj=run,
            payload={"year": campaign.coverage_year, "as_of": as_of.isoformat(), "counts": counts},
        )
    return run


def assessment_finalise(*, by: User, year: int | str) -> AssessmentRun:
    """Finalise a campaign's assessment (tax): frozen from now on; meets tax's ``campaign.summary`` (Art 38)."""
    _require_manager(by)
    campaign = campaign_of(year)
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().filter(campaign=campaign).first()
        if run is None:
            raise AssessmentError("no_run", _("Compute the assessment first."))
        if run.status == RunStatus.FINAL:
            raise AssessmentError("finalised", _("This campaign's assessment is already finalised."))
        run.status = RunStatus.FINAL
        run.finalised_at = timezone.now()
        run.finalised_by = by
        run.save(update_fields=["status", "finalised_at", "finalised_by"])
        met = []
        if by.unit is not None:
            met = obligation_fulfil(
                rule_code=SUMMARY_RULE,
                unit=by.unit,
                ref=f"assessment.run:{run.pk}",
                label=_("Assessment of %(year)s finalised") % {"year": campaign.coverage_year},
                actor=by,
                campaign=campaign,
            )
        audit_record(
            actor=by,
            action="assessment.run.finalise",
            obj=run,
            payload={"year": campaign.coverage_year, "obligations_met": [o.pk for o in met]},
        )
    return run
