"""The bureaus' pages: monthly reports and their comparison (Art 36), the daily detail (Art 37); thin views."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.collection.models import Payment
from liangxian.core.access import access_log
from liangxian.core.idnumbers import mask
from liangxian.core.models import AccessAction
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor

from . import frames, selectors, services
from .models import Bureau, DailyFile
from .services import BureausError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAILY_DUTY = "entitlement_reconciliation"  # Art 37: the bureau credits each payer's entitlement


def _user(request: HttpRequest) -> Any:
    return request.user


def _insurances(request: HttpRequest) -> list[str]:
    found = services.visible_insurances(_user(request))
    if not found:
        raise Http404(_("The bureaus' reports and daily detail are not within your unit's duty."))
    return found


def _report_bureaus(request: HttpRequest) -> list[tuple[str, str]]:
    return [(b, str(label)) for b, label in Bureau.choices if services.may_report(_user(request), b)]


def _last_month() -> str:
    first = timezone.localdate().replace(day=1)
    prev = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return f"{prev:%Y-%m}"


def yuan(fen: int) -> str:
    return format_yuan(from_fen(int(fen)))


@require_GET
@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """List the monthly reports within the user's duty, with the import form."""
    _insurances(request)
    reports = selectors.reports_visible(_user(request))
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "bureaus/reports.html",
        {"page": page, "bureaus": _report_bureaus(request), "month": _last_month()},
    )


@require_GET
@login_required
def report_template(request: HttpRequest) -> HttpResponse:
    """Download the report template: the columns in Chinese and one example line per township."""
    _insurances(request)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("社保费月报")
    bold = book.add_format({"bold": True})
    for col, name in enumerate(frames.REPORT_HEADERS):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, 16)
    names = services.townships()
    sheet.write_row(1, 0, ["城乡居民基本医疗保险", "合计", "", "", "", ""])
    for r, name in enumerate(names.values(), start=2):
        sheet.write_row(r, 0, ["城乡居民基本医疗保险", name, "", "", "", ""])
    notes = book.add_worksheet("填写说明")
    for r, line in enumerate(
        [
            "险种：城乡居民基本医疗保险（医保局）或城乡居民基本养老保险（社保局）；为空时按本局险种。",
            "乡镇：乡镇名称或代码；“合计”或空白为全县合计。给出各乡镇时，合计行须等于各乡镇之和。",
            "入账人数、退费人数：整数。入账金额、退费金额：以元为单位，最多两位小数。",
        ]
    ):
        notes.write_string(r, 0, line)
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E7%A4%BE%E4%BF%9D%E8%B4%B9%E6%9C%88%E6%8A%A5.xlsx"
    return response


@require_POST
@login_required
def report_import_view(request: HttpRequest) -> HttpResponse:
    """Import a bureau's monthly report file."""
    upload = request.FILES.get("file")
    month = request.POST.get("month", "").strip()
    if upload is None:
        messages.error(request, _("Choose the report file."))
        return redirect("bureaus:reports")
    try:
        result = services.report_import(
            by=_user(request),
            bureau=request.POST.get("bureau", ""),
            month=month,
            filename=upload.name or "report",
            data=upload.read(),
        )
    except BureausError as exc:
        messages.error(request, exc.message)
        return redirect("bureaus:reports")
    if result.repeated:
        messages.info(request, _("This file was imported before: here is that import."))
    else:
        messages.success(request, _("Monthly report imported."))
    return redirect("bureaus:report", pk=result.report.pk)


