"""The exchange's pages: the catalogue, uploading a list with progress, a version's rows, approvals and changes.

Thin views over exchange.selectors (scoped reads that log who read which persons for which duty, Art 20-21),
exchange.services (submitting and approving, Art 10-18) and exchange.exports (the spreadsheets).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liangxian.core.idnumbers import mask
from liangxian.core.scope import Actor, ScopeError
from liangxian.org.models import Department, Role, UnitKind

from . import exports, selectors, services
from .catalogue import deadline_text
from .errors import DuplicateSubmission, ExchangeError
from .forms import ApprovalForm, UploadForm
from .models import ChangeKind, Dataset, RowOutcome, Submission, SubmissionStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_PER_PAGE = 50
SUBMISSIONS_PER_PAGE = 30
PROGRESS_SECONDS = 15 * 60
# What the clerk reads while the server works through his file (the stages submission_submit reports).
PROGRESS_LABELS = {
    "received": gettext_lazy("File received, processing"),
    "read": gettext_lazy("Reading the file"),
    "classify": gettext_lazy("Checking every row"),
    "load": gettext_lazy("Saving the rows"),
    "diff": gettext_lazy("Comparing with the previous version"),
    "apply": gettext_lazy("Updating the residents' register"),
    "done": gettext_lazy("Done"),
}
# With a context: "Rejected" alone is a change request's fate elsewhere (已驳回); a row is 未通过.
OUTCOME_LABELS: dict[str, Any] = {
    RowOutcome.ACCEPTED.value: pgettext_lazy("row outcome", "Accepted"),
    RowOutcome.REPAIRED.value: pgettext_lazy("row outcome", "Repaired"),
    RowOutcome.REJECTED.value: pgettext_lazy("row outcome", "Rejected"),
}
TYPE_LABELS = {
    "id_number": gettext_lazy("ID number (18 digits, as text)"),
    "name": gettext_lazy("Name"),
    "text": gettext_lazy("Text"),
    "date": gettext_lazy("Date"),
    "phone": gettext_lazy("Phone number"),
    "enum": gettext_lazy("One of"),
    "division": gettext_lazy("Township or village"),
    "number": gettext_lazy("Number"),
}


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


def _department_label(code: str) -> str:
    return str(Department(code).label) if code in Department.values else code


def _provider_label(dataset: Dataset) -> str:
    if dataset.provider_kind == UnitKind.TOWNSHIP:
        return _("Township governments")
    return _department_label(dataset.provider)


def _role_labels(roles: list[str]) -> str:
    return "、".join(str(Role(r).label) if r in Role.values else r for r in roles)


def _stage_who(stage: dict[str, Any], dataset: Dataset) -> str:
    if stage.get("unit", "provider") == "provider":
        unit = _provider_label(dataset)
    else:
        unit = "、".join(_department_label(c) for c in dataset.consumers or [])
    roles = _role_labels(list(stage.get("roles") or []))
    return f"{unit} · {roles}" if roles else unit


def _attachment(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _submission_or_404(actor: Actor, pk: int) -> Submission:
    try:
        return selectors.submission_get(actor, pk)
    except ScopeError:
        raise Http404(_("No such submission within your unit's duty.")) from None


def _dataset_or_404(actor: Actor, code: str) -> Dataset:
    dataset = selectors.dataset_list(actor).filter(code=code).first()
    if dataset is None:
        raise Http404(_("There is no such list in the catalogue."))
    return dataset


def _querystring(request: HttpRequest, *drop: str) -> str:
    query = request.GET.copy()
    for key in ("page", *drop):
        query.pop(key, None)
    return query.urlencode()


# --- catalogue -------------------------------------------------------------------------------------------------


@require_GET
@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """List every list the measures name: provider, users, columns, approval and deadline (Art 7, 10-17)."""
    actor = _actor(request)
    provided = set(selectors.datasets_provided(actor).values_list("code", flat=True))
    entries = [
        {
            "dataset": ds,
            "provider": _provider_label(ds),
            "consumers": "、".join(_department_label(c) for c in ds.consumers or []),
            "columns": [
                {
                    "label": c["label"],
                    "required": bool(c.get("required")),
                    "type": TYPE_LABELS.get(c.get("type", "text"), c.get("type", "")),
                    "choices": "、".join(c.get("choices") or []),
                }
                for c in ds.columns or []
            ],
            "stages": [
                {"label": s["label"], "who": _stage_who(s, ds), "scan": s.get("scan")} for s in ds.approval_stages or []
            ],
            "deadline": deadline_text(ds.deadline_rule or {}),
            "may_submit": ds.code in provided,
        }
        for ds in selectors.dataset_list(actor)
    ]
    return render(request, "exchange/catalogue.html", {"entries": entries})


@require_GET
@login_required
def template_download(request: HttpRequest, code: str) -> HttpResponse:
    """Send a list's blank xlsx template with its Chinese headers and a help sheet."""
    dataset = _dataset_or_404(_actor(request), code)
    return _attachment(exports.template_xlsx(dataset), _("%(name)s template.xlsx") % {"name": dataset.name})


