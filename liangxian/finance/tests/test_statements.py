"""Bank statements of the fiscal special accounts: MT940 and csv read, lines matched to transfers, the rest listed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from liangxian.finance import services, statements
from liangxian.finance.models import BankStatement, FundAccount, StatementLine
from liangxian.finance.services import FinanceError

from .fixtures import finance_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    county = finance_county()
    services.accounts_seed(by=county["finance"])
    county["fiscal"] = FundAccount.objects.get(insurance="medical", kind="fiscal")
    fin = county["finance"]
    county["t1"] = services.transfer_record(
        by=fin, flow="on_behalf", insurance="medical", amount_fen=100000, value_date=date(2026, 11, 20),
        reference="DJ2027M01", coverage_year=2027,
    )  # fmt: skip
    county["t2"] = services.transfer_record(
        by=fin, flow="contributions", insurance="medical", amount_fen=100000, value_date=date(2026, 11, 25),
        coverage_year=2027,
    )  # fmt: skip
    county["t3"] = services.transfer_record(
        by=fin,
        flow="subsidy",
        insurance="medical",
        amount_fen=140000,
        value_date=date(2026, 11, 28),
        coverage_year=2027,
    )
    return county


MT940 = """:20:STMT202611
:25:{number}
:28C:00001/001
:60F:C261101CNY0,00
:61:2611210201C1000,00NTRFDJ2027M01//BK001
:86:代缴资金划转
:61:2611240201C1000,00NTRFNONREF//BK002
:86:两险资金划转
:61:2611300201D12,50NTRFNONREF//BK003
:86:手续费
:62F:C261130CNY1987,50
"""


def test_mt940_is_read_and_matched_by_reference_then_by_amount_and_date(county: dict[str, Any]) -> None:
    fiscal = county["fiscal"]
    data = MT940.format(number=fiscal.number).encode()
    result = statements.statement_import(by=county["finance"], account_id=fiscal.pk, data=data, filename="nov.sta")
    s = result.statement
    assert (s.format, s.reference, s.opening_fen, s.closing_fen, s.counts["lines"]) == (
        "mt940",
        "STMT202611",
        0,
        198750,
        3,
    )
    lines = {x.line_no: x for x in StatementLine.objects.filter(statement=s)}
    # the same amount twice: the reference decides the first, the nearer date the second
    assert lines[1].transfer_id == county["t1"].pk and lines[1].match_kind == "reference"
    assert lines[2].transfer_id == county["t2"].pk and lines[2].match_kind == "amount_date"
    assert lines[3].transfer_id is None and lines[3].amount_fen == -1250
    left = statements.unmatched(fiscal.pk)
    assert [x.amount_fen for x in left["lines"]] == [-1250]
    assert [t.pk for t in left["transfers"]] == [county["t3"].pk]
    # the same file again answers with the first import
    again = statements.statement_import(by=county["finance"], account_id=fiscal.pk, data=data, filename="x.sta")
    assert again.repeat and again.statement.pk == s.pk and BankStatement.objects.count() == 1


def test_mt940_of_another_account_is_refused_whole(county: dict[str, Any]) -> None:
    with pytest.raises(FinanceError) as refused:
        statements.statement_import(
            by=county["finance"], account_id=county["fiscal"].pk, data=MT940.format(number="999").encode(), filename="a"
        )
    assert refused.value.code == "wrong_account" and not BankStatement.objects.exists()


def test_csv_statement_repairs_rejects_and_matches(county: dict[str, Any]) -> None:
    text = (
        "记账日期,贷方金额,借方金额,流水号,对方户名,摘要\n"
        '2026/11/29,"1,400.00元",,SUB1,财政局,补贴资金\n'
        "2026-13-01,5.00,,X,,坏日期\n"
        "20261130,,abc,Y,,坏金额\n"
        "2026-11-30,,3.00,Z,,手续费\n"
    )
    result = statements.statement_import(
        by=county["finance"], account_id=county["fiscal"].pk, data=text.encode("gbk"), filename="nov.csv"
    )
    s = result.statement
    assert s.format == "csv" and s.counts["lines"] == 2 and s.counts["repaired"] == 1
    assert sorted(x["row"] for x in s.counts["rejected"]) == [3, 4]
    first = StatementLine.objects.get(statement=s, reference="SUB1")
    assert first.amount_fen == 140000 and first.transfer_id == county["t3"].pk and "1,400.00元" in first.repair


def test_a_statement_without_an_amount_column_is_refused(county: dict[str, Any]) -> None:
    with pytest.raises(FinanceError) as refused:
        statements.statement_import(
            by=county["finance"],
            account_id=county["fiscal"].pk,
            data="交易日期,摘要\n2026-11-01,x\n".encode(),
            filename="a.csv",
        )
    assert refused.value.code == "missing_columns" and not StatementLine.objects.exists()


def test_transfers_keep_flows_and_insurances_apart(county: dict[str, Any]) -> None:
    pension_fiscal = FundAccount.objects.get(insurance="pension", kind="fiscal")
    with pytest.raises(FinanceError) as mixed:
        services.transfer_record(
            by=county["finance"], flow="subsidy", insurance="medical", amount_fen=1, value_date=date(2026, 11, 1),
            to_account_id=pension_fiscal.pk,
        )  # fmt: skip
    assert mixed.value.code == "mixed"


def test_written_mt940_reads_back(county: dict[str, Any]) -> None:
    text = statements.write_mt940(
        county["fiscal"],
        [{"value_date": date(2026, 11, 28), "amount_fen": 140000, "reference": "SUB1", "description": "补贴"}],
        reference="S1",
    )
    parsed = statements.parse_mt940(text.encode())
    assert parsed.account == county["fiscal"].number and parsed.lines[0]["amount_fen"] == 140000
    assert parsed.closing_fen == 140000


def test_xlsx_statement_with_a_signed_amount_column(county: dict[str, Any]) -> None:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["交易日期", "金额", "参考号", "摘要"])
    sheet.append(["2026-11-20", "1000.00", "DJ2027M01", "代缴资金"])
    sheet.append(["2026-11-30", "-2.00", "FEE", "手续费"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = statements.statement_import(
        by=county["finance"], account_id=county["fiscal"].pk, data=buffer.getvalue(), filename="nov.xlsx"
    )
    assert result.statement.format == "xlsx" and result.statement.counts["lines"] == 2
    matched = StatementLine.objects.get(reference="DJ2027M01")
    assert matched.transfer_id == county["t1"].pk and matched.amount_fen == 100000
