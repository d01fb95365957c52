"""Intake seals the identity, assignment decides who may open it, each opening is logged (Art 43); inquiries stay
with their first receiver until answered (Art 24)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from django.db import connection
from django.utils import timezone

from liangxian.complaints import services
from liangxian.complaints.models import Complaint, ComplaintStatus, Handover, Inquiry, SealedIdentity
from liangxian.complaints.selectors import inquiries_for, my_open, overdue, passed_on
from liangxian.complaints.services import ComplaintError
from liangxian.core.calendar import calendar_seed
from liangxian.core.models import AccessLog, AuditEvent, CalendarYear

from .fixtures import IDENTITY, people, received

pytestmark = pytest.mark.django_db


def all_database_text() -> str:
    """Dump every row of every table as text, to look for plain identity anywhere."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the introspection
            chunks.append(orjson.dumps(cursor.fetchall(), default=str).decode())
    return "".join(chunks)


def test_intake_keeps_no_plain_identity_anywhere_in_the_database() -> None:
    p = people()
    intake = received(p)
    services.identity_reveal(by=p["investigator"], complaint_id=intake.complaint.pk)
    dump = all_database_text()
    for value in IDENTITY.values():
        assert value not in dump
    assert intake.follow_code not in dump
    assert SealedIdentity.objects.get(complaint=intake.complaint).token
    assert intake.complaint.anonymous is False


def test_an_anonymous_complaint_has_no_sealed_row() -> None:
    p = people()
    intake = services.complaint_receive(by=p["clerk"], via="mailbox", subject="s", text="t")
    assert intake.complaint.anonymous is True
    assert not SealedIdentity.objects.filter(complaint=intake.complaint).exists()
    assert intake.complaint.number.startswith(f"JB{timezone.now().year}-")


def test_the_assigned_investigator_reads_the_identity_and_the_reading_is_logged_twice() -> None:
    p = people()
    intake = received(p)
    before = AuditEvent.objects.filter(action="complaints.identity.reveal").count()

    identity = services.identity_reveal(by=p["investigator"], complaint_id=intake.complaint.pk)

    assert identity == IDENTITY
    log = AccessLog.objects.get(object_type="complaint.identity", action="view")
    assert log.user_id == p["investigator"].pk and log.object_ids == [str(intake.complaint.pk)]
    event = AuditEvent.objects.filter(action="complaints.identity.reveal").latest("seq")
    assert AuditEvent.objects.filter(action="complaints.identity.reveal").count() == before + 1
    assert IDENTITY["name"] not in orjson.dumps(event.payload).decode()


@pytest.mark.parametrize("who", ["clerk", "tax_other", "discipline_other", "discipline_leader", "tax_leader", "admin"])
def test_nobody_but_the_assigned_investigator_reads_the_identity(who: str) -> None:
    p = people()
    intake = received(p)
    with pytest.raises(ComplaintError) as refused:
        services.identity_reveal(by=p[who], complaint_id=intake.complaint.pk)
    assert refused.value.code == "not_assigned"
    denied = AccessLog.objects.get(object_type="complaint.identity")
    assert denied.action == "denied" and denied.user_id == p[who].pk


def test_an_ended_assignment_ends_the_reading() -> None:
    p = people()
    intake = received(p)
    services.complaint_unassign(
        by=p["discipline_leader"], complaint_id=intake.complaint.pk, investigator_id=p["investigator"].pk
    )
    with pytest.raises(ComplaintError):
        services.identity_reveal(by=p["investigator"], complaint_id=intake.complaint.pk)


def test_only_the_discipline_or_tax_head_assigns() -> None:
    p = people()
    intake = received(p, assign=False)
    for who in ("clerk", "investigator", "admin", "auditor"):
        with pytest.raises(ComplaintError) as refused:
            services.complaint_assign(by=p[who], complaint_id=intake.complaint.pk, investigator=p[who])
        assert refused.value.code == "forbidden"
    services.complaint_assign(by=p["tax_leader"], complaint_id=intake.complaint.pk, investigator=p["auditor"])
    assert Complaint.objects.get(pk=intake.complaint.pk).status == ComplaintStatus.ASSIGNED
    with pytest.raises(ComplaintError) as twice:
        services.complaint_assign(by=p["tax_leader"], complaint_id=intake.complaint.pk, investigator=p["auditor"])
    assert twice.value.code == "already_assigned"


def test_joint_investigation_steps_then_conclusion() -> None:
    p = people()
    intake = received(p)
    services.complaint_assign(by=p["discipline_leader"], complaint_id=intake.complaint.pk, investigator=p["auditor"])
    with pytest.raises(ComplaintError):
        services.step_record(by=p["tax_other"], complaint_id=intake.complaint.pk, note="x")
    services.step_record(by=p["investigator"], complaint_id=intake.complaint.pk, note="走访一村核实")
    services.step_record(by=p["auditor"], complaint_id=intake.complaint.pk, note="核对现金台账")
    case = Complaint.objects.get(pk=intake.complaint.pk)
    assert case.status == ComplaintStatus.INVESTIGATING
    assert [s.unit.department for s in case.steps.all()] == ["discipline", "audit"]

    services.complaint_conclude(
        by=p["investigator"],
        complaint_id=case.pk,
        outcome="属实，已追缴并处理",
        public_outcome="经查属实，已依规处理。",
    )
    case.refresh_from_db()
    assert case.status == ComplaintStatus.CONCLUDED and case.concluded_by == p["investigator"]
    with pytest.raises(ComplaintError) as late:
        services.step_record(by=p["investigator"], complaint_id=case.pk, note="x")
    assert late.value.code == "concluded"


