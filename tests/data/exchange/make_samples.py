"""Write the dirty department files the readers' tests read, and expected.json with what each must give.

Run from the project root: ``.venv/bin/python tests/data/exchange/make_samples.py``. The files are committed;
run it again only to change them (the output is byte-identical for the same script).

Expectations are written here by hand, row by row, from how each cell was made dirty, not by running the
reader. The one .xls sample is written by make_xls_sample.py (nothing the project installs writes BIFF).
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import xlsxwriter

from liangxian.core.idnumbers import check_digit

HERE = Path(__file__).resolve().parent
CREATED = dt.datetime(2025, 3, 1, 9, 0, 0)


def valid(body: str) -> str:
    """Return a 17-digit body with its check character."""
    return body + check_digit(body)


ID_A = valid("65312319900101123")  # male, 1990-01-01
ID_B = valid("65312319850315028")
ID_X = next(valid(f"653123197203{d:02d}001") for d in range(1, 29) if valid(f"653123197203{d:02d}001").endswith("X"))
ID_C = valid("65312320010709004")
ID_OLD_15 = "653123" + "720301" + "123"  # first-generation number of a man born 1972-03-01
ID_FOR_NUMERIC = valid("65312319660512421")
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "Ｘ"}


def fullwidth(text: str) -> str:
    return "".join(FULLWIDTH.get(ch, ch) for ch in text)


def wrong_check(number: str) -> str:
    chars = "10X98765432"
    return number[:17] + chars[(chars.index(number[17]) + 1) % 11]


# (name cell, ID cell, numeric?, sex, birth, village, expected ID outcome and codes, expected name outcome and codes)
REGISTER_ROWS: list[dict[str, Any]] = [
    {"name": "阿不都·热合曼", "id": ID_A, "id_outcome": "accepted", "id_codes": [], "name_outcome": "accepted"},
    {
        "name": "古丽•艾力",
        "id": ID_X.replace("X", "x"),
        "id_outcome": "repaired",
        "id_codes": ["lowercase_x"],
        "name_outcome": "repaired",
        "name_codes": ["name_separator"],
    },
    {"name": "张三", "id": fullwidth(ID_B), "id_outcome": "repaired", "id_codes": ["fullwidth"]},
    {"blank": True},
    {
        "name": "买买提.吐尔逊",
        "id": ID_OLD_15,
        "id_outcome": "repaired",
        "id_codes": ["upgraded_15"],
        "name_outcome": "repaired",
        "name_codes": ["name_separator"],
    },
    {
        "name": "李 四",
        "id": f"{ID_C[:6]} {ID_C[6:14]} {ID_C[14:]}",
        "id_outcome": "repaired",
        "id_codes": ["whitespace"],
        "name_outcome": "repaired",
        "name_codes": ["name_spaces"],
    },
    # Excel kept 15 significant digits of this number: the last three are gone.
    {
        "name": "努尔·阿依",
        "number": float(ID_FOR_NUMERIC[:15] + "000"),
        "id_outcome": "rejected",
        "id_codes": ["excel_numeric"],
    },
    {"name": "王五", "id": wrong_check(ID_A), "id_outcome": "rejected", "id_codes": ["bad_check_digit"]},
    {
        "name": "赵六",
        "id": "653123199002301238",
        "id_outcome": "rejected",
        "id_codes": ["bad_check_digit", "bad_birth_date"],
    },
    {"blank": True},
    {"blank": True},
    {
        "name": "艾力-阿不都",
        "id": "6.53123E+17",
        "id_outcome": "rejected",
        "id_codes": ["excel_scientific"],
        "name_outcome": "repaired",
        "name_codes": ["name_separator"],
    },
    {
        "name": "",
        "id": ID_B,
        "id_outcome": "accepted",
        "id_codes": [],
        "name_outcome": "rejected",
        "name_codes": ["name_empty"],
    },
]


def write_register_xlsx(path: Path) -> dict[str, Any]:
    """A civil-affairs list: a title row, a group heading merged over two header rows, dirty rows, blanks."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"created": CREATED, "author": "民政局"})
    ws = wb.add_worksheet("特困人员")
    bold = wb.add_format({"bold": True, "align": "center", "valign": "vcenter"})
    ws.merge_range(0, 0, 0, 6, "英吉沙县特困人员供养名册（2025年第一季度）", bold)
    # Row 2-3: 序号/性别/出生日期/村 merged down; 供养对象 over 姓名 and 身份证号码（18位）.
    ws.merge_range(1, 0, 2, 0, "序号", bold)
    ws.merge_range(1, 1, 1, 2, "供养对象", bold)
    ws.write_string(2, 1, "姓  名", bold)
    ws.write_string(2, 2, "身份证号码（18位）", bold)
    ws.merge_range(1, 3, 2, 3, "性别", bold)
    ws.merge_range(1, 4, 2, 4, "出生日期", bold)
    ws.merge_range(1, 5, 2, 5, "村（社区）", bold)
    ws.merge_range(1, 6, 2, 6, "备注", bold)
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    expected_rows = []
    row = 3
    seq = 0
    for spec in REGISTER_ROWS:
        if spec.get("blank"):
            row += 1
            continue
        seq += 1
        ws.write_number(row, 0, seq)
        if spec["name"]:
            ws.write_string(row, 1, spec["name"])
        if "number" in spec:
            ws.write_number(row, 2, spec["number"])
        else:
            ws.write_string(row, 2, spec["id"])
        ws.write_string(row, 3, "男" if seq % 2 else "女")
        ws.write_datetime(row, 4, dt.datetime(1990, 1, seq), date_format)
        ws.write_string(row, 5, " 乌恰村 ")
        expected_rows.append(
            {
                "row": row + 1,
                "numeric": "number" in spec,
                "id_outcome": spec["id_outcome"],
                "id_codes": spec["id_codes"],
                "name_outcome": spec.get("name_outcome", "accepted"),
                "name_codes": spec.get("name_codes", []),
                "birth_date": f"1990-01-{seq:02d}",
                "village": "乌恰村",
            }
        )
        row += 1
    wb.close()
    return {
        "read": True,
        "format": "xlsx",
        "encoding": "",
        "header_row": 3,
        "blank_rows": 3,
        "rows": len(expected_rows),
        "header_map": {
            "供养对象 / 姓  名": "name",
            "供养对象 / 身份证号码（18位）": "id_number",
            "性别": "sex",
            "出生日期": "birth_date",
            "村（社区）": "village",
        },
        "unmatched_headers": ["序号", "备注"],
        "expected_rows": expected_rows,
    }


