"""Receivers that turn events of the apps below (the data exchange) into raised and fulfilled obligations.

- ``exchange.signals.list_in_force`` (inside the exchange's transaction): after the commit, the list's
  obligation ``list.<dataset code>`` of the submitting unit is fulfilled: the quarter the submission names
  (or the last quarter ended before it) for quarterly lists, else the open one of the earliest campaign.
- ``core.calendar.calendar_year_confirmed`` (after the commit): the pending deadlines get their dates.
- ``campaigns.signals.campaign_changed`` (after the commit): a new campaign, or one whose period or
  county-set deadlines changed, gets its obligations generated or re-dated (generation is idempotent).
- ``exchange.signals.identity_changes_reported`` (after the commit): while a campaign's concentrated period
  runs, the provider's ``identity_change.report`` (7 working days, Art 10, 11, 14) is raised per change date
  and fulfilled by the submission itself, so its lateness is recorded; medical insurance's and social
  security's ``identity_update.to_tax`` (15 working days, Art 7) is raised for the same changes.

Receivers never raise: the list is in force whatever happens here; a failure is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

if TYPE_CHECKING:
    from liangxian.exchange.models import Submission

logger = logging.getLogger(__name__)

# Columns of a list that say when a person's status changed; the first one filled is the change date.
CHANGE_DATE_KEYS = ("status_date", "change_date", "changed_on")
IDENTITY_REPORT = "identity_change.report"
IDENTITY_TO_TAX = "identity_update.to_tax"
IDENTITY_TO_TAX_DEPARTMENTS = ("medical", "social")
_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]\s*([1-4])\s*$")


def connect() -> None:
    """Connect the exchange's signals; called once from ObligationsConfig.ready."""
    from liangxian.campaigns.signals import campaign_changed
    from liangxian.core.calendar import calendar_year_confirmed
    from liangxian.exchange.signals import identity_changes_reported, list_in_force

    list_in_force.connect(on_list_in_force, dispatch_uid="obligations.list_in_force")
    identity_changes_reported.connect(on_identity_changes, dispatch_uid="obligations.identity_changes")
    calendar_year_confirmed.connect(on_year_confirmed, dispatch_uid="obligations.year_confirmed")
    campaign_changed.connect(on_campaign_changed, dispatch_uid="obligations.campaign_changed")


# Campaign parts whose change cannot move a deadline: amounts and rules of who pays.
_UNDATED_PARTS = frozenset({"tiers", "daijiao", "eligibility", "targets"})


def on_campaign_changed(sender: Any, *, campaign: Any, parts: list[str], **kwargs: Any) -> None:
    """Date (or re-date) the campaign's obligations when it is created or its period or deadlines change."""
    if set(parts) <= _UNDATED_PARTS:
        return
    from .services import obligations_generate

    _safely(lambda: obligations_generate(actor=None, campaign=campaign))


def on_year_confirmed(sender: Any, *, year: int, **kwargs: Any) -> None:
    """Give their dates to the deadlines that waited for the year the county has just confirmed."""
    from .services import obligations_recompute_pending

    _safely(lambda: obligations_recompute_pending(year=year))


def quarter_period(submission: Submission) -> str:
    """Name the quarter a quarterly list covers: the one it names, else the last one ended before it came."""
    match = _QUARTER.match(submission.period or "")
    if match:
        return f"{match.group(1)}-Q{match.group(2)}"
    day = timezone.localdate(submission.submitted_at)
    quarter = (day.month - 1) // 3  # the quarter before the current one
    year = day.year
    if quarter == 0:
        year, quarter = year - 1, 4
    return f"{year}-Q{quarter}"


def fulfil_list(submission: Submission) -> list[Any]:
    """Fulfil the submitting unit's obligation of the list now in force."""
    from .models import Anchor, Obligation, ObligationRule
    from .services import obligation_fulfil

    code = f"list.{submission.dataset_id}"
    rule = ObligationRule.objects.filter(code=code, active=True).first()
    if rule is None:
        return []
    label = f"{submission.dataset.name} v{submission.version or ''}".strip()
    common: dict[str, Any] = {
        "rule_code": code,
        "unit": submission.unit,
        "ref": f"exchange.submission:{submission.pk}",
        "label": label,
        "at": submission.in_force_at or submission.submitted_at,
        "actor": submission.submitted_by,
    }
    if rule.anchor == Anchor.QUARTER_END:
        return obligation_fulfil(**common, period=quarter_period(submission))
    if rule.anchor == Anchor.MONTH_END:
        day = timezone.localdate(submission.submitted_at)
        previous = day.replace(day=1) - dt.timedelta(days=1)
        return obligation_fulfil(**common, period=f"{previous:%Y-%m}")
    open_one = (
        Obligation.objects.filter(rule=rule, unit=submission.unit, fulfilled_at__isnull=True, cancelled=False)
        .exclude(campaign__status="closed")
        .select_related("campaign")
        .order_by("campaign__coverage_year")
        .first()
    )
    if open_one is None:
        return []
    return obligation_fulfil(**common, campaign=open_one.campaign, period=open_one.period)


