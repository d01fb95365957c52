"""The pages under /complaints/: staff intake, cases, assignment, reveal and inquiries; public report and follow."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liangxian.core.access import access_log
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.exchange.exports import safe_workbook
from liangxian.org.models import User

from . import selectors, services
from .forms import FollowForm, IntakeForm, PublicReportForm
from .models import ComplaintStatus, ReceivedVia
from .services import ComplaintError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _user(request: HttpRequest) -> Any:
    return request.user


def _key(text: str) -> int:
    key = as_key(text)
    if key is None:
        raise Http404
    return key


# --- public ---------------------------------------------------------------------------------------------------


@require_GET
def contact(request: HttpRequest) -> HttpResponse:
    """List the published mailboxes, e-mails and phones of the four departments (Art 43)."""
    return render(request, "complaints/contact.html", {"channels": selectors.channels()})


@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Let anyone file a complaint or report without an account; show the follow-up code once."""
    error = ""
    if request.method == "POST":
        form = PublicReportForm(request.POST)
        if form.is_valid():
            try:
                intake = services.public_report(
                    subject=form.cleaned_data["subject"],
                    text=form.cleaned_data["text"],
                    township_code=form.cleaned_data["township_code"] or "",
                    village_code=form.cleaned_data["village_code"] or "",
                    identity=form.identity(),
                    ip=_ip(request),
                )
            except ComplaintError as exc:
                error = exc.message
            else:
                return render(
                    request,
                    "complaints/report_done.html",
                    {"number": intake.complaint.number, "code": intake.follow_code},
                )
    else:
        form = PublicReportForm()
    return render(request, "complaints/report.html", {"form": form, "error": error})


@never_cache
@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    """Show the reporter his case's status and public outcome, by case number and follow-up code."""
    case = None
    error = ""
    if request.method == "POST":
        form = FollowForm(request.POST)
        if form.is_valid():
            try:
                case = services.public_follow(
                    number=form.cleaned_data["number"], code=form.cleaned_data["code"], ip=_ip(request)
                )
            except ComplaintError as exc:
                error = exc.message
    else:
        form = FollowForm()
    return render(request, "complaints/follow.html", {"form": form, "case": case, "error": error})


