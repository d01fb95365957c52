"""Runs, pushes, self-checks, the seeded sample and referrals (Art 40-41)."""

from __future__ import annotations

from typing import Any

import pytest

from liangxian.core.models import AuditEvent
from liangxian.obligations.models import Obligation

from .. import services
from ..models import Hit, Referral, SelfCheck
from ..selectors import collector_findings, township_findings
from .fixtures import screening_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return screening_county()


def _hits(rule: str) -> list[Hit]:
    return list(Hit.objects.filter(rule__code=rule).order_by("pk"))


def test_each_planted_fraud_is_caught_by_its_rule_and_the_honest_village_raises_no_alarm(
    county: dict[str, Any],
) -> None:
    run = services.screening_run(actor=county["tax"], year=2027)

    kept = _hits("cash_not_paid_in")
    assert [h.collector_id for h in kept] == [county["keeper"].pk]
    assert kept[0].evidence["open_receipts"] == 3
    assert kept[0].amount_fen == 3 * 40000
    over = _hits("overcharge")
    assert {h.receipt_id for h in over} == {r.pk for r in county["over"]}
    assert all(h.amount_fen == 5000 and h.collector_id == county["greedy"].pk for h in over)
    card = _hits("card_many_households")
    assert len(card) == 1 and card[0].account_hash == "c" * 64
    assert card[0].evidence["households"] == 12
    assert card[0].township_code == "653123200"
    honest = Hit.objects.filter(collector=county["honest"]) | Hit.objects.filter(account_hash="f" * 64)
    assert not honest.exists()
    assert run.counts["cash_not_paid_in"] == 1 and run.new_hits == Hit.objects.count()


def test_a_rerun_finds_the_same_hits_without_recording_them_twice(county: dict[str, Any]) -> None:
    first = services.screening_run(actor=county["tax"], year=2027)
    second = services.screening_run(actor=None, year=2027)
    assert first.new_hits > 0
    assert second.new_hits == 0
    assert second.counts == first.counts
    assert Hit.objects.filter(run=second).count() == 0


def test_thresholds_are_data_a_higher_threshold_lets_the_keeper_through(county: dict[str, Any]) -> None:
    services.rule_update(actor=county["tax"], code="cash_not_paid_in", thresholds={"min_receipts": 4})
    services.screening_run(actor=county["tax"], year=2027)
    assert _hits("cash_not_paid_in") == []
    assert AuditEvent.objects.filter(action="screening.rule.update").count() == 1


def test_only_tax_edits_rules_and_bad_thresholds_are_refused(county: dict[str, Any]) -> None:
    with pytest.raises(services.ScreeningError) as refused:
        services.rule_update(actor=county["discipline"], code="overcharge", enabled=False)
    assert refused.value.code == "not_allowed"
    with pytest.raises(services.ScreeningError) as bad:
        services.rule_update(actor=county["tax"], code="overcharge", thresholds={"tolerance_fen": -1})
    assert bad.value.code == "threshold_invalid"


def test_push_opens_a_self_check_per_township_due_in_15_days_and_raises_the_obligation(county: dict[str, Any]) -> None:
    run = services.screening_run(actor=county["tax"], year=2027)
    checks = services.run_push(actor=county["tax"], run_id=run.pk)
    assert sorted(c.township_code for c in checks) == ["653123100", "653123200"]
    check = SelfCheck.objects.get(township_code="653123100")
    assert (check.deadline - check.pushed_at.date()).days in (15, 16)
    assert check.answers.count() == Hit.objects.filter(township_code="653123100").count()
    assert Obligation.objects.filter(rule_id="selfcheck.report", unit=county["town_a"]).count() == 1
    with pytest.raises(services.ScreeningError) as again:
        services.run_push(actor=county["tax"], run_id=run.pk)
    assert again.value.code == "already_pushed"


def _pushed(county: dict[str, Any]) -> SelfCheck:
    run = services.screening_run(actor=county["tax"], year=2027)
    services.run_push(actor=county["tax"], run_id=run.pk)
    return SelfCheck.objects.get(township_code="653123100")


