"""The due-list pages (Art 27): tax pushes; townships and villages read, filter, export and print; the survey."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.core.models import AccessAction, Division, DivisionLevel
from liangxian.core.scope import Actor, ScopeError
from liangxian.org.models import Department, UnitKind

from . import duelists, survey
from .duelists import DueFilters, DueListError, DueScope
from .models import SurveyMark
from .pdf import duelist_pdf as render_duelist_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


def _scope(request: HttpRequest) -> DueScope:
    actor = _actor(request)
    try:
        return duelists.due_scope(actor)
    except DueListError as exc:
        duelists.log_denied(actor, query=request.get_full_path()[:200], request=request)
        raise PermissionDenied(exc.message) from exc


def _campaign(request: HttpRequest) -> Campaign:
    try:
        return duelists.campaign_current(request.GET.get("campaign") or request.POST.get("campaign"))
    except DueListError as exc:
        raise Http404(exc.message) from exc


def _township(request: HttpRequest, scope: DueScope) -> str:
    """Return the township asked for: any for tax; for a township or village only its own (else 404, logged)."""
    asked = (request.GET.get("township") or "").strip()[:12]
    if scope.is_tax:
        return asked
    if asked and asked != scope.township_code:
        duelists.log_denied(scope.actor, query=f"township={asked}", request=request)
        raise Http404(_("No such due-list within your unit's duty."))
    return scope.township_code or ""


def _querystring(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@login_required
def duelist(request: HttpRequest) -> HttpResponse:
    """Show the due-list: who still has to pay, filtered; tax sees every township and pushes the lists."""
    scope = _scope(request)
    campaign = _campaign(request)
    township = _township(request, scope)
    filters = DueFilters.of(request.GET)
    context: dict[str, Any] = {
        "campaign": campaign,
        "campaigns": Campaign.objects.order_by("-coverage_year"),
        "scope": scope,
        "township": township,
        "filters": filters,
        "insurances": InsuranceType.choices,
        "querystring": _querystring(request),
    }
    if scope.is_tax:
        context["statuses"] = duelists.push_status(campaign=campaign)
        context["build"] = duelists.latest_build(campaign)
        context["township_name"] = (
            Division.objects.filter(code=township).values_list("name", flat=True).first() if township else ""
        )
        if not township:
            return render(request, "roster/due/duelist.html", context)
    try:
        context["push"] = duelists.check_pushed(scope, campaign, township or None)
    except DueListError as exc:
        duelists.log_due_access(scope, action=AccessAction.LIST, count=0, query="not pushed", request=request)
        context["not_pushed"] = exc.message
        return render(request, "roster/due/duelist.html", context)
    entries = duelists.due_entries(scope=scope, campaign=campaign, filters=filters).select_related("person")
    page = Paginator(entries, duelists.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = duelists.due_rows(scope, list(page.object_list))
    duelists.log_due_access(
        scope,
        action=AccessAction.LIST,
        ids=[r.person_id for r in rows],
        query=f"{campaign.coverage_year} {filters.describe()}".strip(),
        request=request,
    )
    context.update(
        page=page,
        rows=rows,
        villages=duelists.villages_of(scope, township or None),
        categories=duelists.categories_of(campaign=campaign, scope=scope),
    )
    return render(request, "roster/due/duelist.html", context)


@require_GET
@login_required
def duelist_export(request: HttpRequest) -> FileResponse:
    """Download the filtered due-list as xlsx, marked with who exported it; logged with the duty."""
    scope = _scope(request)
    campaign = _campaign(request)
    township = _township(request, scope)
    filters = DueFilters.of(request.GET)
    if township and scope.is_tax:
        filters = DueFilters(**{**filters.__dict__, "township": township})
    try:
        spool, _count = duelists.duelist_xlsx_file(
            scope=scope, campaign=campaign, filters=filters, exporter=str(request.user), request=request
        )
    except DueListError as exc:
        raise Http404(exc.message) from exc
    now = timezone.localtime()
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"duelist-{campaign.coverage_year}-{township or 'all'}-{now:%Y%m%d-%H%M%S}.xlsx",
        content_type=XLSX,
    )


@require_GET
@login_required
def duelist_pdf(request: HttpRequest) -> HttpResponse:
    """Print a township's due-list (or one village's) as PDF, one village per section; logged with the duty."""
    scope = _scope(request)
    campaign = _campaign(request)
    township = _township(request, scope)
    if not township:
        raise Http404(_("Choose a township to print."))
    try:
        data = render_duelist_pdf(
            scope=scope,
            campaign=campaign,
            township_code=township,
            filters=DueFilters.of(request.GET),
            printed_by=str(request.user),
            request=request,
        )
    except DueListError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(data, content_type="application/pdf")
    name = f"duelist-{campaign.coverage_year}-{request.GET.get('village') or township}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, name) or "inline"
    return response


@require_POST
@login_required
def duelist_push(request: HttpRequest) -> HttpResponse:
    """Push the townships their due-lists from the latest build (tax, Art 27)."""
    campaign = _campaign(request)
    chosen = [c for c in request.POST.getlist("township") if c]
    try:
        pushes = duelists.duelist_push(
            actor=request.user,  # type: ignore[arg-type]
            campaign=campaign,
            townships=chosen or None,
        )
    except DueListError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Due-lists pushed to %(n)s townships (%(persons)s persons still to pay).")
            % {"n": len(pushes), "persons": sum(p.entries for p in pushes)},
        )
    return redirect(f"{reverse('roster:duelist')}?campaign={campaign.coverage_year}")


@require_GET
@login_required
def progress(request: HttpRequest) -> HttpResponse:
    """Show progress towards "not one missed" (不漏一人) per village and township, with the targets."""
    scope = _scope(request)
    campaign = _campaign(request)
    township = _township(request, scope)
    insurance = request.GET.get("insurance") or InsuranceType.MEDICAL
    context: dict[str, Any] = {
        "campaign": campaign,
        "campaigns": Campaign.objects.order_by("-coverage_year"),
        "scope": scope,
        "township": township,
        "insurance": insurance,
        "insurances": InsuranceType.choices,
    }
    try:
        rows = duelists.progress(
            scope=scope, campaign=campaign, insurance=insurance, township=township, request=request
        )
    except DueListError as exc:
        context["not_pushed"] = exc.message
        return render(request, "roster/due/progress.html", context)
    context.update(rows=rows, chart=duelists.progress_chart(rows))
    return render(request, "roster/due/progress.html", context)


@require_GET
@login_required
def survey_view(request: HttpRequest) -> HttpResponse:
    """Show a township's survey marks for the campaign: cash only, gone, added (Art 17, 29)."""
    actor = _actor(request)
    campaign = _campaign(request)
    asked = (request.GET.get("township") or "").strip()[:12]
    own = actor.division_code[:9] if actor.unit_kind == UnitKind.TOWNSHIP else ""
    is_department = actor.unit_kind == UnitKind.DEPARTMENT and actor.department in (
        Department.TAX,
        Department.MEDICAL,
        Department.SOCIAL,
    )
    if not own and not is_department:
        duelists.log_denied(actor, query="survey", request=request)
        raise PermissionDenied(_("Only the townships and the departments that build the roster read the survey."))
    township = own or asked
    context: dict[str, Any] = {
        "campaign": campaign,
        "campaigns": Campaign.objects.order_by("-coverage_year"),
        "township": township,
        "townships": [] if own else Division.objects.filter(level=DivisionLevel.TOWNSHIP).order_by("code"),
        "mark": request.GET.get("mark", ""),
        "marks": [(m, _label(m)) for m in survey.MARKS],
    }
    if township:
        if own and asked and asked != own:
            duelists.log_denied(actor, query=f"survey township={asked}", request=request)
            raise Http404(_("No such survey within your unit's duty."))
        try:
            marks = survey.survey_marks(
                actor=actor, campaign=campaign, township_code=township, mark=context["mark"], request=request
            )
        except ScopeError:
            raise Http404(_("No such survey within your unit's duty.")) from None
        counts = dict(
            SurveyMark.objects.filter(campaign=campaign, township_code=township, until__isnull=True)
            .values_list("mark")
            .annotate(n=Count("pk"))
            .values_list("mark", "n")
        )
        page = Paginator(marks, duelists.PAGE_SIZE).get_page(request.GET.get("page"))
        villages = dict(Division.objects.filter(parent_id=township).values_list("code", "name"))
        context.update(
            page=page,
            counts=[(m, label, counts.get(m, 0)) for m, label in context["marks"]],
            rows=[
                {
                    "name": m.person.name,
                    "id_number": survey.mask_for(actor, m.person.id_number),
                    "village": villages.get(m.village_code, m.village_code),
                    "mark": _label(m.mark),
                    "note": m.note,
                    "since": m.since,
                }
                for m in page.object_list
            ],
            querystring=_querystring(request),
        )
    return render(request, "roster/due/survey.html", context)


def _label(mark: str) -> str:
    return {
        "cash_only": _("Can pay only in cash"),
        "gone": _("Gone (police asked to verify)"),
        "added": _("Added by the survey"),
    }.get(mark, mark)
