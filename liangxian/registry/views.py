"""The residents' pages: list, detail and export, each read through the scoped selectors."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from liangxian.core.scope import Actor

from . import selectors
from .models import Person

# A spreadsheet reads a cell starting with one of these as a formula (CSV/DDE injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """Return the text of a cell so that no spreadsheet will take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


@require_GET
@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    """List the residents within the signed-in user's scope, searchable and page by page."""
    actor = Actor.of(request.user)  # type: ignore[arg-type]
    q = request.GET.get("q", "")
    village = request.GET.get("village", "")
    page, rows = selectors.person_page(
        actor=actor, q=q, village=village, page=request.GET.get("page", 1), request=request
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registry/person_list.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "village": village,
            "villages": selectors.villages_in_scope(actor=actor),
            "has_duty": actor.division_prefix is not None,
            "querystring": query.urlencode(),
        },
    )


@require_GET
@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """Show one resident, if the user's scope reaches him; else 404, logged as refused."""
    actor = Actor.of(request.user)  # type: ignore[arg-type]
    try:
        card, facts, categories = selectors.person_facts(actor=actor, person_id=person_id, request=request)
    except Person.DoesNotExist:
        raise Http404(_("No such resident within your scope.")) from None
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": card,
            "facts": facts,
            "categories": categories,
            "corrections": selectors.correction_list(actor=actor).filter(person_id=person_id)[:20],
        },
    )


@require_GET
@login_required
def person_export(request: HttpRequest) -> FileResponse:
    """Export the listed residents to xlsx, stamped with who exported them and when."""
    actor = Actor.of(request.user)  # type: ignore[arg-type]
    if actor.division_prefix is None:
        selectors.person_export(actor=actor, request=request)  # logs the refusal
        raise Http404(_("Your unit's duty does not reach the residents' register."))
    count, rows = selectors.person_export(
        actor=actor, q=request.GET.get("q", ""), village=request.GET.get("village", ""), request=request
    )
    now = timezone.localtime()
    stamp = _("Export by %(user)s (%(unit)s) at %(time)s for duty %(duty)s; %(count)s residents. Do not pass on.") % {
        "user": request.user,
        "unit": getattr(request.user, "unit", None) or "",
        "time": now.strftime("%Y-%m-%d %H:%M:%S"),
        "duty": actor.resident_duty or "",
        "count": count,
    }
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the download ends
    _write_workbook(spool, stamp=stamp, author=str(request.user), rows=rows)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"residents-{now:%Y%m%d-%H%M%S}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _write_workbook(target: object, *, stamp: str, author: str, rows: Iterator[tuple[object, ...]]) -> None:
    workbook = xlsxwriter.Workbook(
        target,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    workbook.set_properties({"title": _("Residents (export)"), "author": author, "comments": stamp})
    sheet = workbook.add_worksheet(_("Residents"))
    sheet.write_string(0, 0, spreadsheet_safe(stamp))
    headers = [
        _("Record"),
        _("Name"),
        _("Document type"),
        _("ID number"),
        _("Sex"),
        _("Birth date"),
        _("Village code"),
        _("Status"),
        _("Phone"),
    ]
    for col, title in enumerate(headers):
        sheet.write_string(1, col, title)
    for r, row in enumerate(rows, start=2):
        for col, value in enumerate(row):
            # Every cell as text: an ID number as a number loses its last digits, a name as a formula runs.
            sheet.write_string(r, col, spreadsheet_safe(value))
    workbook.close()
