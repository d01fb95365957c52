"""The refund pages (Art 32-33) and the payment problems page (Art 26): thin views over the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.collection.models import Channel, Payment
from liangxian.core.access import access_log
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor

from . import selectors, services
from .models import (
    Bureau,
    PaymentProblem,
    ProblemCategory,
    ProblemStatus,
    Refund,
    RefundDocument,
    RefundReason,
    RefundStatus,
)
from .services import RefundError

PAGE_SIZE = 50


def _user(request: HttpRequest) -> Any:
    return request.user


def _department(request: HttpRequest) -> str:
    unit = getattr(request.user, "unit", None)
    return unit.department if unit is not None and unit.kind == "department" else ""


def _is_township(request: HttpRequest) -> bool:
    unit = getattr(request.user, "unit", None)
    return unit is not None and unit.kind == "township"


def _may_open_refunds(request: HttpRequest) -> bool:
    user = _user(request)
    return bool(user.is_superuser or _department(request) in ("tax", "medical", "social") or _is_township(request))


def _yuan(fen: int) -> str:
    return format_yuan(from_fen(fen))


def _row(request: HttpRequest, refund: Refund) -> dict[str, Any]:
    payer = selectors.payer_of(_user(request), refund.payment.id_number, refund.payment.name)
    return {
        "refund": refund,
        "payer": payer,
        "amount": _yuan(refund.amount_fen),
        "paid": _yuan(refund.payment.amount_fen),
        "late": services.is_late(refund),
    }


def _find_payment(request: HttpRequest) -> Payment | None:
    payment_id = (request.POST.get("payment") or "").strip()
    pk = as_key(payment_id)
    if pk is not None:
        return Payment.objects.filter(pk=pk).first()
    channel = (request.POST.get("channel") or "").strip()
    txn_no = (request.POST.get("txn_no") or "").strip()
    if channel and txn_no:
        return Payment.objects.filter(channel=channel, txn_no=txn_no).first()
    return None


@require_GET
@login_required
def refund_list(request: HttpRequest) -> HttpResponse:
    """List the refunds within the user's duty, with the request form for tax and townships."""
    if not _may_open_refunds(request):
        raise Http404(_("Refunds are not within your unit's duty."))
    status = request.GET.get("status", "")
    bureau = request.GET.get("bureau", "")
    q = request.GET.get("q", "")[:40]
    qs = selectors.refund_filters(selectors.refunds_visible(_user(request)), status=status, bureau=bureau, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_row(request, r) for r in page.object_list]
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.LIST,
        object_type="refunds.refund",
        object_ids=[r["refund"].payment.person_id or f"payment:{r['refund'].payment_id}" for r in rows],
        query=f"status={status} bureau={bureau} q={q}".strip(),
        request=request,
    )
    prefill = None
    asked = request.GET.get("payment", "")
    asked_pk = as_key(asked)
    if asked_pk is not None:
        candidate = Payment.objects.filter(pk=asked_pk).first()
        if candidate is not None and services.may_request(_user(request), candidate):
            held = services.refundable_of(candidate)
            prefill = {
                "payment": candidate,
                "payer": selectors.payer_of(_user(request), candidate.id_number, candidate.name),
                "available": from_fen(max(held.available_fen, 0)),
            }
    may_request = _user(request).is_superuser or _department(request) == "tax" or _is_township(request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "refunds/list.html",
        {
            "rows": rows,
            "page": page,
            "statuses": RefundStatus.choices,
            "bureaus": Bureau.choices,
            "reasons": RefundReason.choices,
            "channels": Channel.choices,
            "filters": {"status": status, "bureau": bureau, "q": q},
            "may_request": may_request,
            "prefill": prefill,
            "querystring": query.urlencode(),
        },
    )


@require_POST
@login_required
def refund_request_view(request: HttpRequest) -> HttpResponse:
    """Ask for a refund of a payment found by its number or by its channel transaction."""
    payment = _find_payment(request)
    if payment is None:
        messages.error(request, _("No payment with this channel transaction number."))
        return redirect("refunds:list")
    try:
        refund = services.refund_request(
            by=_user(request),
            payment=payment,
            reason=request.POST.get("reason", ""),
            amount=(request.POST.get("amount") or "").strip() or None,
            note=request.POST.get("note", "")[:2000],
        )
    except RefundError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('refunds:list')}?payment={payment.pk}")
    messages.success(request, _("Refund %(number)s requested.") % {"number": refund.number})
    return redirect("refunds:detail", pk=refund.pk)


