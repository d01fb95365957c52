"""Check, repair and mask identity document numbers (GB 11643 resident ID numbers and the other documents).

Pure functions: values in, value out; no ORM, no I/O, no clock (callers pass ``today``).

Every outcome carries short stable codes (``reasons`` for repairs or rejections, ``warnings`` for hints).
``MESSAGES`` maps each code to the clerk-readable Chinese text. These are plain constants, not
``gettext_lazy`` strings, because this module must not import Django; the data-exchange layer renders them.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from operator import mul
from typing import Final, Literal

__all__ = [
    "MESSAGES",
    "PROVINCES",
    "DocumentType",
    "IdCheck",
    "Outcome",
    "Sex",
    "birth_date_of",
    "check_digit",
    "check_document",
    "check_resident_id",
    "has_valid_check_digit",
    "mask",
    "messages_for",
    "normalise",
    "sex_of",
    "upgrade_15",
]

Outcome = Literal["accepted", "repaired", "rejected"]
Sex = Literal["M", "F"]


class DocumentType(StrEnum):
    """Mirror ``liangxian.registry.models.DocumentType`` without importing Django."""

    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    PERMANENT_RESIDENCE = "permanent_residence"
    HK_MACAO_RESIDENCE = "hk_macao_residence"
    TAIWAN_RESIDENCE = "taiwan_residence"


MESSAGES: Final[Mapping[str, str]] = {
    # repairs
    "fullwidth": "全角数字已转换",  # the wording clerks know; full-width letters (Ｘ) are converted too
    "lowercase_x": "校验码 x 已改为大写",
    "lowercase_letters": "小写字母已改为大写",
    "whitespace": "已去除空格",
    "quotes": "已去除引号或撇号",
    "upgraded_15": "15 位号码已升位",
    # rejections
    "empty": "证件号码为空",
    "bad_length": "位数不对",
    "bad_characters": "含有非法字符",
    "bad_check_digit": "校验码错误",
    "bad_birth_date": "出生日期无效",
    "future_birth_date": "出生日期晚于今天",
    "bad_format": "证件号码格式不符",
    "bad_prefix": "证件号码开头不符合该证件类型",
    "excel_numeric": "身份证号以数值格式存储，后几位已丢失",
    "excel_scientific": "身份证号被 Excel 转为科学计数法，无法恢复",
    "excel_decimal": "身份证号带“.0”，来自数值格式单元格，后几位可能已丢失",
    "excel_truncated": "身份证号末尾为 0 且校验码错误，疑似被 Excel 截断（只保留 15 位有效数字）",
    # warnings
    "unknown_area": "地区码未知（仅提示）",
    "looks_like_permit": "号码属于港澳台居民居住证，请核对证件类型（仅提示）",
}

# Province-level codes of GB/T 2260 (first two digits of an area code); 71 is Taiwan, 81/82 Hong Kong/Macao.
PROVINCES: Final[Mapping[str, str]] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK_CHARS: Final = "10X98765432"
_PERMIT_PREFIXES: Final = {
    "810000": DocumentType.HK_MACAO_RESIDENCE,
    "820000": DocumentType.HK_MACAO_RESIDENCE,
    "830000": DocumentType.TAIWAN_RESIDENCE,
}
# Nobody born before this is alive to insure; an earlier year is a typing error.
_EARLIEST_BIRTH_YEAR: Final = 1900

# str.isspace() covers the ideographic space U+3000 and NBSP; these two invisible ones it does not.
_INVISIBLE: Final = frozenset("\u200b\ufeff")
# Excel's text prefix ', quotes from copy-paste, and the backtick that WeChat Pay bills put before each field.
_QUOTES: Final = frozenset("'\"`‘’“”′″＇＂｀")
_CLEAN: Final = re.compile(r"[0-9A-Z.+-]*")
_ID18: Final = re.compile(r"[0-9]{17}[0-9X]")
_ID15: Final = re.compile(r"[0-9]{15}")
_SCIENTIFIC: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+")
_DECIMAL_TAIL: Final = re.compile(r"([0-9]{15,18})\.0*")
_PASSPORT: Final = re.compile(r"[A-Z0-9]{5,17}")
_PERMANENT_OLD: Final = re.compile(r"[A-Z]{3}[0-9]{12}")


@dataclass(frozen=True, slots=True)
class IdCheck:
    """The outcome of checking one document number: the canonical value or why there is none."""

    value: str | None
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    birth_date: date | None = None
    sex: Sex | None = None
    doc_type: DocumentType = DocumentType.RESIDENT_ID
    original: str = ""

    @property
    def ok(self) -> bool:
        """Tell whether the number can be used (accepted or repaired)."""
        return self.outcome != "rejected"

    @property
    def messages(self) -> tuple[str, ...]:
        """Return the Chinese text of the reasons, then of the warnings."""
        return messages_for(self.reasons + self.warnings)


def messages_for(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Return the Chinese clerk-readable text of each code (the code itself when unknown)."""
    return tuple(MESSAGES.get(code, code) for code in codes)


