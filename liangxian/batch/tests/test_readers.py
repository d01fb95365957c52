"""The readers turn the dirty files of tests/data/exchange into text frames, or say why a file cannot be read."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
import xlsxwriter

from liangxian.batch import readers
from liangxian.batch.frames import classify_ids, classify_names
from liangxian.batch.readers import ColumnSpec, ReadResult, UnreadableFile, read_table

DATA = Path(__file__).resolve().parents[3] / "tests" / "data" / "exchange"
EXPECTED: dict[str, dict[str, Any]] = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
TODAY = date(2025, 6, 30)

SPECS = (
    ColumnSpec(
        "id_number", "身份证号码", synonyms=("公民身份号码", "身份证号", "证件号码"), required=True, type="id_number"
    ),
    ColumnSpec("name", "姓名", required=True, type="name"),
    ColumnSpec("sex", "性别", type="enum"),
    ColumnSpec("birth_date", "出生日期", type="date"),
    ColumnSpec("village", "村（社区）", synonyms=("村",), type="division"),
    ColumnSpec("phone", "联系电话", synonyms=("电话",), type="phone"),
)

READABLE = sorted(name for name, exp in EXPECTED.items() if exp["read"])
UNREADABLE = sorted(name for name, exp in EXPECTED.items() if not exp["read"])


def _read(name: str) -> ReadResult:
    return read_table(DATA / name, filename=name, columns=SPECS)


def test_every_sample_file_has_an_expectation():
    files = {p.name for p in DATA.iterdir() if p.name not in ("expected.json", "make_samples.py", "make_xls_sample.py")}

    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", READABLE)
def test_sample_file_reads_with_its_expected_header_rows_and_blanks(name):
    # given a dirty sample file and what it must give
    expected = EXPECTED[name]

    # when it is read
    result = _read(name)

    # then the format, encoding, header and counts are as expected
    assert result.format == expected["format"]
    assert result.encoding == expected["encoding"]
    assert result.header_row == expected["header_row"]
    assert result.blank_rows == expected["blank_rows"]
    assert result.header_map == expected["header_map"]
    assert result.unmatched_headers == expected["unmatched_headers"]
    assert result.frame.height == expected["rows"]
    assert result.frame["__row"].to_list() == [row["row"] for row in expected["expected_rows"]]
    assert result.frame["id_number__numeric"].to_list() == [row["numeric"] for row in expected["expected_rows"]]


@pytest.mark.parametrize("name", READABLE)
def test_sample_file_rows_end_with_their_expected_outcomes(name):
    # given a readable sample file
    expected_rows = EXPECTED[name]["expected_rows"]

    # when its rows are classified
    frame = classify_ids(
        _read(name).frame, "id_number", numeric_column="id_number__numeric", today=TODAY, known_areas=None
    )
    frame = classify_names(frame, "name")

    # then every row has the outcome and the reasons written down for it
    got = frame.select("id_number__outcome", "id_number__codes", "name__outcome", "name__codes").rows()
    assert got == [
        (row["id_outcome"], row["id_codes"], row["name_outcome"], row["name_codes"]) for row in expected_rows
    ]
    for column in ("birth_date", "village", "phone"):
        if any(column in row for row in expected_rows):
            assert frame[column].to_list() == [row.get(column) for row in expected_rows]


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable_sample_file_is_refused_with_its_reason(name):
    # given a file that is empty, broken, an image or lacks a required column
    expected = EXPECTED[name]

    # when it is read, then it is refused with a stable code and a Chinese reason
    with pytest.raises(UnreadableFile) as refused:
        _read(name)
    assert refused.value.code == expected["code"]
    assert refused.value.message
    if "message" in expected:
        assert refused.value.message == expected["message"]


def test_the_same_rows_read_alike_from_utf8_bom_and_gbk():
    frames = [
        _read(n).frame.drop("__original") for n in ("村级摸底_utf8.csv", "村级摸底_utf8_bom.csv", "村级摸底_gbk.csv")
    ]

    assert frames[0].equals(frames[1])
    assert frames[0].equals(frames[2])


def test_original_row_keeps_every_cell_as_written_under_its_header():
    # given the register with a merged two-row header
    result = _read("民政局_特困人员_标题行_合并表头.xlsx")

    # when the first data row's original is decoded
    original = orjson.loads(result.frame["__original"][0])

    # then it holds every column, unmatched ones too, the spaces of the village cell included
    assert list(original) == [
        "序号",
        "供养对象 / 姓  名",
        "供养对象 / 身份证号码（18位）",
        "性别",
        "出生日期",
        "村（社区）",
        "备注",
    ]
    assert original["村（社区）"] == " 乌恰村 "
    assert original["备注"] is None


def test_the_row_as_written_can_come_as_a_struct_that_encodes_to_the_same_json():
    # given the register with a merged two-row header, read once with JSON rows and once with struct rows
    name = "民政局_特困人员_标题行_合并表头.xlsx"
    as_json = _read(name).frame
    as_struct = read_table(DATA / name, filename=name, columns=SPECS, original="struct").frame

    # when the struct rows are encoded
    encoded = as_struct.select(pl.col("__original").struct.json_encode())["__original"]

    # then they are the JSON rows, and every other column is the same
    assert isinstance(as_struct.schema["__original"], pl.Struct)
    assert encoded.to_list() == as_json["__original"].to_list()
    assert as_struct.drop("__original").equals(as_json.drop("__original"))


def test_a_numeric_id_cell_is_flagged_even_though_its_text_looks_like_an_id(tmp_path):
    # given an ID typed as text and the same digits stored as a number (what Excel does without a text format)
    path = tmp_path / "numbers.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["姓名", "身份证号码"])
        ws.write_row(1, 0, ["张三", "653123196605124000"])
        ws.write_string(2, 0, "李四")
        ws.write_number(2, 1, 653123196605124000)

    # when read
    frame = read_table(path, filename=path.name, columns=SPECS).frame

    # then only the number is flagged, and its text is not even the digits typed (the double's own value)
    assert frame["id_number__numeric"].to_list() == [False, True]
    assert frame["id_number"][0] == "653123196605124000"
    assert frame["id_number"][1] != "653123196605124000"


# Cells as Excel, WPS and xlsxwriter write them: which hold a number is noted in the comment.
SHEET_CELLS = (
    b'<c r="A1" t="s"><v>0</v></c>'  # shared string
    b'<c r="B1"><v>6.53123196605124E+17</v></c>'  # number
    b'<c r="C1" s="3"><v>1</v></c>'  # number with a style
    b'<c r="D1" t="n"><v>2</v></c>'  # number typed explicitly
    b'<c r="E1" s="2" t="n"><f>D1*2</f><v>4</v></c>'  # formula with a numeric result
    b'<c r="F1" t="str"><f>"a"</f><v>a</v></c>'  # formula with a text result
    b'<c r="G1" t="inlineStr"><is><t>r="A1"&gt;</t></is></c>'  # inline string that looks like markup
    b'<c r="H1"><f t="shared" si="0"/><v>5</v></c>'  # shared formula with a numeric result
    b'<c r="AA12" t="b"><v>1</v></c>'  # boolean
    b'<c r="AB12" t="e"><v>#N/A</v></c>'  # error
    b'<c r="AC12" s="1"/>'  # styled empty cell
)
SHEET_NUMBERS = ["B1", "C1", "D1", "E1", "H1"]


@pytest.mark.parametrize("few_values", [readers._FEW_VALUES, 0], ids=["one by one", "regex engine"])
def test_numeric_cells_are_found_alike_whether_few_or_many_values_are_in_the_xml(monkeypatch, few_values):
    # given sheet XML holding every kind of cell, scanned with few values (checked one by one) or many (regex)
    monkeypatch.setattr(readers, "_FEW_VALUES", few_values)

    # when the numeric cells are looked for
    found = readers._numeric_matches(b"<sheetData><row>" + SHEET_CELLS + b"</row></sheetData>")

    # then exactly the cells holding a number are found, whichever way
    assert found.str.extract(r'^<c r="([A-Z]+[0-9]+)"').to_list() == SHEET_NUMBERS


@pytest.mark.parametrize("few_values", [readers._FEW_VALUES, 0], ids=["one by one", "regex engine"])
def test_numeric_id_cells_of_a_shared_strings_workbook_are_flagged_either_way(tmp_path, monkeypatch, few_values):
    # given a workbook with shared strings (Excel's own layout), numbers in the ID column here and there
    monkeypatch.setattr(readers, "_FEW_VALUES", few_values)
    path = tmp_path / "shared.xlsx"
    numbers = {3, 4, 40, 99}
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["姓名", "身份证号码", "联系电话"])
        for row in range(1, 101):
            ws.write_string(row, 0, f"张{row}")
            if row in numbers:
                ws.write_number(row, 1, 653123196605124000 + row)
            else:
                ws.write_string(row, 1, f"65312319660512{row:04d}")
            ws.write_number(row, 2, 13900000000 + row)

    # when read
    frame = read_table(path, filename=path.name, columns=SPECS).frame

    # then exactly the numeric ID cells are flagged (Excel rows are one more than the zero-based rows written)
    assert frame.filter(pl.col("id_number__numeric"))["__row"].to_list() == [row + 1 for row in sorted(numbers)]


def test_id_and_name_cells_keep_their_spaces_other_cells_are_stripped():
    frame = _read("村级摸底_utf8.csv").frame
    register = _read("民政局_特困人员_标题行_合并表头.xlsx").frame

    assert frame["village"].to_list()[2] == "乌恰村\n二组"
    assert register["village"].unique().to_list() == ["乌恰村"]
    assert register.filter(pl.col("__row") == 9)["id_number"].item().count(" ") == 2


def test_a_sheet_is_chosen_by_name_and_an_unknown_sheet_is_refused(tmp_path):
    path = tmp_path / "two.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        wb.add_worksheet("说明").write_string(0, 0, "填表说明")
        data = wb.add_worksheet("名单")
        data.write_row(0, 0, ["姓名", "公民身份号码"])
        data.write_row(1, 0, ["张三", "653123199001011233"])

    result = read_table(path.read_bytes(), filename="two.xlsx", columns=SPECS, sheet="名单")

    assert result.frame["name"].to_list() == ["张三"]
    with pytest.raises(UnreadableFile) as refused:
        read_table(path, filename="two.xlsx", columns=SPECS, sheet="没有")
    assert refused.value.code == "sheet_not_found"


def test_header_matching_ignores_spaces_full_width_brackets_case_and_bracketed_notes():
    specs = (*SPECS, ColumnSpec("account", "Bank Account", type="text"))
    text = "姓　名 ,身份证号码（18位）,村(社区),BANK  account\n张三,653123199001011233,乌恰村,6222\n"

    result = read_table(text.encode(), filename="x.csv", columns=specs)

    assert result.header_map == {
        "姓　名": "name",
        "身份证号码（18位）": "id_number",
        "村(社区)": "village",
        "BANK  account": "account",
    }
    assert result.unmatched_headers == []


def test_a_second_column_of_the_same_meaning_stays_unmatched():
    text = "姓名,身份证号码,公民身份号码\n张三,653123199001011233,653123199001011233\n"

    result = read_table(text.encode(), filename="x.csv", columns=SPECS)

    assert result.header_map == {"姓名": "name", "身份证号码": "id_number"}
    assert result.unmatched_headers == ["公民身份号码"]


def test_a_header_only_file_reads_as_no_rows():
    result = read_table("姓名,身份证号码\r\n".encode("gbk"), filename="x.csv", columns=SPECS)

    assert result.frame.height == 0
    assert result.frame.columns == ["__row", "id_number", "name", "__original", "id_number__numeric"]
