"""The entitlement pages (Art 37): the bureaus' imports, the white list, a person's line; thin views over services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.campaigns.models import InsuranceType
from liangxian.core.access import access_log
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor

from . import exports, selectors, services
from .models import INSURANCE_OF_BUREAU, Bureau, Cause, EntryStatus, ImportRow, RowOutcome
from .selectors import Viewer
from .services import EntitlementError

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> Any:
    return request.user


def _viewer(request: HttpRequest) -> Viewer:
    viewer = selectors.viewer_of(_user(request))
    if viewer is None:
        raise Http404(_("The white list is not within your unit's duty."))
    return viewer


def _yuan(fen: int) -> str:
    return format_yuan(from_fen(int(fen or 0)))


def _filters(request: HttpRequest, viewer: Viewer) -> dict[str, Any]:
    insurance = request.GET.get("insurance", "")
    if insurance not in viewer.insurances:
        insurance = ""
    year_text = request.GET.get("year", "")
    cause = request.GET.get("cause", "")
    status = request.GET.get("status", EntryStatus.LISTED)
    return {
        "insurance": insurance,
        "year": as_key(year_text),
        "cause": cause if cause in Cause.values else "",
        "status": status if status in (*EntryStatus.values, "all") else EntryStatus.LISTED,
        "township": request.GET.get("township", "")[:12],
        "q": request.GET.get("q", "")[:40],
    }


def _row(viewer: Viewer, entry: Any, names: dict[str, str], user: Any) -> dict[str, Any]:
    return {
        "entry": entry,
        "id_number": viewer.shown_id(entry.id_number),
        "cause_id_number": viewer.shown_id(entry.cause_id_number) if entry.cause_id_number else "",
        "township": names.get(entry.township_code, entry.township_code),
        "insurance_short": _("Medical") if entry.insurance == "medical" else _("Pension"),
        "net_paid": _yuan(entry.net_paid_fen),
        "may_resolve": entry.status == EntryStatus.LISTED and services.may_resolve(user, entry),
    }


@require_GET
@login_required
def whitelist(request: HttpRequest) -> HttpResponse:
    """Show the white list within the user's duty: filters, counts by cause, resolve a line (Art 37)."""
    viewer = _viewer(request)
    filters = _filters(request, viewer)
    qs = selectors.whitelist_entries(viewer, **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    names = selectors.township_names({e.township_code for e in entries})
    rows = [_row(viewer, e, names, _user(request)) for e in entries]
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.LIST,
        object_type=selectors.OBJECT_TYPE,
        object_ids=[e.person_id or f"id:{e.pk}" for e in entries],
        duty=viewer.duty,
        query=" ".join(f"{k}={v}" for k, v in filters.items() if v),
        request=request,
    )
    counts = [
        {**c, "amount": _yuan(c["fen"])}
        for c in selectors.cause_counts(selectors.whitelist_entries(viewer, **{**filters, "cause": ""}))
    ]
    query = request.GET.copy()
    query.pop("page", None)
    insurances = [(value, label) for value, label in _insurance_choices() if value in viewer.insurances]
    department = services.department_of(_user(request))
    return render(
        request,
        "entitlements/whitelist.html",
        {
            "rows": rows,
            "page": page,
            "filters": filters,
            "counts": counts,
            "total": sum(c["count"] for c in counts),
            "insurances": insurances,
            "years": selectors.years_on_list(viewer),
            "causes": Cause.choices,
            "statuses": EntryStatus.choices,
            "townships": selectors.townships(),
            "viewer": viewer,
            "querystring": query.urlencode(),
            "may_refresh": _user(request).is_superuser or department in ("tax", *Bureau.values),
        },
    )


def _insurance_choices() -> list[tuple[str, Any]]:
    return list(InsuranceType.choices)


@require_GET
@login_required
def whitelist_export(request: HttpRequest) -> HttpResponse:
    """Export the white list as shown by the filters, as xlsx (logged)."""
    viewer = _viewer(request)
    filters = _filters(request, viewer)
    qs = selectors.whitelist_entries(viewer, **filters)
    actor = Actor.of(_user(request))
    access_log(
        actor=actor,
        action=AccessAction.EXPORT,
        object_type=selectors.OBJECT_TYPE,
        count=qs.count(),
        duty=viewer.duty,
        query=" ".join(f"{k}={v}" for k, v in filters.items() if v),
        request=request,
    )
    data = exports.whitelist_xlsx(viewer, qs, who=str(_user(request)), unit_code=actor.unit_code)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="whitelist.xlsx"'
    return response


@require_GET
@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one person's line: his payments, his entitlements and his white-list history."""
    viewer = _viewer(request)
    entry = selectors.entry_visible(viewer, pk)
    if entry is None:
        raise Http404(_("No such white list entry within your unit's duty."))
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.VIEW,
        object_type=selectors.OBJECT_TYPE,
        object_ids=[entry.person_id or f"id:{entry.pk}"],
        duty=viewer.duty,
        request=request,
    )
    line = selectors.person_line(entry)
    names = selectors.township_names({entry.township_code})
    return render(
        request,
        "entitlements/entry.html",
        {
            **_row(viewer, entry, names, _user(request)),
            "payments": [{"payment": p, "amount": _yuan(p.amount_fen + p.other_fen)} for p in line["payments"]],
            "entitlements": line["entitlements"],
            "history": line["history"],
            "latest_record_date": line["latest_record_date"],
            "viewer": viewer,
        },
    )


