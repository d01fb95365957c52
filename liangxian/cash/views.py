"""The cash pages (Art 29): the collector's phone page, and the township's and tax's view of the collectors' days."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.collection.models import Channel
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division, DivisionLevel
from liangxian.core.scope import Actor, ScopeError
from liangxian.org.models import Role, User

from . import selectors, services
from .ledger import cash_ledger_pdf
from .models import CashDay, CashReceipt, DayStatus, LedgerScan
from .services import CashError


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def proof_url(number: str) -> str:
    """Link the payer's proof of payment on the portal, or give "" while that page does not exist."""
    try:
        return reverse("portal:proof_pdf", kwargs={"number": number})
    except NoReverseMatch:
        return ""


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None


def _channels() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Channel.choices if value in services.PAYIN_CHANNELS]


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The collector's phone page: find a payer, record cash and its pay-in, open the proof; today's balance."""
    user = _user(request)
    today = timezone.localdate()
    villages = services.authorised_villages(user, today)
    q = (request.GET.get("q") or "").strip()[:40]
    payers = selectors.payers_find(user=user, q=q, request=request) if q and user.role == Role.COLLECTOR else []
    receipts = selectors.receipts_of(user, today)
    if receipts:
        access_log(
            actor=Actor.of(user),
            action=AccessAction.LIST,
            object_type="cash.receipt",
            object_ids=[r.person_id for r in receipts],
            query=f"cash today {today.isoformat()}",
            request=request,
        )
    rows = []
    for r in receipts:
        proof = getattr(r.payment, "proof", None) if r.payment_id else None
        rows.append({"receipt": r, "proof": proof, "proof_url": proof_url(proof.number) if proof else ""})
    campaign = selectors.current_campaign_or_none()
    context: dict[str, Any] = {
        "today": today,
        "q": q,
        "payers": payers,
        "searched": bool(q),
        "rows": rows,
        "totals": services.day_totals(user.pk, today),
        "cash_day": CashDay.objects.filter(collector=user, day=today).first(),
        "authorised": bool(villages) and user.role == Role.COLLECTOR,
        "village_names": list(Division.objects.filter(code__in=villages).values_list("name", flat=True)),
        "channels": _channels(),
        "campaign": campaign,
        "deadline": services.scan_deadline(campaign) if campaign else None,
    }
    return render(request, "cash/home.html", context)


@require_POST
@login_required
def receipt_create(request: HttpRequest) -> HttpResponse:
    """Record cash received from a payer; say so when he is not on the township's cash list."""
    try:
        entry_id = int(request.POST.get("entry") or 0)
        receipt = services.cash_receipt_record(
            by=_user(request), entry_id=entry_id, amount=(request.POST.get("amount") or "").strip()
        )
    except (CashError, ValueError) as exc:
        messages.error(request, exc.message if isinstance(exc, CashError) else _("No such payer on the due-list."))
        return redirect(
            reverse("cash:home") + (f"?q={request.POST.get('q', '')[:40]}" if request.POST.get("q") else "")
        )
    messages.success(request, _("Cash received. Now pay it in and record the transaction number."))
    if receipt.off_list:
        messages.warning(request, _("This payer is not on the township's cash list: the cash is accepted but flagged."))
    return redirect("cash:home")


@require_POST
@login_required
def payin_create(request: HttpRequest, receipt_id: int) -> HttpResponse:
    """Record the channel transaction that paid the cash in; the proof of payment is issued with it."""
    try:
        result = services.cash_payin_record(
            by=_user(request),
            receipt_id=receipt_id,
            channel=request.POST.get("channel") or "",
            txn_no=request.POST.get("txn_no") or "",
        )
    except CashError as exc:
        messages.error(request, exc.message)
        return redirect("cash:home")
    if result.proof:
        messages.success(
            request, _("Paid in. Proof of payment %(number)s is ready for the payer.") % {"number": result.proof.number}
        )
    else:
        messages.warning(request, _("Paid in, but the payment does not count yet: tax will resolve it on the queue."))
    return redirect("cash:home")


