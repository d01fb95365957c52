"""The statement reader on dirty files: every line accepted, repaired with its reason, or rejected with its reason."""

from __future__ import annotations

import polars as pl
import pytest

from liangxian.batch.readers import read_table
from liangxian.treasury.frames import COLUMNS, amount_fen, classify_lines

from .fixtures import HEADER, csv_bytes, xlsx_bytes


def lines_of(content: bytes, filename: str = "s.csv", month: str = "2026-10") -> pl.DataFrame:
    return classify_lines(read_table(content, filename=filename, columns=COLUMNS).frame, month)


@pytest.mark.parametrize(
    ("text", "fen", "repaired"),
    [
        ("400.00", 40000, False),
        ("400.5", 40050, False),
        ("-400", -40000, False),
        ("¥1,200.50", 120050, True),
        ("１２３．４５", 12345, True),
        ("400元", 40000, True),
        ("12.345", None, False),
        ("abc", None, False),
    ],
)
def test_amounts_are_read_exactly_in_fen(text: str, fen: int | None, repaired: bool) -> None:
    value, was_repaired, _precise = amount_fen(pl.lit(text))
    row = pl.select(value.alias("v"), was_repaired.alias("r")).row(0)
    assert row == (fen, repaired if fen is not None else False)


def test_a_dirty_gbk_csv_is_classified_line_by_line() -> None:
    # given a GBK statement with a bad amount, a bad date, a blank row, a duplicate line and repairs
    content = csv_bytes(
        [
            "SP001,2026-10-12,400.00,城乡居民基本医疗保险,国库,否",  # 2 accepted
            "SP002,2026-10-13,四百元,城乡居民基本医疗保险,国库,否",  # 3 bad amount
            "SP003,2026-13-45,400.00,城乡居民基本医疗保险,国库,否",  # 4 bad date
            ",,,,,",  # blank: skipped and counted
            "SP001,2026-10-12,400.00,城乡居民基本医疗保险,国库,否",  # 6 duplicate of row 2
            ' sp004 ,2026/10/15,"￥1,200.00",医保,国库,',  # 7 repaired: voucher, amount, date, insurance
            "SP005,2026-10-16,400.00,养老,国库,是",  # 8 repaired insurance; 退库 → negative
            "SP006,2026-11-02,400.00,城乡居民基本医疗保险,国库,否",  # 9 outside the month
            "SP007,2026-10-16,400.001,城乡居民基本医疗保险,国库,否",  # 10 too precise
            "SP008,2026-10-16,400.00,职工医保,国库,否",  # 11 employees' scheme: not ours
            "SP009,2026-10-16,400.00,城乡居民基本养老保险,国库,也许",  # 12 unknown flag
            ",2026-10-16,400.00,城乡居民基本养老保险,国库,否",  # 13 no voucher
        ],
        encoding="gbk",
    )
    read = read_table(content, filename="s.csv", columns=COLUMNS)
    lines = classify_lines(read.frame, "2026-10")
    by_row = {r["row"]: r for r in lines.to_dicts()}

    assert read.encoding == "gbk" and read.blank_rows == 1
    assert by_row[2]["outcome"] == "accepted" and by_row[2]["amount_fen"] == 40000
    assert by_row[3]["outcome"] == "rejected" and by_row[3]["reason"] == "金额无法识别"
    assert by_row[4]["outcome"] == "rejected" and by_row[4]["reason"] == "入库日期无法识别"
    assert by_row[6]["outcome"] == "rejected" and "与第 2 行重复" in by_row[6]["reason"]
    assert by_row[7]["outcome"] == "repaired"
    assert by_row[7]["voucher"] == "SP004" and by_row[7]["amount_fen"] == 120000
    assert by_row[7]["insurance"] == "medical" and str(by_row[7]["entry_date"]) == "2026-10-15"
    assert "税票号" in by_row[7]["reason"] and "金额" in by_row[7]["reason"] and "入库日期" in by_row[7]["reason"]
    assert by_row[8]["outcome"] == "repaired" and by_row[8]["amount_fen"] == -40000
    assert by_row[8]["insurance"] == "pension"
    assert by_row[9]["reason"] == "入库日期不在对账月份 2026-10 内"
    assert by_row[10]["reason"] == "金额超过两位小数（精确到分）"
    assert by_row[11]["outcome"] == "rejected" and "险种无法识别" in by_row[11]["reason"]
    assert by_row[12]["outcome"] == "rejected" and "退库标志" in by_row[12]["reason"]
    assert by_row[13]["reason"] == "缺少电子税票号"
    assert lines.height == 11


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_each_encoding_reads_the_same(encoding: str) -> None:
    lines = lines_of(csv_bytes(["SP001,2026-10-12,400.00,城乡居民基本医疗保险,国库,否"], encoding=encoding))
    assert lines.select("voucher", "amount_fen", "insurance", "outcome").row(0) == (
        "SP001",
        40000,
        "medical",
        "accepted",
    )


def test_an_xlsx_with_a_title_row_numbers_and_date_cells_is_read() -> None:
    import datetime as dt

    content = xlsx_bytes(
        [
            ["SP001", "2026-10-12", 400, "城乡居民基本医疗保险", "国库", "否"],
            ["SP002", "2026-10-13", -200.5, "390", "", ""],
        ],
        title="中国人民银行英吉沙县支行 社会保险费入库对账单",
    )
    lines = lines_of(content, "s.xlsx")
    assert lines.get_column("amount_fen").to_list() == [40000, -20050]
    assert lines.get_column("insurance").to_list() == ["medical", "medical"]
    assert lines.get_column("entry_date").to_list() == [dt.date(2026, 10, 12), dt.date(2026, 10, 13)]


def test_the_header_names_are_matched_tolerantly() -> None:
    header = "税票号码,入库时间,金额（元）,费种,收款账户,是否退库"
    lines = lines_of(csv_bytes(["SP001,2026-10-12,400.00,城乡居民基本医疗保险,国库,否"], header=header))
    assert lines.get_column("voucher").to_list() == ["SP001"]
    assert HEADER.split(",")[0] == "电子税票号"