def test_township_answers_every_item_and_files_on_time_fulfilling_the_obligation(county: dict[str, Any]) -> None:
    check = _pushed(county)
    spec = county["specialist_a"]
    with pytest.raises(services.ScreeningError) as early:
        services.report_file(actor=spec, selfcheck_id=check.pk, report="自查完毕")
    assert early.value.code == "not_answered"
    for a in check.answers.all():
        services.answer_record(
            actor=spec, selfcheck_id=check.pk, hit_id=a.hit_id, finding="explained", evidence="已核实"
        )
    filed = services.report_file(actor=spec, selfcheck_id=check.pk, report="自查完毕")
    assert filed.filed_at is not None and not filed.late
    obligation = Obligation.objects.get(rule_id="selfcheck.report", unit=county["town_a"])
    assert obligation.fulfilled_at is not None and not obligation.late


def test_another_township_may_not_answer(county: dict[str, Any]) -> None:
    check = _pushed(county)
    hit = check.answers.first()
    assert hit is not None
    with pytest.raises(services.ScreeningError) as refused:
        services.answer_record(
            actor=county["town_b_user"], selfcheck_id=check.pk, hit_id=hit.hit_id, finding="explained", evidence="x"
        )
    assert refused.value.code == "not_allowed"


def test_the_sample_is_reproducible_from_its_seed(county: dict[str, Any]) -> None:
    check = _pushed(county)
    first = services.sample_draw(actor=county["tax"], run_id=check.run_id, size=2, seed=20261130)
    again = services.sample_draw(actor=county["discipline"], run_id=check.run_id, size=2, seed=20261130)
    assert first.hit_ids == again.hit_ids and len(first.hit_ids) == 2
    pool = sorted(Hit.objects.filter(run_id=check.run_id).values_list("pk", flat=True))
    assert first.hit_ids == services.draw(pool, 2, 20261130)


def test_group_disagreeing_marks_the_self_check_perfunctory_and_the_referral_names_the_leader(
    county: dict[str, Any],
) -> None:
    check = _pushed(county)
    spec = county["specialist_a"]
    for a in check.answers.all():
        services.answer_record(
            actor=spec, selfcheck_id=check.pk, hit_id=a.hit_id, finding="false_alarm", evidence="误报"
        )
    services.report_file(actor=spec, selfcheck_id=check.pk, report="均为误报")
    kept = Hit.objects.get(rule__code="cash_not_paid_in")
    sample = services.sample_draw(actor=county["tax"], run_id=check.run_id, size=100, seed=7)
    services.sample_finding_record(
        actor=county["medical"], sample_id=sample.pk, hit_id=kept.pk, finding="confirmed", note="现金未缴"
    )
    check.refresh_from_db()
    assert check.perfunctory
    referral = services.referral_make(actor=county["discipline"], hit_id=kept.pk)
    assert referral.leader_in_charge == county["leader_a"]
    assert referral.trail["township_answer"]["finding"] == "false_alarm"
    assert referral.trail["group_findings"][0]["finding"] == "confirmed"
    assert Referral.objects.count() == 1
    towns = township_findings(2027)
    row = towns.filter(township_code="653123100").to_dicts()[0]
    assert row["perfunctory"] == 1 and row["confirmed"] == 1 and row["selfcheck_due"] == 1
    collectors = collector_findings(2027)
    assert collectors.filter(collector_id=county["keeper"].pk)["confirmed"].to_list() == [1]


def test_an_unconfirmed_hit_is_not_referred(county: dict[str, Any]) -> None:
    run = services.screening_run(actor=county["tax"], year=2027)
    hit = Hit.objects.filter(run=run).first()
    assert hit is not None
    with pytest.raises(services.ScreeningError) as refused:
        services.referral_make(actor=county["tax"], hit_id=hit.pk)
    assert refused.value.code == "not_confirmed"


def test_township_findings_has_the_columns_the_assessment_reads(county: dict[str, Any]) -> None:
    services.screening_run(actor=county["tax"], year=2027)
    frame = township_findings(2027)
    assert frame.columns == ["township_code", "hits", "confirmed", "selfcheck_due", "selfcheck_late", "perfunctory"]
    assert str(frame.schema["hits"]) == "Int64" and str(frame.schema["township_code"]) == "String"
    assert set(frame["township_code"].to_list()) == {"653123100", "653123200"}
    assert collector_findings(2027).columns == ["collector_id", "hits", "confirmed"]
