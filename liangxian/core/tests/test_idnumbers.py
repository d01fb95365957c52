"""Tests for the identity-document rules: a table of real-world cases and properties against python-stdnum."""

from __future__ import annotations

import csv
import dataclasses
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from liangxian.core import idnumbers
from liangxian.core.idnumbers import (
    MESSAGES,
    PROVINCES,
    DocumentType,
    IdCheck,
    check_digit,
    check_document,
    check_resident_id,
    has_valid_check_digit,
    mask,
    normalise,
    upgrade_15,
)

TODAY = date(2025, 6, 1)
KNOWN_AREAS = frozenset({"653123", "653101", "653121", "650102"})
CASES_FILE = Path(__file__).resolve().parents[3] / "tests" / "data" / "id_cases.csv"


def oracle_check_digit(body: str) -> str:
    """Ask python-stdnum for the check character (it wants the number with a placeholder check digit)."""
    return ric.calc_check_digit(body + "0")


def _unescape(text: str) -> str:
    # The table spells invisible characters as \uXXXX and tabs as \t so that a reader can see them.
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text).replace("\\t", "\t")


def _codes(cell: str) -> set[str]:
    return set(cell.split("|")) if cell else set()


def _load_cases() -> list[dict[str, str]]:
    with CASES_FILE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


CASES = _load_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{row['doc_type']}: {row['note']}" for row in CASES])
def test_real_world_case_ends_with_the_expected_outcome(case: dict[str, str]) -> None:
    # given a cell as a department file holds it
    raw = _unescape(case["raw"])
    # when it is checked as the document type of its row
    result = check_document(
        raw,
        doc_type=case["doc_type"],
        today=TODAY,
        from_numeric_cell=case["numeric"] == "1",
        known_areas=KNOWN_AREAS,
    )
    # then outcome, value, reasons, warnings and what the number says all match the table
    assert result.outcome == case["outcome"]
    assert result.value == (case["value"] or None)
    assert set(result.reasons) == _codes(case["reasons"])
    assert set(result.warnings) == _codes(case["warnings"])
    assert result.birth_date == (date.fromisoformat(case["birth_date"]) if case["birth_date"] else None)
    assert result.sex == (case["sex"] or None)
    assert result.original == raw


def test_case_table_covers_every_message_code() -> None:
    # given every code the table expects
    seen: set[str] = set()
    for row in CASES:
        seen |= _codes(row["reasons"]) | _codes(row["warnings"])
    # then each has Chinese text, and each Chinese text is exercised by the table
    assert seen <= set(MESSAGES)
    assert set(MESSAGES) - seen == set()


def test_resident_id_table_rows_agree_with_stdnum_check_digit() -> None:
    # given the accepted 18-digit resident numbers of the table
    numbers = [row["value"] for row in CASES if len(row["value"]) == 18 and row["value"][:17].isdigit()]
    # then the oracle agrees they carry the right check character
    assert numbers
    assert all(oracle_check_digit(n[:17]) == n[17] for n in numbers)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_digit_agrees_with_stdnum(body: str) -> None:
    assert check_digit(body) == oracle_check_digit(body)


@pytest.mark.parametrize("body", ["", "1234567890123456", "123456789012345678", "1234567890123456X", "１" * 17])
def test_check_digit_refuses_anything_but_17_ascii_digits(body: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_digit(body)


_valid_ids = st.builds(
    lambda area, born, seq: f"{area}{born:%Y%m%d}{seq:03d}",
    st.sampled_from(sorted(PROVINCES)).flatmap(lambda p: st.from_regex(rf"\A{p}[0-9]{{4}}\Z")),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999),
).map(lambda body: body + oracle_check_digit(body))


@given(_valid_ids)
def test_any_valid_number_is_accepted_with_its_birth_date_and_sex(number: str) -> None:
    result = check_resident_id(number, today=TODAY)
    assert result.outcome == "accepted"
    assert result.value == number
    assert result.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert result.sex == ("M" if int(number[16]) % 2 else "F")


@given(_valid_ids, st.integers(0, 16), st.integers(1, 9))
def test_changing_one_digit_of_a_valid_number_is_rejected(number: str, position: int, shift: int) -> None:
    # given a valid number with one digit of the body changed: MOD 11-2 catches every single-digit error
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    # when checked
    result = check_resident_id(changed, today=TODAY)
    # then it is rejected
    assert result.outcome == "rejected"
    assert result.value is None


