"""The channel-file pages (tax, finance) and the payment queue (tax, finance, townships) (Art 26, 29)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor
from liangxian.org.models import Unit, UnitKind

from . import channel_files
from .intake import ImportResult, IntakeError, channel_import, importer_check, imports_list
from .models import Channel, IssueReason, IssueStatus, Payment
from .queue import RESOLUTIONS, QueueError, QueueFilters, issue_counts, issues_query, queue_reader, shown_id

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def _importer(request: HttpRequest) -> None:
    try:
        importer_check(request.user)  # type: ignore[arg-type]
    except IntakeError as exc:
        raise PermissionDenied(exc.message) from exc


@require_http_methods(["GET", "POST"])
@login_required
def imports(request: HttpRequest) -> HttpResponse:
    """List the channel files and take a new one; after an upload, show what it did."""
    _importer(request)
    result: ImportResult | None = None
    refused: IntakeError | None = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        channel = request.POST.get("channel", "")
        if upload is None:
            messages.error(request, _("Choose the channel's daily file to upload."))
        elif upload.size and upload.size > MAX_UPLOAD_BYTES:
            messages.error(request, _("The channel file is larger than 200 MB: import it from the command line."))
        else:
            try:
                result = channel_import(
                    channel=channel,
                    data=upload.read(),
                    filename=upload.name or "upload",
                    by=request.user,  # type: ignore[arg-type]
                )
            except IntakeError as exc:
                refused = exc
    context: dict[str, Any] = {
        "channels": Channel.choices,
        "imports": imports_list(),
        "result": result,
        "refused": refused,
        "result_counts": [(k, label, result.counts.get(k, 0)) for k, label in _count_labels()] if result else [],
    }
    return render(request, "collection/intake/imports.html", context, status=400 if refused else 200)


def _count_labels() -> list[tuple[str, str]]:
    return [
        ("lines", _("Lines in the file")),
        ("new", _("New payments (not notified before)")),
        ("known", _("Already on record (notified or paid in)")),
        ("refunds", _("Refund and reversal lines")),
        ("counted", _("Counted toward a roster entry")),
        ("queued", _("Sent to the payment queue")),
        ("not_in_file", _("Notified but missing from the file")),
    ]


@require_GET
@login_required
def import_template(request: HttpRequest, channel: str) -> HttpResponse:
    """Download the channel's file layout: the csv header with an example line, or the WeChat bill's frame."""
    if channel not in Channel.values:
        raise PermissionDenied
    text = channel_files.wechat_template() if channel == "wechat" else channel_files.csv_template(channel)
    response = HttpResponse(text.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="liangxian-{channel}-template.csv"'
    return response


def _actor(request: HttpRequest) -> Actor:
    actor = Actor.of(request.user)  # type: ignore[arg-type]
    try:
        queue_reader(actor)
    except QueueError as exc:
        raise PermissionDenied(exc.message) from exc
    return actor


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Show the payment queue within the actor's scope, filtered by reason, township and status."""
    actor = _actor(request)
    filters = QueueFilters.of(request.GET)
    items = issues_query(actor, filters)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="collection.paymentissue",
        object_ids=[i.payment.person_id for i in rows if i.payment.person_id],
        count=len(rows),
        query=request.GET.urlencode()[:200],
        request=request,
    )
    counts = issue_counts(actor)
    is_county = queue_reader(actor) == ""
    townships = (
        Unit.objects.filter(kind=UnitKind.TOWNSHIP).order_by("division_id").values_list("division_id", "name")
        if is_county
        else []
    )
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "page": page,
        "rows": [(i, shown_id(actor, i.payment.id_number), _amount(i.payment)) for i in rows],
        "filters": filters,
        "reasons": IssueReason.choices,
        "statuses": [*IssueStatus.choices, ("all", _("Open and resolved"))],
        "reason_counts": [(v, label, counts.get(v, 0)) for v, label in IssueReason.choices],
        "townships": townships,
        "resolutions": [
            ("match", _("Match to an entry (after a correction)")),
            ("accept", _("Accept as it is")),
            ("refund", _("Send to refund")),
        ],
        "querystring": query.urlencode(),
    }
    return render(request, "collection/intake/queue.html", context)


def _amount(payment: Payment) -> str:
    own = format_yuan(from_fen(payment.amount_fen))
    return f"{own} + {format_yuan(from_fen(payment.other_fen))}" if payment.other_fen else own


@require_POST
@login_required
def issue_resolve_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    """Resolve one queue item and come back to the queue with what happened."""
    from .queue import issue_resolve

    _actor(request)
    resolution = request.POST.get("resolution", "")
    try:
        issue_resolve(
            by=request.user,  # type: ignore[arg-type]
            issue_id=issue_id,
            resolution=resolution if resolution in RESOLUTIONS else "",
            note=request.POST.get("note", "")[:2000],
            id_number=request.POST.get("id_number", "")[:30],
        )
    except QueueError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The queue item is resolved."))
    back = request.POST.get("back", "")
    return redirect(reverse("collection:queue") + (f"?{back}" if back and "//" not in back else ""))
