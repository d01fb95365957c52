"""Computing, finalising and weighting the assessment from the recorded facts (Art 38-39)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from liangxian.assessment import facts, selectors, services
from liangxian.assessment.models import AssessmentRun, Evidence, Score
from liangxian.assessment.services import AssessmentError
from liangxian.core.models import AuditEvent
from liangxian.obligations.models import Obligation, ObligationRule
from liangxian.registry.tests import factories as f

from .fixtures import AS_OF

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english() -> Any:
    """The services store the reasons and notes in the language of the run; these tests read them in English."""
    with translation.override("en"):
        yield


def score(run: AssessmentRun, kind: str, code: str) -> Score:
    return Score.objects.get(run=run, subject_kind=kind, subject_code=code)


def test_townships_are_scored_ranked_and_lose_award_eligibility_from_the_facts(county: dict[str, Any]) -> None:
    # given the county's facts; when tax computes the 2027 assessment
    run = services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)

    # then township A: coverage 4/5, rate 4/5, timeliness 1/2, no list, cash 2/3, self-checks 2/3
    a = score(run, "township", f.TOWN_A)
    assert a.components["coverage"]["numerator"] == 4 and a.components["coverage"]["denominator"] == 5
    assert a.components["collection_rate"]["points"] == "24.00"
    assert a.components["timeliness"]["shown"] == "50.0%"
    assert a.components["cash_findings"]["points"] == "6.67"
    assert a.total == Decimal("74.00")
    b = score(run, "township", f.TOWN_B)
    assert b.components["data_quality"]["shown"] == "50.0%"
    assert b.total == Decimal("95.00")
    assert (b.rank, a.rank) == (1, 2)
    # and A loses award eligibility for each recorded reason, with its leader in charge and its collector
    assert a.award_lost and len(a.award_reasons) == 4
    names = {p["name"] for p in a.award_persons}
    assert names == {"艾力·吐尔逊", "买买提·艾力"}
    assert b.award_lost and any("rejected" in r for r in b.award_reasons)
    assert not run.before_period_end and run.screening_ran
    assert AuditEvent.objects.filter(action="assessment.run.compute", object_id=str(run.pk)).count() == 1


def test_departments_and_collectors_are_scored_on_their_own_criteria(county: dict[str, Any]) -> None:
    run = services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)

    tax, civil, medical = (
        score(run, "department", u.unit.code) for u in (county["tax"], county["civil"], county["medical"])
    )
    assert (tax.total, medical.total, civil.total) == (Decimal("100.00"), Decimal("60.00"), Decimal("38.00"))
    assert (tax.rank, medical.rank, civil.rank) == (1, 2, 3)
    assert set(civil.components) == {"timeliness", "data_quality"}
    assert medical.award_lost and not tax.award_lost
    assert not Score.objects.filter(run=run, subject_code=county["publicity"].unit.code).exists()  # nothing asked
    staff = score(run, "staff", str(county["collector"].pk))
    assert staff.total == Decimal("67.50") and staff.award_lost


def test_every_figure_names_evidence_holding_the_records_it_was_counted_from(county: dict[str, Any]) -> None:
    run = services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)

    a = score(run, "township", f.TOWN_A)
    for component in a.components.values():
        assert Evidence.objects.filter(run=run, ref=component["evidence"]).exists()
    rate = Evidence.objects.get(run=run, ref=a.components["collection_rate"]["evidence"])
    unpaid = [e.pk for e in county["a1"][3:]]
    assert rate.keys["unpaid"] == unpaid and len(rate.keys["paid"]) == 4
    timely = Evidence.objects.get(run=run, ref=a.components["timeliness"]["evidence"])
    assert timely.keys["open"] == [county["late_a"].pk] and timely.keys["beyond"] == [county["late_a"].pk]


def test_the_discipline_report_names_units_with_refused_inaccurate_or_unmet_data(county: dict[str, Any]) -> None:
    run = services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)

    found = {r.score.subject_code: r for r in selectors.referrals(run)}

    assert set(found) == {f.TOWN_A, f.TOWN_B, county["medical"].unit.code}
    assert found[county["medical"].unit.code].refused == [county["refused"].pk]
    assert found[f.TOWN_B].poor == [county["b_list"].pk]
    assert found[f.TOWN_A].beyond == [county["late_a"].pk]


def test_finalising_freezes_the_run_and_meets_the_campaign_summary(county: dict[str, Any]) -> None:
    rule = ObligationRule.objects.create(
        code="campaign.summary",
        title="征缴总结",
        owner_kind="department",
        owner_departments=["tax"],
        anchor="period_end",
    )
    summary = Obligation.objects.create(
        rule=rule,
        campaign=county["campaign"],
        unit=county["tax"].unit,
        period="campaign",
        due_date=dt.date(2026, 11, 10),
        created_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
    )
    services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)

    run = services.assessment_finalise(by=county["tax"], year=2027)

    assert run.status == "final"
    summary.refresh_from_db()
    assert summary.fulfilled_ref == f"assessment.run:{run.pk}"
    with pytest.raises(AssessmentError) as again:
        services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)
    assert again.value.code == "finalised"
    with pytest.raises(AssessmentError):
        services.assessment_finalise(by=county["tax"], year=2027)


def test_only_tax_computes_and_a_run_before_the_period_end_is_marked_provisional(county: dict[str, Any]) -> None:
    with pytest.raises(AssessmentError) as refused:
        services.assessment_compute(by=county["discipline"], year=2027)
    assert refused.value.code == "forbidden"
    with pytest.raises(AssessmentError) as missing:
        services.assessment_compute(by=county["tax"], year=1999)
    assert missing.value.code == "no_campaign"

    run = services.assessment_compute(by=county["tax"], year=2027, as_of=dt.date(2026, 10, 15))

    assert run.before_period_end


def test_weights_are_data_tax_changes_them_and_the_next_computation_uses_them(county: dict[str, Any]) -> None:
    services.weights_load()
    assert services.current_criteria()["weights"]["township"]["collection_rate"] == 30

    services.weights_update(
        by=county["tax"], weights={"staff": {"collection_rate": 100, "cash_findings": 0}}, thresholds={}
    )
    run = services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)

    assert score(run, "staff", str(county["collector"].pk)).total == Decimal("75.00")  # 3 of 4 paid in A1
    assert run.weights["staff"] == {"collection_rate": 100, "cash_findings": 0}
    with pytest.raises(AssessmentError):
        services.weights_update(by=county["tax"], weights={"staff": {"collection_rate": 101}})
    with pytest.raises(AssessmentError):
        services.weights_update(by=county["civil"], weights={"staff": {"collection_rate": 50}})
    with pytest.raises(AssessmentError):
        services.weights_update(by=county["tax"], thresholds={"nonsense": 1})


def test_without_the_screening_app_findings_count_zero_and_the_run_says_screening_not_run(
    county: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facts, "_screening", lambda name: None)

    run = services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)

    a = score(run, "township", f.TOWN_A)
    assert not run.screening_ran
    assert a.components["cash_findings"]["shown"] == "100.0%"
    assert "Screening not run" in a.components["cash_findings"]["note"]


def test_the_real_screening_selectors_without_hits_give_zero_findings() -> None:
    from .fixtures import assessed_county

    county = assessed_county()  # no patch: the screening app's own functions answer

    run = services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)

    a = score(run, "township", f.TOWN_A)
    assert a.components["cash_findings"]["denominator"] == 0 and a.components["selfcheck"]["points"] == "5.00"
