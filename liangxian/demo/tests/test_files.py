"""The department files: byte-identical per seed, in their encodings, dirty exactly as the manifest says."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date

import openpyxl
import pytest

from liangxian.core.idnumbers import check_resident_id
from liangxian.core.names import canonical_name
from liangxian.demo.county import county_generate
from liangxian.demo.files import department_files_write

from .conftest import SMALL

TODAY = date(2025, 9, 1)


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _entry(manifest, kind):
    return next(e for e in manifest["files"] if e["kind"] == kind)


def _csv_rows(path, encoding):
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


def _sheet_rows(path):
    sheet = openpyxl.load_workbook(path, read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_same_seed_writes_byte_identical_files(tmp_path, villages, written_files):
    folder, _ = written_files
    county = county_generate(persons=SMALL, seed=7, villages=villages)

    department_files_write(county, tmp_path)

    assert _hashes(tmp_path) == _hashes(folder)


def test_another_seed_writes_other_files(tmp_path, villages, written_files):
    folder, _ = written_files

    department_files_write(county_generate(persons=SMALL, seed=8, villages=villages), tmp_path)

    assert _hashes(tmp_path)["manifest.json"] != _hashes(folder)["manifest.json"]


def test_every_department_sends_its_file(written_files):
    folder, manifest = written_files
    kinds = {e["kind"] for e in manifest["files"]}

    assert kinds >= {
        "public_security.household_register",
        "civil_affairs.special_hardship",
        "civil_affairs.orphans",
        "civil_affairs.minimum_allowance",
        "rural_revitalisation.monitored_households",
        "disabled_persons_federation.certified",
        "education.students",
        "township.village_survey",
    }
    for entry in manifest["files"]:
        assert (folder / entry["file"]).is_file()


def test_monitored_households_come_in_gbk(written_files):
    folder, manifest = written_files
    entry = _entry(manifest, "rural_revitalisation.monitored_households")
    raw = (folder / entry["file"]).read_bytes()

    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gbk")
    assert text.startswith("县,乡镇,行政村,户编号,监测对象类别,户主姓名,成员姓名,证件号码")
    assert "\r\n" in text
    assert len(_csv_rows(folder / entry["file"], "gbk")) == entry["rows"] + 1


def test_students_come_in_utf8_with_a_byte_order_mark(written_files):
    folder, manifest = written_files
    entry = _entry(manifest, "education.students")

    assert (folder / entry["file"]).read_bytes().startswith(b"\xef\xbb\xbf")
    assert _csv_rows(folder / entry["file"], "utf-8-sig")[0][:4] == ["学校名称", "年级", "学生姓名", "身份证号码"]


def test_special_hardship_list_has_a_title_and_a_merged_two_row_header(written_files):
    folder, manifest = written_files
    entry = _entry(manifest, "civil_affairs.special_hardship")
    book = openpyxl.load_workbook(folder / entry["file"])
    sheet = book.active
    merged = {str(r) for r in sheet.merged_cells.ranges}

    assert entry["header_rows"] == 3
    assert sheet["A1"].value.endswith("特困人员供养名册")
    assert sheet["D2"].value == "供养对象"
    assert [sheet.cell(3, c).value for c in range(4, 8)] == ["姓名", "身份证号码", "性别", "年龄"]
    assert {"A2:A3", "D2:G2"} <= merged


def test_register_holds_every_resident_with_chinese_headers(written_files, small_county):
    folder, manifest = written_files
    entry = _entry(manifest, "public_security.household_register")
    rows = _sheet_rows(folder / entry["file"])

    assert rows[0][:4] == ["户号", "姓名", "公民身份号码", "性别"]
    assert (
        len(rows) - 1
        == entry["rows"]
        == SMALL + entry["dirty"].get("blank_row", 0) + entry["dirty"].get("duplicate_row", 0)
    )


def test_a_few_percent_of_rows_are_dirty(written_files):
    _, manifest = written_files
    register = _entry(manifest, "public_security.household_register")

    assert 0.025 <= register["dirty_rows_total"] / register["rows"] <= 0.055
    kinds = {k for e in manifest["files"] for k in e["dirty"]}
    assert kinds >= {
        "id_lowercase_x",
        "id_fullwidth",
        "id_spaces",
        "id_excel_numeric",
        "id_excel_scientific",
        "id_wrong_check_digit",
        "name_separator",
        "name_spaces",
        "blank_row",
        "duplicate_row",
    }


def _file_rows(folder, entry):
    path = folder / entry["file"]
    if entry["format"] == "xlsx":
        return _sheet_rows(path)
    return _csv_rows(path, entry["encoding"])


def test_dirty_rows_are_where_and_what_the_manifest_says(written_files):
    folder, manifest = written_files
    checked = 0
    for entry in manifest["files"]:
        rows = _file_rows(folder, entry)
        header = rows[entry["header_rows"] - 1]
        id_at, name_at = header.index(entry["id_column"]), header.index(entry["name_column"])
        for dirty in entry["dirty_rows"]:
            row = rows[dirty["row"] - 1]
            kind, ident, name = dirty["kind"], row[id_at], row[name_at]
            checked += 1
            if kind == "blank_row":
                assert all(v in (None, "") for v in row)
            elif kind == "duplicate_row":
                assert row == rows[dirty["row"] - 2]
            elif kind == "id_excel_numeric":
                assert isinstance(ident, float)
                # Excel keeps 15 significant digits and turns the rest into zeros.
                assert ident == float(dirty["id_number"][:15] + "000")
            elif kind == "id_excel_scientific":
                assert ident == f"{dirty['id_number'][0]}.{dirty['id_number'][1:6]}E+17"
            elif kind.startswith("id_"):
                assert ident != dirty["id_number"]
                assert name == dirty["name"]
            else:
                assert ident == dirty["id_number"]
                assert name != dirty["name"]
                assert canonical_name(name) == dirty["name"]
    assert checked == sum(e["dirty_rows_total"] for e in manifest["files"])


@pytest.mark.parametrize("kind", ["id_lowercase_x", "id_fullwidth", "id_spaces", "id_15_digit"])
def test_repairable_id_dirt_repairs_to_the_clean_number(written_files, kind):
    folder, manifest = written_files
    found = 0
    for entry in manifest["files"]:
        rows = _file_rows(folder, entry)
        id_at = rows[entry["header_rows"] - 1].index(entry["id_column"])
        for dirty in (d for d in entry["dirty_rows"] if d["kind"] == kind):
            check = check_resident_id(rows[dirty["row"] - 1][id_at], today=TODAY)
            assert check.outcome == "repaired", check
            assert check.value == dirty["id_number"]
            found += 1
    assert found > 0


@pytest.mark.parametrize("kind", ["id_excel_numeric", "id_excel_scientific", "id_wrong_check_digit"])
def test_damaged_id_dirt_is_rejected(written_files, kind):
    folder, manifest = written_files
    found = 0
    for entry in manifest["files"]:
        rows = _file_rows(folder, entry)
        id_at = rows[entry["header_rows"] - 1].index(entry["id_column"])
        for dirty in (d for d in entry["dirty_rows"] if d["kind"] == kind):
            assert check_resident_id(rows[dirty["row"] - 1][id_at], today=TODAY).outcome == "rejected"
            found += 1
    assert found > 0


def test_manifest_counts_match_its_rows(written_files):
    folder, manifest = written_files
    assert manifest["seed"] == 7
    assert manifest["persons"] == SMALL
    for entry in manifest["files"]:
        assert entry["dirty_rows_total"] == len(entry["dirty_rows"]) == sum(entry["dirty"].values())
        assert entry["blank_rows"] == entry["dirty"].get("blank_row", 0)
        assert entry["data_rows"] == entry["rows"] - entry["blank_rows"]
    manifest_text = (folder / "manifest.json").read_text(encoding="utf-8")
    assert io.StringIO(manifest_text).read().count('"file"') == len(manifest["files"])
