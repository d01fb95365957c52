"""Reads of the data exchange, scoped to the actor; every read of listed persons is logged (Art 20-21)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor, ScopeError
from liangxian.org.models import UnitKind

from .models import Approval, Dataset, RowOutcome, Submission, SubmissionRow, VersionChange

if TYPE_CHECKING:
    from django.http import HttpRequest

ROWS_OBJECT = "exchange.submission_rows"
CHANGES_OBJECT = "exchange.version_changes"
# The duty named in the access log when the provider reads back what it sent.
PROVIDER_DUTY = "data_provision"  # Art 19-20


def dataset_list(actor: Actor) -> QuerySet[Dataset]:
    """List the active lists of the catalogue (what is asked of whom is public within the county)."""
    return Dataset.objects.filter(active=True).order_by("code")


def datasets_provided(actor: Actor) -> QuerySet[Dataset]:
    """List the lists the actor's unit provides (what it may submit)."""
    if actor.unit_kind == UnitKind.TOWNSHIP:
        return dataset_list(actor).filter(provider_kind=UnitKind.TOWNSHIP)
    if actor.unit_kind == UnitKind.DEPARTMENT:
        return dataset_list(actor).filter(provider_kind=UnitKind.DEPARTMENT, provider=actor.department)
    return Dataset.objects.none()


def _consumed_codes(actor: Actor) -> list[str]:
    if actor.unit_kind != UnitKind.DEPARTMENT or not actor.department:
        return []
    return [d.code for d in Dataset.objects.all() if actor.department in (d.consumers or [])]


def submission_scope(actor: Actor) -> QuerySet[Submission]:
    """Return the submissions the actor's duty reaches: his unit's own and the lists his department uses."""
    if not actor.unit_code:
        return Submission.objects.none()
    return Submission.objects.filter(
        Q(unit__code=actor.unit_code) | Q(dataset_id__in=_consumed_codes(actor))
    ).select_related("dataset", "unit", "submitted_by")


def submission_list(
    actor: Actor, *, dataset: str | None = None, status: str | None = None, unit: str | None = None
) -> QuerySet[Submission]:
    """List the submissions in the actor's scope, newest first, optionally of one list, status or unit."""
    qs = submission_scope(actor)
    if dataset:
        qs = qs.filter(dataset_id=dataset)
    if status:
        qs = qs.filter(status=status)
    if unit:
        qs = qs.filter(unit__code=unit)
    return qs.order_by("-submitted_at", "-pk")


def submission_get(actor: Actor, submission_id: int) -> Submission:
    """Return one submission in the actor's scope; raise ScopeError (shown as not found) otherwise."""
    found = submission_scope(actor).filter(pk=submission_id).first()
    if found is None:
        raise ScopeError(f"submission {submission_id} is not in scope")
    return found


def duty_for(actor: Actor, submission: Submission) -> str:
    """Name the duty for which the actor reads a submission's persons."""
    if actor.unit_code == submission.unit.code:
        return PROVIDER_DUTY
    return actor.resident_duty or "enrolment"


def sees_full_ids(actor: Actor, submission: Submission) -> bool:
    """Tell whether the actor sees whole ID numbers of this list: its provider, or a duty that needs them."""
    return actor.unit_code == submission.unit.code or actor.sees_full_id


def rows(
    actor: Actor,
    submission: Submission,
    *,
    outcome: str | None = None,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> QuerySet[SubmissionRow]:
    """Return a submission's rows (optionally of one outcome) and log the read with its duty (Art 21)."""
    submission = submission_get(actor, submission.pk)
    qs = SubmissionRow.objects.filter(submission=submission).order_by("row_number")
    if outcome in RowOutcome.values:
        qs = qs.filter(outcome=outcome)
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type=ROWS_OBJECT,
        object_ids=[submission.pk],
        count=qs.count(),
        duty=duty_for(actor, submission),
        query=f"outcome={outcome or ''}",
        request=request,
        channel=channel,
    )
    return qs


def changes(
    actor: Actor,
    submission: Submission,
    *,
    kind: str | None = None,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> QuerySet[VersionChange]:
    """Return a version's differences from the one before (optionally one kind) and log the read."""
    submission = submission_get(actor, submission.pk)
    qs = VersionChange.objects.filter(submission=submission).order_by("kind", "id_number")
    if kind:
        qs = qs.filter(kind=kind)
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type=CHANGES_OBJECT,
        object_ids=[submission.pk],
        count=qs.count(),
        duty=duty_for(actor, submission),
        query=f"kind={kind or ''}",
        request=request,
        channel=channel,
    )
    return qs


def approvals(actor: Actor, submission: Submission) -> list[tuple[dict[str, object], Approval | None]]:
    """Pair each approval stage of the list with its approval, in order (None where not yet approved)."""
    submission = submission_get(actor, submission.pk)
    done = {a.stage: a for a in Approval.objects.filter(submission=submission).select_related("approved_by")}
    return [(stage, done.get(str(stage["key"]))) for stage in submission.dataset.approval_stages or []]


def next_stage(submission: Submission) -> dict[str, object] | None:
    """Return the first approval stage not yet recorded, or None when every stage is done."""
    done = set(Approval.objects.filter(submission=submission).values_list("stage", flat=True))
    return next((s for s in submission.dataset.approval_stages or [] if s["key"] not in done), None)
