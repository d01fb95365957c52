"""The figures by insurance type and by account equal the sums worked out by hand in ``fixtures``."""

from __future__ import annotations

from typing import Any

import pytest

from liangxian.core.models import AccessLog
from liangxian.core.scope import Actor
from liangxian.finance.models import FundAccount, Transfer
from liangxian.reports import charts, selectors, selectors_accounts, selectors_drill
from liangxian.reports.rules import month_period, range_period, year_period
from liangxian.reports.selectors import ReportError
from liangxian.reports.selectors_drill import Drill

from .fixtures import IDS, NOVEMBER, A, B, report_county

pytestmark = pytest.mark.django_db
NOV = month_period("2026-11")


@pytest.fixture
def county() -> dict[str, Any]:
    return report_county()


def scope_of(user: Any) -> selectors.ReportScope:
    return selectors.report_scope(Actor.of(user))


def test_november_by_insurance_equals_the_hand_sums(county: dict[str, Any]) -> None:
    report = selectors.summary(scope=scope_of(county["tax"]), period=NOV)

    for insurance in ("medical", "pension"):
        got = report.figures(insurance).as_dict()
        assert {k: got[k] for k in NOVEMBER[insurance]} == NOVEMBER[insurance], insurance
    total = report.total.as_dict()
    assert {k: total[k] for k in NOVEMBER[""]} == NOVEMBER[""]
    # the parts and the treasury split add up to the net
    for f in [*report.insurances, report.total]:
        assert f.own_fen + f.gov_fen == f.net_fen == f.treasury_fen + f.pending_fen
        assert f.gross_fen - f.refund_fen - f.reversal_fen == f.net_fen


def test_november_by_channel_township_and_month(county: dict[str, Any]) -> None:
    report = selectors.summary(scope=scope_of(county["finance"]), period=NOV)

    channels = {(c.insurance, c.channel): (c.records, c.gross_fen, c.returned_fen, c.net_fen) for c in report.channels}
    assert channels == {
        ("medical", "wechat"): (7, 235000, 40000, 195000),
        ("medical", "hall"): (3, 60000, 40000, 20000),
        ("medical", "gov"): (1, 20000, 0, 20000),
        ("pension", "pos"): (1, 20000, 0, 20000),
        ("pension", "gov"): (1, 10000, 0, 10000),
    }
    towns = {
        (t.insurance, t.code): (t.net_fen, t.own_fen, t.gov_fen, t.treasury_fen, t.persons) for t in report.townships
    }
    assert towns == {
        ("medical", A): (155000, 135000, 20000, 95000, 4),
        ("medical", B): (40000, 40000, 0, 40000, 1),
        ("medical", ""): (40000, 40000, 0, 0, 1),
        ("pension", A): (20000, 20000, 0, 20000, 1),
        ("pension", B): (10000, 0, 10000, 0, 1),
    }
    names = {t.code: t.name for t in report.townships}
    assert names[A] == "英吉沙镇" and names[B] == "芒辛镇"
    assert [(m.insurance, m.month, m.net_fen) for m in report.months] == [
        ("medical", "2026-11", 235000),
        ("pension", "2026-11", 30000),
    ]


def test_year_counts_the_coverage_year_and_months_follow_beijing_days(county: dict[str, Any]) -> None:
    report = selectors.summary(scope=scope_of(county["tax"]), period=year_period(2027))

    medical = report.figures("medical")
    # every medical payment of 2027 (P9 is 2026's): October's P6, November less P9, December's P10
    assert medical.net_fen == 40000 + (235000 - 35000) + 40000
    assert medical.gross_fen == 40000 + (315000 - 35000) + 40000
    assert [(m.month, m.net_fen) for m in report.months if m.insurance == "medical"] == [
        ("2026-10", 40000),
        ("2026-11", 200000),  # P8 at 23:30 on 30 Nov is November's
        ("2026-12", 40000),  # P10 at 00:30 on 1 Dec (16:30 UTC on 30 Nov) is December's
    ]


def test_a_date_range_includes_both_ends(county: dict[str, Any]) -> None:
    report = selectors.summary(scope=scope_of(county["tax"]), period=range_period("2026-11-30", "2026-12-01"))

    assert report.figures("medical").net_fen == 80000  # P8 and P10
    assert report.figures("pension").net_fen == 0


def test_a_township_sees_its_own_township_only(county: dict[str, Any]) -> None:
    scope = scope_of(county["town_a"])

    report = selectors.summary(scope=scope, period=NOV)

    assert report.area == A and {t.code for t in report.townships} == {A}
    assert report.figures("medical").net_fen == 155000 and report.figures("pension").net_fen == 20000
    with pytest.raises(ReportError) as other:
        selectors.summary(scope=scope, period=NOV, township=B)
    assert other.value.code == "not_found"
    with pytest.raises(ReportError) as accounts:
        selectors_accounts.accounts(scope=scope, period=NOV)
    assert accounts.value.code == "forbidden"


