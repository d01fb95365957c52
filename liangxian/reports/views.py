"""The report pages (Art 34): by insurance type, by account, the xlsx of the same figures and the payments behind."""

from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from liangxian.campaigns.models import Campaign
from liangxian.collection.models import Channel, PaymentKind
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division, DivisionLevel
from liangxian.core.scope import Actor, division_q
from liangxian.finance.models import Flow

from . import charts, selectors, selectors_accounts, selectors_drill
from .exports import report_xlsx
from .rules import Period
from .selectors import ReportError, ReportScope
from .selectors_drill import Drill

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(request: HttpRequest, object_type: str) -> ReportScope:
    actor = Actor.of(request.user)  # type: ignore[arg-type]
    try:
        return selectors.report_scope(actor)
    except ReportError as exc:
        access_log(actor=actor, action=AccessAction.DENIED, object_type=object_type, request=request)
        raise PermissionDenied(exc.message) from exc


def _period(request: HttpRequest) -> tuple[Period, str]:
    """Read the period of the page's form: its kind picks which fields count. Return it and any error."""
    get = request.GET
    kind = get.get("period", "")
    fields = {
        "month": get.get("month", "") if kind in ("", "month") else "",
        "year": get.get("year", "") if kind in ("", "year") else "",
        "date_from": get.get("from", "") if kind in ("", "range") else "",
        "date_to": get.get("to", "") if kind in ("", "range") else "",
    }
    try:
        return selectors.read_period(**fields), ""
    except ReportError as exc:
        return selectors.default_period(), exc.message


def _base_context(request: HttpRequest, scope: ReportScope, period: Period, township: str) -> dict[str, Any]:
    townships = (
        list(
            Division.objects.filter(level=DivisionLevel.TOWNSHIP)
            .filter(division_q("code", scope.county_code))
            .order_by("code")
            .values_list("code", "name")
        )
        if scope.is_county
        else []
    )
    base = {**period.query(), **({"township": township} if township and scope.is_county else {})}
    return {
        "scope": scope,
        "period": period,
        "township": township,
        "townships": townships,
        "years": list(Campaign.objects.order_by("-coverage_year").values_list("coverage_year", flat=True)),
        "base_query": urlencode(base),
        "period_query": urlencode(period.query()),
    }


@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Show receipts by insurance type: gross, refunds, reversals, net, persons, 代缴, channels, townships, treasury."""
    scope = _scope(request, "reports.summary")
    period, error = _period(request)
    try:
        report = selectors.summary(
            scope=scope, period=period, township=request.GET.get("township", ""), request=request
        )
    except ReportError as exc:
        access_log(
            actor=scope.actor,
            action=AccessAction.DENIED,
            object_type="reports.summary",
            query=request.get_full_path()[:200],
            request=request,
        )
        raise Http404(exc.message) from exc
    context = _base_context(request, scope, period, report.area)
    context.update(
        {
            "report": report,
            "error": error,
            "chart": charts.summary_chart(report),
            "kinds": PaymentKind,
            "channels": Channel,
        }
    )
    return render(request, "reports/overview.html", context)


@require_GET
@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    """Show each insurance's income, fiscal special and expenditure accounts: credited, transferred, balance."""
    scope = _scope(request, "reports.accounts")
    period, error = _period(request)
    try:
        report = selectors_accounts.accounts(
            scope=scope,
            period=period,
            flow=request.GET.get("flow", ""),
            insurance=request.GET.get("insurance", ""),
            request=request,
        )
    except ReportError as exc:
        access_log(actor=scope.actor, action=AccessAction.DENIED, object_type="reports.accounts", request=request)
        raise PermissionDenied(exc.message) from exc
    context = _base_context(request, scope, period, "")
    context.update(
        {
            "report": report,
            "error": error,
            "chart": charts.accounts_chart(report),
            "flows": Flow.choices,
            "flow": request.GET.get("flow", ""),
            "insurance": request.GET.get("insurance", ""),
        }
    )
    return render(request, "reports/accounts.html", context)


@require_GET
@login_required
def xlsx(request: HttpRequest) -> FileResponse:
    """Download the figures of the pages as xlsx (the accounts too, for the county)."""
    scope = _scope(request, "reports.summary")
    period, error = _period(request)
    if error:
        raise Http404(error)
    try:
        report = selectors.summary(
            scope=scope, period=period, township=request.GET.get("township", ""), request=request
        )
    except ReportError as exc:
        raise Http404(exc.message) from exc
    account_report = (
        selectors_accounts.accounts(scope=scope, period=period, receipts=report, request=request)
        if scope.sees_accounts and not report.area
        else None
    )
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    report_xlsx(scope=scope, report=report, accounts=account_report, target=spool, request=request)
    spool.seek(0)
    name = f"reports-{period.key}{'-' + report.area if report.area else ''}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX)


@require_GET
@login_required
def payments(request: HttpRequest) -> HttpResponse:
    """List the payments behind a figure, a page at a time, ID numbers masked (logged)."""
    scope = _scope(request, "collection.payment")
    period, error = _period(request)
    drill = Drill.of(request.GET)
    try:
        found = selectors_drill.payments_behind(
            scope=scope,
            period=period,
            township=request.GET.get("township", ""),
            drill=drill,
            page=request.GET.get("page") or 1,
            request=request,
        )
        area = selectors.resolve_area(scope, request.GET.get("township", ""))
    except ReportError as exc:
        access_log(
            actor=scope.actor,
            action=AccessAction.DENIED,
            object_type="collection.payment",
            query=request.get_full_path()[:200],
            request=request,
        )
        raise Http404(exc.message) from exc
    context = _base_context(request, scope, period, area)
    query = {**period.query(), **({"township": area} if area and scope.is_county else {}), **drill.query()}
    context.update(
        {
            "found": found,
            "drill": drill,
            "error": error,
            "querystring": urlencode(query),
            "area_name": selectors.area_name(scope, area),
        }
    )
    return render(request, "reports/payments.html", context)
