"""The roster build's pages: builds and what changed, the entries, and the students to remind (Art 7, 16-17)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.core.money import from_fen
from liangxian.core.scope import Actor
from liangxian.registry.selectors import villages_in_scope

from . import rules, selectors
from .build import RosterBuildError, roster_build
from .models import ChangeKind, RosterBuild

# A spreadsheet reads a cell starting with one of these as a formula (CSV/DDE injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


def _campaign_or_404(request: HttpRequest) -> Campaign:
    campaign = selectors.campaign_for(request.GET.get("campaign") or request.POST.get("campaign"))
    if campaign is None:
        raise Http404(_("There is no campaign yet."))
    return campaign


def _may_build(request: HttpRequest) -> bool:
    actor = _actor(request)
    return rules.may_build(unit_kind=actor.unit_kind, department=actor.department, is_superuser=actor.is_superuser)


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


@require_http_methods(["GET", "POST"])
@login_required
def build(request: HttpRequest) -> HttpResponse:
    """List a campaign's roster builds with their counts and changes; medical, social and tax staff build."""
    campaign = _campaign_or_404(request)
    if request.method == "POST":
        if not _may_build(request):
            messages.error(request, _("Only medical insurance, social security and tax staff may build the roster."))
        else:
            try:
                done = roster_build(actor=request.user, campaign=campaign)  # type: ignore[arg-type]
            except RosterBuildError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("Build %(number)s done: %(added)s added, %(changed)s changed, %(removed)s removed.")
                    % {"number": done.number, **done.changes},
                )
        return redirect(f"{request.path}?campaign={campaign.coverage_year}")
    builds = list(selectors.build_list(campaign=campaign)[:50])
    return render(
        request,
        "roster/build/build.html",
        {
            "campaign": campaign,
            "campaigns": Campaign.objects.order_by("-coverage_year"),
            "builds": [_build_view(b) for b in builds],
            "latest": _build_view(builds[0]) if builds else None,
            "may_build": _may_build(request),
        },
    )


def _build_view(b: RosterBuild) -> dict[str, Any]:
    by_insurance = (b.counts or {}).get("by_insurance", {})
    return {
        "build": b,
        "insurances": [
            {
                "label": InsuranceType(code).label if code in InsuranceType.values else code,
                "entries": figures.get("entries", 0),
                "must_pay": figures.get("must_pay", 0),
                "not_liable": figures.get("not_liable", 0),
                "by_reason": [(rules.reason_label(r), n) for r, n in figures.get("by_reason", {}).items()],
                "by_category": list(figures.get("by_category", {}).items()),
                "gov": selectors.yuan(figures.get("gov_fen", 0)),
                "own": selectors.yuan(figures.get("own_fen", 0)),
            }
            for code, figures in by_insurance.items()
        ],
    }


@require_GET
@login_required
def build_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what one build changed, person by person within the user's scope; the read is logged."""
    actor = _actor(request)
    try:
        found = selectors.build_get(build_id=pk)
    except RosterBuild.DoesNotExist:
        raise Http404(_("No such roster build.")) from None
    kind = request.GET.get("kind", "")
    kind = kind if kind in ChangeKind.values else ""
    total, rows = selectors.change_rows(actor=actor, build=found, kind=kind, request=request)
    return render(
        request,
        "roster/build/build_detail.html",
        {
            "build": _build_view(found),
            "total": total,
            "rows": rows,
            "kind": kind,
            "kinds": ChangeKind.choices,
            "has_duty": actor.division_prefix is not None,
        },
    )


def _entry_filters(request: HttpRequest) -> dict[str, str]:
    keys = ("village", "insurance", "must_pay", "reason", "category")
    return {k: request.GET.get(k, "").strip()[:40] for k in keys}


@require_GET
@login_required
def entries(request: HttpRequest) -> HttpResponse:
    """List the campaign's roster entries within the user's scope, with filters; the read is logged."""
    actor = _actor(request)
    campaign = _campaign_or_404(request)
    filters = _entry_filters(request)
    page, rows = selectors.entry_page(
        actor=actor, campaign=campaign, filters=filters, page=request.GET.get("page", 1), request=request
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "roster/build/entries.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": rows,
            "filters": filters,
            "villages": villages_in_scope(actor=actor),
            "insurances": InsuranceType.choices,
            "reasons": selectors.entries_reason_choices(),
            "categories": list(selectors.category_labels(campaign).items()),
            "has_duty": actor.division_prefix is not None,
            "querystring": query.urlencode(),
        },
    )


@require_GET
@login_required
def school_reminders(request: HttpRequest) -> HttpResponse:
    """Count, school by school, the students not yet enrolled in medical insurance, for education (Art 16)."""
    actor = _actor(request)
    campaign = _campaign_or_404(request)
    prefix = selectors.school_reminder_prefix(actor)
    schools = selectors.school_reminders(actor=actor, campaign=campaign) if prefix else []
    return render(
        request,
        "roster/build/school_reminders.html",
        {"campaign": campaign, "schools": schools, "has_duty": prefix is not None},
    )


@require_GET
@login_required
def school_reminders_export(request: HttpRequest) -> FileResponse:
    """Export the students to remind, by school, as xlsx stamped with who exported them; the export is logged."""
    actor = _actor(request)
    campaign = _campaign_or_404(request)
    if selectors.school_reminder_prefix(actor) is None:
        selectors.school_reminder_export(actor=actor, campaign=campaign, request=request)  # logs the refusal
        raise Http404(_("Your unit's duty does not reach the student roster."))
    school = request.GET.get("school", "")[:100]
    count, rows = selectors.school_reminder_export(actor=actor, campaign=campaign, school=school, request=request)
    now = timezone.localtime()
    stamp = _("Export by %(user)s (%(unit)s) at %(time)s; %(count)s students. Do not pass on.") % {
        "user": request.user,
        "unit": getattr(request.user, "unit", None) or "",
        "time": now.strftime("%Y-%m-%d %H:%M:%S"),
        "count": count,
    }
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the download ends
    _write_reminders(spool, stamp=stamp, author=str(request.user), rows=rows)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"school-reminders-{campaign.coverage_year}.xlsx", content_type=XLSX
    )


def _write_reminders(target: object, *, stamp: str, author: str, rows: Iterator[tuple[object, ...]]) -> None:
    workbook = xlsxwriter.Workbook(
        target,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    workbook.set_properties({"title": _("Students not yet enrolled in medical insurance"), "author": author})
    sheet = workbook.add_worksheet(_("Students"))
    sheet.write_string(0, 0, _safe(stamp))
    headers = [_("School"), _("Name"), _("ID number"), _("Village code"), _("Own part (yuan)")]
    for col, title in enumerate(headers):
        sheet.write_string(1, col, title)
    for r, (school, name, number, village, own_fen) in enumerate(rows, start=2):
        for col, value in enumerate((school, name, number, village)):
            sheet.write_string(r, col, _safe(value))
        sheet.write_string(r, 4, str(from_fen(int(own_fen))))  # type: ignore[call-overload]
    workbook.close()
