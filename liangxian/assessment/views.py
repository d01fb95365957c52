"""The assessment pages under /assessment/ (Art 38-39): thin views over the services and selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liangxian.campaigns.models import Campaign
from liangxian.core.access import access_log
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor

from . import printing, selectors, services
from .models import Criterion, RunStatus, SubjectKind
from .services import AssessmentError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> Any:
    return request.user


def _run(request: HttpRequest, year: str) -> Any:
    try:
        return selectors.run_get(_user(request), year)
    except AssessmentError as exc:
        raise Http404(exc.message) from exc


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """List the campaigns' assessments; tax computes one from here."""
    user = _user(request)
    if not services.may_view(user):
        raise Http404(_("The assessment is not within your unit's duty."))
    runs = list(selectors.runs_for(user))
    assessed = {r.campaign_id for r in runs}
    campaigns = [c for c in Campaign.objects.order_by("-coverage_year") if c.pk not in assessed]
    return render(
        request,
        "assessment/home.html",
        {
            "runs": runs,
            "campaigns": campaigns,
            "may_manage": services.may_manage(user),
            "sees_all": services.may_view_all(user),
        },
    )


@require_POST
@login_required
def compute(request: HttpRequest) -> HttpResponse:
    """Compute (again) a campaign's assessment from the recorded facts (tax)."""
    year = request.POST.get("year", "")
    try:
        run = services.assessment_compute(by=_user(request), year=year)
    except AssessmentError as exc:
        messages.error(request, exc.message)
        return redirect("assessment:home")
    if run.before_period_end:
        messages.warning(request, _("The collection period has not ended yet: the figures are provisional."))
    messages.success(request, _("Assessment computed."))
    return redirect("assessment:run", year=run.campaign.coverage_year)


@require_GET
@login_required
def run_detail(request: HttpRequest, year: str) -> HttpResponse:
    """Show a run: the township, department and staff tables with rank, components and drill-down."""
    user = _user(request)
    run = _run(request, year)
    scores = selectors.scores_of(user, run)
    tables = [printing.table_rows(scores, k) for k in SubjectKind.values]
    return render(
        request,
        "assessment/run.html",
        {
            "run": run,
            "year": run.campaign.coverage_year,
            "tables": [t for t in tables if t["rows"]],
            "lost": [s for s in scores if s.award_lost],
            "may_manage": services.may_manage(user) and run.status == RunStatus.DRAFT,
            "may_print_all": services.may_view_all(user),
        },
    )


@require_POST
@login_required
def finalise(request: HttpRequest, year: str) -> HttpResponse:
    """Finalise a run (tax): frozen from now on."""
    try:
        services.assessment_finalise(by=_user(request), year=year)
    except AssessmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Assessment finalised: it no longer changes."))
    return redirect("assessment:run", year=year)


@require_GET
@login_required
def evidence(request: HttpRequest, year: str, ref: str) -> HttpResponse:
    """Show the records one figure was counted from (persons masked; the listing access-logged)."""
    run = _run(request, year)
    page = as_key(request.GET.get("page")) or 1
    try:
        view = selectors.evidence_get(_user(request), run, ref, page=min(page, 1_000_000), request=request)
    except AssessmentError as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "assessment/evidence.html",
        {
            "run": run,
            "year": run.campaign.coverage_year,
            "view": view,
            "criterion": Criterion(view.evidence.criterion).label,
            "component": view.score.components.get(view.evidence.criterion) if view.score else None,
        },
    )


def _download(request: HttpRequest, content: bytes, content_type: str, filename: str, run: Any) -> HttpResponse:
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.EXPORT,
        object_type="assessment.run",
        object_ids=[run.pk],
        duty="assessment",
        query=filename,
        request=request,
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@login_required
def report_pdf(request: HttpRequest, year: str) -> HttpResponse:
    """Download the printable assessment report (PDF)."""
    run = _run(request, year)
    pdf = printing.report_pdf(_user(request), run)
    return _download(request, pdf, "application/pdf", f"assessment-{run.campaign.coverage_year}.pdf", run)


@require_GET
@login_required
def report_xlsx(request: HttpRequest, year: str) -> HttpResponse:
    """Download the assessment as a workbook."""
    run = _run(request, year)
    book = printing.report_xlsx(_user(request), run)
    return _download(request, book, XLSX, f"assessment-{run.campaign.coverage_year}.xlsx", run)


@require_GET
@login_required
def discipline_pdf(request: HttpRequest, year: str) -> HttpResponse:
    """Download tax's report to the county discipline commission (Art 39): tax, discipline, audit, finance."""
    run = _run(request, year)
    if not services.may_view_all(_user(request)):
        raise Http404(_("The assessment is not within your unit's duty."))
    pdf = printing.discipline_pdf(_user(request), run)
    return _download(request, pdf, "application/pdf", f"discipline-report-{run.campaign.coverage_year}.pdf", run)


def _int(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


@require_http_methods(["GET", "POST"])
@login_required
def weights(request: HttpRequest) -> HttpResponse:
    """Show the weights and thresholds; tax changes them."""
    user = _user(request)
    if not services.may_view(user):
        raise Http404(_("The assessment is not within your unit's duty."))
    criteria = services.current_criteria()
    if request.method == "POST":
        new_weights: dict[str, dict[str, int]] = {}
        new_thresholds: dict[str, int] = {}
        bad = False
        for kind, values in criteria["weights"].items():
            for criterion in values:
                value = _int(request.POST.get(f"w-{kind}-{criterion}", ""))
                bad = bad or value is None
                if value is not None:
                    new_weights.setdefault(kind, {})[criterion] = value
        for code in criteria["thresholds"]:
            value = _int(request.POST.get(f"t-{code}", ""))
            bad = bad or value is None
            if value is not None:
                new_thresholds[code] = value
        if bad:
            messages.error(request, _("Give each weight and threshold as a whole number."))
        else:
            try:
                services.weights_update(by=user, weights=new_weights, thresholds=new_thresholds)
            except AssessmentError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Weights saved; they apply to the next computation."))
                return redirect("assessment:weights")
    rows = [
        {
            "kind": kind,
            "title": SubjectKind(kind).label,
            "items": [(c, Criterion(c).label, w) for c, w in values.items()],
            "sum": sum(values.values()),
        }
        for kind, values in criteria["weights"].items()
    ]
    labels = {
        "rate_floor_pct": _("Collection rate below which award eligibility is lost (%)"),
        "late_beyond_days": _("Days late beyond which an obligation is reported (Art 39)"),
        "rejected_rows_pct": _("Share of rejected rows above which a list counts as inaccurate (%)"),
    }
    thresholds = [(code, labels.get(code, code), value) for code, value in criteria["thresholds"].items()]
    return render(
        request,
        "assessment/weights.html",
        {"rows": rows, "thresholds": thresholds, "may_manage": services.may_manage(user)},
    )