# --- cases ----------------------------------------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """List the cases the user sees (never the reporter's identity)."""
    user = _user(request)
    status = request.GET.get("status", "")[:16]
    query = request.GET.get("q", "")[:40]
    rows = list(
        selectors.complaints_for(user, status=status if status in ComplaintStatus.values else "", query=query)[:300]
    )
    access_log(
        actor=Actor.of(user),
        action=AccessAction.LIST,
        object_type="complaints.complaint",
        object_ids=[c.pk for c in rows],
        duty="supervision",
        request=request,
    )
    return render(
        request,
        "complaints/home.html",
        {
            "rows": rows,
            "statuses": ComplaintStatus.choices,
            "status": status,
            "q": query,
            "may_receive": services.may_receive(user),
            "may_view_cases": services.may_view_cases(user),
        },
    )


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Export the case list as xlsx: number, dates, channel, subject, status; never the identity."""
    user = _user(request)
    if not services.may_view_cases(user):
        raise Http404
    rows = list(selectors.complaints_for(user))
    buffer = io.BytesIO()
    book = safe_workbook(buffer, in_memory=True)
    sheet = book.add_worksheet("complaints")
    header = [_("Case number"), _("Date received"), _("Received via"), _("Subject"), _("Township"), _("Status")]
    for c, h in enumerate(header):
        sheet.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        values = [
            row.number,
            row.received_at.isoformat(timespec="minutes"),
            str(row.get_received_via_display()),
            row.subject,
            row.township_code,
            str(row.get_status_display()),
        ]
        for c, v in enumerate(values):
            sheet.write_string(r, c, v)
    book.close()
    access_log(
        actor=Actor.of(user),
        action=AccessAction.EXPORT,
        object_type="complaints.complaint",
        object_ids=[c.pk for c in rows],
        duty="supervision",
        request=request,
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="complaints.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """Record a complaint that arrived by mailbox, e-mail, phone or visit; seal the identity given."""
    user = _user(request)
    if not services.may_receive(user):
        raise Http404
    if request.method == "POST":
        form = IntakeForm(request.POST)
        if form.is_valid():
            try:
                result = services.complaint_receive(
                    by=user,
                    via=form.cleaned_data["via"],
                    subject=form.cleaned_data["subject"],
                    text=form.cleaned_data["text"],
                    township_code=form.cleaned_data["township_code"] or "",
                    village_code=form.cleaned_data["village_code"] or "",
                    identity=form.identity(),
                )
            except ComplaintError as exc:
                messages.error(request, exc.message)
            else:
                return render(
                    request,
                    "complaints/intake_done.html",
                    {"number": result.complaint.number, "code": result.follow_code, "case": result.complaint},
                )
    else:
        form = IntakeForm(initial={"via": ReceivedVia.PHONE})
    return render(request, "complaints/intake.html", {"form": form})


def _case_or_404(request: HttpRequest, complaint_id: str) -> Any:
    case = selectors.case_for(_user(request), _key(complaint_id))
    if case is None:
        raise Http404
    return case


@require_GET
@login_required
def case(request: HttpRequest, complaint_id: str) -> HttpResponse:
    """Show a case: allegation, steps, assignments, outcome; the reveal button for assigned investigators."""
    user = _user(request)
    complaint = _case_or_404(request, complaint_id)
    access_log(
        actor=Actor.of(user),
        action=AccessAction.VIEW,
        object_type="complaints.complaint",
        object_ids=[complaint.pk],
        duty="supervision",
        request=request,
    )
    candidates = (
        User.objects.filter(is_active=True, unit__kind="department")
        .select_related("unit")
        .order_by("unit__department", "username")
        if services.may_assign(user)
        else []
    )
    return render(
        request,
        "complaints/case.html",
        {
            "case": complaint,
            "steps": list(complaint.steps.select_related("unit", "by")),
            "assignments": selectors.active_assignments(complaint),
            "assigned": services.is_assigned(user, complaint),
            "may_assign": services.may_assign(user),
            "candidates": candidates,
            "open": complaint.status != ComplaintStatus.CONCLUDED,
        },
    )


def _act(request: HttpRequest, complaint_id: str, action: Any) -> HttpResponse:
    complaint = _case_or_404(request, complaint_id)
    try:
        action(complaint)
    except ComplaintError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("complaints:case", complaint_id=complaint.pk)


@require_POST
@login_required
def assign(request: HttpRequest, complaint_id: str) -> HttpResponse:
    """Assign an investigator (the discipline or tax head)."""
    investigator = (
        User.objects.filter(pk=as_key(request.POST.get("investigator", "")) or 0).select_related("unit").first()
    )
    if investigator is None:
        messages.error(request, _("Choose the investigator."))
        return redirect("complaints:case", complaint_id=_key(complaint_id))
    return _act(
        request,
        complaint_id,
        lambda c: services.complaint_assign(by=_user(request), complaint_id=c.pk, investigator=investigator),
    )


@require_POST
@login_required
def unassign(request: HttpRequest, complaint_id: str) -> HttpResponse:
    """End an investigator's assignment."""
    investigator_id = as_key(request.POST.get("investigator", "")) or 0
    return _act(
        request,
        complaint_id,
        lambda c: services.complaint_unassign(by=_user(request), complaint_id=c.pk, investigator_id=investigator_id),
    )


@require_POST
@login_required
def step(request: HttpRequest, complaint_id: str) -> HttpResponse:
    """Record an investigation step."""
    return _act(
        request,
        complaint_id,
        lambda c: services.step_record(by=_user(request), complaint_id=c.pk, note=request.POST.get("note", "")),
    )


@require_POST
@login_required
def conclude(request: HttpRequest, complaint_id: str) -> HttpResponse:
    """Conclude the case with its outcome."""
    return _act(
        request,
        complaint_id,
        lambda c: services.complaint_conclude(
            by=_user(request),
            complaint_id=c.pk,
            outcome=request.POST.get("outcome", ""),
            public_outcome=request.POST.get("public_outcome", ""),
        ),
    )


@never_cache
@require_POST
@login_required
def reveal(request: HttpRequest, complaint_id: str) -> HttpResponse:
    """Open the reporter's identity for an assigned investigator; the reading is logged."""
    key = _key(complaint_id)
    try:
        identity = services.identity_reveal(by=_user(request), complaint_id=key, path=request.get_full_path())
    except ComplaintError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        messages.error(request, exc.message)
        if selectors.case_for(_user(request), key) is None:
            raise Http404 from exc
        return redirect("complaints:case", complaint_id=key)
    complaint = _case_or_404(request, complaint_id)
    return render(request, "complaints/identity.html", {"case": complaint, "identity": identity})


