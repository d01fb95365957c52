"""The treasury reconciliation pages under /treasury/ (Art 36): thin views over the services and selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor

from . import selectors, services
from .models import Difference, DifferenceKind, DifferenceStatus, MonthStatus
from .services import TreasuryError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> Any:
    return request.user


def _require_view(request: HttpRequest) -> None:
    if not services.may_view(_user(request)):
        raise Http404(_("The treasury reconciliation is not within your unit's duty."))


def yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(from_fen(fen))


@require_GET
@login_required
def month_list(request: HttpRequest) -> HttpResponse:
    """List the months: the statement's due date, its import counts, the differences and the sign-off."""
    _require_view(request)
    return render(
        request,
        "treasury/months.html",
        {"rows": selectors.months_overview(), "may_import": services.may_import(_user(request))},
    )


@require_http_methods(["GET", "POST"])
@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Upload the People's Bank statement of a month (csv or xlsx) and match it against our records."""
    _require_view(request)
    if not services.may_import(_user(request)):
        raise Http404(_("Only the tax bureau or the People's Bank imports the treasury statement."))
    month = request.POST.get("month", request.GET.get("month", ""))
    if request.method == "POST":
        upload_file = request.FILES.get("file")
        if upload_file is None:
            messages.error(request, _("Choose the statement file to upload."))
        else:
            try:
                result = services.statement_import(
                    by=_user(request), month=month, content=upload_file.read(), filename=upload_file.name or ""
                )
            except TreasuryError as exc:
                messages.error(request, exc.message)
            else:
                counts = result.counts
                if result.created:
                    messages.success(
                        request,
                        _(
                            "Statement imported: %(lines)s lines, %(accepted)s accepted, %(repaired)s repaired, "
                            "%(rejected)s rejected; %(differences)s differences."
                        )
                        % {k: counts.get(k, 0) for k in ("lines", "accepted", "repaired", "rejected", "differences")},
                    )
                else:
                    messages.info(request, _("This file was imported before: its first import is shown."))
                return redirect("treasury:month", month=result.statement.month.month)
    return render(request, "treasury/upload.html", {"month": month})


@require_GET
@login_required
def template_download(request: HttpRequest) -> HttpResponse:
    """Download the statement template (xlsx with the Chinese headers and a sheet describing them)."""
    _require_view(request)
    response = HttpResponse(services.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E5%85%A5%E5%BA%93%E5%AF%B9%E8%B4%A6%E5%8D%95.xlsx"
    return response


def _month_or_404(month: str) -> Any:
    try:
        month = services.month_parse(month)
    except TreasuryError as exc:
        raise Http404(exc.message) from exc
    return month


def _row(d: Difference) -> dict[str, Any]:
    return {
        "d": d,
        "ours": yuan(d.our_amount_fen),
        "theirs": yuan(d.statement_amount_fen),
        "gap": yuan((d.statement_amount_fen or 0) - (d.our_amount_fen or 0)),
    }


@require_GET
@login_required
def month_detail(request: HttpRequest, month: str) -> HttpResponse:
    """Show a month: both sides' totals by insurance, the statement's flagged lines, the differences, sign-off."""
    _require_view(request)
    month = _month_or_404(month)
    the_month = selectors.month_get(month)
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    context: dict[str, Any] = {
        "month": month,
        "record": the_month,
        "due": selectors.statement_due(month),
        "kinds": DifferenceKind.choices,
        "statuses": DifferenceStatus.choices,
        "filters": {"kind": kind, "status": status},
        "may_resolve": services.may_resolve(_user(request)),
        "may_drill": services.may_drill(_user(request)),
        "may_import": services.may_import(_user(request)),
        "signed": the_month is not None and the_month.status == MonthStatus.SIGNED_OFF,
    }
    if the_month is not None and the_month.statement_id is not None:
        differences = selectors.differences_of(the_month, kind=kind, status=status)
        all_open = selectors.differences_of(the_month, status=DifferenceStatus.OPEN).count()
        context.update(
            {
                "rows": [_row(d) for d in differences[:1000]],
                "open_count": all_open,
                "totals": selectors.totals_by_insurance(the_month),
                "accounts": selectors.totals_by_account(the_month),
                "flagged": selectors.flagged_lines(the_month),
                "counts": the_month.statement.counts if the_month.statement else {},
                "statements": the_month.statements.select_related("imported_by").order_by("-imported_at"),
            }
        )
    return render(request, "treasury/month.html", context)


def _difference(request: HttpRequest, month: str, pk: int) -> Difference:
    if not 0 < pk < services.MAX_PK:
        raise Http404(_("No such difference."))
    d = Difference.objects.select_related("statement__month", "resolved_by").filter(pk=pk, month__month=month).first()
    if d is None:
        raise Http404(_("No such difference."))
    return d


@require_POST
@login_required
def resolve(request: HttpRequest, month: str, pk: int) -> HttpResponse:
    """Resolve a difference with a note; answers the row itself to an htmx request."""
    _require_view(request)
    month = _month_or_404(month)
    d = _difference(request, month, pk)
    error = ""
    try:
        d = services.difference_resolve(by=_user(request), difference=d, note=request.POST.get("note", "")[:2000])
    except TreasuryError as exc:
        error = exc.message
    if getattr(request, "htmx", False):
        d = _difference(request, month, pk)
        return render(
            request,
            "treasury/_difference_row.html",
            {
                "r": _row(d),
                "month": month,
                "error": error,
                "may_resolve": True,
                "may_drill": services.may_drill(_user(request)),
                "signed": False,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Difference resolved."))
    return redirect(reverse("treasury:month", kwargs={"month": month}) + f"#d{pk}")


@require_POST
@login_required
def signoff(request: HttpRequest, month: str) -> HttpResponse:
    """Sign the month off for tax (every difference resolved)."""
    _require_view(request)
    month = _month_or_404(month)
    try:
        services.month_signoff(by=_user(request), month=month, note=request.POST.get("note", "")[:2000])
    except TreasuryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The month %(month)s is signed off.") % {"month": month})
    return redirect("treasury:month", month=month)


@require_GET
@login_required
def payments(request: HttpRequest, month: str, pk: int) -> HttpResponse:
    """Show the payment records behind a difference's voucher (ID numbers masked; the view is logged)."""
    _require_view(request)
    if not services.may_drill(_user(request)):
        raise Http404(_("The payments behind a voucher are shown to the tax bureau only."))
    month = _month_or_404(month)
    d = _difference(request, month, pk)
    rows = selectors.payments_behind(d, _user(request))
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.VIEW,
        object_type="collection.payment",
        object_ids=[r.person_id or f"payment:{r.id}" for r in rows],
        query=f"treasury {month} voucher={d.voucher}",
        request=request,
    )
    template = "treasury/_payments.html" if getattr(request, "htmx", False) else "treasury/payments.html"
    return render(request, template, {"d": d, "rows": rows, "month": month})
