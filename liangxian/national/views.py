"""The page of the jobs across counties: the runs, and a run's duplicate findings with the ID numbers masked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.campaigns.models import InsuranceType
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor

from . import selectors, services
from .export import DUTY, export_parquet
from .jobs import JobError
from .models import JobKind

PAGE_SIZE = 50


def data_dir() -> Path:
    """Where this system's export and the counties' exports gather for the national checks."""
    return Path(getattr(settings, "LIANGXIAN_NATIONAL_DATA", "") or Path(settings.VAR_DIR) / "national")


def _guard(request: HttpRequest) -> Any:
    user = request.user
    if not selectors.may_view(user):  # type: ignore[arg-type]
        raise Http404(_("The jobs across counties are not within your unit's duty."))
    return user


def _insurance_label(code: str) -> str:
    return str(InsuranceType(code).label) if code in InsuranceType.values else code


@require_GET
@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """The runs of the duplicate check and the treasury match, newest first."""
    user = _guard(request)
    kind = request.GET.get("kind", "")
    qs = selectors.runs()
    if kind in JobKind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "national/runs.html",
        {"page": page, "runs": page.object_list, "kinds": JobKind.choices, "kind": kind, "may_start": True,
         "data_dir": data_dir(), "user_county": (user.unit.division_id[:6] if user.unit else "")},
    )  # fmt: skip


@require_GET
@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run and, for the duplicate check, its findings (ID numbers masked; the listing is logged)."""
    user = _guard(request)
    run = get_object_or_404(selectors.runs(), pk=pk)
    page = Paginator(selectors.findings_of(run), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"finding": f, "id_number": selectors.shown_id(f.id_number), "paid": format_yuan(from_fen(f.paid_fen)),
         "counties": f.counties.split(","), "insurance": _insurance_label(f.insurance)}
        for f in page.object_list
    ]  # fmt: skip
    if rows:
        access_log(
            actor=Actor.of(user),
            action=AccessAction.LIST,
            object_type="national.duplicatefinding",
            object_ids=[f.pk for f in page.object_list],
            duty=DUTY,
            query=f"run={run.pk} page={page.number}",
            request=request,
        )
    return render(request, "national/run.html", {"run": run, "page": page, "rows": rows})


@require_POST
@login_required
def run_start(request: HttpRequest) -> HttpResponse:
    """Export this county into the national data folder and run the duplicate check over it on DuckDB."""
    user = _guard(request)
    folder = data_dir()
    try:
        export_parquet(out=folder, by=user)
        run, _output = services.duplicates_run(engine="duckdb", data_dir=folder, by=user)
    except JobError as exc:
        reason = _("not within your unit's duty") if exc.code in ("forbidden", "out_of_scope") else exc.code
        messages.error(request, _("The check could not run: %(reason)s") % {"reason": reason})
        return redirect("national:runs")
    messages.success(
        request,
        _("Checked %(rows)s enrolments: %(found)s enrolled and paid in more than one county.")
        % {"rows": run.rows_in, "found": run.findings},
    )
    return redirect("national:run", pk=run.pk)
