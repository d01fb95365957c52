"""The calendar table: seeding, the county's corrections and confirmation, the page, the API and the command."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from liangxian.core import calendar as cal
from liangxian.core.models import AuditEvent, CalendarDay, CalendarYear, DayKind, Division
from liangxian.core.workdays import CalendarNotConfirmed, add_working_days
from liangxian.org.models import Unit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> Division:
    Division.objects.create(code="65", name="新疆维吾尔自治区", level="province")
    Division.objects.create(code="6531", name="喀什地区", level="prefecture", parent_id="65")
    Division.objects.create(code="653123", name="英吉沙县", level="county", parent_id="6531")
    Division.objects.create(code="653123201", name="乔勒潘乡", level="township", parent_id="653123")
    return Division.objects.create(code="653123201001", name="阿其玛村", level="village", parent_id="653123201")


def make_user(username: str, *, kind: str, role: str, department: str = "", division: str = "653123") -> User:
    unit = Unit.objects.create(
        code=f"u-{username}", name=username, kind=kind, department=department, division_id=division
    )
    return User.objects.create_user(username=username, password="pw-123456789", unit=unit, role=role)


@pytest.fixture
def tax_staff(county: Division) -> User:
    return make_user("tax1", kind="department", department="tax", role="staff")


@pytest.fixture
def collector(county: Division) -> User:
    return make_user("col1", kind="village", role="collector", division="653123201001")


@pytest.fixture
def medical_staff(county: Division) -> User:
    return make_user("med1", kind="department", department="medical", role="staff")


@pytest.fixture
def seeded() -> None:
    cal.calendar_seed(actor=None, first_year=2025, last_year=2026)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- seeding --------------------------------------------------------------------------------------------------


def test_seed_classifies_holidays_adjusted_workdays_and_weekends_from_chinesecalendar(seeded: None) -> None:
    # then
    assert CalendarDay.objects.filter(year_id=2025).count() == 365
    national = CalendarDay.objects.get(date=date(2025, 10, 1))
    assert (national.kind, national.is_workday, national.name) == (DayKind.HOLIDAY, False, "国庆节")
    adjusted = CalendarDay.objects.get(date=date(2025, 10, 11))  # a Saturday
    assert (adjusted.kind, adjusted.is_workday) == (DayKind.ADJUSTED_WORKDAY, True)
    assert CalendarDay.objects.get(date=date(2025, 10, 18)).kind == DayKind.WEEKEND
    assert CalendarDay.objects.get(date=date(2025, 10, 9)).kind == DayKind.WORKDAY
    assert CalendarYear.objects.get(year=2025).source == cal.SEED_SOURCE


def test_seeded_years_are_not_confirmed_so_deadlines_in_them_raise(seeded: None) -> None:
    with pytest.raises(CalendarNotConfirmed) as caught:
        add_working_days(cal.work_calendar(), date(2025, 9, 26), 2)
    assert caught.value.year == 2025


def test_seed_twice_adds_nothing_and_keeps_a_regional_holiday(seeded: None, tax_staff: User) -> None:
    # given
    cal.calendar_regional_holiday_add(actor=tax_staff, date=date(2025, 3, 31), name="肉孜节")
    events = AuditEvent.objects.count()
    # when
    result = cal.calendar_seed(actor=None, first_year=2025, last_year=2026)
    # then
    assert (result.years_created, result.days_created) == (0, 0)
    assert CalendarDay.objects.get(date=date(2025, 3, 31)).kind == DayKind.REGIONAL_HOLIDAY
    assert AuditEvent.objects.count() == events


def test_seed_is_audited_as_one_event_by_the_system(seeded: None) -> None:
    event = AuditEvent.objects.get(action="calendar.seed")
    assert event.actor_id is None and event.payload["days_created"] == 365 * 2
    assert event.payload["source"] == cal.SEED_SOURCE


def test_seed_stops_at_the_last_year_the_library_knows() -> None:
    result = cal.calendar_seed(actor=None, first_year=2026, last_year=2030)
    assert result.last_year == cal.library_last_year() == 2026
    assert not CalendarYear.objects.filter(year=2027).exists()


# --- confirmation ---------------------------------------------------------------------------------------------


def test_tax_staff_confirms_a_year_and_deadlines_in_it_become_dates(seeded: None, tax_staff: User) -> None:
    # when
    row = cal.calendar_year_confirm(actor=tax_staff, year=2025)
    # then
    assert row.confirmed and row.confirmed_by == tax_staff and row.confirmed_at is not None
    assert add_working_days(cal.work_calendar(), date(2025, 9, 26), 2) == date(2025, 9, 29)
    event = AuditEvent.objects.get(action="calendar.year_confirm")
    assert (event.actor_id, event.object_id) == (tax_staff.pk, "2025")


def test_a_year_cannot_be_confirmed_twice(seeded: None, tax_staff: User) -> None:
    cal.calendar_year_confirm(actor=tax_staff, year=2025)
    with pytest.raises(cal.CalendarError) as caught:
        cal.calendar_year_confirm(actor=tax_staff, year=2025)
    assert caught.value.code == "calendar_year_already_confirmed"


def test_a_year_without_days_cannot_be_confirmed(tax_staff: User) -> None:
    with pytest.raises(cal.CalendarError) as caught:
        cal.calendar_year_confirm(actor=tax_staff, year=2027)
    assert caught.value.code == "calendar_year_missing"
    assert not CalendarYear.objects.filter(year=2027, confirmed=True).exists()


def test_an_incomplete_year_cannot_be_confirmed(seeded: None, tax_staff: User) -> None:
    CalendarDay.objects.filter(date=date(2025, 12, 31)).delete()
    with pytest.raises(cal.CalendarError) as caught:
        cal.calendar_year_confirm(actor=tax_staff, year=2025)
    assert caught.value.code == "calendar_year_incomplete"


def test_a_new_year_is_drafted_from_weekends_corrected_and_confirmed_before_its_deadlines_are_known(
    seeded: None, tax_staff: User
) -> None:
    # given 2026 confirmed, 2027 not in the library
    cal.calendar_year_confirm(actor=tax_staff, year=2026)
    assert cal.deadline_after_working_days(date(2026, 12, 31), 3).pending_year == 2027
    # when the county drafts 2027 and enters New Year's Day
    cal.calendar_year_generate_draft(actor=tax_staff, year=2027)
    assert CalendarDay.objects.filter(year_id=2027).count() == 365
    assert CalendarDay.objects.get(date=date(2027, 1, 2)).kind == DayKind.WEEKEND
    assert cal.deadline_after_working_days(date(2026, 12, 31), 3).pending  # a draft is not confirmed
    cal.calendar_day_set(actor=tax_staff, date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    cal.calendar_year_confirm(actor=tax_staff, year=2027)
    # then: Fri 01-01 off, weekend, Mon 01-04 .. Wed 01-06
    result = cal.deadline_after_working_days(date(2026, 12, 31), 3)
    assert result.due == date(2027, 1, 6)
    assert AuditEvent.objects.filter(action="calendar.year_generate", object_id="2027").exists()


def test_drafting_a_year_that_has_days_is_refused(seeded: None, tax_staff: User) -> None:
    with pytest.raises(cal.CalendarError) as caught:
        cal.calendar_year_generate_draft(actor=tax_staff, year=2025)
    assert caught.value.code == "calendar_year_exists"


# --- the county's corrections ---------------------------------------------------------------------------------


def test_a_regional_holiday_is_a_day_off_and_its_removal_restores_the_national_calendar(
    seeded: None, tax_staff: User
) -> None:
    # given 2025 confirmed; Monday 2025-03-31 is 肉孜节 in Xinjiang
    cal.calendar_year_confirm(actor=tax_staff, year=2025)
    assert cal.deadline_after_working_days(date(2025, 3, 28), 1).due == date(2025, 3, 31)
    # when
    cal.calendar_regional_holiday_add(actor=tax_staff, date=date(2025, 3, 31), name="肉孜节")
    # then
    day = CalendarDay.objects.get(date=date(2025, 3, 31))
    assert (day.kind, day.is_workday, day.name, day.source) == (DayKind.REGIONAL_HOLIDAY, False, "肉孜节", "county")
    assert cal.deadline_after_working_days(date(2025, 3, 28), 1).due == date(2025, 4, 1)
    event = AuditEvent.objects.get(action="calendar.regional_holiday_add")
    assert event.payload["before"]["kind"] == "workday" and event.payload["year_confirmed"] is True
    # when removed
    cal.calendar_regional_holiday_remove(actor=tax_staff, date=date(2025, 3, 31))
    assert CalendarDay.objects.get(date=date(2025, 3, 31)).kind == DayKind.WORKDAY


def test_a_regional_holiday_on_a_national_holiday_is_refused(seeded: None, tax_staff: User) -> None:
    with pytest.raises(cal.CalendarError) as caught:
        cal.calendar_regional_holiday_add(actor=tax_staff, date=date(2025, 10, 1), name="古尔邦节")
    assert caught.value.code == "calendar_day_is_national_holiday"


def test_a_regional_holiday_in_a_year_not_entered_is_refused(tax_staff: User) -> None:
    with pytest.raises(cal.CalendarError) as caught:
        cal.calendar_regional_holiday_add(actor=tax_staff, date=date(2027, 6, 6), name="古尔邦节")
    assert caught.value.code == "calendar_day_missing"


@pytest.mark.parametrize(
    ("day", "kind", "name", "code"),
    [
        (date(2025, 10, 9), DayKind.ADJUSTED_WORKDAY, "", "calendar_kind_needs_weekend"),
        (date(2025, 10, 18), DayKind.WORKDAY, "", "calendar_kind_needs_weekday"),
        (date(2025, 10, 9), DayKind.HOLIDAY, "", "calendar_name_required"),
        (date(2025, 10, 9), "festival", "x", "calendar_kind_unknown"),
    ],
)
def test_a_day_correction_that_contradicts_its_kind_is_refused(
    seeded: None, tax_staff: User, day: date, kind: str, name: str, code: str
) -> None:
    with pytest.raises(cal.CalendarError) as caught:
        cal.calendar_day_set(actor=tax_staff, date=day, kind=kind, name=name)
    assert caught.value.code == code


@pytest.mark.parametrize("who", ["collector", "medical_staff"])
def test_only_tax_or_sysadmin_may_edit_the_calendar(seeded: None, who: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(who)
    with pytest.raises(cal.CalendarEditDenied):
        cal.calendar_regional_holiday_add(actor=user, date=date(2025, 3, 31), name="肉孜节")
    assert CalendarDay.objects.get(date=date(2025, 3, 31)).kind == DayKind.WORKDAY


def test_a_sysadmin_without_a_tax_unit_may_edit(seeded: None, county: Division) -> None:
    admin = make_user("sys1", kind="department", department="finance", role="sysadmin")
    cal.calendar_regional_holiday_add(actor=admin, date=date(2025, 3, 31), name="肉孜节")
    assert CalendarDay.objects.get(date=date(2025, 3, 31)).kind == DayKind.REGIONAL_HOLIDAY


# --- the page -------------------------------------------------------------------------------------------------


def test_the_calendar_page_renders_in_chinese_read_only_for_a_collector(seeded: None, collector: User) -> None:
    # when
    response = logged_in(collector).get("/calendar/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "工作日历" in html and "2025" in html and "未确认" in html
    assert 'action="/calendar/generate/"' not in html


def test_the_year_page_shows_the_months_and_named_holidays(seeded: None, collector: User) -> None:
    html = logged_in(collector).get("/calendar/2025/").content.decode()
    assert "10月" in html and "国庆节" in html and "休" in html and "班" in html
    assert "regional-holiday" not in html  # no editing forms for a collector


def test_the_deadline_calculator_shows_pending_with_the_year_to_confirm(seeded: None, collector: User) -> None:
    html = logged_in(collector).get("/calendar/?start=2026-12-31&working_days=3").content.decode()
    assert "待定" in html and "2027 年的工作日历尚未确认" in html


def test_the_deadline_calculator_shows_the_date_in_a_confirmed_year(seeded: None, tax_staff: User) -> None:
    cal.calendar_year_confirm(actor=tax_staff, year=2025)
    html = logged_in(tax_staff).get("/calendar/?start=2025-09-26&working_days=2").content.decode()
    assert "2025-09-29" in html


def test_a_collector_posting_a_regional_holiday_gets_403_and_nothing_changes(seeded: None, collector: User) -> None:
    response = logged_in(collector).post("/calendar/2025/regional-holiday/", {"date": "2025-03-31", "name": "肉孜节"})
    assert response.status_code == 403
    assert CalendarDay.objects.get(date=date(2025, 3, 31)).kind == DayKind.WORKDAY


def test_a_collector_cannot_confirm_a_year_on_the_page(seeded: None, collector: User) -> None:
    response = logged_in(collector).post("/calendar/2025/confirm/", {"checked": "on"})
    assert response.status_code == 403
    assert not CalendarYear.objects.get(year=2025).confirmed


def test_tax_staff_confirms_a_year_on_the_page_only_after_ticking_the_check(seeded: None, tax_staff: User) -> None:
    client = logged_in(tax_staff)
    # when not ticked
    response = client.post("/calendar/2025/confirm/", {})
    assert response.status_code == 400
    assert not CalendarYear.objects.get(year=2025).confirmed
    # when ticked
    response = client.post("/calendar/2025/confirm/", {"checked": "on"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2025).confirmed_by == tax_staff


def test_tax_staff_adds_a_regional_holiday_on_the_page(seeded: None, tax_staff: User) -> None:
    response = logged_in(tax_staff).post("/calendar/2025/regional-holiday/", {"date": "2025-06-06", "name": "古尔邦节"})
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(2025, 6, 6)).name == "古尔邦节"


def test_a_day_of_another_year_posted_to_a_year_page_is_refused(seeded: None, tax_staff: User) -> None:
    response = logged_in(tax_staff).post("/calendar/2025/regional-holiday/", {"date": "2026-03-20", "name": "肉孜节"})
    assert response.status_code == 400
    assert CalendarDay.objects.get(date=date(2026, 3, 20)).kind != DayKind.REGIONAL_HOLIDAY


def test_tax_staff_generates_a_draft_year_on_the_page(tax_staff: User) -> None:
    response = logged_in(tax_staff).post("/calendar/generate/", {"year": "2027"})
    assert response.status_code == 302 and response["Location"] == "/calendar/2027/"
    assert CalendarDay.objects.filter(year_id=2027).count() == 365


def test_a_year_not_entered_shows_a_notice_not_an_error(collector: User) -> None:
    response = logged_in(collector).get("/calendar/2031/")
    assert response.status_code == 200 and "尚未录入" in response.content.decode()


def test_the_calendar_page_needs_a_login() -> None:
    response = Client().get("/calendar/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the API --------------------------------------------------------------------------------------------------


def test_api_deadline_is_pending_with_the_reason_when_it_falls_in_2027(seeded: None, tax_staff: User) -> None:
    cal.calendar_year_confirm(actor=tax_staff, year=2026)
    response = logged_in(tax_staff).get("/api/calendar/deadline", {"start": "2026-12-31", "working_days": "3"})
    body = response.json()
    assert response.status_code == 200
    assert body["pending"] is True and body["due"] is None and body["pending_year"] == 2027
    assert "2027 年的工作日历尚未确认" in body["reason"]


def test_api_deadline_returns_the_date(seeded: None, tax_staff: User) -> None:
    cal.calendar_year_confirm(actor=tax_staff, year=2025)
    body = logged_in(tax_staff).get("/api/calendar/deadline", {"start": "2025-09-26", "working_days": "2"}).json()
    assert body == {"due": "2025-09-29", "pending": False, "reason": None, "pending_year": None}


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-02-30", "working_days": 2},
        {"start": "yesterday", "working_days": 2},
        {"start": "2025-09-26", "working_days": 0},
        {"start": "2025-09-26", "working_days": 100000},
        {"start": "9999-12-31", "working_days": 1},
        {"start": "2025-09-26"},
    ],
)
def test_api_deadline_rejects_bad_input_with_422(collector: User, params: dict[str, str | int]) -> None:
    assert logged_in(collector).get("/api/calendar/deadline", params).status_code == 422


def test_api_needs_a_login() -> None:
    assert Client().get("/api/calendar/years").status_code == 401


def test_api_lists_years_with_their_confirmation(seeded: None, collector: User) -> None:
    body = logged_in(collector).get("/api/calendar/years").json()
    assert [(y["year"], y["confirmed"], y["days"]) for y in body] == [(2025, False, 365), (2026, False, 365)]


# --- the command ----------------------------------------------------------------------------------------------


def test_load_command_confirms_through_the_given_year_as_the_system() -> None:
    call_command("calendar", "load", "--first-year", "2025", "--confirm-through", "2025", stdout=StringIO())
    assert CalendarYear.objects.get(year=2025).confirmed
    assert not CalendarYear.objects.get(year=2026).confirmed
    event = AuditEvent.objects.get(action="calendar.year_confirm")
    assert event.actor_id is None and event.actor_label == "system"


def test_confirm_command_confirms_as_the_named_user(seeded: None, tax_staff: User) -> None:
    call_command("calendar", "confirm", "2026", "--as", "tax1", stdout=StringIO())
    assert CalendarYear.objects.get(year=2026).confirmed_by == tax_staff


def test_confirm_command_refuses_a_user_who_may_not_edit(seeded: None, collector: User) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="calendar_edit_denied"):
        call_command("calendar", "confirm", "2026", "--as", "col1", stdout=StringIO())


def test_status_command_prints_json(seeded: None) -> None:
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("calendar", "status", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert rows[0]["year"] == 2025 and rows[0]["confirmed"] is False and rows[0]["complete"] is True