@require_http_methods(["GET", "POST"])
@login_required
def channel_edit(request: HttpRequest) -> HttpResponse:
    """Let a receiving department publish its mailbox, e-mail and phone."""
    user = _user(request)
    department = services.department_of(user)
    if department not in services.COMPLAINT_DEPARTMENTS:
        raise Http404
    current = next(c for c in selectors.channels() if c.department == department)
    if request.method == "POST":
        try:
            services.channel_update(
                by=user,
                department=department,
                mailbox=request.POST.get("mailbox", ""),
                email=request.POST.get("email", ""),
                phone=request.POST.get("phone", ""),
                hours=request.POST.get("hours", ""),
                mailbox_ug=request.POST.get("mailbox_ug", ""),
                hours_ug=request.POST.get("hours_ug", ""),
            )
        except ComplaintError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("complaints:channel_edit")
    return render(request, "complaints/channel_edit.html", {"channel": current})


# --- inquiries ------------------------------------------------------------------------------------------------

INQUIRY_VIEWS = ("mine", "passed", "overdue", "all")


@require_http_methods(["GET", "POST"])
@login_required
def inquiries(request: HttpRequest) -> HttpResponse:
    """List my open inquiries, those passed on, those overdue; record a new one (Art 24)."""
    user = _user(request)
    if request.method == "POST":
        try:
            inquiry = services.inquiry_record(
                by=user,
                asker=request.POST.get("asker", ""),
                question=request.POST.get("question", ""),
                channel=request.POST.get("channel", ""),
            )
        except ComplaintError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Inquiry recorded."))
            return redirect("complaints:inquiry", inquiry_id=inquiry.pk)
    view = request.GET.get("view", "mine")
    view = view if view in INQUIRY_VIEWS else "mine"
    pending = 0
    overdue_by_id: dict[int, Any] = {}
    if view == "overdue":
        found, pending = selectors.overdue(selectors.inquiries_for(user))
        rows = [o.inquiry for o in found]
        overdue_by_id = {o.inquiry.pk: o.due for o in found}
    elif view == "passed":
        rows = list(selectors.passed_on(user)[:300])
    elif view == "all":
        rows = list(selectors.inquiries_for(user)[:300])
    else:
        rows = list(selectors.my_open(user)[:300])
    access_log(
        actor=Actor.of(user),
        action=AccessAction.LIST,
        object_type="complaints.inquiry",
        object_ids=[r.pk for r in rows],
        request=request,
    )
    return render(
        request,
        "complaints/inquiries.html",
        {
            "rows": [(r, overdue_by_id.get(r.pk)) for r in rows],
            "view": view,
            "views": [
                ("mine", _("My open inquiries")),
                ("passed", _("Passed on")),
                ("overdue", _("Unanswered past the deadline")),
                ("all", _("All")),
            ],
            "pending": pending,
            "days": services.inquiry_answer_days(),
            "channels": ReceivedVia.choices,
            "may_record": user.unit_id is not None,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def inquiry(request: HttpRequest, inquiry_id: str) -> HttpResponse:
    """Show an inquiry with its hand-overs; hand it over or answer it."""
    user = _user(request)
    found = selectors.inquiries_for(user).filter(pk=_key(inquiry_id)).first()
    if found is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "answer":
                services.inquiry_answer(by=user, inquiry_id=found.pk, answer=request.POST.get("answer", ""))
            else:
                to = (
                    User.objects.filter(pk=as_key(request.POST.get("to", "")) or 0, is_active=True)
                    .select_related("unit")
                    .first()
                )
                if to is None:
                    raise ComplaintError("bad_user", _("Choose whom to pass it to."))
                services.inquiry_hand_over(by=user, inquiry_id=found.pk, to=to, reason=request.POST.get("reason", ""))
        except ComplaintError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
        return redirect("complaints:inquiry", inquiry_id=found.pk)
    access_log(
        actor=Actor.of(user),
        action=AccessAction.VIEW,
        object_type="complaints.inquiry",
        object_ids=[found.pk],
        request=request,
    )
    may_act = found.answered_at is None and user.pk in (found.received_by_id, found.holder_id)
    return render(
        request,
        "complaints/inquiry.html",
        {
            "inquiry": found,
            "handovers": list(found.handovers.select_related("from_user", "to_user", "from_unit", "to_unit")),
            "may_act": may_act,
            "users": (
                User.objects.filter(is_active=True, unit__isnull=False)
                .exclude(pk=found.holder_id)
                .select_related("unit")
                .order_by("unit__name", "username")
                if may_act
                else []
            ),
        },
    )
