"""Every read of the assessment, scoped (Art 21, 38-39): runs, scores, the evidence behind each figure, referrals.

Tax, discipline inspection, audit and finance read every score; a township reads its own score and evidence.
Evidence that names persons (roster entries) is access-logged and shows masked ID numbers and names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liangxian.campaigns.models import ExpansionTarget
from liangxian.core import idnumbers
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.names import mask_name
from liangxian.core.scope import Actor
from liangxian.exchange.models import Submission
from liangxian.obligations.models import Obligation
from liangxian.roster.models import RosterEntry

from .models import AssessmentRun, Criterion, Evidence, EvidenceKind, Score, SubjectKind
from .services import AssessmentError, campaign_of, may_view_all, own_township

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liangxian.org.models import User

PAGE = 200


def sees_all(user: User | None) -> bool:
    """Tell whether the reader sees every score: the system (no user), tax, discipline, audit, finance."""
    return user is None or may_view_all(user)


def _require_view(user: User | None) -> None:
    if not (sees_all(user) or own_township(user)):
        raise AssessmentError("forbidden", _("The assessment is not within your unit's duty."))


def runs_for(user: User | None) -> QuerySet[AssessmentRun]:
    """List the runs the user may open."""
    _require_view(user)
    return AssessmentRun.objects.select_related("campaign", "computed_by", "finalised_by").order_by(
        "-campaign__coverage_year"
    )


def run_get(user: User | None, year: int | str) -> AssessmentRun:
    """Return a campaign's run within the user's duty, or refuse (``not_found`` when there is none)."""
    _require_view(user)
    campaign = campaign_of(year)
    run = AssessmentRun.objects.select_related("campaign", "computed_by", "finalised_by").filter(campaign=campaign)
    found = run.first()
    if found is None:
        raise AssessmentError("no_run", _("This campaign has not been assessed yet."))
    return found


def scores_of(user: User | None, run: AssessmentRun, kind: str = "") -> list[Score]:
    """Return the run's scores the user may read (all, or his township's), ranked per kind."""
    qs = Score.objects.filter(run=run)
    if kind:
        qs = qs.filter(subject_kind=kind)
    if not sees_all(user):
        qs = qs.filter(subject_kind=SubjectKind.TOWNSHIP, subject_code=own_township(user))
    order = {k: i for i, k in enumerate(SubjectKind.values)}
    return sorted(qs, key=lambda s: (order.get(s.subject_kind, 9), s.rank, s.subject_code))


@dataclass
class EvidenceView:
    """One figure's evidence: its counts and the records behind it (a page of them)."""

    evidence: Evidence
    score: Score | None
    columns: list[str]
    headers: list[str]
    rows: list[dict[str, Any]]
    total_rows: int
    page: int
    pages: int


def _page(ids: list[int], page: int) -> list[int]:
    return ids[(page - 1) * PAGE : page * PAGE]


def _roster_rows(keys: dict[str, list[int]], page: int) -> tuple[list[dict[str, Any]], int]:
    tagged = [(i, False) for i in keys.get("unpaid", [])] + [(i, True) for i in keys.get("paid", [])]
    chunk = tagged[(page - 1) * PAGE : page * PAGE]
    found = {
        e.pk: e
        for e in RosterEntry.objects.filter(pk__in=[i for i, _p in chunk]).select_related("person", "settlement")
    }
    rows = []
    for pk, paid in chunk:
        e = found.get(pk)
        if e is None:
            continue
        settlement = getattr(e, "settlement", None)
        rows.append(
            {
                "key": f"roster.entry:{pk}",
                "name": mask_name(e.person.name),
                # The assessment needs no whole ID number, whoever reads it.
                "id_number": idnumbers.mask(e.person.id_number),
                "village": e.village_code,
                "insurance": str(e.get_insurance_display()),
                "outcome": _("Paid") if paid else _("Not paid"),
                "paid_fen": (settlement.own_paid_fen + settlement.gov_paid_fen) if settlement else 0,
            }
        )
    return rows, len(tagged)


def _obligation_rows(keys: dict[str, list[int]], page: int) -> tuple[list[dict[str, Any]], int]:
    role = {}
    for name in ("open", "late", "on_time"):
        for i in keys.get(name, []):
            role[i] = name
    beyond = set(keys.get("beyond", []))
    ordered = [i for name in ("open", "late", "on_time") for i in keys.get(name, [])]
    chunk = _page(ordered, page)
    found = {o.pk: o for o in Obligation.objects.filter(pk__in=chunk).select_related("rule", "unit")}
    labels = {"open": _("Not met"), "late": _("Met late"), "on_time": _("Met on time")}
    rows = [
        {
            "key": f"obligation:{pk}",
            "rule": o.rule.title,
            "about": o.subject_label or o.period,
            "due": o.due_date,
            "fulfilled": o.fulfilled_at,
            "outcome": labels[role[pk]] + (" ⚑" if pk in beyond else ""),
        }
        for pk in chunk
        if (o := found.get(pk)) is not None
    ]
    return rows, len(ordered)


def _submission_rows(keys: dict[str, list[int]], page: int) -> tuple[list[dict[str, Any]], int]:
    ids = keys.get("submissions", [])
    refused, poor = set(keys.get("refused", [])), set(keys.get("poor", []))
    chunk = _page(ids, page)
    found = {s.pk: s for s in Submission.objects.filter(pk__in=chunk).select_related("dataset")}
    rows = [
        {
            "key": f"exchange.submission:{pk}",
            "dataset": s.dataset.name,
            "submitted_at": s.submitted_at,
            "status": str(s.get_status_display()),
            "rows": s.rows_total,
            "accepted": s.rows_accepted,
            "repaired": s.rows_repaired,
            "rejected": s.rows_rejected,
            "outcome": _("Refused") if pk in refused else (_("Too many rejected rows") if pk in poor else ""),
        }
        for pk in chunk
        if (s := found.get(pk)) is not None
    ]
    return rows, len(ids)