@given(_valid_ids)
def test_full_width_spelling_repairs_to_the_same_number(number: str) -> None:
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in number)
    result = check_resident_id(" " + full_width + "\u3000", today=TODAY)
    assert result.value == number
    assert result.outcome == "repaired"
    assert set(result.reasons) == {"fullwidth", "whitespace"}


@given(_valid_ids.filter(lambda n: n[6:8] == "19"))
def test_upgrading_a_15_digit_number_restores_the_18_digit_one(number: str) -> None:
    old = number[:6] + number[8:17]
    assert upgrade_15(old) == number
    result = check_resident_id(old, today=TODAY)
    assert result.value == number
    assert result.reasons == ("upgraded_15",)


@given(_valid_ids)
def test_mask_keeps_length_and_hides_the_birth_date(number: str) -> None:
    masked = mask(number)
    assert len(masked) == len(number)
    assert masked == number[:6] + "********" + number[-4:]


@pytest.mark.parametrize("value", [653123199001011000, 6.53123199001011e17, Decimal("653123199001011233")])
def test_a_number_given_as_a_spreadsheet_number_is_rejected_as_excel_damage(value: object) -> None:
    result = check_resident_id(value, today=TODAY)
    assert result.outcome == "rejected"
    assert result.reasons == ("excel_numeric",)
    assert result.messages == ("身份证号以数值格式存储，后几位已丢失",)


def test_a_bool_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        check_resident_id(True, today=TODAY)


def test_none_is_rejected_as_empty() -> None:
    assert check_resident_id(None, today=TODAY).reasons == ("empty",)


def test_unknown_area_is_only_a_warning_and_is_silent_without_a_known_set() -> None:
    number = "65319919700101001" + oracle_check_digit("65319919700101001")
    with_set = check_resident_id(number, today=TODAY, known_areas=KNOWN_AREAS)
    without_set = check_resident_id(number, today=TODAY)
    assert (with_set.outcome, with_set.warnings) == ("accepted", ("unknown_area",))
    assert (without_set.outcome, without_set.warnings) == ("accepted", ())
    assert with_set.messages == ("地区码未知（仅提示）",)


def test_the_birth_date_check_follows_the_today_passed_in() -> None:
    number = "65312320250601011" + oracle_check_digit("65312320250601011")  # born 2025-06-01
    assert check_resident_id(number, today=TODAY).outcome == "accepted"
    assert check_resident_id(number, today=TODAY - timedelta(days=1)).reasons == ("future_birth_date",)


@pytest.mark.parametrize(("number", "valid"), [("65312319850315028X", True), ("653123198503150281", False)])
def test_has_valid_check_digit(number: str, valid: bool) -> None:
    assert has_valid_check_digit(number) is valid


def test_normalise_reports_each_repair_once() -> None:
    cleaned, repairs = normalise(" '６５３ １２３x ")
    assert cleaned == "653123X"
    assert repairs == ("whitespace", "quotes", "fullwidth", "lowercase_x")


def test_normalise_leaves_a_clean_number_alone() -> None:
    assert normalise("65312319850315028X") == ("65312319850315028X", ())


def test_check_document_takes_the_enum_or_its_string_value() -> None:
    assert check_document("E12345678", doc_type=DocumentType.PASSPORT, today=TODAY).ok
    assert check_document("E12345678", doc_type="passport", today=TODAY).ok
    with pytest.raises(ValueError):
        check_document("E12345678", doc_type="driving_licence", today=TODAY)


def test_document_types_mirror_the_registry_choices() -> None:
    from liangxian.registry.models import DocumentType as ModelDocumentType

    assert {t.value for t in DocumentType} == set(ModelDocumentType.values)


def test_result_is_immutable() -> None:
    result = check_resident_id("65312319850315028X", today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = "x"  # type: ignore[misc]
    assert isinstance(result, IdCheck)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("653123199001011233", "653123********1233"),
        ("653123900101123", "653123*****1123"),
        ("E12345678", "E1*****78"),
        ("USA650090010011", "USA650*****0011"),
        ("12345", "1***5"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_hides_the_middle_of_any_length(value: str, masked: str) -> None:
    assert mask(value) == masked


def test_module_imports_nothing_from_django() -> None:
    source = Path(idnumbers.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+django", source, re.MULTILINE)
