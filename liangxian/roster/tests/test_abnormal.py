"""The abnormal-data loop (Art 7, 8): steps in order, by the right unit, each deadline from its obligation under
the 2026 calendar, the times recorded, and who may see the queue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from liangxian.core.models import AuditEvent
from liangxian.core.scope import Actor
from liangxian.obligations.models import Obligation
from liangxian.registry.tests import factories as f
from liangxian.roster import abnormal as loop
from liangxian.roster.models import AbnormalItem, AbnormalStatus, AbnormalStep, RosterTransmission
from liangxian.roster.tests.test_transmission import county, ident, send_and_receive, small_roster
from liangxian.roster.transmission import RosterLoopError, subject_of

__all__ = ["county"]
pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the time every service reads (``timezone.now``)."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def received(county: dict[str, Any], clock: Any, day: str = "2026-09-25") -> RosterTransmission:
    clock(at(day))
    small_roster(county)
    return send_and_receive(county, today=date.fromisoformat(day))


def obligation(rule: str, sent: RosterTransmission, period: str | None = None) -> Obligation:
    qs = Obligation.objects.filter(rule_id=rule, subject=subject_of(sent))
    return qs.get(period=period) if period else qs.get()


def ids(sent: RosterTransmission, kind: str | None = None) -> list[int]:
    qs = AbnormalItem.objects.filter(transmission=sent)
    return list((qs.filter(kind=kind) if kind else qs).order_by("pk").values_list("pk", flat=True))


# --- deadlines under the 2026 calendar -----------------------------------------------------------------------


def test_receipt_on_friday_25_september_2026_makes_feedback_due_tuesday_29_september(county: dict, clock: Any) -> None:
    sent = received(county, clock, "2026-09-25")
    feedback = obligation("abnormal.feedback", sent)
    assert feedback.unit.code == "653123-tax"
    assert feedback.trigger_date == date(2026, 9, 25)
    assert feedback.due_date == date(2026, 9, 29)  # Mon 28, Tue 29
    assert feedback.fulfilled_at is None


def test_receipt_on_friday_9_october_2026_counts_the_adjusted_saturday(county: dict, clock: Any) -> None:
    # National Day holiday 1-7 October 2026; Saturday 10 October is an adjusted working day.
    sent = received(county, clock, "2026-10-09")
    assert obligation("abnormal.feedback", sent).due_date == date(2026, 10, 12)  # Sat 10, Mon 12


def test_the_loop_fulfils_and_raises_each_obligation_with_its_date(county: dict, clock: Any) -> None:
    sent = received(county, clock, "2026-09-25")
    tax, medical, civil = county["tax"], county["medical"], county["civil"]
    # Tax feeds everything back on Monday 28 September: in time.
    clock(at("2026-09-28", 9))
    loop.abnormal_feed_back(actor=tax, transmission=sent, note="请核实")
    feedback = obligation("abnormal.feedback", sent)
    assert feedback.fulfilled_at == at("2026-09-28", 9) and not feedback.late
    verify = obligation("abnormal.verify", sent)
    assert verify.unit.code == "653123-medical"
    assert verify.due_date == date(2026, 10, 8)  # 3 working days from Mon 28 Sep: 29, 30, (holiday 1-7), 8 Oct
    # Medical forwards the deceased to civil affairs on Wednesday 30 September: in time (due 30 Sep).
    dead = ids(sent, "deceased")
    clock(at("2026-09-30", 16))
    loop.abnormal_forward(actor=medical, items=dead, to=county["units"]["civil"], note="请民政核实")
    forward = obligation("abnormal.forward", sent)
    assert forward.due_date == date(2026, 9, 30) and forward.fulfilled_at == at("2026-09-30", 16)
    assert not forward.late
    # Medical verifies the rest itself on Friday 9 October: one day late.
    rest = [i for i in ids(sent) if i not in dead]
    clock(at("2026-10-09", 11))
    loop.abnormal_verify(actor=medical, items=rest, note="已核实，数据已更正")
    verify.refresh_from_db()
    assert verify.fulfilled_at == at("2026-10-09", 11) and verify.late
    # Civil affairs confirms on Friday 9 October (no deadline); the reply is due Saturday 10 October.
    clock(at("2026-10-09", 15))
    loop.abnormal_confirm(actor=civil, items=dead, note="已确认死亡")
    reply = obligation("abnormal.reply", sent)
    assert (reply.trigger_date, reply.due_date) == (date(2026, 10, 9), date(2026, 10, 10))
    clock(at("2026-10-10", 9))
    loop.abnormal_reply(actor=medical, items=dead, note="民政已确认死亡，已停保")
    reply.refresh_from_db()
    assert reply.fulfilled_at == at("2026-10-10", 9) and not reply.late
    item = AbnormalItem.objects.get(pk=dead[0])
    assert item.fed_back_at == at("2026-09-28", 9)
    assert item.forwarded_at == at("2026-09-30", 16)
    assert item.forwarded_to is not None and item.forwarded_to.code == "653123-civil"
    assert item.confirmed_at == at("2026-10-09", 15)
    assert item.replied_at == at("2026-10-10", 9) and item.resolution == "民政已确认死亡，已停保"
    steps = list(AbnormalStep.objects.filter(item=item).values_list("action", "unit__code", "actor__username", "at"))
    assert steps == [
        ("raised", "653123-tax", "tax1", at("2026-09-25")),
        ("fed_back", "653123-tax", "tax1", at("2026-09-28", 9)),
        ("forwarded", "653123-medical", "med1", at("2026-09-30", 16)),
        ("confirmed", "653123-civil", "civ1", at("2026-10-09", 15)),
        ("replied", "653123-medical", "med1", at("2026-10-10", 9)),
    ]
    shown = loop.item_deadlines(item)
    assert [(d.rule, d.due, d.late) for d in shown] == [
        ("abnormal.feedback", date(2026, 9, 29), False),
        ("abnormal.verify", date(2026, 10, 8), True),
        ("abnormal.forward", date(2026, 9, 30), False),
        ("abnormal.reply", date(2026, 10, 10), False),
    ]
    # Tax closes the replies.
    clock(at("2026-10-12", 9))
    result = loop.abnormal_close(actor=tax, transmission=sent, note="已处理")
    assert result.count == len(ids(sent))
    assert set(AbnormalItem.objects.filter(transmission=sent).values_list("status", flat=True)) == {"closed"}


def test_a_deadline_in_an_unconfirmed_year_is_pending_with_the_reason(county: dict, clock: Any) -> None:
    sent = received(county, clock, "2026-12-30")  # Wednesday; the 2nd working day falls in 2027
    feedback = obligation("abnormal.feedback", sent)
    assert feedback.due_date is None
    assert "2027" in feedback.pending_reason
    item = AbnormalItem.objects.filter(transmission=sent).first()
    assert item is not None
    [shown] = loop.item_deadlines(item)
    assert shown.due is None and "2027" in shown.pending_reason


# --- order and units ------------------------------------------------------------------------------------------


def test_a_later_step_cannot_act_before_an_earlier_one(county: dict, clock: Any) -> None:
    sent = received(county, clock)
    first = ids(sent)[:1]
    medical, civil = county["medical"], county["civil"]
    for step in (
        lambda: loop.abnormal_verify(actor=medical, items=first, note="x"),
        lambda: loop.abnormal_forward(actor=medical, items=first, to=county["units"]["civil"]),
        lambda: loop.abnormal_reply(actor=medical, items=first, note="x"),
        lambda: loop.abnormal_close(actor=county["tax"], items=first),
    ):
        with pytest.raises(RosterLoopError) as caught:
            step()
        assert caught.value.code == "wrong_step"
    loop.abnormal_feed_back(actor=county["tax"], items=first)
    with pytest.raises(RosterLoopError) as unconfirmed:
        loop.abnormal_reply(actor=medical, items=first, note="x")
    assert unconfirmed.value.code == "wrong_step"
    with pytest.raises(RosterLoopError) as not_forwarded:
        loop.abnormal_confirm(actor=civil, items=first, note="x")
    assert not_forwarded.value.code == "not_yours"
    with pytest.raises(RosterLoopError) as twice:
        loop.abnormal_feed_back(actor=county["tax"], items=first)
    assert twice.value.code == "wrong_step"
    assert AbnormalItem.objects.get(pk=first[0]).status == AbnormalStatus.FED_BACK


def test_the_wrong_unit_cannot_act(county: dict, clock: Any) -> None:
    sent = received(county, clock)
    items = ids(sent)[:2]
    with pytest.raises(RosterLoopError) as not_tax:
        loop.abnormal_feed_back(actor=county["medical"], items=items)
    assert not_tax.value.code == "not_tax"
    loop.abnormal_feed_back(actor=county["tax"], items=items)
    with pytest.raises(RosterLoopError) as other_department:
        loop.abnormal_verify(actor=county["social"], items=items, note="x")
    assert other_department.value.code == "not_yours"
    with pytest.raises(RosterLoopError) as township:
        loop.abnormal_verify(actor=county["township"], items=items, note="x")
    assert township.value.code == "not_department"
    loop.abnormal_forward(actor=county["medical"], items=items, to=county["units"]["civil"])
    with pytest.raises(RosterLoopError) as not_asked:
        loop.abnormal_confirm(actor=county["social"], items=items, note="x")
    assert not_asked.value.code == "not_yours"
    with pytest.raises(RosterLoopError) as to_tax:
        loop.abnormal_forward(actor=county["medical"], items=items, to=county["units"]["tax"])
    assert to_tax.value.code == "bad_target"
    # Nothing moved on a refusal: still forwarded, one forward step each.
    assert set(AbnormalItem.objects.filter(pk__in=items).values_list("status", flat=True)) == {"forwarded"}
    assert AbnormalStep.objects.filter(item_id__in=items, action="forwarded").count() == 2


def test_a_step_on_many_items_writes_one_step_each_and_one_audit_event_per_roster(county: dict, clock: Any) -> None:
    sent = received(county, clock)
    before = AuditEvent.objects.filter(action="roster.abnormal.fed_back").count()
    result = loop.abnormal_feed_back(actor=county["tax"], items=ids(sent), note="批量反馈")
    assert result.count == 12 and result.transmission_ids == [sent.pk]
    assert AbnormalStep.objects.filter(item__transmission=sent, action="fed_back", note="批量反馈").count() == 12
    events = AuditEvent.objects.filter(action="roster.abnormal.fed_back")
    assert events.count() == before + 1
    assert sorted(events.last().payload["items"]) == ids(sent)  # type: ignore[union-attr]


def test_notes_are_required_where_the_step_is_an_answer(county: dict, clock: Any) -> None:
    sent = received(county, clock)
    loop.abnormal_feed_back(actor=county["tax"], transmission=sent)
    with pytest.raises(RosterLoopError) as caught:
        loop.abnormal_verify(actor=county["medical"], transmission=sent, note="  ")
    assert caught.value.code == "note_required"
    with pytest.raises(RosterLoopError) as dismiss:
        loop.abnormal_close(actor=county["tax"], items=ids(sent)[:1], dismiss=True)
    assert dismiss.value.code == "note_required"


def test_tax_may_dismiss_a_false_alarm_and_feedback_is_then_fulfilled(county: dict, clock: Any) -> None:
    clock(at("2026-09-25"))
    entry_person = f.person(f.VILLAGE_A1, name="重名", id_number=ident(40))
    from liangxian.roster.tests.test_transmission import entry

    entry(county["campaign"], county["build"], entry_person, amount=35000)
    sent = send_and_receive(county, today=date(2026, 9, 25))
    loop.abnormal_close(actor=county["tax"], transmission=sent, dismiss=True, note="档次已调整")
    assert obligation("abnormal.feedback", sent).fulfilled_at is not None
    assert AbnormalItem.objects.get(transmission=sent).status == "closed"


# --- who sees what --------------------------------------------------------------------------------------------


def test_each_party_sees_its_own_queue_and_a_township_none(county: dict, clock: Any) -> None:
    sent = received(county, clock)
    tax, medical, social, civil = (Actor.of(county[k]) for k in ("tax", "medical", "social", "civil"))
    assert loop.abnormal_queue(tax).count() == 12
    assert loop.abnormal_queue(medical).count() == 0  # not yet fed back
    loop.abnormal_feed_back(actor=county["tax"], transmission=sent)
    assert loop.abnormal_queue(tax).count() == 0
    assert loop.abnormal_queue(medical).count() == 12
    assert loop.abnormal_queue(social).count() == 0
    loop.abnormal_forward(actor=county["medical"], items=ids(sent, "deceased"), to=county["units"]["civil"])
    assert list(loop.abnormal_queue(civil).values_list("kind", flat=True)) == ["deceased"]
    assert loop.abnormal_queue(civil, waiting=False).count() == 1  # civil never sees the others
    assert loop.abnormal_queue(medical).count() == 11
    township = Actor.of(county["township"])
    assert not loop.may_read(township)
    assert loop.abnormal_queue(township, waiting=False).count() == 0
    assert loop.transmission_scope(township).count() == 0
    assert loop.transmission_scope(social).count() == 0
    assert loop.transmission_scope(medical).count() == 1
    assert loop.sees_full_ids(tax) and loop.sees_full_ids(medical)
    dead = AbnormalItem.objects.get(kind="deceased")
    assert not loop.sees_full_ids(civil) and loop.sees_full_ids(civil, dead)