SYNONYM_HEADERS = {
    "公民身份号码": "id_number",
    "身份证号": "id_number",
    "证件号码": "id_number",
    "身份证 号码": "id_number",
    "身份证号码(18位)": "id_number",
}


def write_synonym_xlsx(path: Path, id_header: str) -> dict[str, Any]:
    """A plain list whose ID column goes by another name; the first row of the sheet is left empty."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.set_properties({"created": CREATED})
    ws = wb.add_worksheet()
    ws.write_row(1, 1, ["序号", " 姓名 ", id_header, "联系电话"])
    ws.write_row(2, 1, ["1", "阿依古丽·买买提", ID_B, "13899887766"])
    ws.write_number(3, 1, 2)
    ws.write_string(3, 2, "吐尔逊·托合提")
    ws.write_number(3, 3, float(ID_A[:15] + "000"))
    ws.write_number(3, 4, 13912345678)
    wb.close()
    return {
        "read": True,
        "format": "xlsx",
        "encoding": "",
        "header_row": 2,
        "blank_rows": 0,
        "rows": 2,
        "header_map": {"姓名": "name", id_header: "id_number", "联系电话": "phone"},
        "unmatched_headers": ["序号"],
        "expected_rows": [
            {
                "row": 3,
                "numeric": False,
                "id_outcome": "accepted",
                "id_codes": [],
                "phone": "13899887766",
                "name_outcome": "accepted",
                "name_codes": [],
            },
            {
                "row": 4,
                "numeric": True,
                "id_outcome": "rejected",
                "id_codes": ["excel_numeric"],
                "phone": "13912345678",
                "name_outcome": "accepted",
                "name_codes": [],
            },
        ],
    }


CSV_ROWS = [
    # (line text, expected row number, id outcome, id codes, name outcome, name codes)
    ("序号,姓名,身份证号码,村（社区）", None),
    (f"1,阿不都·热合曼,{ID_A},乌恰村", (2, "accepted", [], "accepted", [])),
    (",,,", "blank"),
    (f"2,古丽．艾力,{ID_X.lower()},乌恰村", (4, "repaired", ["lowercase_x"], "repaired", ["name_separator"])),
    ("", "blank"),
    (f'3,"张三",{ID_A[0]}.{ID_A[1:6]}E+17,"乌恰村\n二组"', (6, "rejected", ["excel_scientific"], "accepted", [])),
    (f"4,李四,{ID_OLD_15},乌恰村", (8, "repaired", ["upgraded_15"], "accepted", [])),
]


def write_csvs() -> dict[str, dict[str, Any]]:
    text = "\n".join(line for line, _ in CSV_ROWS) + "\n"
    expected_rows = [
        {
            "row": exp[0],
            "numeric": False,
            "id_outcome": exp[1],
            "id_codes": exp[2],
            "name_outcome": exp[3],
            "name_codes": exp[4],
        }
        for _, exp in CSV_ROWS
        if isinstance(exp, tuple)
    ]
    common = {
        "read": True,
        "format": "csv",
        "header_row": 1,
        "blank_rows": 2,
        "rows": len(expected_rows),
        "header_map": {"姓名": "name", "身份证号码": "id_number", "村（社区）": "village"},
        "unmatched_headers": ["序号"],
        "expected_rows": expected_rows,
    }
    out = {}
    for name, encoding, data in [
        ("村级摸底_utf8.csv", "utf-8", text.encode("utf-8")),
        ("村级摸底_utf8_bom.csv", "utf-8-sig", text.encode("utf-8-sig")),
        ("村级摸底_gbk.csv", "gbk", text.encode("gbk")),
    ]:
        (HERE / name).write_bytes(data)
        out[name] = {**common, "encoding": encoding}
    # A title line before the header, Windows line ends, GBK.
    titled = "英吉沙县乌恰镇村级摸底表\r\n" + text.replace("\n", "\r\n")
    (HERE / "村级摸底_标题行_gbk.csv").write_bytes(titled.encode("gbk"))
    out["村级摸底_标题行_gbk.csv"] = {
        **common,
        "encoding": "gbk",
        "header_row": 2,
        "expected_rows": [{**r, "row": r["row"] + 1} for r in expected_rows],
    }
    return out


def write_broken(expected: dict[str, Any]) -> None:
    (HERE / "empty.xlsx").write_bytes(b"")
    expected["empty.xlsx"] = {"read": False, "code": "empty"}
    (HERE / "empty.csv").write_bytes(b"\r\n\r\n")
    expected["empty.csv"] = {"read": False, "code": "empty"}
    good = (HERE / "证件号码.xlsx").read_bytes()
    (HERE / "corrupt.xlsx").write_bytes(good[: len(good) // 2])
    expected["corrupt.xlsx"] = {"read": False, "code": "corrupt"}
    # A zip that is not a workbook (a .docx-like archive) renamed .xlsx.
    with zipfile.ZipFile(HERE / "not_a_workbook.xlsx", "w") as archive:
        archive.writestr(zipfile.ZipInfo("word/document.xml", date_time=(2025, 3, 1, 9, 0, 0)), "<w/>")
    expected["not_a_workbook.xlsx"] = {"read": False, "code": "not_a_table"}
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
        b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    (HERE / "scan_renamed.xlsx").write_bytes(png)
    expected["scan_renamed.xlsx"] = {"read": False, "code": "image"}
    wb = xlsxwriter.Workbook(str(HERE / "missing_id_column.xlsx"))
    wb.set_properties({"created": CREATED})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["序号", "姓名", "联系电话"])
    ws.write_row(1, 0, ["1", "张三", "13899887766"])
    wb.close()
    expected["missing_id_column.xlsx"] = {
        "read": False,
        "code": "missing_columns",
        "message": "缺少必需的列：身份证号码",
    }


def main() -> None:
    expected: dict[str, Any] = {}
    expected["民政局_特困人员_标题行_合并表头.xlsx"] = write_register_xlsx(
        HERE / "民政局_特困人员_标题行_合并表头.xlsx"
    )
    for header in SYNONYM_HEADERS:
        name = f"{header.replace(' ', '_').replace('(', '（').replace(')', '）')}.xlsx"
        expected[name] = write_synonym_xlsx(HERE / name, header)
    # The legacy .xls (written once by make_xls_sample.py) holds the same rows as 身份证号.xlsx.
    expected["身份证号_旧版.xls"] = {**expected["身份证号.xlsx"], "format": "xls"}
    expected.update(write_csvs())
    write_broken(expected)
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
