"""Tests for money: Decimal yuan to the fen, integer fen, half-up rounding, reading what clerks type."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liangxian.core.money import (
    FEN,
    MESSAGES,
    AmountError,
    format_yuan,
    from_fen,
    quantize_fen,
    to_fen,
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("400", 40000),
        ("400.00", 40000),
        ("400.0", 40000),
        ("４００", 40000),
        ("４００．５０", 40050),
        ("400元", 40000),
        ("400 元", 40000),
        ("400元整", 40000),
        ("¥400", 40000),
        ("￥400.00", 40000),
        ("¥400元", 40000),
        ("RMB 400", 40000),
        ("1,200.5", 120050),
        ("1，200．5 元", 120050),
        ("12,345,678.90", 1234567890),
        (" 380 ", 38000),
        ("0.01", 1),
        (".5", 50),
        ("-20", -2000),
        ("-¥20.5", -2050),
    ],
)
def test_typed_amounts_convert_to_fen(text: str, fen: int) -> None:
    assert to_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "amount_empty"),
        ("\u3000", "amount_empty"),
        ("四百", "amount_invalid"),
        ("1,20", "amount_invalid"),
        ("12,34.5", "amount_invalid"),
        ("1.2.3", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("Infinity", "amount_invalid"),
        ("1e3", "amount_invalid"),
        ("$400", "amount_invalid"),
    ],
)
def test_unreadable_amounts_raise_with_a_code(text: str, code: str) -> None:
    with pytest.raises(AmountError) as info:
        to_fen(text)
    assert info.value.code == code
    assert info.value.message == MESSAGES[code]


@pytest.mark.parametrize("value", [400.0, 0.1, True])
def test_a_float_or_bool_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        to_fen(value)  # type: ignore[arg-type]


def test_an_int_is_whole_yuan() -> None:
    assert to_fen(400) == 40000


@pytest.mark.parametrize("value", [Decimal("1.005"), "1.005", Decimal("0.001")])
def test_sub_fen_digits_are_refused_unless_rounding_is_asked(value: Decimal | str) -> None:
    with pytest.raises(AmountError) as info:
        to_fen(value)
    assert info.value.code == "amount_too_precise"


@pytest.mark.parametrize(
    ("value", "fen"),
    [("1.005", 101), ("1.004", 100), ("2.675", 268), ("-1.005", -101), ("0.125", 13), ("0.135", 14)],
)
def test_rounding_is_half_up_not_bankers(value: str, fen: int) -> None:
    assert to_fen(value, rounding=True) == fen
    assert quantize_fen(Decimal(value)) == from_fen(fen)


def test_quantize_fen_keeps_two_places() -> None:
    assert str(quantize_fen(Decimal("400"))) == "400.00"
    assert quantize_fen(Decimal("400")).as_tuple().exponent == FEN.as_tuple().exponent


def test_quantize_fen_refuses_a_float_and_nan() -> None:
    with pytest.raises(TypeError):
        quantize_fen(1.5)  # type: ignore[arg-type]
    with pytest.raises(AmountError):
        quantize_fen(Decimal("NaN"))


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (1, "0.01"), (40000, "400.00"), (-5, "-0.05"), (123456, "1234.56")]
)
def test_from_fen_gives_two_place_decimals(fen: int, text: str) -> None:
    assert str(from_fen(fen)) == text


@pytest.mark.parametrize("value", [1.0, True, "100"])
def test_from_fen_refuses_anything_but_int(value: object) -> None:
    with pytest.raises(TypeError):
        from_fen(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "symbol", "suffix"),
    [
        (Decimal("1234.5"), "¥1,234.50", "1,234.50 元"),
        (Decimal("0"), "¥0.00", "0.00 元"),
        (Decimal("400"), "¥400.00", "400.00 元"),
        (Decimal("1234567.891"), "¥1,234,567.89", "1,234,567.89 元"),
        (Decimal("-1234.505"), "-¥1,234.51", "-1,234.51 元"),
    ],
)
def test_format_yuan(amount: Decimal, symbol: str, suffix: str) -> None:
    assert format_yuan(amount) == symbol
    assert format_yuan(amount, style="suffix") == suffix


_fen = st.integers(min_value=-(10**15), max_value=10**15)


@given(_fen)
def test_fen_round_trips_through_decimal(fen: int) -> None:
    assert to_fen(from_fen(fen)) == fen


@given(_fen)
def test_fen_round_trips_through_the_formatted_text(fen: int) -> None:
    assert to_fen(format_yuan(from_fen(fen), style="suffix")) == fen
    assert to_fen(format_yuan(from_fen(fen))) == fen


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_quantize_fen_is_idempotent_and_within_half_a_fen(amount: Decimal) -> None:
    once = quantize_fen(amount)
    assert quantize_fen(once) == once
    assert abs(once - amount) <= Decimal("0.005")
