"""The daily detail to the bureaus (Art 37): one file per insurance type, idempotent, catching up missed days."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from django.conf import settings
from django.utils import timezone

from liangxian.bureaus import services
from liangxian.bureaus.models import DailyFile
from liangxian.bureaus.services import BureausError
from liangxian.obligations.models import Obligation

pytestmark = pytest.mark.django_db


def _csv(f: DailyFile) -> pl.DataFrame:
    data = (Path(settings.MEDIA_ROOT) / f.path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return pl.read_csv(io.BytesIO(data[3:]), infer_schema=False)


def test_a_day_makes_one_file_per_insurance_with_its_rows_and_sum(county: dict[str, Any]) -> None:
    result = services.daily_detail_generate(by=county["tax"], day=date(2026, 10, 16))
    files = {(f.insurance, f.format): f for f in result.files}
    assert set(files) == {("pension", "xlsx"), ("pension", "csv")}  # no medical receipts that day
    pension = files[("pension", "csv")]
    assert (pension.rows, pension.total_fen) == (2, 0)  # Q1 200 and its reversal −200
    rows = _csv(pension)
    assert list(rows.columns) == [
        "身份证号码", "姓名", "险种", "缴费年度", "档次", "个人缴费", "补贴", "其他缴费", "合计", "渠道",
        "交易流水号", "电子税票号", "缴费时间", "冲正/退费标志", "原交易流水号",
    ]  # fmt: skip
    q1 = county["payments"]["q1"]
    assert rows.get_column("身份证号码").to_list() == [q1.id_number, q1.id_number]  # in full: the bureau needs it
    assert rows.get_column("合计").to_list() == ["200.00", "-200.00"]
    assert rows.get_column("冲正/退费标志").to_list() == ["正常", "冲正"]
    assert rows.get_column("原交易流水号").to_list()[1] == "WX-Q1"
    assert rows.get_column("档次").to_list() == ["200.00", ""]


def test_refund_rows_are_negative_and_formulas_are_escaped_in_the_xlsx(county: dict[str, Any]) -> None:
    services.daily_detail_generate(by=county["tax"], day=date(2026, 10, 15))
    services.daily_detail_generate(by=county["tax"], day=date(2026, 10, 25))
    paid = DailyFile.objects.get(day=date(2026, 10, 15), insurance="medical", format="xlsx")
    sheet = openpyxl.load_workbook(Path(settings.MEDIA_ROOT) / paid.path, read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][1] == "'=HYPERLINK(1)"  # a name a spreadsheet would run is written as text
    refund = DailyFile.objects.get(day=date(2026, 10, 25), insurance="medical", format="csv")
    assert (refund.rows, refund.total_fen) == (1, -40000)
    row = _csv(refund).row(0, named=True)
    assert row["个人缴费"] == "-400.00" and row["冲正/退费标志"] == "退费" and row["原交易流水号"] == "WX-2"


def test_a_day_already_sent_is_not_sent_twice_unless_forced_and_both_are_kept(county: dict[str, Any]) -> None:
    day = date(2026, 10, 31)
    first = services.daily_detail_generate(by=county["tax"], day=day)
    again = services.daily_detail_generate(by=county["tax"], day=day)
    assert again.skipped and {f.pk for f in again.files} == {f.pk for f in first.files}
    forced = services.daily_detail_generate(by=county["tax"], day=day, force=True)
    assert not forced.skipped and {f.generation for f in forced.files} == {2}
    assert DailyFile.objects.filter(day=day).count() == 8  # medical and pension, xlsx and csv, two generations
    assert DailyFile.objects.filter(day=day, current=True).count() == 4


def test_the_morning_run_catches_up_every_missed_day_and_fulfils_the_obligations(county: dict[str, Any]) -> None:
    services.daily_detail_generate(by=None, day=date(2026, 10, 10))
    results = services.daily_detail_run(by=None)
    days = [r.day for r in results]
    assert days == [date(2026, 10, d) for d in (12, 13, 14, 15, 16, 20, 25, 31)] + [
        date(2026, 11, 2)
    ]  # every day with receipts but 10-10, already sent
    assert all(not r.skipped for r in results)
    assert services.daily_detail_run(by=None) == []  # nothing left
    tax_unit = county["tax"].unit
    obligations = Obligation.objects.filter(rule_id="receipts.daily_detail", unit=tax_unit)
    assert obligations.count() == 10 and not obligations.filter(fulfilled_at__isnull=True).exists()
    late = obligations.get(period="2026-10-12")
    assert late.due_date == date(2026, 10, 13) and late.late  # sent on the run's day, long after


def test_only_tax_generates_and_not_a_day_not_yet_over(county: dict[str, Any]) -> None:
    with pytest.raises(BureausError) as err:
        services.daily_detail_generate(by=county["medical"], day=date(2026, 10, 10))
    assert err.value.code == "not_tax"
    with pytest.raises(BureausError) as err:
        services.daily_detail_generate(by=county["tax"], day=timezone.localdate())
    assert err.value.code == "day_not_over"
    assert services.daily_detail_generate(by=county["tax"], day=timezone.localdate() - timedelta(days=1)).empty
