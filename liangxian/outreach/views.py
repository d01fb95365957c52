"""The pages under /outreach/: activities and attendance, the shortfall table, the drill, the public notices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liangxian.campaigns.models import Campaign
from liangxian.collection.models import Channel
from liangxian.core.access import access_log
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.org.models import Unit, UnitKind

from . import notice as printing
from . import rules, selectors, services
from .models import ActivityAttachment, ActivityKind, CountyNotice, NoticeStatus, PostingProof, PublicityChannel
from .services import OutreachError

PAID_LIST = "outreach.paid_list"


def _user(request: HttpRequest) -> Any:
    return request.user


def _year(request: HttpRequest, default: int | None = None) -> int:
    key = as_key(request.GET.get("year", ""))
    return key if key is not None and 2000 <= key <= 2100 else (default or timezone.localdate().year)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _ids(values: list[str]) -> list[int]:
    return [k for k in (as_key(v) for v in values) if k is not None]


def _recordable(user: Any) -> list[tuple[str, str]]:
    return [(k, str(label)) for k, label in ActivityKind.choices if services.may_record(user, k)]


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """List the activities the unit sees, by kind and year, with the way to record one."""
    user = _user(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in ActivityKind.values else ""
    year = _year(request)
    rows = selectors.activities_for(user, kind=kind, year=year)
    return render(
        request,
        "outreach/home.html",
        {
            "rows": rows[:500],
            "kinds": ActivityKind.choices,
            "filters": {"kind": kind, "year": year},
            "recordable": _recordable(user),
            "sees_notices": services.village_prefix(user) is not None,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def record(request: HttpRequest) -> HttpResponse:
    """Record an activity: kind, date, title, channel, townships and villages, joint departments, invited people."""
    user = _user(request)
    kinds = _recordable(user)
    if not kinds:
        raise Http404(_("Your unit does not record outreach activities."))
    if request.method == "POST":
        p = request.POST
        held_on = _date(p.get("held_on", ""))
        try:
            if held_on is None:
                raise OutreachError("bad_date", _("Give the date the activity took place."))
            activity = services.activity_record(
                by=user,
                kind=p.get("kind", ""),
                held_on=held_on,
                title=p.get("title", "")[:200],
                township_codes=p.getlist("townships"),
                village_codes=[c for c in p.get("villages", "").replace("，", ",").split(",") if c.strip()],
                channel=p.get("channel", ""),
                minutes=p.get("minutes", "")[:20000],
                joint_unit_codes=p.getlist("joint"),
                participant_ids=_ids(p.getlist("invited")),
                present_ids=_ids(p.getlist("present")),
            )
        except OutreachError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The activity is recorded."))
            return redirect("outreach:activity", pk=activity.pk)
    unit = user.unit
    departments = Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True)
    if unit is not None:
        departments = departments.exclude(pk=unit.pk)
    towns = selectors.townships()
    if unit is not None and unit.kind == UnitKind.TOWNSHIP:
        towns = [t for t in towns if t.code == unit.division_id]
    return render(
        request,
        "outreach/record.html",
        {
            "kinds": kinds,
            "channels": PublicityChannel.choices,
            "towns": towns,
            "departments": departments,
            "candidates": selectors.candidates(
                None, township_codes=[t.code for t in towns] if unit and unit.kind == UnitKind.TOWNSHIP else None
            )[:300],
            "today": timezone.localdate(),
            "form": request.POST if request.method == "POST" else request.GET,
            "practice_site": settings.LIANGXIAN_PRACTICE_SITE,
        },
    )


def _activity(request: HttpRequest, pk: int) -> Any:
    found = selectors.activity_get(_user(request), pk)
    if found is None:
        raise Http404(_("No such activity."))
    return found


@require_GET
@login_required
def activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an activity: what it covered, who attended, its minutes and files; the organiser keeps attendance."""
    user = _user(request)
    found = _activity(request, pk)
    attendance = list(found.attendance.all())
    invited = {a.user_id for a in attendance}
    organiser = user.is_superuser or (user.unit_id is not None and user.unit_id == found.organiser_id)
    more = [u for u in selectors.candidates(found)[:300] if u.pk not in invited] if organiser else []
    return render(
        request,
        "outreach/activity.html",
        {
            "a": found,
            "attendance": attendance,
            "present_count": sum(1 for a in attendance if a.present),
            "organiser": organiser,
            "more": more,
            "attachments": found.attachments.all(),
        },
    )