def check_digit(body: str) -> str:
    """Return the GB 11643 MOD 11-2 check character ('0'-'9' or 'X') for a 17-digit body."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError(f"need 17 ASCII digits, got {body!r}")
    total = sum(map(mul, map(int, body), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def has_valid_check_digit(number: str) -> bool:
    """Tell whether an 18-character number ends in the right MOD 11-2 check character."""
    return _ID18.fullmatch(number) is not None and check_digit(number[:17]) == number[17]


def normalise(raw: str) -> tuple[str, tuple[str, ...]]:
    """Clean the characters of a typed or pasted number; return it and the repair codes.

    Full-width digits and letters become ASCII, letters become upper case, spaces of every width and stray
    quotes (Excel's leading apostrophe) go. Nothing else changes: the length is not fixed here.
    """
    if _CLEAN.fullmatch(raw):  # the common case in a 300k-row file: nothing to repair
        return raw, ()
    repairs: list[str] = []
    out: list[str] = []
    for ch in raw:
        if ch.isspace() or ch in _INVISIBLE:
            _note(repairs, "whitespace")
            continue
        if ch in _QUOTES:
            _note(repairs, "quotes")
            continue
        if "\uff01" <= ch <= "\uff5e":  # full-width ASCII block: ０-９, Ａ-Ｚ, ａ-ｚ, ．, ＋ …
            _note(repairs, "fullwidth")
            ch = chr(ord(ch) - 0xFEE0)
        if ch.islower() and ch.isascii():
            _note(repairs, "lowercase_x" if ch == "x" else "lowercase_letters")
            ch = ch.upper()
        out.append(ch)
    return "".join(out), tuple(repairs)


def upgrade_15(number: str) -> str:
    """Convert a 15-digit first-generation number to 18 digits: add '19' to the year and a check digit."""
    if _ID15.fullmatch(number) is None:
        raise ValueError(f"need 15 ASCII digits, got {number!r}")
    body = number[:6] + "19" + number[6:]
    return body + check_digit(body)


def birth_date_of(number: str) -> date | None:
    """Return the birth date written in an 18-character number, or None when it is not a real date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def sex_of(number: str) -> Sex:
    """Return the sex written in an 18-character number: the 17th digit is odd for men."""
    return "M" if int(number[16]) % 2 else "F"


def check_resident_id(
    raw: object,
    *,
    today: date,
    from_numeric_cell: bool = False,
    known_areas: Container[str] | None = None,
) -> IdCheck:
    """Check a resident ID number: repair what is safe to repair, reject what is damaged, warn on the area.

    ``raw`` is what the file held. An ``int``, ``float`` or ``Decimal`` (or ``from_numeric_cell=True``) means a
    numeric spreadsheet cell, which keeps only 15 significant digits, so the number is rejected.
    ``known_areas`` holds the 6-digit area codes the county knows; without it only the province is checked.
    """
    return _check(raw, DocumentType.RESIDENT_ID, today, from_numeric_cell, known_areas)


def check_document(
    raw: object,
    *,
    doc_type: DocumentType | str,
    today: date,
    from_numeric_cell: bool = False,
    known_areas: Container[str] | None = None,
) -> IdCheck:
    """Check a number of the given document type (resident ID card, passport, residence permits)."""
    return _check(raw, DocumentType(doc_type), today, from_numeric_cell, known_areas)


def mask(id_number: str) -> str:
    """Mask a number for display: keep the first 6 and last 4 characters of long numbers, less of short ones."""
    n = len(id_number)
    if n >= 11:
        head, tail = 6, 4
    elif n >= 5:
        head = tail = max(1, n // 4)
    else:
        head = tail = 0
    return id_number[:head] + "*" * (n - head - tail) + id_number[n - tail :]


# --- internals ---------------------------------------------------------------------------------------------


def _note(codes: list[str], code: str) -> None:
    if code not in codes:
        codes.append(code)


def _reject(doc_type: DocumentType, original: str, *reasons: str) -> IdCheck:
    return IdCheck(value=None, outcome="rejected", reasons=reasons, doc_type=doc_type, original=original)


def _check(
    raw: object,
    doc_type: DocumentType,
    today: date,
    from_numeric_cell: bool,
    known_areas: Container[str] | None,
) -> IdCheck:
    if isinstance(raw, bool):
        raise TypeError("a document number cannot be a bool")
    numeric = isinstance(raw, int | float | Decimal)
    original = "" if raw is None else str(raw)
    if not original.strip() and not numeric:
        return _reject(doc_type, original, "empty")
    if numeric or from_numeric_cell:
        # The digits shown by the reader are not the digits typed: Excel stored a double.
        return _reject(doc_type, original, "excel_numeric")

    text, repairs = normalise(original)
    if not text:
        return _reject(doc_type, original, "empty")
    if doc_type is DocumentType.PASSPORT:
        return _passport(text, repairs, original)

    damage = _excel_damage(text)
    if damage is not None:
        return _reject(doc_type, original, damage)

    if doc_type is DocumentType.PERMANENT_RESIDENCE and _PERMANENT_OLD.fullmatch(text):
        return _accepted(text, repairs, (), doc_type, original)

    if doc_type is DocumentType.RESIDENT_ID and len(text) == 15:
        if _ID15.fullmatch(text) is None:
            return _reject(doc_type, original, "bad_characters")
        text = upgrade_15(text)
        repairs += ("upgraded_15",)

    if len(text) != 18:
        return _reject(doc_type, original, "bad_length")
    if _ID18.fullmatch(text) is None:
        return _reject(doc_type, original, "bad_characters")

    problems: list[str] = []
    prefix_ok = _prefix_matches(text, doc_type)
    if not prefix_ok:
        problems.append("bad_prefix")
    if not has_valid_check_digit(text):
        # Zeros at the end plus a wrong check digit: the tail Excel rounded away, not a typing slip.
        problems.append("excel_truncated" if text.endswith("000") else "bad_check_digit")
    born = birth_date_of(text)
    if born is None or born.year < _EARLIEST_BIRTH_YEAR:
        problems.append("bad_birth_date")
    elif born > today:
        problems.append("future_birth_date")
    if problems:
        return _reject(doc_type, original, *problems)

    warnings = _area_warnings(text, doc_type, known_areas)
    # The sequence code of the new permanent-residence card is not documented to carry the sex.
    sex = None if doc_type is DocumentType.PERMANENT_RESIDENCE else sex_of(text)
    return _accepted(text, repairs, warnings, doc_type, original, born, sex)


def _accepted(
    text: str,
    repairs: tuple[str, ...],
    warnings: tuple[str, ...],
    doc_type: DocumentType,
    original: str,
    born: date | None = None,
    sex: Sex | None = None,
) -> IdCheck:
    return IdCheck(
        value=text,
        outcome="repaired" if repairs else "accepted",
        reasons=repairs,
        warnings=warnings,
        birth_date=born,
        sex=sex,
        doc_type=doc_type,
        original=original,
    )


def _excel_damage(text: str) -> str | None:
    if _SCIENTIFIC.fullmatch(text):
        return "excel_scientific"
    if _DECIMAL_TAIL.fullmatch(text):
        return "excel_decimal"
    return None


def _prefix_matches(text: str, doc_type: DocumentType) -> bool:
    if doc_type is DocumentType.PERMANENT_RESIDENCE:
        return text[0] == "9"
    if doc_type in (DocumentType.HK_MACAO_RESIDENCE, DocumentType.TAIWAN_RESIDENCE):
        return _PERMIT_PREFIXES.get(text[:6]) is doc_type
    return True


def _area_warnings(text: str, doc_type: DocumentType, known_areas: Container[str] | None) -> tuple[str, ...]:
    if doc_type is not DocumentType.RESIDENT_ID:
        return ()
    if text[:6] in _PERMIT_PREFIXES:
        return ("looks_like_permit",)
    if text[:2] not in PROVINCES or (known_areas is not None and text[:6] not in known_areas):
        return ("unknown_area",)
    return ()


def _passport(text: str, repairs: tuple[str, ...], original: str) -> IdCheck:
    if _PASSPORT.fullmatch(text) is None:
        return _reject(DocumentType.PASSPORT, original, "bad_format")
    return _accepted(text, repairs, (), DocumentType.PASSPORT, original)