@require_POST
@login_required
def entry_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Record how the cause was resolved; htmx swaps the line's resolution cell, a plain form redirects."""
    viewer = _viewer(request)
    entry = selectors.entry_visible(viewer, pk)
    if entry is None:
        raise Http404(_("No such white list entry within your unit's duty."))
    error = ""
    try:
        entry = services.whitelist_resolve(by=_user(request), entry=entry, note=request.POST.get("note", "")[:2000])
    except EntitlementError as exc:
        error = exc.message
    if getattr(request, "htmx", False):
        names = selectors.township_names({entry.township_code})
        return render(
            request,
            "entitlements/_resolution.html",
            {
                **_row(viewer, entry, names, _user(request)),
                "error": error,
                "back": request.htmx.current_url_abs_path or "",  # type: ignore[attr-defined]
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Resolution recorded."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("entitlements:entry", pk=entry.pk)


@require_POST
@login_required
def whitelist_refresh(request: HttpRequest) -> HttpResponse:
    """Refresh the white list now (tax or a bureau); the scheduler runs the same through the command."""
    user = _user(request)
    if not (user.is_superuser or services.department_of(user) in ("tax", *Bureau.values)):
        raise Http404(_("The white list is not within your unit's duty."))
    run = services.whitelist_refresh(by=user, trigger="web")
    c = run.counts
    messages.success(
        request,
        _("White list refreshed: %(new)s listed, %(left)s left, %(listed)s on the list.")
        % {"new": c["listed_new"], "left": c["left_entitlement"] + c["left_refunded"], "listed": c["listed"]},
    )
    return redirect("entitlements:whitelist")


# ---------------------------------------------------------------------------------------------------- imports


def _may_see_imports(user: Any) -> bool:
    return bool(user.is_superuser or services.department_of(user) in ("tax", *Bureau.values))


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    """List the entitlement files imported; a bureau uploads its own here (Art 37)."""
    user = _user(request)
    if not _may_see_imports(user):
        raise Http404(_("Entitlement records are not within your unit's duty."))
    department = services.department_of(user)
    bureau = department if department in Bureau.values else ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        chosen = request.POST.get("bureau", "") or bureau
        if upload is None:
            messages.error(request, _("Choose the file of entitlement records to upload."))
            return redirect("entitlements:imports")
        try:
            result = services.entitlement_import(
                bureau=chosen, by=user, data=upload.read(), filename=upload.name or "upload", via="web"
            )
        except EntitlementError as exc:
            messages.error(request, exc.message)
            if exc.source is not None:
                return redirect("entitlements:import", pk=exc.source.pk)
            return redirect("entitlements:imports")
        if result.repeat:
            messages.info(request, _("This file was imported before: here is that import."))
        else:
            messages.success(request, _("Entitlement records imported; the white list is refreshed."))
        return redirect("entitlements:import", pk=result.source.pk)
    return render(
        request,
        "entitlements/imports.html",
        {
            "imports": selectors.imports_visible(user)[:100],
            "bureau": bureau,
            "bureaus": Bureau.choices if user.is_superuser else [],
            "may_upload": bool(bureau) or user.is_superuser,
            "template_bureau": bureau or "medical",
            "insurance_name": exports.INSURANCE_LABELS[str(INSURANCE_OF_BUREAU[Bureau(bureau or "medical")])],
        },
    )


@require_GET
@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one file's result: counts and every repaired or rejected row with its reasons."""
    user = _user(request)
    source = selectors.imports_visible(user).filter(pk=pk).first()
    if source is None:
        raise Http404(_("No such entitlement file within your unit's duty."))
    outcome = request.GET.get("outcome", "")
    rows = ImportRow.objects.filter(source=source)
    if outcome in RowOutcome.values:
        rows = rows.filter(outcome=outcome)
    page = Paginator(rows.order_by("row_number"), 100).get_page(request.GET.get("page"))
    full = services.department_of(user) == source.bureau
    viewer = Viewer(insurances=(), full_ids=full, bureau="", duty="")
    access_log(
        actor=Actor.of(user),
        action=AccessAction.LIST,
        object_type="entitlements.importrow",
        object_ids=[source.pk],
        count=len(page.object_list),
        duty="entitlement_records",
        query=f"import={source.pk} outcome={outcome}",
        request=request,
    )
    return render(
        request,
        "entitlements/import.html",
        {
            "source": source,
            "counts": source.counts or {},
            "rows": [{"row": r, "id_number": viewer.shown_id(r.id_number)} for r in page.object_list],
            "page": page,
            "outcome": outcome,
            "outcomes": [(v, label) for v, label in RowOutcome.choices if v != RowOutcome.ACCEPTED],
        },
    )


@require_GET
@login_required
def template_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """Download the blank entitlement file template (xlsx or csv) for a bureau's insurance."""
    if fmt not in ("xlsx", "csv"):
        raise Http404(_("The template is an xlsx or a csv file."))
    bureau = request.GET.get("bureau", "") or services.department_of(_user(request))
    insurance = str(INSURANCE_OF_BUREAU[Bureau(bureau if bureau in Bureau.values else "medical")])
    if fmt == "csv":
        response = HttpResponse(exports.template_csv(insurance), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.template_xlsx(insurance), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="entitlements-template.{fmt}"'
    return response
