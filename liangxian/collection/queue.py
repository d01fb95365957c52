"""The payment queue (Art 26, 29): payments that do not count as they came, read in scope and resolved, never dropped.

Tax and finance see the whole county's queue; a township sees the items of its own township (the payments that
matched a roster entry there). Each item is resolved once, with a note, in one of three ways:

- ``match``: after a correction (the ID number as it should have been, or the roster fixed meanwhile) the payment
  is judged again by :func:`.services.payments_classify`; it is resolved only when it now counts;
- ``accept``: the payment stays as it is (a payment notified but missing from the file that the channel confirms,
  an uncounted payment kept on record), the note says why;
- ``refund``: hand the payment to the refund procedure (Art 32-33) through the hook the refunds app registers
  (:func:`refund_hook_register`); the item is resolved once the request is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.core.audit import audit_record
from liangxian.core.idnumbers import mask
from liangxian.core.scope import Actor, division_q
from liangxian.org.models import User

from .models import IssueReason, IssueStatus, Payment, PaymentIssue
from .services import CANDIDATE_SCHEMA, payments_classify, settlement_refresh

RESOLUTIONS = ("match", "accept", "refund")
COUNTY_READERS = frozenset({"tax", "finance"})
# The refund reason (task E's codes) a queue reason suggests.
REFUND_REASONS = {
    IssueReason.ALREADY_PAID.value: "duplicate",
    IssueReason.WRONG_AMOUNT.value: "wrong_tier",
    IssueReason.NOT_DUE.value: "not_eligible",
}

RefundHook = Callable[..., Any]
_refund_hook: list[RefundHook] = []


class QueueError(Exception):
    """A queue action refused: a code and a clerk-readable message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def refund_hook_register(hook: RefundHook) -> None:
    """Register the refund procedure's request function (the refunds app does, in its ``ready``).

    It is called as ``hook(by=user, payment=payment, reason=code, note=text)`` inside the queue's transaction and
    raises its own error to refuse; ``reason`` is one of ``duplicate``, ``wrong_tier``, ``not_eligible``.
    """
    _refund_hook.clear()
    _refund_hook.append(hook)


def refund_hook() -> RefundHook | None:
    return _refund_hook[0] if _refund_hook else None


# ------------------------------------------------------------------------------------------------ reads


def queue_reader(actor: Actor) -> str | None:
    """The township prefix the actor reads the queue under; '' for the whole county; refuse anyone else."""
    if actor.is_superuser or (actor.unit_kind == "department" and actor.department in COUNTY_READERS):
        return ""
    if actor.unit_kind == "township" and actor.division_code:
        return actor.division_code
    raise QueueError("forbidden", _("Only tax, finance and the townships work the payment queue."))


@dataclass(frozen=True)
class QueueFilters:
    reason: str = ""
    township: str = ""
    status: str = IssueStatus.OPEN
    channel: str = ""

    @classmethod
    def of(cls, data: Any) -> QueueFilters:
        status = str(data.get("status") or IssueStatus.OPEN)
        return cls(
            reason=str(data.get("reason") or "")[:20],
            township=str(data.get("township") or "")[:12],
            status=status if status in (*IssueStatus.values, "all") else IssueStatus.OPEN,
            channel=str(data.get("channel") or "")[:10],
        )


def issues_query(actor: Actor, filters: QueueFilters) -> QuerySet[PaymentIssue]:
    """The queue's items within the actor's scope, filtered, newest first."""
    prefix = queue_reader(actor)
    items = PaymentIssue.objects.select_related("payment", "resolved_by")
    if prefix:
        items = items.filter(division_q("township_code", prefix))
    if filters.township:
        items = items.filter(township_code=filters.township)
    if filters.reason:
        items = items.filter(reason=filters.reason)
    if filters.status != "all":
        items = items.filter(status=filters.status)
    if filters.channel:
        items = items.filter(payment__channel=filters.channel)
    return items.order_by("-raised_at", "-pk")


def shown_id(actor: Actor, id_number: str) -> str:
    return id_number if actor.sees_full_id else mask(id_number)


def issue_counts(actor: Actor) -> dict[str, int]:
    """Open items per reason within the actor's scope."""
    prefix = queue_reader(actor)
    items = PaymentIssue.objects.filter(status=IssueStatus.OPEN)
    if prefix:
        items = items.filter(division_q("township_code", prefix))
    counts = dict.fromkeys(IssueReason.values, 0)
    for reason in items.values_list("reason", flat=True).order_by():
        counts[reason] += 1
    return counts