# --- upload ----------------------------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _progress_key(token: str) -> str:
    return f"exchange:upload-progress:{token}"


def _progress_writer(token: str) -> services.Progress | None:
    if not token:
        return None

    def report(stage: str, fraction: float) -> None:
        cache.set(_progress_key(token), {"stage": stage, "fraction": fraction}, PROGRESS_SECONDS)

    return report


@require_http_methods(["GET", "POST"])
@login_required
def upload(request: HttpRequest, code: str) -> HttpResponse:
    """Take one file of a list from its providing unit and send the clerk to its version (Art 10-18)."""
    actor = _actor(request)
    dataset = _dataset_or_404(actor, code)
    if not selectors.datasets_provided(actor).filter(code=dataset.code).exists():
        raise PermissionDenied(_("Only the providing unit may submit this list."))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        received = form.cleaned_data["file"]
        # A large upload is already spooled to disk: hand its path on rather than reading it into memory.
        path = getattr(received, "temporary_file_path", None)
        source: Path | bytes = Path(path()) if path else received.read()
        try:
            submission = services.submission_submit(
                actor=request.user,  # type: ignore[arg-type]
                dataset=dataset,
                source=source,
                filename=received.name or "list",
                method=form.cleaned_data["method"],
                period=form.cleaned_data["period"],
                note=form.cleaned_data["note"],
                progress=_progress_writer(form.cleaned_data["progress_token"]),
            )
        except DuplicateSubmission as exc:
            messages.warning(request, exc.message)
            url = reverse("exchange:submission_detail", args=[exc.existing.pk])
            if _wants_json(request):
                return JsonResponse({"status": "duplicate", "message": exc.message, "redirect": url})
            return redirect(url)
        except ExchangeError as exc:
            # The file as a whole is refused: nothing was stored, the reason goes back to the clerk.
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _(
                    "Version %(version)s received: %(rows)s rows, %(accepted)s accepted, %(repaired)s repaired, "
                    "%(rejected)s rejected."
                )
                % {
                    "version": submission.version,
                    "rows": submission.rows_total,
                    "accepted": submission.rows_accepted,
                    "repaired": submission.rows_repaired,
                    "rejected": submission.rows_rejected,
                },
            )
            url = reverse("exchange:submission_detail", args=[submission.pk])
            if _wants_json(request):
                return JsonResponse({"status": "done", "redirect": url})
            return redirect(url)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and _wants_json(request):
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return JsonResponse({"status": "refused", "message": "；".join(errors)}, status=status)
    context = {
        "dataset": dataset,
        "form": form,
        "provider": _provider_label(dataset),
        "deadline": deadline_text(dataset.deadline_rule or {}),
        "labels": {k: str(v) for k, v in PROGRESS_LABELS.items()},
    }
    return render(request, "exchange/upload.html", context, status=status)


