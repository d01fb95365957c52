"""Hold money as ``Decimal`` yuan to the fen (分), or as integer fen in frames; never as a float.

The one rounding rule of the project is ``ROUNDING`` = ``ROUND_HALF_UP`` (四舍五入), applied only where a
computation is asked to round (``quantize_fen``, ``to_fen(..., rounding=True)``): it is the rule of Chinese
financial and accounting practice and of the tax bureau's receipts, so a half fen always goes up and the
county's figures match the treasury's. Banker's rounding (Python's default) would not.

Pure functions, no Django. Parsing errors raise ``AmountError`` (a ``ValueError``) carrying a stable ``code``;
``MESSAGES`` maps each code to its Chinese clerk-readable text as plain constants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

__all__ = [
    "FEN",
    "MESSAGES",
    "ROUNDING",
    "AmountError",
    "format_yuan",
    "from_fen",
    "parse_yuan",
    "quantize_fen",
    "to_fen",
]

FEN: Final = Decimal("0.01")
ROUNDING: Final = ROUND_HALF_UP

MESSAGES: Final[Mapping[str, str]] = {
    "amount_empty": "金额为空",
    "amount_invalid": "金额格式不正确",
    "amount_too_precise": "金额超过两位小数（精确到分）",
}

# Currency marks and units clerks type around a number; removed before parsing.
_MARKS: Final = re.compile(r"^(?:¥|￥|RMB|CNY|人民币)|(?:元整|元|圆|块|RMB|CNY)$", re.IGNORECASE)
_SPACES: Final = re.compile(r"[\s\u200b\ufeff]+")
_PLAIN: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED: Final = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


class AmountError(ValueError):
    """An amount that cannot be read or does not fit in fen."""

    def __init__(self, code: str, value: object) -> None:
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value

    @property
    def message(self) -> str:
        """Return the Chinese clerk-readable text of the error."""
        return MESSAGES.get(self.code, self.code)


def parse_yuan(text: str) -> Decimal:
    """Read an amount in yuan as typed: "400", "400.00", "４００", "400元", "¥1,200.5", "1，200.50 元"."""
    if not isinstance(text, str):
        raise TypeError(f"need str, got {type(text).__name__}")
    # Full-width digits, comma and full stop (４００．５０, １，２００) become ASCII; 。 is a mistyped point.
    cleaned = "".join(chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in text)
    cleaned = _SPACES.sub("", cleaned.replace("。", "."))
    if not cleaned:
        raise AmountError("amount_empty", text)
    sign = ""
    if cleaned[0] in "+-":  # "-¥400": the sign may stand before the currency mark
        sign, cleaned = cleaned[0], cleaned[1:]
    previous = None
    while previous != cleaned:  # "¥400元" has a mark at both ends
        previous, cleaned = cleaned, _MARKS.sub("", cleaned)
    cleaned = sign + cleaned
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif not _PLAIN.fullmatch(cleaned):
        raise AmountError("amount_invalid", text)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above admit only valid literals
        raise AmountError("amount_invalid", text) from exc


def quantize_fen(amount: Decimal) -> Decimal:
    """Round an amount to the fen, half up (四舍五入)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"need Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise AmountError("amount_invalid", amount)
    return amount.quantize(FEN, rounding=ROUNDING)


def to_fen(amount: Decimal | str | int, *, rounding: bool = False) -> int:
    """Convert yuan to integer fen; refuse a float, and refuse sub-fen digits unless asked to round.

    An ``int`` is whole yuan; a ``str`` is parsed with ``parse_yuan``.
    """
    if isinstance(amount, float | bool) or not isinstance(amount, Decimal | str | int):
        raise TypeError(f"money must be Decimal, str or int yuan, not {type(amount).__name__}")
    value = parse_yuan(amount) if isinstance(amount, str) else Decimal(amount)
    if not value.is_finite():
        raise AmountError("amount_invalid", amount)
    try:
        exact = value.quantize(FEN, rounding=ROUNDING)
    except InvalidOperation as exc:  # more digits than the decimal context holds
        raise AmountError("amount_invalid", amount) from exc
    if exact != value and not rounding:
        raise AmountError("amount_too_precise", amount)
    return int(exact.scaleb(2))


def from_fen(fen: int) -> Decimal:
    """Convert integer fen to ``Decimal`` yuan with two places (12345 → Decimal("123.45"))."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be int, not {type(fen).__name__}")
    return Decimal(fen).scaleb(-2)


def format_yuan(amount: Decimal, *, style: Literal["symbol", "suffix"] = "symbol") -> str:
    """Format an amount for people: "¥1,234.50" (symbol) or "1,234.50 元" (suffix), half up to the fen."""
    value = quantize_fen(amount)
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):,.2f}"
    return f"{sign}¥{digits}" if style == "symbol" else f"{sign}{digits} 元"