def _visible_refund(request: HttpRequest, pk: int) -> Refund:
    refund = selectors.refunds_visible(_user(request)).filter(pk=pk).first()
    if refund is None:
        raise Http404(_("No such refund within your unit's duty."))
    return refund


@require_GET
@login_required
def refund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one refund, its documents, and the bureau's actions."""
    refund = _visible_refund(request, pk)
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.VIEW,
        object_type="refunds.refund",
        object_ids=[refund.payment.person_id or f"payment:{refund.payment_id}"],
        query=refund.number,
        request=request,
    )
    held = services.refundable_of(refund.payment)
    return render(
        request,
        "refunds/detail.html",
        {
            **_row(request, refund),
            "held": {
                "paid": _yuan(held.paid_fen),
                "refunded": _yuan(held.refunded_fen),
                "pending": _yuan(held.pending_fen),
                "available": _yuan(max(held.available_fen, 0)),
            },
            "documents": refund.documents.select_related("uploaded_by"),
            "may_decide": services.may_decide(_user(request), refund),
        },
    )


def _act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    refund = _visible_refund(request, pk)
    note = request.POST.get("note", "")[:2000]
    try:
        if action == "approve":
            services.refund_approve(by=_user(request), refund=refund, note=note)
            messages.success(request, _("Refund approved; send the refund roster to tax within 2 working days."))
        elif action == "reject":
            services.refund_reject(by=_user(request), refund=refund, note=note)
            messages.success(request, _("Refund refused."))
        else:
            services.refund_execute(by=_user(request), refund=refund)
            messages.success(request, _("Refund carried out and recorded against the payment."))
    except RefundError as exc:
        messages.error(request, exc.message)
    return redirect("refunds:detail", pk=refund.pk)


@require_POST
@login_required
def refund_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "approve")


@require_POST
@login_required
def refund_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "reject")


@require_POST
@login_required
def refund_execute_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "execute")


@require_POST
@login_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep the scan of a supporting document (Art 33)."""
    refund = _visible_refund(request, pk)
    scan = request.FILES.get("scan")
    if scan is None:
        messages.error(request, _("Choose the scanned document to upload."))
        return redirect("refunds:detail", pk=refund.pk)
    try:
        services.refund_document_add(by=_user(request), refund=refund, title=request.POST.get("title", ""), scan=scan)
    except RefundError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Document scan kept; the bureau holds the original."))
    return redirect("refunds:detail", pk=refund.pk)


@require_GET
@login_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Open a document's scan, within the refund's scope; logged."""
    document = RefundDocument.objects.select_related("refund__payment").filter(pk=pk).first()
    if document is None or not selectors.refunds_visible(_user(request)).filter(pk=document.refund_id).exists():
        raise Http404(_("No such document within your unit's duty."))
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.VIEW,
        object_type="refunds.refunddocument",
        object_ids=[document.refund.payment.person_id or f"payment:{document.refund.payment_id}"],
        query=document.refund.number,
        request=request,
    )
    return FileResponse(
        document.file.open("rb"), content_type=document.content_type, filename=document.file.name or "scan"
    )


@require_GET
@login_required
def roster_list(request: HttpRequest) -> HttpResponse:
    """The refund rosters: a bureau sends its refunds to tax; tax downloads and receives them (Art 32)."""
    user = _user(request)
    department = _department(request)
    if not (user.is_superuser or department in ("tax", "medical", "social")):
        raise Http404(_("Refund rosters are not within your unit's duty."))
    waiting = []
    if department in Bureau.values:
        waiting = [
            _row(request, r)
            for r in selectors.refunds_visible(user).filter(status=RefundStatus.EXECUTED, roster__isnull=True)
        ]
    overdue = [
        _row(request, r)
        for r in selectors.refunds_visible(user).filter(
            status__in=[RefundStatus.APPROVED, RefundStatus.EXECUTED], roster__isnull=True
        )
        if services.is_late(r)
    ]
    return render(
        request,
        "refunds/rosters.html",
        {
            "rosters": selectors.rosters_visible(user)[:200],
            "waiting": waiting,
            "waiting_total": _yuan(sum(r["refund"].amount_fen for r in waiting)),
            "overdue": overdue,
            "is_bureau": department in Bureau.values,
            "is_tax": department == "tax",
        },
    )


