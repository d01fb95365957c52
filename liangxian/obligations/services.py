"""The obligations engine: rules turned into dated obligations, raised by events and fulfilled by what meets them.

Every app raises and fulfils obligations here (``obligation_raise`` / ``obligation_fulfil``); the campaign's
dated ones are made by ``obligations_generate``. Deadlines are counted over the county's working-day calendar
(``liangxian.core.calendar.work_calendar``); one that needs a day of a year the county has not confirmed is
stored without a date and with the reason, and gets its date from ``obligations_recompute_pending`` when the
year is confirmed. Fulfilment records when, by what and by whom, and whether it came after the due date.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from liangxian.campaigns.models import Campaign
from liangxian.core.audit import audit_record
from liangxian.core.calendar import work_calendar
from liangxian.core.workdays import CalendarNotConfirmed, WorkCalendar, add_working_days, quarter_end
from liangxian.org.models import Unit, UnitKind

from .models import Anchor, Obligation, ObligationRule, OffsetUnit, OwnerKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from liangxian.org.models import User

RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.json"
# For a yearly rule, ``event`` set to this makes one obligation per township for each owner (Art 40's
# special inspections "per township"); the township is the obligation's subject.
EACH_TOWNSHIP = "each_township"
# How the fulfilment of a manual rule is named in ``fulfilled_by``.
MANUAL = "manual"
CAMPAIGN_PERIOD = "campaign:{year}"


def is_manual(rule: ObligationRule) -> bool:
    """Tell whether a user of the owner unit may mark the rule's obligations met by hand.

    ``fulfilled_by`` may name alternatives separated by "|" (``action:roster.to_tax|manual``).
    """
    return MANUAL in [part.strip() for part in (rule.fulfilled_by or "").split("|")]


class ObligationError(Exception):
    """An obligation that cannot be raised or fulfilled as asked; ``code`` says which rule it broke."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- deadline arithmetic ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A computed deadline: a date, or None with the reason it is pending."""

    date: dt.date | None
    reason: str = ""


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` later (earlier when negative), the month's last day where it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, pycalendar.monthrange(year, month)[1]))


def _reason(exc: CalendarNotConfirmed) -> str:
    # Stored with the obligation: in the county's language, whatever the language of the request that made it.
    with translation.override(settings.LANGUAGE_CODE):
        return exc.message


def county_not_set_reason() -> str:
    """Say that the county has not set the date the measures leave open (stored in the county's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("The measures set no date: the county has not yet set this deadline for the campaign.")


def shift(cal: WorkCalendar, start: dt.date, offset: int, unit: str) -> Due:
    """Count ``offset`` calendar days, working days or months from start; pending if a year is unconfirmed."""
    if unit == OffsetUnit.MONTHS:
        return Due(add_months(start, offset))
    if unit == OffsetUnit.WORKING_DAYS:
        if offset < 0:
            raise ValueError("a deadline counted in working days goes forward from its event")
        try:
            return Due(add_working_days(cal, start, offset))
        except CalendarNotConfirmed as exc:
            return Due(None, _reason(exc))
    return Due(start + dt.timedelta(days=offset))


# --- what a rule makes for a campaign -----------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One dated obligation a rule makes: its period key, what it counts from, its subject and due date."""

    period: str
    trigger: dt.date
    due: Due
    subject: str = ""
    subject_label: str = ""


def _month_ends(campaign: Campaign) -> list[dt.date]:
    """Return the month ends from the month of S − 1 month through the end of the coverage year."""
    first = add_months(campaign.period_start, -1).replace(day=1)
    last = dt.date(campaign.coverage_year, 12, 31)
    ends = []
    day = first
    while day <= last:
        ends.append(dt.date(day.year, day.month, pycalendar.monthrange(day.year, day.month)[1]))
        day = add_months(day, 1)
    return ends


def _quarter_ends(campaign: Campaign) -> list[tuple[int, int, dt.date]]:
    ends = []
    for end in _month_ends(campaign):
        if end.month % 3 == 0:
            ends.append((end.year, end.month // 3, quarter_end(end.year, end.month // 3)))
    return ends


def _yearly_dates(rule: ObligationRule, campaign: Campaign) -> list[tuple[str, dt.date, dt.date | None]]:
    """Return (period, start, due) for each of the rule's times in the collection year.

    The county may set the dates in ``Campaign.county_deadlines`` as ``{"<rule>#<n>": "YYYY-MM-DD"}``; else
    the year is split evenly (twice a year: by 30 June and by 31 December).
    """
    year = campaign.collection_year
    times = max(rule.times_per_year or 1, 1)
    result = []
    for n in range(1, times + 1):
        start_month = (n - 1) * 12 // times + 1
        end_month = n * 12 // times
        start = dt.date(year, start_month, 1)
        due: dt.date | None = dt.date(year, end_month, pycalendar.monthrange(year, end_month)[1])
        set_by_county = (campaign.county_deadlines or {}).get(f"{rule.code}#{n}")
        if set_by_county:
            due = dt.date.fromisoformat(set_by_county)
        result.append((f"{year}#{n}", start, due))
    return result


def rule_occurrences(rule: ObligationRule, campaign: Campaign, cal: WorkCalendar) -> list[Occurrence]:
    """List the dated obligations one rule makes for a campaign (none for event rules)."""
    campaign_period = CAMPAIGN_PERIOD.format(year=campaign.coverage_year)
    if rule.anchor in (Anchor.PERIOD_START, Anchor.PERIOD_END):
        anchor = campaign.period_start if rule.anchor == Anchor.PERIOD_START else campaign.period_end
        return [Occurrence(campaign_period, anchor, shift(cal, anchor, rule.offset, rule.offset_unit))]
    if rule.anchor == Anchor.COUNTY_SET:
        value = (campaign.county_deadlines or {}).get(rule.code)
        due = Due(dt.date.fromisoformat(value)) if value else Due(None, county_not_set_reason())
        return [Occurrence(campaign_period, campaign.period_start, due)]
    if rule.anchor == Anchor.MONTH_END:
        return [
            Occurrence(f"{end:%Y-%m}", end, shift(cal, end, rule.offset, rule.offset_unit))
            for end in _month_ends(campaign)
        ]
    if rule.anchor == Anchor.QUARTER_END:
        return [
            Occurrence(f"{year}-Q{q}", end, shift(cal, end, rule.offset, rule.offset_unit))
            for year, q, end in _quarter_ends(campaign)
        ]
    if rule.anchor == Anchor.YEARLY:
        occurrences = [Occurrence(period, start, Due(due)) for period, start, due in _yearly_dates(rule, campaign)]
        if rule.event != EACH_TOWNSHIP:
            return occurrences
        townships = Unit.objects.filter(kind=UnitKind.TOWNSHIP, active=True).order_by("code")
        return [
            Occurrence(o.period, o.trigger, o.due, subject=f"org.unit:{t.code}", subject_label=t.name)
            for t in townships
            for o in occurrences
        ]
    return []  # event rules are raised by the apps, with obligation_raise


def owner_units(rule: ObligationRule) -> list[Unit]:
    """Return the units that owe a rule: its departments in the county, or every township, village or bank."""
    if rule.owner_kind == OwnerKind.DEPARTMENT:
        codes = [f"{settings.LIANGXIAN_COUNTY_CODE}-{d}" for d in rule.owner_departments or []]
        return list(Unit.objects.filter(code__in=codes, active=True).order_by("code"))
    return list(Unit.objects.filter(kind=rule.owner_kind, active=True).order_by("code"))


# --- generate -----------------------------------------------------------------------------------------------


@dataclass
class GenerateResult:
    """What a generation run did."""

    campaign: int
    created: int = 0
    redated: int = 0
    unchanged: int = 0
    pending: int = 0
    caught_up: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain data (JSON output, audit payload)."""
        return {
            "campaign": self.campaign,
            "created": self.created,
            "redated": self.redated,
            "unchanged": self.unchanged,
            "pending": self.pending,
            "caught_up": self.caught_up,
            "by_rule": self.by_rule,
        }


def obligations_generate(*, actor: User | None, campaign: Campaign) -> GenerateResult:
    """Create the campaign's dated obligations for every owner unit; idempotent, re-dating the open ones.

    An obligation already fulfilled or cancelled is left as it is; an open one gets the date the rule, the
    campaign and the calendar now give (so a moved period start or a newly confirmed year carries through).
    """
    cal = work_calendar()
    result = GenerateResult(campaign=campaign.coverage_year)
    now = timezone.now()
    rules = list(ObligationRule.objects.filter(active=True).exclude(anchor=Anchor.EVENT).order_by("order", "code"))
    with transaction.atomic():
        existing = {
            (o.rule_id, o.unit_id, o.period, o.subject): o
            for o in Obligation.objects.filter(rule__in=rules).filter(
                Q(campaign=campaign) | Q(campaign__isnull=True) | ~Q(period__startswith="campaign:")
            )
        }
        new: list[Obligation] = []
        changed: list[Obligation] = []
        for rule in rules:
            occurrences = rule_occurrences(rule, campaign, cal)
            count = 0
            for unit in owner_units(rule):
                for occ in occurrences:
                    count += 1
                    found = existing.get((rule.code, unit.pk, occ.period, occ.subject))
                    open_now = found is None or (found.fulfilled_at is None and not found.cancelled)
                    result.pending += open_now and occ.due.date is None
                    if found is None:
                        new.append(
                            Obligation(
                                rule=rule,
                                campaign=campaign,
                                unit=unit,
                                period=occ.period,
                                subject=occ.subject,
                                subject_label=occ.subject_label,
                                trigger_date=occ.trigger,
                                due_date=occ.due.date,
                                pending_reason=occ.due.reason,
                                created_at=now,
                            )
                        )
                        continue
                    if found.fulfilled_at is not None or found.cancelled:
                        result.unchanged += 1
                        continue
                    after = (occ.trigger, occ.due.date, occ.due.reason)
                    if (found.trigger_date, found.due_date, found.pending_reason) == after:
                        result.unchanged += 1
                        continue
                    found.trigger_date, found.due_date, found.pending_reason = after
                    changed.append(found)
            result.by_rule[rule.code] = count
        Obligation.objects.bulk_create(new, batch_size=1000)
        Obligation.objects.bulk_update(changed, ["trigger_date", "due_date", "pending_reason"], batch_size=1000)
        result.created = len(new)
        result.redated = len(changed)
        if new or changed:
            audit_record(
                actor=actor,
                action="obligations.generate",
                obj=campaign,
                payload={k: v for k, v in result.as_dict().items() if k != "by_rule"},
            )
        result.caught_up = _catch_up_lists(campaign)
    return result


def _catch_up_lists(campaign: Campaign) -> int:
    """Fulfil the list obligations met by versions put in force before they were generated; return how many.

    The versions in force from the start of the collection year to the end of the period count, each as the
    exchange's signal would have counted it (see ``wiring.fulfil_list``).
    """
    from liangxian.exchange.models import Submission, SubmissionStatus

    from .wiring import fulfil_list

    codes = [
        r.fulfilled_by.removeprefix("dataset:")
        for r in ObligationRule.objects.filter(active=True, fulfilled_by__startswith="dataset:")
    ]
    start = timezone.make_aware(dt.datetime(campaign.collection_year, 1, 1))
    end = timezone.make_aware(dt.datetime.combine(campaign.period_end, dt.time.max))
    versions = (
        Submission.objects.filter(
            dataset_id__in=codes,
            status__in=[SubmissionStatus.IN_FORCE, SubmissionStatus.SUPERSEDED],
            in_force_at__gte=start,
            in_force_at__lte=end,
        )
        .select_related("dataset", "unit", "submitted_by")
        .order_by("in_force_at", "pk")
    )
    return sum(len(fulfil_list(v)) for v in versions)


# --- raise --------------------------------------------------------------------------------------------------


def _rule(code: str) -> ObligationRule:
    rule = ObligationRule.objects.filter(code=code).first()
    if rule is None:
        raise ObligationError(
            "obligation_rule_unknown",
            gettext("There is no obligation rule %(code)s: load the rules first.") % {"code": code},
        )
    return rule


def campaign_running(on: dt.date) -> Campaign | None:
    """Return the campaign whose concentrated period [S, E] includes the day, or None."""
    return (
        Campaign.objects.filter(period_start__lte=on, period_end__gte=on)
        .exclude(status="closed")
        .order_by("coverage_year")
        .first()
    )


def obligation_raise(
    *,
    rule_code: str,
    unit: Unit,
    event_date: dt.date,
    subject: str,
    subject_label: str = "",
    campaign: Campaign | None = None,
    actor: User | None = None,
) -> Obligation:
    """Raise the obligation an event creates for a unit (idempotent by rule, unit, event day and subject).

    The due date counts from the event day by the rule's offset; pending with the reason when it falls in a
    year the county has not confirmed. The campaign defaults to the one whose period includes the event day.
    """
    rule = _rule(rule_code)
    period = event_date.isoformat()
    found = Obligation.objects.filter(rule=rule, unit=unit, period=period, subject=subject).first()
    if found is not None:
        return found
    if campaign is None:
        campaign = campaign_running(event_date)
    due = shift(work_calendar(), event_date, rule.offset, rule.offset_unit)
    try:
        with transaction.atomic():
            obligation = Obligation.objects.create(
                rule=rule,
                campaign=campaign,
                unit=unit,
                period=period,
                subject=subject,
                subject_label=subject_label[:200],
                trigger_date=event_date,
                due_date=due.date,
                pending_reason=due.reason,
                created_at=timezone.now(),
            )
            audit_record(
                actor=actor,
                action="obligation.raise",
                obj=obligation,
                payload={
                    "rule": rule.code,
                    "unit": unit.code,
                    "period": period,
                    "subject": subject,
                    "due_date": due.date,
                    "pending_reason": due.reason,
                },
            )
    except IntegrityError:
        # Raised at the same moment by another request: the one that won is the obligation.
        return Obligation.objects.get(rule=rule, unit=unit, period=period, subject=subject)
    return obligation


# --- fulfil -------------------------------------------------------------------------------------------------

# Anchors whose occurrences repeat: a fulfilment without period or subject meets only those already started.
_REPEATING = frozenset({Anchor.MONTH_END, Anchor.QUARTER_END, Anchor.YEARLY, Anchor.EVENT})


def _mark(obligations: Iterable[Obligation], *, ref: str, label: str, at: dt.datetime, actor: User | None) -> list:
    done = []
    day = timezone.localdate(at)
    for o in obligations:
        o.fulfilled_at = at
        o.fulfilled_ref = ref[:80]
        o.fulfilled_label = label[:200]
        o.fulfilled_by_user = actor
        o.late = o.due_date is not None and day > o.due_date
        done.append(o)
    Obligation.objects.bulk_update(
        done, ["fulfilled_at", "fulfilled_ref", "fulfilled_label", "fulfilled_by_user", "late"]
    )
    return done


def obligation_fulfil(
    *,
    rule_code: str,
    unit: Unit,
    ref: str,
    label: str = "",
    at: dt.datetime | None = None,
    actor: User | None = None,
    campaign: Campaign | None = None,
    period: str | None = None,
    subject: str | None = None,
) -> list[Obligation]:
    """Fulfil the unit's matching open obligations of a rule, recording when, by what, by whom and lateness.

    Matches by subject when given, else by period, else every open one of the rule, unit (and campaign when
    given) whose trigger has come. Returns the obligations fulfilled; [] when nothing matches.
    """
    at = at or timezone.now()
    with transaction.atomic():
        qs = Obligation.objects.select_for_update(of=("self",)).filter(
            rule_id=rule_code, unit=unit, fulfilled_at__isnull=True, cancelled=False
        )
        if campaign is not None:
            qs = qs.filter(campaign=campaign)
        if subject is not None:
            qs = qs.filter(subject=subject)
            if period is not None:
                qs = qs.filter(period=period)
        elif period is not None:
            qs = qs.filter(period=period)
        else:
            day = timezone.localdate(at)
            qs = qs.filter(
                Q(trigger_date__isnull=True)
                | Q(trigger_date__lte=day)
                | ~Q(rule__anchor__in=[a.value for a in _REPEATING])
            )
        done = _mark(list(qs.select_related("rule")), ref=ref, label=label, at=at, actor=actor)
        for o in done:
            audit_record(
                actor=actor,
                action="obligation.fulfil",
                obj=o,
                payload={
                    "rule": rule_code,
                    "unit": unit.code,
                    "period": o.period,
                    "subject": o.subject,
                    "ref": o.fulfilled_ref,
                    "at": at,
                    "due_date": o.due_date,
                    "late": o.late,
                },
            )
    return done


def obligation_fulfil_manual(*, actor: User, obligation: Obligation, note: str) -> Obligation:
    """Record that a user of the owner unit met an obligation the rule leaves to be marked by hand."""
    note = " ".join(note.split())
    if not is_manual(obligation.rule):
        raise ObligationError(
            "obligation_not_manual",
            gettext("This obligation is met by the submission or action that fulfils it, not by hand."),
        )
    if actor.unit_id != obligation.unit_id:
        raise ObligationError(
            "obligation_not_your_unit", gettext("Only a user of the unit that owes it may mark it fulfilled.")
        )
    if not note:
        raise ObligationError("obligation_note_required", gettext("Say how the obligation was met."))
    if obligation.fulfilled_at is not None or obligation.cancelled:
        raise ObligationError("obligation_closed", gettext("This obligation is already fulfilled or cancelled."))
    at = timezone.now()
    with transaction.atomic():
        locked = Obligation.objects.select_for_update(of=("self",)).select_related("rule").get(pk=obligation.pk)
        if locked.fulfilled_at is not None:
            raise ObligationError("obligation_closed", gettext("This obligation is already fulfilled or cancelled."))
        _mark([locked], ref=MANUAL, label=note, at=at, actor=actor)
        audit_record(
            actor=actor,
            action="obligation.fulfil_manual",
            obj=locked,
            payload={"rule": locked.rule_id, "note": note, "at": at, "due_date": locked.due_date, "late": locked.late},
        )
    return locked


# --- recompute ----------------------------------------------------------------------------------------------


def obligations_recompute_pending(*, year: int) -> int:
    """Give their dates to the open obligations that waited for a year's calendar; return how many got one.

    Called after the county confirms ``year``; every open pending obligation is tried again (a deadline may
    have waited on an earlier year too), and those that are still pending keep the reason of the year they
    now wait for.
    """
    cal = work_calendar()
    dated = 0
    with transaction.atomic():
        pending = list(
            Obligation.objects.select_for_update(of=("self",))
            .select_related("rule")
            .filter(due_date__isnull=True, fulfilled_at__isnull=True, cancelled=False, trigger_date__isnull=False)
        )
        changed = []
        for o in pending:
            rule = o.rule
            if rule.anchor == Anchor.COUNTY_SET:
                continue  # waits for the county's date, not the calendar
            assert o.trigger_date is not None
            due = shift(cal, o.trigger_date, rule.offset, rule.offset_unit)
            if (due.date, due.reason) != (o.due_date, o.pending_reason):
                o.due_date, o.pending_reason = due.date, due.reason
                changed.append(o)
                dated += due.date is not None
        Obligation.objects.bulk_update(changed, ["due_date", "pending_reason"])
        if changed:
            audit_record(
                actor=None,
                action="obligations.recompute_pending",
                object_type="core.calendaryear",
                object_id=str(year),
                payload={"year": year, "dated": dated, "changed": [o.pk for o in changed]},
            )
    return dated


# --- rules --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesResult:
    """What loading the rules file did."""

    created: int
    updated: int
    unchanged: int


_RULE_FIELDS = (
    "title",
    "article",
    "owner_kind",
    "owner_departments",
    "anchor",
    "offset",
    "offset_unit",
    "event",
    "times_per_year",
    "fulfilled_by",
    "note",
    "active",
    "order",
)


def rules_load(*, actor: User | None, path: Path = RULES_FILE, overwrite: bool = False) -> RulesResult:
    """Load the rules of SPEC section 2 from the JSON file; idempotent.

    A rule already in the database is the county's to edit (in the admin): it is left as it is unless
    ``overwrite`` asks to refresh it from the file.
    """
    rows = json.loads(path.read_text(encoding="utf-8"))
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {r.code: r for r in ObligationRule.objects.all()}
        for order, row in enumerate(rows, start=1):
            values = {
                "title": row["title"],
                "article": row.get("article", ""),
                "owner_kind": row["owner_kind"],
                "owner_departments": row.get("owner_departments", []),
                "anchor": row["anchor"],
                "offset": row.get("offset", 0),
                "offset_unit": row.get("offset_unit", OffsetUnit.DAYS),
                "event": row.get("event", ""),
                "times_per_year": row.get("times_per_year"),
                "fulfilled_by": row.get("fulfilled_by", ""),
                "note": row.get("note", ""),
                "active": row.get("active", True),
                "order": row.get("order", order * 10),
            }
            rule = existing.get(row["code"])
            if rule is None:
                rule = ObligationRule.objects.create(code=row["code"], **values)
                audit_record(actor=actor, action="obligation_rule.create", obj=rule, payload=values)
                created += 1
                continue
            before = {f: getattr(rule, f) for f in _RULE_FIELDS}
            if not overwrite or before == values:
                unchanged += 1
                continue
            for name, value in values.items():
                setattr(rule, name, value)
            rule.save()
            audit_record(
                actor=actor,
                action="obligation_rule.update",
                obj=rule,
                payload={"before": before, "after": values},
            )
            updated += 1
    return RulesResult(created, updated, unchanged)
