"""The engine: every rule of SPEC section 2 dated against the official 2026 calendar, pending beyond it,
raised and fulfilled idempotently, lateness recorded.

The 2026 calendar as chinesecalendar has it (国务院办公厅 2026 arrangement): National Day and its holiday
1-7 October (8 October is a working Thursday), adjusted working days Sunday 20 September and Saturday
10 October, Mid-autumn Friday 25 September. The test campaign: S = 2026-09-01, E = 2026-09-28.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from liangxian.campaigns.models import Campaign
from liangxian.core import calendar as cal
from liangxian.core.models import AuditEvent
from liangxian.obligations import services
from liangxian.obligations.models import Obligation, ObligationRule
from liangxian.org.models import Unit

from .conftest import TOWN_A, make_user

D = dt.date
MEDICAL = "653123-medical"
POLICE = "653123-police"

# (rule, owner unit, period) → the due date the measures give, counted by hand over the 2026 calendar.
DATED_2026 = {
    ("list.civil_affairs.special_hardship", "653123-civil", "campaign:2027"): D(2026, 8, 1),  # S − 1 month
    ("list.civil_affairs.orphans", "653123-civil", "campaign:2027"): D(2026, 8, 1),
    ("list.civil_affairs.minimum_allowance", "653123-civil", "campaign:2027"): D(2026, 8, 1),
    ("list.rural_revitalisation.monitored", "653123-revital", "campaign:2027"): D(2026, 8, 1),
    ("list.disabled_persons_federation.certified", "653123-disabled", "campaign:2027"): D(2026, 8, 1),
    ("list.public_security.household_register", POLICE, "2026-Q3"): D(2026, 10, 5),  # 5 days after 30 Sep
    ("list.public_security.floating_population", POLICE, "2026-Q4"): D(2027, 1, 5),  # calendar days: known
    ("list.public_security.deregistrations", POLICE, "2027-Q2"): D(2027, 7, 5),
    ("list.justice.quarterly", "653123-justice", "2026-Q3"): D(2026, 9, 30),  # the quarter's end itself
    ("list.township.village_survey", TOWN_A, "campaign:2027"): D(2026, 8, 17),  # S − 15 days
    ("handlers.notice", TOWN_A, "campaign:2027"): D(2026, 8, 31),  # before S
    ("cash_only.list", TOWN_A, "campaign:2027"): D(2026, 8, 31),
    ("roster.to_tax", MEDICAL, "campaign:2027"): D(2026, 8, 17),
    ("roster.to_tax", "653123-social", "campaign:2027"): D(2026, 8, 17),
    ("duelist.push", "653123-tax", "campaign:2027"): D(2026, 8, 31),
    # E (Mon 28 Sep) + 7 working days: 29, 30 Sep, [1-7 Oct off], 8, 9, 10 (adjusted Saturday), 12, 13 Oct.
    ("cash_ledger.scans", TOWN_A, "campaign:2027"): D(2026, 10, 13),
    # August's end + 3 working days: 1, 2, 3 Sep. September's: 8, 9 Oct and the adjusted Saturday 10 Oct.
    ("treasury.statement", "653123-pbc", "2026-08"): D(2026, 9, 3),
    ("treasury.statement", "653123-pbc", "2026-09"): D(2026, 10, 10),
    ("treasury.statement", "653123-pbc", "2026-10"): D(2026, 11, 4),
    # + 5 working days: 1-4 and 7 Sep; 8, 9, 10, 12, 13 Oct; 2-6 Nov; 1-7 Dec.
    ("monthly.report", MEDICAL, "2026-08"): D(2026, 9, 7),
    ("monthly.report", MEDICAL, "2026-09"): D(2026, 10, 13),
    ("monthly.report", MEDICAL, "2026-10"): D(2026, 11, 6),
    ("monthly.report", "653123-social", "2026-11"): D(2026, 12, 7),
    ("campaign.summary", "653123-tax", "campaign:2027"): D(2026, 10, 8),  # E + 10 calendar days
    ("training", "653123-tax", "2026#1"): D(2026, 6, 30),
    ("training", MEDICAL, "2026#2"): D(2026, 12, 31),
}

# Event rules: (rule, event day) → due date.
EVENTS_2026 = {
    ("identity_change.report", D(2026, 9, 28)): D(2026, 10, 13),  # 7 wd across National Day
    # 15 wd from Fri 18 Sep: the adjusted Sunday 20 Sep counts, Mid-autumn 25 Sep and 1-7 Oct do not.
    ("identity_update.to_tax", D(2026, 9, 18)): D(2026, 10, 15),
    ("abnormal.feedback", D(2026, 9, 30)): D(2026, 10, 9),  # 2 wd: 8, 9 Oct
    ("abnormal.verify", D(2026, 9, 29)): D(2026, 10, 9),  # 3 wd: 30 Sep, 8, 9 Oct
    ("abnormal.forward", D(2026, 10, 9)): D(2026, 10, 12),  # 2 wd: Sat 10 Oct (adjusted), Mon 12 Oct
    ("abnormal.reply", D(2026, 9, 30)): D(2026, 10, 8),  # 1 wd
    ("refund.roster", D(2026, 9, 30)): D(2026, 10, 9),
    ("cash.settle", D(2026, 10, 3)): D(2026, 10, 3),  # the same day, holiday or not
    ("receipts.daily_detail", D(2026, 9, 30)): D(2026, 10, 1),  # next (calendar) day
    ("selfcheck.report", D(2026, 9, 20)): D(2026, 10, 5),  # 15 calendar days
}
EVENT_OWNERS = {
    "identity_change.report": "653123-civil",
    "identity_update.to_tax": MEDICAL,
    "abnormal.feedback": "653123-tax",
    "abnormal.verify": MEDICAL,
    "abnormal.forward": "653123-social",
    "abnormal.reply": MEDICAL,
    "refund.roster": MEDICAL,
    "cash.settle": "653123100001",
    "receipts.daily_detail": "653123-tax",
    "selfcheck.report": TOWN_A,
}


def test_the_rules_file_has_every_row_of_the_spec_table_and_loads_idempotently(rules: None) -> None:
    # Given the rules loaded once (fixture)
    codes = set(ObligationRule.objects.values_list("code", flat=True))
    # Then every code of the brief is there, one list rule per list of the catalogue
    datasets = json.loads(
        (services.RULES_FILE.parent.parent.parent / "exchange" / "data" / "datasets.json").read_text("utf-8")
    )["datasets"]
    assert {f"list.{d['code']}" for d in datasets} <= codes
    assert {r for r, _p in [(k[0], k[1]) for k in DATED_2026]} | {r for r, _d in EVENTS_2026} | {
        "list.education.students",
        "inspection.cash",
    } == codes
    # When loaded again, nothing changes
    result = services.rules_load(actor=None)
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(codes))


def test_a_rule_edited_in_the_admin_survives_a_reload_unless_overwritten(rules: None) -> None:
    ObligationRule.objects.filter(code="campaign.summary").update(offset=12)
    services.rules_load(actor=None)
    assert ObligationRule.objects.get(code="campaign.summary").offset == 12
    services.rules_load(actor=None, overwrite=True)
    assert ObligationRule.objects.get(code="campaign.summary").offset == 10


def test_every_dated_rule_gets_its_2026_date(campaign: Campaign) -> None:
    # When the campaign's obligations are generated
    result = services.obligations_generate(actor=None, campaign=campaign)
    # Then each has the date the official 2026 calendar gives
    assert result.created > 0
    for (rule, unit, period), due in DATED_2026.items():
        o = Obligation.objects.get(rule_id=rule, unit__code=unit, period=period)
        assert (o.due_date, o.pending_reason) == (due, ""), (rule, unit, period)


@pytest.mark.parametrize(("rule", "event_day"), list(EVENTS_2026))
def test_every_event_rule_counts_from_its_event_over_the_2026_calendar(
    campaign: Campaign, rule: str, event_day: dt.date
) -> None:
    unit = Unit.objects.get(code=EVENT_OWNERS[rule])
    o = services.obligation_raise(rule_code=rule, unit=unit, event_date=event_day, subject=f"test:{rule}")
    assert o.due_date == EVENTS_2026[(rule, event_day)]
    # The campaign defaults to the one whose concentrated period holds the event day
    running = campaign.period_start <= event_day <= campaign.period_end
    assert o.campaign == (campaign if running else None)


def test_owners_quarters_months_and_townships(campaign: Campaign, units: dict[str, Unit]) -> None:
    services.obligations_generate(actor=None, campaign=campaign)
    # Every township owes the survey; both insurers the roster; banks, villages and other units nothing dated
    assert set(Obligation.objects.filter(rule_id="handlers.notice").values_list("unit__code", flat=True)) == {
        TOWN_A,
        "653123101",
    }
    # Quarters from S − 1 month (August 2026) to the end of the coverage year: 2026-Q3 … 2027-Q4
    quarters = Obligation.objects.filter(rule_id="list.public_security.household_register").values_list(
        "period", flat=True
    )
    assert sorted(quarters) == ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    months = Obligation.objects.filter(rule_id="treasury.statement").values_list("period", flat=True)
    assert len(months) == 17 and min(months) == "2026-08" and max(months) == "2027-12"
    # Special inspections: twice a year per township, for each of the five departments
    inspections = Obligation.objects.filter(rule_id="inspection.cash")
    assert inspections.count() == 5 * 2 * 2
    one = inspections.get(unit__code="653123-discipline", subject=f"org.unit:{TOWN_A}", period="2026#1")
    assert (one.due_date, one.subject_label) == (D(2026, 6, 30), "英吉沙镇")


def test_generate_is_idempotent_and_audited_once(campaign: Campaign) -> None:
    first = services.obligations_generate(actor=None, campaign=campaign)
    count = Obligation.objects.count()
    events = AuditEvent.objects.filter(action="obligations.generate").count()
    second = services.obligations_generate(actor=None, campaign=campaign)
    assert Obligation.objects.count() == count == first.created
    assert (second.created, second.redated) == (0, 0)
    assert AuditEvent.objects.filter(action="obligations.generate").count() == events == 1


def test_a_moved_period_start_redates_the_open_obligations_but_not_the_fulfilled(campaign: Campaign) -> None:
    services.obligations_generate(actor=None, campaign=campaign)
    services.obligation_fulfil(rule_code="duelist.push", unit=Unit.objects.get(code="653123-tax"), ref="test")
    campaign.period_start = D(2026, 9, 15)
    campaign.save()
    result = services.obligations_generate(actor=None, campaign=campaign)
    assert result.redated > 0
    assert Obligation.objects.get(rule_id="cash_only.list", unit__code=TOWN_A).due_date == D(2026, 9, 14)
    assert Obligation.objects.get(rule_id="duelist.push").due_date == D(2026, 8, 31)


def test_education_waits_for_the_county_date(campaign: Campaign) -> None:
    services.obligations_generate(actor=None, campaign=campaign)
    o = Obligation.objects.get(rule_id="list.education.students")
    assert o.due_date is None and o.pending_reason
    campaign.county_deadlines = {"list.education.students": "2026-08-10"}
    campaign.save()
    services.obligations_generate(actor=None, campaign=campaign)
    o.refresh_from_db()
    assert (o.due_date, o.pending_reason) == (D(2026, 8, 10), "")


def test_yearly_dates_set_by_the_county_replace_the_half_years(campaign: Campaign) -> None:
    campaign.county_deadlines = {"training#1": "2026-05-20"}
    campaign.save()
    services.obligations_generate(actor=None, campaign=campaign)
    assert Obligation.objects.get(rule_id="training", unit__code=MEDICAL, period="2026#1").due_date == D(2026, 5, 20)


def test_a_2027_deadline_is_pending_until_2027_is_confirmed(
    campaign: Campaign, django_capture_on_commit_callbacks
) -> None:
    # Given the obligations generated while 2027 has no confirmed calendar
    services.obligations_generate(actor=None, campaign=campaign)
    december = Obligation.objects.get(rule_id="monthly.report", unit__code=MEDICAL, period="2026-12")
    # Then December's report (5 working days into January 2027) is pending with the reason, never guessed
    assert december.due_date is None
    assert "2027" in december.pending_reason
    # When the county drafts 2027 (weekends; New Year's Day off) and confirms it
    with django_capture_on_commit_callbacks(execute=True):
        cal.calendar_year_generate_draft(actor=None, year=2027)
        cal.calendar_day_set(actor=None, date=D(2027, 1, 1), kind="holiday", name="元旦")
        cal.calendar_year_confirm(actor=None, year=2027)
    # Then the date is computed: Jan 4-8 2027 are the first five working days
    december.refresh_from_db()
    assert (december.due_date, december.pending_reason) == (D(2027, 1, 8), "")
    # And one that needs 2028 now waits for 2028
    last = Obligation.objects.get(rule_id="monthly.report", unit__code=MEDICAL, period="2027-12")
    assert last.due_date is None and "2028" in last.pending_reason
    assert AuditEvent.objects.filter(action="obligations.recompute_pending", object_id="2027").exists()


def test_raise_is_idempotent(campaign: Campaign) -> None:
    tax = Unit.objects.get(code="653123-tax")
    a = services.obligation_raise(
        rule_code="abnormal.feedback", unit=tax, event_date=D(2026, 9, 30), subject="roster.abnormal:7"
    )
    b = services.obligation_raise(
        rule_code="abnormal.feedback", unit=tax, event_date=D(2026, 9, 30), subject="roster.abnormal:7"
    )
    assert a.pk == b.pk
    assert Obligation.objects.filter(rule_id="abnormal.feedback").count() == 1
    assert AuditEvent.objects.filter(action="obligation.raise").count() == 1


def test_raise_of_an_unknown_rule_is_refused(campaign: Campaign) -> None:
    with pytest.raises(services.ObligationError) as exc:
        services.obligation_raise(
            rule_code="nope", unit=Unit.objects.get(code="653123-tax"), event_date=D(2026, 9, 1), subject="x"
        )
    assert exc.value.code == "obligation_rule_unknown"


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_fulfil_records_when_by_what_and_lateness_and_is_idempotent(campaign: Campaign) -> None:
    tax = Unit.objects.get(code="653123-tax")
    services.obligation_raise(rule_code="abnormal.feedback", unit=tax, event_date=D(2026, 9, 30), subject="a:1")
    services.obligation_raise(rule_code="abnormal.feedback", unit=tax, event_date=D(2026, 9, 30), subject="a:2")
    # On time: the due day itself (9 Oct)
    on_time = services.obligation_fulfil(
        rule_code="abnormal.feedback",
        unit=tax,
        ref="roster.step:1",
        label="反馈",
        at=_at(D(2026, 10, 9)),
        subject="a:1",
    )
    # Late: the next working day after it
    late = services.obligation_fulfil(
        rule_code="abnormal.feedback", unit=tax, ref="roster.step:2", at=_at(D(2026, 10, 10)), subject="a:2"
    )
    assert [(o.subject, o.late, o.fulfilled_ref) for o in on_time] == [("a:1", False, "roster.step:1")]
    assert [(o.subject, o.late) for o in late] == [("a:2", True)]
    # Fulfilling again matches nothing open: [] and the first fulfilment stands
    assert services.obligation_fulfil(rule_code="abnormal.feedback", unit=tax, ref="again", subject="a:1") == []
    stored = Obligation.objects.get(subject="a:1")
    assert (stored.fulfilled_ref, stored.fulfilled_at) == ("roster.step:1", _at(D(2026, 10, 9)))
    assert AuditEvent.objects.filter(action="obligation.fulfil").count() == 2


def test_fulfil_without_period_meets_only_the_quarters_already_ended(campaign: Campaign) -> None:
    services.obligations_generate(actor=None, campaign=campaign)
    police = Unit.objects.get(code=POLICE)
    done = services.obligation_fulfil(
        rule_code="list.public_security.deregistrations", unit=police, ref="s:1", at=_at(D(2026, 10, 3))
    )
    assert [o.period for o in done] == ["2026-Q3"]
    assert done[0].late is False


def test_fulfil_nothing_matching_returns_empty(campaign: Campaign) -> None:
    assert services.obligation_fulfil(rule_code="duelist.push", unit=Unit.objects.get(code=POLICE), ref="x") == []


def test_manual_fulfilment_by_the_owner_unit_with_a_note(campaign: Campaign, units: dict[str, Unit]) -> None:
    services.obligations_generate(actor=None, campaign=campaign)
    notice = Obligation.objects.get(rule_id="handlers.notice", unit__code=TOWN_A)
    stranger = make_user("other", units["653123101"])
    owner = make_user("specialist", units[TOWN_A])
    with pytest.raises(services.ObligationError) as exc:
        services.obligation_fulfil_manual(actor=stranger, obligation=notice, note="done")
    assert exc.value.code == "obligation_not_your_unit"
    with pytest.raises(services.ObligationError) as exc:
        services.obligation_fulfil_manual(actor=owner, obligation=notice, note="   ")
    assert exc.value.code == "obligation_note_required"
    done = services.obligation_fulfil_manual(actor=owner, obligation=notice, note="8月20日已在各村公示")
    assert (done.fulfilled_by_user, done.fulfilled_label, done.fulfilled_ref) == (
        owner,
        "8月20日已在各村公示",
        "manual",
    )
    assert done.late is True  # marked in November for a notice due 31 August (the test clock is real time)
    roster = Obligation.objects.get(rule_id="roster.to_tax", unit__code=MEDICAL)
    with pytest.raises(services.ObligationError) as exc:
        services.obligation_fulfil_manual(actor=make_user("m", units[MEDICAL]), obligation=roster, note="sent")
    assert exc.value.code == "obligation_not_manual"