@require_POST
@login_required
def roster_send(request: HttpRequest) -> HttpResponse:
    try:
        roster = services.refund_roster_send(by=_user(request))
    except RefundError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Refund roster %(number)s sent to tax.") % {"number": roster.number})
    return redirect("refunds:rosters")


@require_POST
@login_required
def roster_receive(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.refund_roster_receive(by=_user(request), roster=pk)
    except RefundError as exc:
        messages.error(request, exc.message)
    return redirect("refunds:rosters")


@require_GET
@login_required
def roster_download(request: HttpRequest, pk: int) -> FileResponse:
    """Download a refund roster's xlsx; the export is logged."""
    roster = selectors.rosters_visible(_user(request)).filter(pk=pk).first()
    if roster is None:
        raise Http404(_("No such refund roster within your unit's duty."))
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.EXPORT,
        object_type="refunds.refundroster",
        object_ids=list(roster.refunds.values_list("payment__person_id", flat=True)),
        query=roster.number,
        request=request,
    )
    return FileResponse(
        roster.file.open("rb"),
        as_attachment=True,
        filename=f"{roster.number}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# ------------------------------------------------------------------------------------------ payment problems


def _may_open_problems(request: HttpRequest) -> bool:
    return bool(_user(request).is_superuser or _department(request) == "tax" or _is_township(request))


@require_GET
@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    """The township's payment problems and tax's answers; tax sees every township's (Art 26)."""
    if not _may_open_problems(request):
        raise Http404(_("Payment problems are not within your unit's duty."))
    status = request.GET.get("status", "")
    qs = selectors.problems_visible(_user(request))
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "refunds/problems.html",
        {
            "page": page,
            "problems": list(page.object_list),
            "statuses": ProblemStatus.choices,
            "categories": ProblemCategory.choices,
            "status": status,
            "may_report": _is_township(request),
            "now": timezone.now(),
        },
    )


@require_POST
@login_required
def problem_report_view(request: HttpRequest) -> HttpResponse:
    try:
        problem = services.problem_report(
            by=_user(request),
            category=request.POST.get("category", ""),
            subject=request.POST.get("subject", "")[:120],
            text=request.POST.get("text", "")[:5000],
            id_number=request.POST.get("id_number", "")[:30],
            payment=(request.POST.get("payment") or "").strip() or None,
        )
    except RefundError as exc:
        messages.error(request, exc.message)
        return redirect("refunds:problems")
    messages.success(request, _("Problem reported to the tax bureau."))
    return redirect("refunds:problem", pk=problem.pk)


def _visible_problem(request: HttpRequest, pk: int) -> PaymentProblem:
    problem = selectors.problems_visible(_user(request)).filter(pk=pk).first()
    if problem is None:
        raise Http404(_("No such payment problem within your unit's duty."))
    return problem


@require_GET
@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _visible_problem(request, pk)
    payer = None
    if problem.person is not None:
        payer = selectors.payer_of(_user(request), problem.person.id_number, problem.person.name)
        access_log(
            actor=Actor.of(_user(request)),
            action=AccessAction.VIEW,
            object_type="refunds.paymentproblem",
            object_ids=[problem.person_id],
            request=request,
        )
    return render(
        request,
        "refunds/problem.html",
        {
            "problem": problem,
            "payer": payer,
            "may_answer": _department(request) == "tax" and problem.status != ProblemStatus.CLOSED,
            "may_close": _is_township(request) and problem.status != ProblemStatus.CLOSED,
        },
    )


@require_POST
@login_required
def problem_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _visible_problem(request, pk)
    try:
        services.problem_answer(by=_user(request), problem=problem, answer=request.POST.get("answer", "")[:5000])
    except RefundError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Answer sent to the township."))
    return redirect("refunds:problem", pk=problem.pk)


@require_POST
@login_required
def problem_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _visible_problem(request, pk)
    try:
        services.problem_close(by=_user(request), problem=problem, note=request.POST.get("note", "")[:2000])
    except RefundError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Problem closed."))
    return redirect("refunds:problem", pk=problem.pk)