@require_GET
def upload_progress(request: HttpRequest, token: str) -> JsonResponse:
    """Say how far the server has got with an upload, by the token the page chose.

    Neither the session nor the database is touched: the upload's own request holds the database while this
    is asked, and the answer holds no personal data (a stage and a fraction).
    """
    state = cache.get(_progress_key(token)) if 16 <= len(token) <= 64 else None
    if not state:
        return JsonResponse({"stage": "received", "fraction": 0.0, "label": str(PROGRESS_LABELS["received"])})
    stage = str(state.get("stage", "received"))
    label = PROGRESS_LABELS.get(stage, PROGRESS_LABELS["received"])
    return JsonResponse({"stage": stage, "fraction": float(state.get("fraction", 0.0)), "label": str(label)})


# --- one submission --------------------------------------------------------------------------------------------


def _approval_panel(request: HttpRequest, actor: Actor, submission: Submission) -> list[dict[str, Any]]:
    panel = []
    waiting_earlier = False
    pending = submission.status == SubmissionStatus.PENDING_APPROVAL
    for order, (stage, approval) in enumerate(selectors.approvals(actor, submission), start=1):
        if approval is not None:
            state = "done"
        elif waiting_earlier or not pending:
            state = "waiting"
        else:
            state = "next"
        panel.append(
            {
                "order": order,
                "key": stage["key"],
                "label": stage["label"],
                "who": _stage_who(stage, submission.dataset),
                "scan": bool(stage.get("scan")),
                "approval": approval,
                "state": state,
                "may_act": state == "next" and services.approval_may_act(request.user, submission, stage),  # type: ignore[arg-type]
                "form": ApprovalForm(initial={"stage": stage["key"]}, prefix=f"stage-{order}"),
            }
        )
        if approval is None:
            waiting_earlier = True
    return panel


def _describe_fields(fields: dict[str, Any], labels: dict[str, str]) -> list[dict[str, str]]:
    described = []
    for key, values in (fields or {}).items():
        before, after = [*values, None, None][:2] if isinstance(values, list | tuple) else (None, values)
        described.append({"label": labels.get(key, key), "before": before or "", "after": after or ""})
    return described


@require_GET
@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a version: counts, status, the row report, approvals and the difference from the one before."""
    actor = _actor(request)
    submission = _submission_or_404(actor, pk)
    full_ids = selectors.sees_full_ids(actor, submission)
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in RowOutcome.values else ""
    row_page = Paginator(
        selectors.rows(actor, submission, outcome=outcome or None, request=request), ROWS_PER_PAGE
    ).get_page(request.GET.get("page"))
    shown_rows = [
        {
            "number": r.row_number,
            "outcome": r.outcome,
            "outcome_label": OUTCOME_LABELS.get(r.outcome, r.outcome),
            "name": r.name,
            "id_number": r.id_number if full_ids else mask(r.id_number),
            "column": r.problem_column,
            "reasons": r.reasons,
        }
        for r in row_page.object_list
    ]
    kind = request.GET.get("change", "")
    kind = kind if kind in ChangeKind.values else ""
    change_page = None
    shown_changes: list[dict[str, Any]] = []
    change_counts: dict[str, int] = {}
    if submission.previous_id is not None:
        labels = {c["key"]: c["label"] for c in submission.dataset.columns or []}
        changes = selectors.changes(actor, submission, kind=kind or None, request=request)
        change_counts = {k: submission.changes.filter(kind=k).count() for k in ChangeKind.values}
        change_page = Paginator(changes, ROWS_PER_PAGE).get_page(request.GET.get("cpage"))
        shown_changes = [
            {
                "kind": c.kind,
                "kind_label": c.get_kind_display(),
                "id_number": c.id_number if full_ids else mask(c.id_number),
                "name": c.name,
                "fields": _describe_fields(c.fields, labels),
            }
            for c in change_page.object_list
        ]
    context = {
        "submission": submission,
        "dataset": submission.dataset,
        "own": actor.unit_code == submission.unit.code,
        "full_ids": full_ids,
        "outcome": outcome,
        "outcomes": [(value, OUTCOME_LABELS[value]) for value in RowOutcome.values],
        "row_page": row_page,
        "rows": shown_rows,
        "rows_query": _querystring(request),
        "approvals": _approval_panel(request, actor, submission) if submission.dataset.approval_stages else [],
        "change_kinds": [(k, label, change_counts.get(k, 0)) for k, label in ChangeKind.choices],
        "change": kind,
        "change_page": change_page,
        "changes": shown_changes,
        "changes_query": _querystring(request, "cpage"),
    }
    return render(request, "exchange/submission_detail.html", context)


@require_GET
@login_required
def errors_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the rejected and repaired rows with their reasons and columns as xlsx (the export is logged)."""
    actor = _actor(request)
    submission = _submission_or_404(actor, pk)
    data = exports.error_report_xlsx(actor, submission, request=request)
    name = _("%(name)s version %(version)s problem rows.xlsx") % {
        "name": submission.dataset.name,
        "version": submission.version,
    }
    return _attachment(data, name)