@require_GET
@login_required
def ledger_pdf(request: HttpRequest, collector_id: int, day: str) -> HttpResponse:
    """Print a collector's cash ledger of one day for signatures and fingerprints."""
    the_day = _parse_day(day)
    if the_day is None:
        raise Http404
    collector = get_object_or_404(User, pk=collector_id)
    try:
        pdf = cash_ledger_pdf(viewer=_user(request), collector=collector, day=the_day, request=request)
    except CashError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cash-ledger-{collector.pk}-{the_day:%Y%m%d}.pdf"'
    return response


@require_GET
@login_required
def township(request: HttpRequest) -> HttpResponse:
    """The township's (and tax's) view: each collector's days, differences raised, ledgers and their scans."""
    user = _user(request)
    try:
        scope = selectors.days_scope(user)
    except ScopeError as exc:
        raise PermissionDenied(_("Only the townships and tax oversee the collectors' cash.")) from exc
    del scope
    filters = selectors.DayFilters(
        day=_parse_day(request.GET.get("day")),
        status=(request.GET.get("status") or "").strip(),
        township=(request.GET.get("township") or "").strip()[:12],
    )
    days = list(selectors.cash_days(user=user, filters=filters)[:300])
    campaign = selectors.current_campaign_or_none()
    names = dict(
        Division.objects.filter(code__in={d.village_code for d in days} | {d.township_code for d in days}).values_list(
            "code", "name"
        )
    )
    context: dict[str, Any] = {
        "days": [{"day": d, "village": names.get(d.village_code, d.village_code)} for d in days],
        "filters": filters,
        "statuses": DayStatus.choices,
        "raised": sum(1 for d in days if d.status == DayStatus.RAISED),
        "campaign": campaign,
        "deadline": services.scan_deadline(campaign) if campaign else None,
        "may_clear": not (user.unit and user.unit.kind == "village"),
        "townships": (
            list(Division.objects.filter(level=DivisionLevel.TOWNSHIP).order_by("code").values_list("code", "name"))
            if user.is_superuser or services.is_tax(user)
            else []
        ),
    }
    return render(request, "cash/township.html", context)


@require_POST
@login_required
def day_clear(request: HttpRequest, day_id: int) -> HttpResponse:
    """Clear a raised difference with the township's note."""
    try:
        services.cash_day_clear(by=_user(request), day_id=day_id, note=request.POST.get("note") or "")
        messages.success(request, _("The difference is cleared."))
    except CashError as exc:
        messages.error(request, exc.message)
    return redirect("cash:township")


@require_POST
@login_required
def scan_upload(request: HttpRequest, day_id: int) -> HttpResponse:
    """Keep the scan of a signed cash ledger."""
    upload = request.FILES.get("scan")
    back = request.POST.get("back") == "home"
    if upload is None:
        messages.error(request, _("Choose the scanned ledger to upload."))
    else:
        try:
            services.cash_ledger_scan_upload(by=_user(request), day_id=day_id, upload=upload)
            messages.success(request, _("The ledger scan is kept."))
        except CashError as exc:
            messages.error(request, exc.message)
    return redirect("cash:home" if back else "cash:township")


@require_GET
@login_required
def scan_file(request: HttpRequest, scan_id: int) -> FileResponse:
    """Open a kept ledger scan (it shows payers' names and signatures: logged)."""
    user = _user(request)
    scan = get_object_or_404(LedgerScan.objects.select_related("day"), pk=scan_id)
    try:
        selectors.cash_day_get(user=user, day_id=scan.day_id)
    except ScopeError as exc:
        raise Http404 from exc
    ids = list(
        CashReceipt.objects.filter(collector_id=scan.day.collector_id, business_date=scan.day.day).values_list(
            "person_id", flat=True
        )
    )
    access_log(
        actor=Actor.of(user), action=AccessAction.VIEW, object_type="cash.ledger_scan", object_ids=ids, request=request
    )
    return FileResponse(scan.scan.open("rb"), content_type=scan.content_type)