@login_required
def report_enter_view(request: HttpRequest) -> HttpResponse:
    """Enter a bureau's monthly report on a form: the total and, where the bureau has them, each township."""
    _insurances(request)
    bureaus = _report_bureaus(request)
    if not bureaus:
        raise Http404(_("Only the bureaus and tax enter monthly reports."))
    names = services.townships()
    rows = [("", _("Whole county")), *names.items()]
    if request.method == "POST":
        lines = []
        for code, _name in rows:
            key = code or "total"
            lines.append(
                {
                    "township": code or None,
                    "persons": request.POST.get(f"persons-{key}", ""),
                    "amount": request.POST.get(f"amount-{key}", ""),
                    "refund_persons": request.POST.get(f"refund_persons-{key}", ""),
                    "refund_amount": request.POST.get(f"refund_amount-{key}", ""),
                }
            )
        try:
            result = services.report_enter(
                by=_user(request),
                bureau=request.POST.get("bureau", ""),
                month=request.POST.get("month", "").strip(),
                lines=lines,
            )
        except BureausError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Monthly report recorded."))
            return redirect("bureaus:report", pk=result.report.pk)
    return render(
        request,
        "bureaus/enter.html",
        {
            "bureaus": bureaus,
            "rows": [(c or "total", n) for c, n in rows],
            "month": _last_month(),
            "post": request.POST,
        },
    )


@require_GET
@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one report's rows as given, each with its outcome and reasons."""
    _insurances(request)
    report = selectors.reports_visible(_user(request)).filter(pk=pk).first()
    if report is None:
        raise Http404(_("No such report within your unit's duty."))
    names = services.townships()
    rows = [
        {
            "row": r,
            "township": names.get(r.township_code, r.township_code) if r.township_code else _("Whole county"),
            "amount": yuan(r.amount_fen) if r.amount_fen is not None else "—",
            "refund": yuan(r.refund_fen) if r.refund_fen is not None else "—",
        }
        for r in report.rows.all()
    ]
    return render(request, "bureaus/report.html", {"report": report, "rows": rows})


def _line_view(line: selectors.Line) -> dict[str, Any]:
    return {
        "line": line,
        "tax_amount": yuan(line.tax.amount_fen),
        "tax_refund": yuan(line.tax.refund_fen),
        "bureau_amount": yuan(line.bureau.amount_fen) if line.bureau else "—",
        "bureau_refund": yuan(line.bureau.refund_fen) if line.bureau else "—",
        "net_diff": yuan(line.net_diff),
        "unexplained": yuan(line.unexplained_fen),
        "causes": [{"cause": c, "amount": yuan(c.amount_fen)} for c in line.causes],
    }


@require_GET
@login_required
def compare_view(request: HttpRequest, month: str) -> HttpResponse:
    """Compare the bureaus' figures of a month with tax's, each difference analysed by cause (Art 36)."""
    insurances = _insurances(request)
    try:
        services.month_bounds(month)
    except BureausError as exc:
        raise Http404(exc.message) from exc
    comparison = selectors.month_comparison(_user(request), month)
    sections = [
        {
            "insurance": i,
            "label": frames.INSURANCE_LABELS[i],
            "report": comparison.reports.get(i),
            "lines": [_line_view(line) for line in comparison.lines_of(i)],
        }
        for i in insurances
    ]
    return render(request, "bureaus/compare.html", {"month": month, "sections": sections})


@require_POST
@login_required
def note_view(request: HttpRequest, month: str) -> HttpResponse:
    """Record a note on one difference."""
    _insurances(request)
    try:
        services.difference_note_set(
            by=_user(request),
            month=month,
            insurance=request.POST.get("insurance", ""),
            township_code=request.POST.get("township", ""),
            note=request.POST.get("note", "")[:4000],
        )
    except BureausError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Note recorded."))
    return redirect("bureaus:compare", month=month)


@require_GET
@login_required
def cause_view(request: HttpRequest, month: str) -> HttpResponse:
    """List the payments behind one cause of one difference, ID numbers masked (logged)."""
    _insurances(request)
    insurance = request.GET.get("insurance", "")
    township = request.GET.get("township", "")
    cause = request.GET.get("cause", "")
    if cause not in selectors.CAUSE_LABELS:
        raise Http404(_("No such cause."))
    qs = selectors.cause_payments(_user(request), month, insurance, township, cause)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    payments: list[Payment] = list(page)
    rows = [
        {"p": p, "id": mask(p.id_number), "total": yuan(p.amount_fen + p.subsidy_fen + p.other_fen)} for p in payments
    ]
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.LIST,
        object_type="collection.payment",
        object_ids=[p.pk for p in payments],
        duty="reconciliation",
        query=f"month={month} insurance={insurance} township={township} cause={cause}",
        request=request,
    )
    return render(
        request,
        "bureaus/cause.html",
        {
            "month": month,
            "cause_label": selectors.CAUSE_LABELS[cause],
            "insurance_label": frames.INSURANCE_LABELS.get(insurance, insurance),
            "township": services.townships().get(township, township) if township else _("Whole county"),
            "rows": rows,
            "page": page,
            "querystring": f"insurance={insurance}&township={township}&cause={cause}",
        },
    )