def test_the_reporter_follows_with_the_code_only_and_wrong_codes_lock_the_address() -> None:
    p = people()
    intake = received(p)
    found = services.public_follow(number=intake.complaint.number, code=intake.follow_code.lower(), ip="10.0.0.1")
    assert found.pk == intake.complaint.pk
    assert intake.follow_code not in intake.complaint.follow_hash
    for _i in range(services.FOLLOW_FAILURE_LIMIT):
        with pytest.raises(ComplaintError) as wrong:
            services.public_follow(number=intake.complaint.number, code="AAAA-BBBB-CCCC", ip="10.0.0.2")
        assert wrong.value.code == "not_found"
    with pytest.raises(ComplaintError) as locked:
        services.public_follow(number=intake.complaint.number, code=intake.follow_code, ip="10.0.0.2")
    assert locked.value.code == "locked"


def test_a_public_address_files_at_most_five_reports_an_hour() -> None:
    people()
    for _i in range(services.REPORTS_PER_HOUR):
        services.public_report(subject="s", text="t", identity={}, ip="10.0.0.3")
    with pytest.raises(ComplaintError) as refused:
        services.public_report(subject="s", text="t", identity={}, ip="10.0.0.3")
    assert refused.value.code == "too_many"
    assert "10.0.0.3" not in all_database_text()
    assert Complaint.objects.filter(received_by__isnull=True).count() == services.REPORTS_PER_HOUR


def test_a_department_edits_only_its_own_channel() -> None:
    p = people()
    services.channel_update(
        by=p["clerk"], department="tax", mailbox="英吉沙县税务局信箱", email="t@x.cn", phone="0998-1"
    )
    with pytest.raises(ComplaintError):
        services.channel_update(by=p["clerk"], department="discipline", mailbox="m", email="e", phone="p")


def test_rotating_the_key_reseals_every_identity() -> None:
    p = people()
    intake = received(p)
    old = SealedIdentity.objects.get(complaint=intake.complaint).token
    assert services.seal_key_rotate(by=p["admin"]) == 1
    new = SealedIdentity.objects.get(complaint=intake.complaint).token
    assert new != old
    assert services.identity_reveal(by=p["investigator"], complaint_id=intake.complaint.pk) == IDENTITY


# --- inquiries ------------------------------------------------------------------------------------------------


def test_an_inquiry_stays_the_first_receivers_after_a_hand_over_until_answered() -> None:
    p = people()
    q = services.inquiry_record(by=p["township"], asker="13900001111", question="今年医保多少钱？", channel="phone")
    services.inquiry_hand_over(by=p["township"], inquiry_id=q.pk, to=p["clerk"], reason="缴费标准由税务答复")
    q.refresh_from_db()
    assert q.received_by == p["township"] and q.holder == p["clerk"]
    assert Handover.objects.get(inquiry=q).from_user == p["township"]
    # both units see it; the first receiver still has it among his open ones; a third unit does not see it
    assert list(my_open(p["township"])) == [q] and list(my_open(p["clerk"])) == [q]
    assert list(passed_on(p["clerk"])) == [q]
    assert not inquiries_for(p["investigator"]).exists()
    with pytest.raises(ComplaintError):
        services.inquiry_answer(by=p["tax_other"], inquiry_id=q.pk, answer="x")

    services.inquiry_answer(by=p["clerk"], inquiry_id=q.pk, answer="2027年度每人400元")

    assert not my_open(p["township"]).exists()
    with pytest.raises(ComplaintError) as closed:
        services.inquiry_hand_over(by=p["township"], inquiry_id=q.pk, to=p["tax_other"], reason="x")
    assert closed.value.code == "answered"


def test_unanswered_inquiries_past_the_working_days_are_overdue() -> None:
    p = people()
    calendar_seed(actor=None, first_year=2026, last_year=2026)
    CalendarYear.objects.update(confirmed=True)
    monday = timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))
    old = services.inquiry_record(by=p["clerk"], asker="甲", question="q", channel="visit", received_at=monday)
    services.inquiry_record(
        by=p["clerk"], asker="乙", question="q", channel="visit", received_at=monday + dt.timedelta(days=7)
    )
    found, pending = overdue(Inquiry.objects.all(), days=5, today=dt.date(2026, 11, 10))
    assert [o.inquiry for o in found] == [old] and found[0].due == dt.date(2026, 11, 9) and pending == 0
    found, _pending = overdue(Inquiry.objects.all(), days=5, today=dt.date(2026, 11, 9))
    assert found == []


def test_without_a_confirmed_calendar_the_deadline_waits() -> None:
    p = people()
    services.inquiry_record(by=p["clerk"], asker="甲", question="q", channel="phone")
    found, pending = overdue(Inquiry.objects.all(), days=5)
    assert found == [] and pending == 1


def test_intake_checks_input(settings: Any) -> None:
    p = people()
    with pytest.raises(ComplaintError) as bad:
        services.complaint_receive(by=p["clerk"], via="fax", subject="s", text="t")
    assert bad.value.code == "bad_channel"
    with pytest.raises(ComplaintError) as forbidden:
        services.complaint_receive(by=p["township"], via="phone", subject="s", text="t")
    assert forbidden.value.code == "forbidden"
