"""The bureaus' monthly report: a dirty file classified row by row, and the comparison by cause (Art 36)."""

from __future__ import annotations

from typing import Any

import pytest

from liangxian.bureaus import selectors, services
from liangxian.bureaus.models import MonthlyReport, ReportRow
from liangxian.bureaus.services import BureausError
from liangxian.obligations.models import Obligation
from liangxian.registry.tests import factories as f

from .fixtures import MONTH, send_on_time

pytestmark = pytest.mark.django_db

DIRTY = (
    "社保费月报（医保局）\n"
    "险种,乡镇,入账人数,入账金额（元）,退费人数,退费金额（元）\n"
    '城乡居民基本医疗保险,合计,5,"1,800.00",1,-400\n'
    f"医保,{f.TOWN_A},4,1400.00,1,400\n"
    "医保,城关镇,1,400元,0,0\n"
    ",乌鲁木齐镇,1,400,0,0\n"
    "养老,合计,3,500,0,0\n"
    "医保,城关镇,1,400,0,0\n"
    "医保,全县,x,400.001,0,0\n"
)


def _townships(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "townships", lambda: {f.TOWN_A: "英吉沙镇", f.TOWN_B: "城关镇"})


def test_a_dirty_report_is_accepted_repaired_or_rejected_row_by_row(county: dict[str, Any], monkeypatch: Any) -> None:
    _townships(monkeypatch)
    result = services.report_import(
        by=county["medical"], bureau="medical", month=MONTH, filename="月报.csv", data=DIRTY.encode("gbk")
    )
    rows = {r.row: r for r in ReportRow.objects.filter(report=result.report)}
    assert result.report.counts == {"accepted": 1, "repaired": 2, "rejected": 4}
    assert rows[3].outcome == "repaired" and rows[3].amount_fen == 180000  # "1,800.00"
    assert rows[3].refund_fen == 40000 and "负数" in rows[3].reasons
    assert rows[4].outcome == "accepted" and rows[4].amount_fen == 140000
    assert rows[5].township_code == f.TOWN_B and rows[5].amount_fen == 40000 and "单位" in rows[5].reasons
    assert rows[6].outcome == "rejected" and "乡镇无法识别" in rows[6].reasons
    assert rows[7].outcome == "rejected" and "不由本局报送" in rows[7].reasons
    assert rows[8].outcome == "rejected" and "重复" in rows[8].reasons
    assert rows[9].outcome == "rejected" and "入账人数不是整数" in rows[9].reasons and "两位小数" in rows[9].reasons


def test_the_same_file_twice_answers_with_the_first_import(county: dict[str, Any], monkeypatch: Any) -> None:
    _townships(monkeypatch)
    data = DIRTY.encode("utf-8-sig")
    first = services.report_import(by=county["medical"], bureau="medical", month=MONTH, filename="a.csv", data=data)
    again = services.report_import(by=county["tax"], bureau="medical", month=MONTH, filename="b.csv", data=data)
    assert again.repeated and again.report.pk == first.report.pk
    assert MonthlyReport.objects.count() == 1


def test_a_file_with_no_usable_row_changes_nothing(county: dict[str, Any]) -> None:
    with pytest.raises(BureausError) as err:
        services.report_import(
            by=county["medical"],
            bureau="medical",
            month=MONTH,
            filename="x.csv",
            data="入账人数,入账金额\nx,y\n".encode(),
        )
    assert err.value.code == "no_rows"
    with pytest.raises(BureausError) as err:
        services.report_import(
            by=county["medical"], bureau="medical", month=MONTH, filename="x.xlsx", data=b"PK\x03\x04junk"
        )
    assert err.value.code.startswith("unreadable")
    assert not MonthlyReport.objects.exists() and not ReportRow.objects.exists()


def test_a_bureau_cannot_report_for_the_other_and_a_township_not_at_all(county: dict[str, Any]) -> None:
    for user in (county["social"], county["township"]):
        with pytest.raises(BureausError) as err:
            services.report_enter(by=user, bureau="medical", month=MONTH, lines=[{"persons": "1", "amount": "1"}])
        assert err.value.code == "not_your_bureau"