@require_GET
@login_required
def daily_list(request: HttpRequest) -> HttpResponse:
    """List the days of receipts and their files for the user's bureau (tax: both), and the days not yet sent."""
    insurances = _insurances(request)
    files = selectors.daily_files_visible(_user(request)).filter(current=True)
    days: dict[date, list[DailyFile]] = {}
    for f in files.order_by("-day", "insurance", "format")[:400]:
        days.setdefault(f.day, []).append(f)
    is_tax = services.is_tax(_user(request))
    waiting: list[date] = []
    if is_tax:
        start = services.first_receipt_day()
        if start is not None:
            sent = set(DailyFile.objects.filter(current=True).values_list("day", flat=True))
            yesterday = timezone.localdate() - timedelta(days=1)
            waiting = [d for d in services.days_with_receipts(start, yesterday) if d not in sent]
    return render(
        request,
        "bureaus/daily.html",
        {
            "days": [{"day": d, "files": [{"f": f, "total": yuan(f.total_fen)} for f in fs]} for d, fs in days.items()],
            "is_tax": is_tax,
            "waiting": waiting,
            "insurances": [frames.INSURANCE_LABELS[i] for i in insurances],
            "yesterday": timezone.localdate() - timedelta(days=1),
        },
    )


@require_POST
@login_required
def daily_generate_view(request: HttpRequest) -> HttpResponse:
    """Generate (or regenerate) a day's detail files (tax)."""
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        messages.error(request, _("Give the day as YYYY-MM-DD."))
        return redirect("bureaus:daily")
    try:
        result = services.daily_detail_generate(by=_user(request), day=day, force=request.POST.get("force") == "1")
    except BureausError as exc:
        messages.error(request, exc.message)
        return redirect("bureaus:daily")
    if result.empty:
        messages.info(request, _("No receipts on %(day)s.") % {"day": day})
    elif result.skipped:
        messages.info(request, _("The detail of %(day)s was already sent.") % {"day": day})
    else:
        messages.success(request, _("The detail of %(day)s is ready.") % {"day": day})
    return redirect("bureaus:daily")


def daily_response(user: Any, f: DailyFile, request: HttpRequest, channel: str = "web") -> FileResponse:
    """Answer with a daily file, after checking the user's duty reaches it and logging the access."""
    access_log(
        actor=Actor.of(user),
        action=AccessAction.EXPORT,
        object_type="bureaus.dailyfile",
        object_ids=[f.pk],
        count=f.rows,
        duty=DAILY_DUTY,
        query=f"{f.day} {f.insurance} {f.format} g{f.generation}",
        request=request,
        channel=channel,
    )
    content_type = XLSX if f.format == "xlsx" else "text/csv; charset=utf-8"
    path = Path(settings.MEDIA_ROOT) / f.path
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=services.daily_file_name(f), content_type=content_type
    )


@require_GET
@login_required
def daily_download(request: HttpRequest, pk: int) -> FileResponse:
    """Download one daily file: only the bureau of its insurance type, and tax."""
    _insurances(request)
    f = selectors.daily_files_visible(_user(request)).filter(pk=pk).first()
    if f is None:
        access_log(
            actor=Actor.of(_user(request)),
            action=AccessAction.DENIED,
            object_type="bureaus.dailyfile",
            object_ids=[pk],
            duty=DAILY_DUTY,
            request=request,
        )
        raise Http404(_("No such file within your unit's duty."))
    return daily_response(_user(request), f, request)