@require_GET
@login_required
def changes_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a version's persons added, removed and changed as xlsx (the export is logged)."""
    actor = _actor(request)
    submission = _submission_or_404(actor, pk)
    if submission.previous_id is None:
        raise Http404(_("This is the first version: there is nothing to compare."))
    data = exports.changes_xlsx(actor, submission, request=request)
    name = _("%(name)s version %(version)s changes.xlsx") % {
        "name": submission.dataset.name,
        "version": submission.version,
    }
    return _attachment(data, name)


@require_POST
@login_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one approval stage with its signed-and-stamped scan (Art 10, 11, 14)."""
    actor = _actor(request)
    submission = _submission_or_404(actor, pk)
    prefix = next((k.removesuffix("-stage") for k in request.POST if k.endswith("-stage")), None)
    form = ApprovalForm(request.POST, request.FILES, prefix=prefix)
    url = reverse("exchange:submission_detail", args=[submission.pk]) + "#approvals"
    if not form.is_valid():
        messages.error(request, _("The approval form is incomplete."))
        return redirect(url)
    try:
        approval = services.approval_record(
            actor=request.user,  # type: ignore[arg-type]
            submission=submission,
            stage=form.cleaned_data["stage"],
            scan=form.cleaned_data["scan"],
            note=form.cleaned_data["note"],
        )
    except ExchangeError as exc:
        if exc.code == "not_allowed":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        return redirect(url)
    submission.refresh_from_db()
    if submission.status == SubmissionStatus.IN_FORCE:
        messages.success(request, _("Approved. This version of the list is now in force."))
    else:
        stage: dict[str, Any] = next((s for s in submission.dataset.approval_stages if s["key"] == approval.stage), {})
        messages.success(request, _("Stage “%(label)s” approved.") % {"label": stage.get("label", approval.stage)})
    return redirect(url)


# --- lists of submissions --------------------------------------------------------------------------------------


@require_GET
@login_required
def submission_list(request: HttpRequest) -> HttpResponse:
    """List the unit's own submissions and those of the lists its duty uses (Art 20-21)."""
    actor = _actor(request)
    dataset = request.GET.get("dataset", "")
    status = request.GET.get("status", "")
    status = status if status in SubmissionStatus.values else ""
    qs = selectors.submission_list(actor, dataset=dataset or None, status=status or None)
    page = Paginator(qs, SUBMISSIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "own_unit": actor.unit_code,
        "datasets": selectors.dataset_list(actor),
        "dataset": dataset,
        "statuses": SubmissionStatus.choices,
        "status": status,
        "provided": selectors.datasets_provided(actor),
        "querystring": _querystring(request),
    }
    return render(request, "exchange/submission_list.html", context)


@require_GET
@login_required
def history(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    """List every version of one list from one unit, newest first."""
    actor = _actor(request)
    dataset = _dataset_or_404(actor, code)
    versions = list(selectors.submission_list(actor, dataset=dataset.code, unit=unit_code).order_by("-version", "-pk"))
    if not versions:
        raise Http404(_("No version of this list within your unit's duty."))
    return render(
        request,
        "exchange/history.html",
        {"dataset": dataset, "unit": versions[0].unit, "versions": versions, "own": actor.unit_code == unit_code},
    )