def test_the_report_fulfils_the_bureaus_monthly_obligation(county: dict[str, Any]) -> None:
    open_ = Obligation.objects.get(rule_id="monthly.report", unit=county["social"].unit, period=MONTH)
    assert open_.fulfilled_at is None
    services.report_enter(by=county["social"], bureau="social", month=MONTH, lines=[{"persons": "1", "amount": "300"}])
    open_.refresh_from_db()
    assert open_.fulfilled_at is not None and open_.fulfilled_ref.startswith("bureaus.report:")
    medical = Obligation.objects.get(rule_id="monthly.report", unit=county["medical"].unit, period=MONTH)
    assert medical.fulfilled_at is None


def _send_october(county: dict[str, Any]) -> None:
    services.daily_detail_run(by=county["tax"], since=services.month_bounds(MONTH)[0])
    send_on_time()


def test_the_comparison_finds_each_cause_with_its_amount(county: dict[str, Any]) -> None:
    _send_october(county)
    # The bureau missed the last day's 380, the queued 390 and the refund of 400; it has the rest.
    services.report_enter(
        by=county["medical"],
        bureau="medical",
        month=MONTH,
        lines=[{"persons": "5", "amount": "1810", "refund_persons": "0", "refund_amount": "0"}],
    )
    comparison = selectors.month_comparison(county["tax"], MONTH)
    (line,) = comparison.lines_of("medical")
    assert line.township_code == ""
    assert (line.tax.persons, line.tax.amount_fen, line.tax.refund_fen) == (7, 258000, 40000)
    causes = {c.code: c for c in line.causes}
    assert {k: (c.count, c.amount_fen) for k, c in causes.items()} == {
        "queue": (1, 39000),
        "treasury_late": (1, 41000),
        "government": (1, 20000),
        "refunds": (1, -40000),
        "timing": (1, 38000),
    }
    assert {k for k, c in causes.items() if c.applies} == {"queue", "refunds", "timing"}
    assert line.net_diff == 37000 and line.unexplained_fen == 0 and line.unexplained_persons == 0


def test_per_township_lines_and_what_is_left_unexplained(county: dict[str, Any], monkeypatch: Any) -> None:
    _townships(monkeypatch)
    _send_october(county)
    services.report_enter(
        by=county["tax"],
        bureau="medical",
        month=MONTH,
        lines=[
            {"township": f.TOWN_A, "persons": "3", "amount": "1000", "refund_persons": "1", "refund_amount": "400"},
            {"township": f.TOWN_B, "persons": "1", "amount": "390"},
        ],
    )
    lines = {line.township_code: line for line in selectors.month_comparison(county["tax"], MONTH).lines_of("medical")}
    assert set(lines) == {"", f.TOWN_A, f.TOWN_B, "?"}
    town_a = lines[f.TOWN_A]  # missed the last day's 380 and the treasury-late 410; has the refund
    assert {c.code for c in town_a.causes if c.applies} == {"treasury_late", "timing"} and town_a.unexplained_fen == 0
    town_b = lines[f.TOWN_B]  # tax 400, bureau 390: nothing in the records explains 10 yuan
    assert town_b.net_diff == 1000 and not any(c.applies for c in town_b.causes) and town_b.unexplained_fen == 1000
    unknown = lines["?"]  # the queued payment of no known township: the bureau could not credit it
    assert unknown.tax.amount_fen == 39000 and [c.code for c in unknown.causes if c.applies] == ["queue"]


def test_the_pension_bureau_sees_only_pension_and_the_drill_down_lists_the_payments(county: dict[str, Any]) -> None:
    _send_october(county)
    services.report_enter(
        by=county["social"],
        bureau="social",
        month=MONTH,
        lines=[{"persons": "1", "amount": "200", "refund_persons": "1", "refund_amount": "200"}],
    )
    comparison = selectors.month_comparison(county["social"], MONTH)
    assert {line.insurance for line in comparison.lines} == {"pension"}
    (line,) = comparison.lines
    assert [c.code for c in line.causes if c.applies] == ["timing"] and line.unexplained_fen == 0
    ids = list(
        selectors.cause_payments(county["social"], MONTH, "pension", "", "timing").values_list("txn_no", flat=True)
    )
    assert ids == ["WX-Q3"]
    assert not selectors.cause_payments(county["social"], MONTH, "medical", "", "queue").exists()
    assert selectors.month_comparison(county["township"], MONTH).lines == []
