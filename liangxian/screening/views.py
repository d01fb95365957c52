"""The pages under /screening/ (Art 40-41): thin views over the services and selectors."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.core.access import access_log
from liangxian.core.idnumbers import mask
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.names import mask_name
from liangxian.core.scope import Actor

from . import selectors, services
from .models import Finding, Hit, Sample
from .presenters import evidence_rows
from .services import ScreeningError


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


def _viewer(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not selectors.may_view(actor):
        access_log(actor=actor, action=AccessAction.DENIED, object_type="screening", request=request)
        raise Http404(_("Screening is not within your unit's duty."))
    return actor


def _county(request: HttpRequest) -> Actor:
    actor = _viewer(request)
    if not selectors.sees_county(actor):
        raise Http404(_("Only the county's departments see this page."))
    return actor


def _key(text: str) -> int:
    key = as_key(text)
    if key is None:
        raise Http404
    return key


def yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(from_fen(fen))


def _hit_row(h: Hit, actor: Actor) -> dict[str, Any]:
    person = h.person
    number = person.id_number if person else ""
    return {
        "hit": h,
        "name": mask_name(person.name) if person else "",
        "id_number": (number if actor.sees_full_id else mask(number)) if number else "",
        "collector": str(h.collector) if h.collector_id else "",
        "amount": yuan(h.amount_fen),
    }


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The screening's start: the latest runs, and for a township its self-checks."""
    actor = _viewer(request)
    user: Any = request.user
    return render(
        request,
        "screening/home.html",
        {
            "runs": selectors.run_list(actor)[:20],
            "selfchecks": selectors.selfcheck_list(actor).order_by("-pk")[:50],
            "sees_county": selectors.sees_county(actor),
            "may_run": services.may_run(user),
        },
    )


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The rules with their explanations and thresholds (no personal data: any user reads them); tax edits them."""
    user: Any = request.user
    if request.method == "POST":
        code = request.POST.get("code", "")[:40]
        try:
            thresholds: dict[str, Any] = {}
            for name in request.POST:
                if name.startswith("th_"):
                    key = as_key(request.POST.get(name, "").strip())
                    thresholds[name[3:]] = key if key is not None else -1
            services.rule_update(
                actor=user, code=code, enabled=request.POST.get("enabled") == "on", thresholds=thresholds
            )
            messages.success(request, _("The rule is saved."))
        except ScreeningError as exc:
            messages.error(request, exc.message)
        return redirect("screening:rules")
    return render(
        request,
        "screening/rules.html",
        {"rules": selectors.rule_list(), "may_edit": services.may_edit_rules(user)},
    )


@require_POST
@login_required
def run_start(request: HttpRequest) -> HttpResponse:
    """Start a screening run over a campaign's cash data."""
    _viewer(request)
    year = as_key(request.POST.get("campaign", ""))
    try:
        run = services.screening_run(actor=request.user, year=year or 0)  # type: ignore[arg-type]
    except ScreeningError as exc:
        messages.error(request, exc.message)
        return redirect("screening:home")
    messages.success(request, _("Screening done: %(n)s new hits.") % {"n": run.new_hits})
    return redirect("screening:run", pk=run.pk)


@require_GET
@login_required
def run_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """A run's hits by rule and township, with masked IDs (the listing is logged)."""
    actor = _viewer(request)
    run = selectors.run_list(actor).filter(pk=_key(pk)).first()
    if run is None:
        raise Http404
    rule = request.GET.get("rule", "")[:40]
    township = request.GET.get("township", "")[:12]
    hits = list(selectors.hit_list(actor, run_id=run.pk, rule=rule, township=township)[:500])
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="screening.hit",
        object_ids=[h.pk for h in hits],
        query=request.GET.urlencode(),
        request=request,
    )
    user: Any = request.user
    return render(
        request,
        "screening/run.html",
        {
            "run": run,
            "counts": selectors.hit_counts(actor, run.pk),
            "rows": [_hit_row(h, actor) for h in hits],
            "rule": rule,
            "township": township,
            "may_run": services.may_run(user),
            "samples": run.samples.all(),
        },
    )


@require_POST
@login_required
def run_push(request: HttpRequest, pk: str) -> HttpResponse:
    _viewer(request)
    try:
        checks = services.run_push(actor=request.user, run_id=_key(pk))  # type: ignore[arg-type]
        messages.success(request, _("Pushed to %(n)s townships.") % {"n": len(checks)})
    except ScreeningError as exc:
        messages.error(request, exc.message)
    return redirect("screening:run", pk=pk)