@require_POST
@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep who of the invited took part (and invite more)."""
    found = _activity(request, pk)
    present = _ids(request.POST.getlist("present"))
    named = _ids(request.POST.getlist("invited"))
    try:
        services.activity_attendance_set(
            by=_user(request), activity=found, present_ids=present, absent_ids=[i for i in named if i not in present]
        )
    except OutreachError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The attendance is kept."))
    return redirect("outreach:activity", pk=found.pk)


@require_POST
@login_required
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep a file with the activity (PDF, PNG or JPEG)."""
    found = _activity(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the file to upload."))
    else:
        try:
            services.activity_attach(
                by=_user(request),
                activity=found,
                content=services.read_upload(upload, rules.ATTACHMENT_MAX_BYTES),
                filename=upload.name or "",
            )
        except OutreachError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The file is kept with the activity."))
    return redirect("outreach:activity", pk=found.pk)


@require_GET
@login_required
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    """Open a file kept with an activity the user sees."""
    found = ActivityAttachment.objects.filter(pk=pk).first() if as_key(str(pk)) else None
    if found is None or selectors.activity_get(_user(request), found.activity_id) is None:
        raise Http404(_("No such file."))
    return FileResponse(found.file.open("rb"), content_type=found.content_type)


@require_GET
@login_required
def shortfall(request: HttpRequest) -> HttpResponse:
    """Show who falls short of the yearly minimums, and which staff missed every training."""
    user = _user(request)
    if services.department_of(user) == "" and not user.is_superuser:
        raise Http404(_("The shortfall table is shown to the county departments."))
    year = _year(request)
    result = selectors.shortfall(year)
    return render(
        request,
        "outreach/shortfall.html",
        {"result": result, "year": year, "kinds": ActivityKind.choices, "only_short": request.GET.get("all") != "1"},
    )


DRILL_EXERCISES = [
    gettext_noop("Sign in as a village collection assistant and record a cash receipt for a resident on the due-list."),
    gettext_noop("Print the day's cash ledger and upload its signed scan."),
    gettext_noop("Sign in as the township specialist, check the collectors' days and clear a difference with a note."),
    gettext_noop("Look up a resident's payment on the payer's portal and print the proof of payment."),
    gettext_noop("Sign in as tax, import a channel's daily file and resolve a payment issue."),
    gettext_noop("Print a village's paid list in Chinese and in Uyghur, and upload the photo of it posted."),
]


@require_GET
@login_required
def drill(request: HttpRequest) -> HttpResponse:
    """On the practice site, the exercises of a system drill (Art 25); elsewhere, where to run it."""
    return render(
        request,
        "outreach/drill.html",
        {
            "practice_site": settings.LIANGXIAN_PRACTICE_SITE,
            "exercises": [_(e) for e in DRILL_EXERCISES],
            "drills": selectors.activities_for(_user(request), kind=ActivityKind.DRILL)[:20],
            "may_record": services.may_record(_user(request), ActivityKind.DRILL),
        },
    )


# ---------------------------------------------------------------------------------------------- the notices


def _campaign(request: HttpRequest) -> Campaign:
    key = as_key(request.GET.get("year", "") or request.POST.get("year", ""))
    try:
        return services.campaign_of(key if key and key < 10_000 else None)
    except OutreachError as exc:
        raise Http404(exc.message) from exc


@require_GET
@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """Tax's overview (a township's, a village's): the county notice and, per village, paid count and posting."""
    user = _user(request)
    if services.village_prefix(user) is None:
        raise Http404(_("The public notices are kept by tax, the townships and the villages."))
    campaign = _campaign(request)
    rows = selectors.villages_overview(user, campaign, township=request.GET.get("township", "")[:9])
    return render(
        request,
        "outreach/notices.html",
        {
            "campaign": campaign,
            "notice": CountyNotice.objects.filter(campaign=campaign).first(),
            "rows": rows,
            "posted": sum(1 for r in rows if r.proofs),
            "is_tax": services.is_tax(user),
            "campaigns": Campaign.objects.order_by("-coverage_year"),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def county_notice(request: HttpRequest) -> HttpResponse:
    """The county notice: tax drafts it from the campaign, publishes it; everyone previews and prints it."""
    user = _user(request)
    campaign = _campaign(request)
    notice = CountyNotice.objects.filter(campaign=campaign).select_related("campaign").first()
    is_tax = services.is_tax(user)
    if request.method == "POST":
        if not is_tax:
            raise Http404(_("Only the tax bureau drafts the county notice."))
        try:
            if request.POST.get("action") == "publish":
                services.county_notice_publish(by=user, campaign=campaign)
                messages.success(request, _("The county notice is published."))
            else:
                services.county_notice_draft(
                    by=user,
                    campaign=campaign,
                    complaint_phone=request.POST.get("complaint_phone", "")[:40],
                    note=request.POST.get("note", "")[:5000],
                    note_ug=request.POST.get("note_ug", "")[:5000],
                    channels=request.POST.getlist("channels"),
                )
                messages.success(request, _("The draft is saved."))
        except OutreachError as exc:
            messages.error(request, exc.message)
        return redirect(reverse("outreach:county_notice") + f"?year={campaign.coverage_year}")
    if notice is None and not is_tax:
        raise Http404(_("The county notice is not drafted yet."))
    if notice is not None and notice.status != NoticeStatus.PUBLISHED and not is_tax:
        raise Http404(_("The county notice is not published yet."))
    return render(
        request,
        "outreach/county_notice.html",
        {
            "campaign": campaign,
            "notice": notice,
            "is_tax": is_tax,
            "zh": printing.county_notice_html(notice, "zh") if notice else "",
            "ug": printing.county_notice_html(notice, "ug") if notice else "",
            "channels": [(c.value, c.label) for c in Channel if c != Channel.GOV],
            "chosen": notice.channels if notice else [str(c) for c in services.DEFAULT_CHANNELS],
            "default_phone": user.unit.phone if user.unit else "",
        },
    )


def _lang(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "zh")
    if lang not in printing.LANGS:
        raise Http404(_("Print in zh or ug."))
    return lang


@require_GET
@login_required
def county_notice_pdf(request: HttpRequest) -> HttpResponse:
    """Print the county notice in Chinese or Uyghur."""
    user = _user(request)
    campaign = _campaign(request)
    lang = _lang(request)
    notice = CountyNotice.objects.filter(campaign=campaign).first()
    if notice is None or (notice.status != NoticeStatus.PUBLISHED and not services.is_tax(user)):
        raise Http404(_("The county notice is not published yet."))
    response = HttpResponse(printing.county_notice_pdf(notice, lang), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="county-notice-{campaign.coverage_year}-{lang}.pdf"'
    return response


def _village(request: HttpRequest, code: str) -> Any:
    village = selectors.village_visible(_user(request), code)
    if village is None:
        raise Http404(_("No such village within your unit's duty."))
    return village


def _log(request: HttpRequest, rows: list[selectors.PaidRow], action: str, query: str) -> None:
    access_log(
        actor=Actor.of(_user(request)),
        action=action,
        object_type=PAID_LIST,
        object_ids=[r.person_id for r in rows if r.person_id],
        count=len(rows),
        query=query,
        request=request,
    )


@require_GET
@login_required
def village_notice(request: HttpRequest, code: str) -> HttpResponse:
    """A village's paid list (masked; the view is logged), its print links, its posting proofs and the upload."""
    user = _user(request)
    village = _village(request, code)
    campaign = _campaign(request)
    rows = selectors.village_paid(campaign, village.code)
    _log(request, rows, AccessAction.VIEW, f"paid list {village.code} {campaign.coverage_year}")
    context = printing.paid_list_context(campaign=campaign, village=village, rows=rows, lang="zh", printed_by=str(user))
    return render(
        request,
        "outreach/village_notice.html",
        {
            **context,
            "village": village,
            "proofs": selectors.proofs_of(campaign, village.code),
            "may_post": services.may_post_proof(user, village.code),
            "today": timezone.localdate(),
        },
    )


@require_GET
@login_required
def village_notice_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """Print a village's paid list in Chinese or Uyghur (the print is logged)."""
    village = _village(request, code)
    campaign = _campaign(request)
    lang = _lang(request)
    rows = selectors.village_paid(campaign, village.code)
    notice = CountyNotice.objects.filter(campaign=campaign).first()
    _log(request, rows, AccessAction.EXPORT, f"paid list pdf {lang} {village.code} {campaign.coverage_year}")
    data = printing.paid_list_pdf(
        campaign=campaign,
        village=village,
        rows=rows,
        lang=lang,
        printed_by=str(_user(request)),
        phone=notice.complaint_phone if notice else "",
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="paid-{village.code}-{campaign.coverage_year}-{lang}.pdf"'
    return response


@require_POST
@login_required
def proof_upload(request: HttpRequest, code: str) -> HttpResponse:
    """Send tax the photo of the village's paid list as posted (JPEG or PNG)."""
    village = _village(request, code)
    campaign = _campaign(request)
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, _("Choose the photo to upload."))
    else:
        try:
            services.posting_proof_upload(
                by=_user(request),
                campaign=campaign,
                village_code=village.code,
                content=services.read_upload(upload, rules.PHOTO_MAX_BYTES),
                posted_on=_date(request.POST.get("posted_on", "")),
                place=request.POST.get("place", "")[:200],
            )
        except OutreachError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The posting proof is sent to tax."))
    return redirect(reverse("outreach:village_notice", args=[village.code]) + f"?year={campaign.coverage_year}")


@require_GET
@login_required
def proof_photo(request: HttpRequest, pk: int) -> FileResponse:
    """Open a posting proof's photo, for the village, its township and tax."""
    proof = PostingProof.objects.filter(pk=pk).first() if as_key(str(pk)) else None
    if proof is None or selectors.village_visible(_user(request), proof.village_code) is None:
        raise Http404(_("No such photo."))
    return FileResponse(proof.photo.open("rb"), content_type=proof.content_type)