def test_county_may_narrow_to_a_township_or_the_unmatched(county: dict[str, Any]) -> None:
    scope = scope_of(county["tax"])

    assert selectors.summary(scope=scope, period=NOV, township=B).total.net_fen == 50000
    assert selectors.summary(scope=scope, period=NOV, township="none").total.net_fen == 40000
    with pytest.raises(ReportError):
        selectors.summary(scope=scope, period=NOV, township="653124100")


def test_departments_without_the_duty_are_refused(county: dict[str, Any]) -> None:
    with pytest.raises(ReportError) as refused:
        scope_of(county["police"])
    assert refused.value.code == "forbidden"


def test_accounts_in_november(county: dict[str, Any]) -> None:
    report = selectors_accounts.accounts(scope=scope_of(county["finance"]), period=NOV)

    medical = report.accounts("medical")
    assert report.has_accounts and medical.income.number == "M-IN"
    assert medical.income.receipts_fen == 235000 and medical.income.treasury_fen == 135000
    assert medical.to_fiscal_by_flow == {"contributions": 150000, "on_behalf": 20000, "subsidy": 0}
    assert medical.income.balance_fen == 235000 - 170000
    assert medical.fiscal.in_by_flow == {"contributions": 150000, "on_behalf": 20000, "subsidy": 300000}
    assert medical.budget_by_flow == {"contributions": 0, "on_behalf": 0, "subsidy": 300000}
    assert medical.fiscal.out_fen == 100000 and medical.fiscal.balance_fen == 370000
    assert medical.expenditure.in_fen == 100000
    pension = report.accounts("pension")
    assert pension.income.receipts_fen == 30000 and pension.income.balance_fen == 10000
    assert pension.fiscal.in_by_flow["contributions"] == 20000
    assert report.transfer_count == 5  # December's is outside the month
    year = selectors_accounts.accounts(scope=scope_of(county["finance"]), period=year_period(2027))
    assert year.accounts("medical").to_fiscal_by_flow["contributions"] == 200000
    narrowed = selectors_accounts.accounts(scope=scope_of(county["finance"]), period=NOV, flow="subsidy")
    assert [t.amount_fen for t in narrowed.transfers] == [300000]
    assert narrowed.accounts("medical").fiscal.in_fen == 470000  # the figures are not narrowed


def test_accounts_are_nil_when_finance_recorded_none() -> None:
    county = report_county(with_accounts=False)
    assert not FundAccount.objects.exists() and not Transfer.objects.exists()

    report = selectors_accounts.accounts(scope=scope_of(county["tax"]), period=NOV)

    assert not report.has_accounts and report.transfers == []
    medical = report.accounts("medical")
    assert not medical.income.recorded and medical.income.receipts_fen == 235000
    assert medical.income.out_fen == 0 and medical.fiscal.in_fen == 0 and medical.fiscal.balance_fen == 0
    assert charts.accounts_chart(report)["links"][0]["value"] == "2350.00"


def test_drill_down_lists_the_payments_behind_a_figure_masked_and_logged(county: dict[str, Any]) -> None:
    scope = scope_of(county["tax"])
    before = AccessLog.objects.count()

    refunds = selectors_drill.payments_behind(
        scope=scope, period=NOV, drill=Drill.of({"insurance": "medical", "kind": "refund"})
    )
    persons = selectors_drill.payments_behind(
        scope=scope, period=NOV, drill=Drill.of({"insurance": "medical", "paid": "yes"})
    )
    pending = selectors_drill.payments_behind(
        scope=scope, period=NOV, drill=Drill.of({"insurance": "medical", "treasury": "no"})
    )
    gov = selectors_drill.payments_behind(scope=scope, period=NOV, township=A, drill=Drill.of({"part": "gov"}))

    assert [line.total_fen for line in refunds.lines] == [-40000] and refunds.total_fen == -40000
    assert refunds.lines[0].id_number != IDS[2] and refunds.lines[0].id_number.startswith(IDS[2][:6])
    assert "*" in refunds.lines[0].id_number
    assert {line.id_number[-4:] for line in persons.lines} == {IDS[n][-4:] for n in (1, 3, 4, 8, 9, 10)}
    assert pending.total_fen == NOVEMBER["medical"]["pending_fen"] and pending.count == 5
    assert [line.txn_no for line in gov.lines] == ["G1"]
    log = AccessLog.objects.order_by("-pk").first()
    assert AccessLog.objects.count() == before + 4 and log is not None
    assert log.object_type == "collection.payment" and log.duty == "reconciliation" and log.count == 1


def test_drill_down_of_a_township_user_stays_in_his_township(county: dict[str, Any]) -> None:
    scope = scope_of(county["town_a"])

    found = selectors_drill.payments_behind(scope=scope, period=NOV, drill=Drill.of({"insurance": "medical"}))

    assert found.total_fen == 155000
    with pytest.raises(ReportError):
        selectors_drill.payments_behind(scope=scope, period=NOV, township="none", drill=Drill())


def test_drill_ignores_values_that_are_not_choices() -> None:
    drill = Drill.of({"insurance": "x", "kind": "refund", "treasury": "maybe", "paid_month": "2026-13"})

    assert drill == Drill(kind="refund")