def on_list_in_force(sender: Any, *, submission: Submission, **kwargs: Any) -> None:
    """Fulfil the list's obligation once the version is committed (a rollback leaves it open)."""
    transaction.on_commit(lambda: _safely(fulfil_list, submission))


def _safely(function: Any, *args: Any) -> None:
    try:
        function(*args)
    except Exception:
        logger.exception("obligations: %s failed for %r", getattr(function, "__name__", function), args)


def _parse(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def change_dates(submission: Submission, changes: Any) -> dict[dt.date, list[str]]:
    """Group the changed persons' ID numbers by the date of their change (the submission's day without one)."""
    from liangxian.exchange.models import SubmissionRow

    fallback = timezone.localdate(submission.submitted_at)
    changes = list(changes)
    row_dates: dict[str, dt.date] = {}
    keys = set(CHANGE_DATE_KEYS)
    columns = {c.get("key") for c in (submission.dataset.columns or []) if isinstance(c, dict)}
    if keys & columns:
        ids = [c.id_number for c in changes]
        for id_number, data in SubmissionRow.objects.filter(submission=submission, id_number__in=ids).values_list(
            "id_number", "data"
        ):
            for key in CHANGE_DATE_KEYS:
                day = _parse((data or {}).get(key))
                if day is not None:
                    row_dates[id_number] = day
                    break
    grouped: dict[dt.date, list[str]] = {}
    for change in changes:
        day = row_dates.get(change.id_number)
        for key in CHANGE_DATE_KEYS:
            if day is None and key in (change.fields or {}):
                pair = change.fields[key]
                day = _parse(pair[-1] if isinstance(pair, list | tuple) else pair)
        grouped.setdefault(min(day or fallback, fallback), []).append(change.id_number)
    return grouped


def report_identity_changes(submission: Submission, changes: Any) -> int:
    """Raise and fulfil the provider's 7-day obligations and raise the insurers' 15-day ones; return how many."""
    from liangxian.org.models import Unit

    from .services import campaign_running, obligation_fulfil, obligation_raise

    at = submission.in_force_at or submission.submitted_at
    campaign = campaign_running(timezone.localdate(at))
    if campaign is None:
        return 0  # outside a concentrated period the measures ask for no report (Art 10, 11, 14)
    subject = f"exchange.submission:{submission.pk}"
    insurers = list(
        Unit.objects.filter(
            code__in=[f"{settings.LIANGXIAN_COUNTY_CODE}-{d}" for d in IDENTITY_TO_TAX_DEPARTMENTS], active=True
        )
    )
    raised = 0
    for day, ids in sorted(change_dates(submission, changes).items()):
        label = f"{submission.dataset.name}：{len(ids)}"
        obligation_raise(
            rule_code=IDENTITY_REPORT,
            unit=submission.unit,
            event_date=day,
            subject=subject,
            subject_label=label,
            campaign=campaign,
        )
        obligation_fulfil(
            rule_code=IDENTITY_REPORT,
            unit=submission.unit,
            ref=subject,
            label=label,
            at=at,
            actor=submission.submitted_by,
            subject=subject,
            period=day.isoformat(),
        )
        raised += 1
    if raised:
        label = f"{submission.dataset.name}：{sum(1 for _ in changes)}"
        for unit in insurers:
            # The insurers' 15 working days count from the day they receive the changes: the version's day.
            obligation_raise(
                rule_code=IDENTITY_TO_TAX,
                unit=unit,
                event_date=timezone.localdate(at),
                subject=subject,
                subject_label=label,
                campaign=campaign,
            )
            raised += 1
    return raised


def on_identity_changes(sender: Any, *, submission: Submission, changes: Any, **kwargs: Any) -> None:
    """Turn a reported version with changes into the obligations of Art 7, 10, 11 and 14."""
    _safely(report_identity_changes, submission, changes)