def _target_rows(keys: dict[str, list[int]]) -> tuple[list[dict[str, Any]], int]:
    found = ExpansionTarget.objects.filter(pk__in=keys.get("targets", [])).select_related("division")
    rows = [
        {
            "key": f"campaigns.target:{t.pk}",
            "division": str(t.division),
            "insurance": str(t.get_insurance_display()),
            "target": t.target,
        }
        for t in found.order_by("division_id", "insurance")
    ]
    return rows, len(rows)


COLUMNS = {
    EvidenceKind.ROSTER: ["key", "name", "id_number", "village", "insurance", "outcome", "paid_fen"],
    EvidenceKind.OBLIGATIONS: ["key", "rule", "about", "due", "fulfilled", "outcome"],
    EvidenceKind.SUBMISSIONS: [
        "key",
        "dataset",
        "submitted_at",
        "status",
        "rows",
        "accepted",
        "repaired",
        "rejected",
        "outcome",
    ],
    EvidenceKind.TARGETS: ["key", "division", "insurance", "target"],
    EvidenceKind.SCREENING: [],
}
HEADERS = {
    "key": gettext_lazy("Record"),
    "name": gettext_lazy("Name"),
    "id_number": gettext_lazy("ID number"),
    "village": gettext_lazy("Village"),
    "insurance": gettext_lazy("Insurance"),
    "outcome": gettext_lazy("Outcome"),
    "paid_fen": gettext_lazy("Paid (fen)"),
    "rule": gettext_lazy("Obligation"),
    "about": gettext_lazy("About"),
    "due": gettext_lazy("Due"),
    "fulfilled": gettext_lazy("Met at"),
    "dataset": gettext_lazy("List"),
    "submitted_at": gettext_lazy("Submitted at"),
    "status": gettext_lazy("Status"),
    "rows": gettext_lazy("Rows"),
    "accepted": gettext_lazy("Accepted"),
    "repaired": gettext_lazy("Repaired"),
    "rejected": gettext_lazy("Rejected"),
    "division": gettext_lazy("Township or village"),
    "target": gettext_lazy("Persons to enrol"),
}


def evidence_get(
    user: User | None,
    run: AssessmentRun,
    ref: str,
    *,
    page: int = 1,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> EvidenceView:
    """Return a figure's evidence within the user's duty; listing persons is access-logged (masked)."""
    _require_view(user)
    evidence = Evidence.objects.filter(run=run, ref=ref[:60]).first()
    if evidence is None or not (sees_all(user) or evidence.township_code == own_township(user)):
        raise AssessmentError("not_found", _("No such evidence within your unit's duty."))
    if not sees_all(user) and evidence.subject_kind != SubjectKind.TOWNSHIP:
        raise AssessmentError("not_found", _("No such evidence within your unit's duty."))
    page = max(1, page)
    keys = evidence.keys or {}
    if evidence.kind == EvidenceKind.ROSTER:
        actor = Actor.of(user) if user is not None else Actor(None, "", "", "", "system", "")
        rows, total = _roster_rows(keys, page)
        access_log(
            actor=actor,
            action=AccessAction.LIST,
            object_type="roster.entry",
            object_ids=[r["key"].split(":")[1] for r in rows],
            duty="assessment",
            query=f"assessment evidence {ref}",
            request=request,
            channel=channel,
        )
    elif evidence.kind == EvidenceKind.OBLIGATIONS:
        rows, total = _obligation_rows(keys, page)
    elif evidence.kind == EvidenceKind.SUBMISSIONS:
        rows, total = _submission_rows(keys, page)
    elif evidence.kind == EvidenceKind.TARGETS:
        rows, total = _target_rows(keys)
    else:
        rows, total = [], 0
    score = Score.objects.filter(
        run=run, subject_kind=evidence.subject_kind, subject_code=evidence.subject_code
    ).first()
    return EvidenceView(
        evidence=evidence,
        score=score,
        columns=COLUMNS.get(EvidenceKind(evidence.kind), []),
        headers=[str(HEADERS.get(c, c)) for c in COLUMNS.get(EvidenceKind(evidence.kind), [])],
        rows=rows,
        total_rows=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
    )


@dataclass
class Referral:
    """A unit whose data was inaccurate or refused (Art 39), with the facts and their references."""

    score: Score
    refused: list[int]
    poor: list[int]
    beyond: list[int]
    refs: list[str]


def referrals(run: AssessmentRun) -> list[Referral]:
    """The townships and departments to report to the county discipline commission (Art 39), from the run."""
    wanted = (Criterion.TIMELINESS, Criterion.DATA_QUALITY)
    by_subject: dict[tuple[str, str], list[Evidence]] = {}
    for e in Evidence.objects.filter(run=run, criterion__in=wanted).exclude(subject_kind=SubjectKind.STAFF):
        by_subject.setdefault((e.subject_kind, e.subject_code), []).append(e)
    scores = {(s.subject_kind, s.subject_code): s for s in Score.objects.filter(run=run)}
    out = []
    for key, items in sorted(by_subject.items()):
        refused = [i for e in items for i in e.keys.get("refused", [])]
        poor = [i for e in items for i in e.keys.get("poor", [])]
        beyond = [i for e in items for i in e.keys.get("beyond", [])]
        if (refused or poor or beyond) and key in scores:
            out.append(
                Referral(
                    score=scores[key],
                    refused=refused,
                    poor=poor,
                    beyond=beyond,
                    refs=sorted(e.ref for e in items),
                )
            )
    return out