@require_GET
@login_required
def hit_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """A hit's evidence in plain words (the view is logged)."""
    actor = _viewer(request)
    hit = selectors.hit_get(actor, _key(pk))
    if hit is None:
        raise Http404
    access_log(actor=actor, action=AccessAction.VIEW, object_type="screening.hit", object_ids=[hit.pk], request=request)
    answer = getattr(hit, "answer", None)
    return render(
        request,
        "screening/hit.html",
        {
            "row": _hit_row(hit, actor),
            "evidence": evidence_rows(hit.evidence),
            "answer": answer,
            "findings": hit.group_findings.all(),
            "referral": getattr(hit, "referral", None),
            "may_refer": services.may_run(request.user),  # type: ignore[arg-type]
        },
    )


@login_required
def selfcheck_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """The township's self-check: answer each item, file the report, see the deadline."""
    actor = _viewer(request)
    check = selectors.selfcheck_get(actor, _key(pk))
    if check is None:
        raise Http404
    user: Any = request.user
    if request.method == "POST":
        try:
            if request.POST.get("action") == "file":
                services.report_file(actor=user, selfcheck_id=check.pk, report=request.POST.get("report", ""))
                messages.success(request, _("The self-check report is filed."))
            else:
                services.answer_record(
                    actor=user,
                    selfcheck_id=check.pk,
                    hit_id=as_key(request.POST.get("hit", "")) or 0,
                    finding=request.POST.get("finding", ""),
                    evidence=request.POST.get("evidence", ""),
                    upload=request.FILES.get("upload"),
                )
                messages.success(request, _("The answer is saved."))
        except ScreeningError as exc:
            messages.error(request, exc.message)
        return redirect("screening:selfcheck", pk=check.pk)
    answers = list(check.answers.select_related("hit", "hit__rule", "hit__person", "hit__collector"))
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="screening.hit",
        object_ids=[a.hit_id for a in answers],
        request=request,
    )
    return render(
        request,
        "screening/selfcheck.html",
        {
            "check": check,
            "items": [{"answer": a, **_hit_row(a.hit, actor)} for a in answers],
            "findings": Finding.choices,
            "may_answer": services.may_answer(user, check) and check.filed_at is None,
        },
    )


@require_POST
@login_required
def sample_draw(request: HttpRequest, pk: str) -> HttpResponse:
    _county(request)
    size = as_key(request.POST.get("size", "")) or 0
    seed_text = request.POST.get("seed", "").strip()
    seed = as_key(seed_text) if seed_text else None
    if seed_text and seed is None:
        messages.error(request, _("The seed is a whole number from 0 up."))
        return redirect("screening:run", pk=pk)
    try:
        sample = services.sample_draw(actor=request.user, run_id=_key(pk), size=size, seed=seed)  # type: ignore[arg-type]
    except ScreeningError as exc:
        messages.error(request, exc.message)
        return redirect("screening:run", pk=pk)
    return redirect("screening:sample", pk=sample.pk)


@login_required
def sample_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """The working group's sample: its seed, the drawn items with the township's answer, and the group's findings."""
    actor = _county(request)
    sample = Sample.objects.select_related("run").filter(pk=_key(pk)).first()
    if sample is None:
        raise Http404
    user: Any = request.user
    if request.method == "POST":
        try:
            services.sample_finding_record(
                actor=user,
                sample_id=sample.pk,
                hit_id=as_key(request.POST.get("hit", "")) or 0,
                finding=request.POST.get("finding", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("The group's finding is recorded."))
        except ScreeningError as exc:
            messages.error(request, exc.message)
        return redirect("screening:sample", pk=sample.pk)
    hits = list(Hit.objects.filter(pk__in=sample.hit_ids).select_related("rule", "person", "collector"))
    found = {f.hit_id: f for f in sample.findings.all()}
    access_log(
        actor=actor, action=AccessAction.LIST, object_type="screening.hit", object_ids=sample.hit_ids, request=request
    )
    return render(
        request,
        "screening/sample.html",
        {
            "sample": sample,
            "items": [
                {"answer": getattr(h, "answer", None), "finding": found.get(h.pk), **_hit_row(h, actor)} for h in hits
            ],
            "findings": Finding.choices,
            "in_group": selectors.in_group(actor),
        },
    )


@login_required
def referrals(request: HttpRequest) -> HttpResponse:
    """Referrals to discipline inspection with the whole trail; tax or discipline refers a confirmed hit."""
    actor = _county(request)
    if request.method == "POST":
        try:
            services.referral_make(actor=request.user, hit_id=as_key(request.POST.get("hit", "")) or 0)  # type: ignore[arg-type]
            messages.success(request, _("Referred to discipline inspection."))
        except ScreeningError as exc:
            messages.error(request, exc.message)
        return redirect("screening:referrals")
    rows = list(selectors.referral_list(actor)[:200])
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="screening.referral",
        object_ids=[r.pk for r in rows],
        request=request,
    )
    return render(
        request,
        "screening/referrals.html",
        {
            "rows": [
                {
                    "referral": r,
                    "evidence": evidence_rows(r.trail.get("evidence", {})),
                    "trail_json": json.dumps(r.trail, ensure_ascii=False, indent=1),
                }
                for r in rows
            ]
        },
    )