# ------------------------------------------------------------------------------------------------ writes


def issue_resolve(
    *,
    by: User,
    issue_id: int,
    resolution: str,
    note: str = "",
    id_number: str = "",
    refund_reason: str = "",
) -> PaymentIssue:
    """Resolve one queue item (Art 26, 29): match it after a correction, accept it, or send it to refund."""
    actor = Actor.of(by)
    prefix = queue_reader(actor)
    if resolution not in RESOLUTIONS:
        raise QueueError("bad_resolution", _("Choose match, accept or send to refund."))
    note = note.strip()
    if not note:
        raise QueueError("note_required", _("Write a note saying why the item is resolved so."))
    with transaction.atomic():
        scope = Q(division_q("township_code", prefix)) if prefix else Q()
        issue = PaymentIssue.objects.select_for_update().filter(scope, pk=issue_id).select_related("payment").first()
        if issue is None:
            raise QueueError("not_found", _("No such item in your queue."))
        if issue.status != IssueStatus.OPEN:
            raise QueueError("resolved", _("This item was resolved already."))
        payment = Payment.objects.select_for_update().get(pk=issue.payment_id)
        payload: dict[str, Any] = {"resolution": resolution, "reason": issue.reason, "payment": payment.pk}
        if resolution == "match":
            payload.update(_match(payment, issue, id_number.strip().upper()))
        elif resolution == "refund":
            hook = refund_hook()
            if hook is None:
                raise QueueError("refund_unavailable", _("The refund procedure is not available yet."))
            reason = refund_reason or REFUND_REASONS.get(issue.reason, "duplicate")
            try:
                request = hook(by=by, payment=payment, reason=reason, note=note)
            except Exception as exc:  # the refund procedure's own refusal, said with its code
                if not hasattr(exc, "code"):
                    raise
                raise QueueError(str(exc.code), str(getattr(exc, "message", exc))) from exc
            payload["refund_request"] = getattr(request, "pk", None)
        issue.status = IssueStatus.RESOLVED
        issue.resolution = resolution
        issue.resolved_by = by
        issue.resolved_at = timezone.now()
        issue.note = note[:2000]
        issue.save(update_fields=["status", "resolution", "resolved_by", "resolved_at", "note"])
        audit_record(actor=by, action="collection.issue_resolve", obj=issue, payload=payload)
    return issue


def _match(payment: Payment, issue: PaymentIssue, corrected_id: str) -> dict[str, Any]:
    """Judge the payment again, with the corrected ID number if any; count it when it now counts, else refuse."""
    if payment.entry_id is not None:
        raise QueueError("counted", _("This payment already counts toward a roster entry."))
    if payment.kind != "payment":
        raise QueueError("not_a_payment", _("A refund or reversal is matched through its original payment."))
    id_number = corrected_id or payment.id_number
    candidate = pl.DataFrame(
        [
            {
                "id_number": id_number,
                "insurance": payment.insurance,
                "coverage_year": payment.coverage_year,
                "kind": payment.kind,
                "amount_fen": payment.amount_fen,
                "other_fen": payment.other_fen,
                "tier_fen": payment.tier_fen,
                "paid_at": payment.paid_at,
                "original_id": None,
            }
        ],
        schema=CANDIDATE_SCHEMA,
    )
    row = payments_classify(candidate).row(0, named=True)
    if row["reason"]:
        label = IssueReason(row["reason"]).label
        raise QueueError("still_unmatched", _("It still does not count: %(reason)s") % {"reason": label})
    payment.person_id = row["person_id"]
    payment.entry_id = row["entry_id"]
    payment.township_code = row["township_code"]
    payment.village_code = row["village_code"]
    payment.save(update_fields=["person", "entry", "township_code", "village_code"])
    # Other open issues of the same payment are settled by the match too.
    PaymentIssue.objects.filter(payment=payment, status=IssueStatus.OPEN).exclude(pk=issue.pk).update(
        status=IssueStatus.RESOLVED,
        resolution="match",
        resolved_at=timezone.now(),
        note=_("Matched with another item."),
    )
    settlement_refresh([row["entry_id"]])
    return {"entry": row["entry_id"], "corrected_id": corrected_id != "" and corrected_id != payment.id_number}
