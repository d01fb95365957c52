"""Tests for name canonicalisation: Uyghur names in Chinese script, Han names, Latin-script names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liangxian.core.names import MESSAGES, SEPARATOR, NameCheck, canonical_name, check_name

CANONICAL = "阿不都·热合曼"


@pytest.mark.parametrize(
    "raw",
    [
        "阿不都•热合曼",  # bullet U+2022
        "阿不都.热合曼",
        "阿不都．热合曼",  # full-width full stop
        "阿不都‧热合曼",  # hyphenation point U+2027
        "阿不都・热合曼",  # katakana middle dot
        "阿不都-热合曼",
        "阿不都－热合曼",  # full-width hyphen
        "阿不都—热合曼",  # em dash
        "阿不都 热合曼",
        "阿不都\u3000热合曼",
        "阿不都··热合曼",
        "·阿不都·热合曼·",
    ],
)
def test_uyghur_name_separators_become_the_middle_dot(raw: str) -> None:
    result = check_name(raw)
    assert result.canonical == CANONICAL
    assert result.original == raw
    assert result.outcome == "repaired"
    assert "name_separator" in result.reasons


@pytest.mark.parametrize(
    "raw", ["阿不都 · 热合曼", "阿不都\u3000·\u3000热合曼", " 阿不都·热合曼\u3000", "\ufeff阿不都·热合曼"]
)
def test_spaces_around_the_right_separator_are_only_a_space_repair(raw: str) -> None:
    result = check_name(raw)
    assert result.canonical == CANONICAL
    assert result.reasons == ("name_spaces",)
    assert result.messages == ("已去除多余空格",)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("张 三", "张三"),
        (" 张三 ", "张三"),
        ("张\u3000三", "张三"),
        ("李 小 龙", "李小龙"),
        ("王 小明", "王小明"),
        ("欧阳 修", "欧阳修"),
        ("司马 相如", "司马相如"),
    ],
)
def test_spaces_inside_a_han_name_go(raw: str, canonical: str) -> None:
    result = check_name(raw)
    assert result.canonical == canonical
    assert result.reasons == ("name_spaces",)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("买买提·吐尔逊·阿不都热西提", "买买提·吐尔逊·阿不都热西提"),
        ("买买提 吐尔逊 阿不都热西提", "买买提·吐尔逊·阿不都热西提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("古丽 努尔", "古丽·努尔"),
    ],
)
def test_multi_part_uyghur_names_keep_every_part(raw: str, canonical: str) -> None:
    assert check_name(raw).canonical == canonical


@pytest.mark.parametrize("raw", [CANONICAL, "张三", "欧阳修", "John Smith", "Jean-Pierre Dupont", "ئابدۇراخمان ئەمەت"])
def test_canonical_names_are_accepted_unchanged(raw: str) -> None:
    result = check_name(raw)
    assert result == NameCheck(canonical=raw, original=raw, outcome="accepted", reasons=())
    assert not result.repaired


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("John  Smith", "John Smith"), (" MARY\u00a0ANN  LEE ", "MARY ANN LEE"), ("Anna\tMaria", "Anna Maria")],
)
def test_latin_names_keep_single_spaces(raw: str, canonical: str) -> None:
    result = check_name(raw)
    assert result.canonical == canonical
    assert result.reasons == ("name_spaces",)
    assert result.repaired


@pytest.mark.parametrize(("raw", "code"), [("", "name_empty"), ("  \u3000", "name_empty"), ("·", "name_empty")])
def test_an_empty_name_is_rejected(raw: str, code: str) -> None:
    result = check_name(raw)
    assert (result.canonical, result.outcome, result.reasons) == (None, "rejected", (code,))
    assert result.messages == ("姓名为空",)


@pytest.mark.parametrize("raw", ["张三1", "阿不都·热合曼２", "John Smith 3rd"])
def test_a_name_with_digits_is_rejected(raw: str) -> None:
    result = check_name(raw)
    assert result.reasons == ("name_digits",)
    assert not result.ok
    assert result.messages == (MESSAGES["name_digits"],)


def test_canonical_name_raises_with_the_reason_code() -> None:
    assert canonical_name(" 阿不都 热合曼 ") == CANONICAL
    with pytest.raises(ValueError, match="name_digits"):
        canonical_name("张3")


_han = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=5)
_seps = st.sampled_from([" ", "  ", "\u3000", "·", "•", ".", "．", "‧", "・", "-", "－", "—", " · "])


@given(st.lists(_han, min_size=1, max_size=4), st.lists(_seps, min_size=3, max_size=3))
def test_canonicalisation_is_idempotent_on_messy_han_script_names(parts: list[str], seps: list[str]) -> None:
    raw = "".join(part + seps[i % len(seps)] for i, part in enumerate(parts))
    first = check_name(raw)
    assert first.canonical is not None
    second = check_name(first.canonical)
    assert second.canonical == first.canonical
    assert second.outcome == "accepted"
    assert " " not in first.canonical


@given(st.text(max_size=30))
def test_canonicalisation_is_idempotent_on_any_text(raw: str) -> None:
    first = check_name(raw)
    if first.canonical is None:
        return
    second = check_name(first.canonical)
    assert second.canonical == first.canonical
    assert second.reasons == ()
    assert first.repaired == (first.canonical != raw)


@given(st.lists(_han.filter(lambda p: len(p) >= 2), min_size=2, max_size=4), _seps.filter(lambda s: s.strip() != ""))
def test_a_dotted_uyghur_name_has_one_separator_between_parts(parts: list[str], sep: str) -> None:
    result = check_name(sep.join(parts))
    assert result.canonical == SEPARATOR.join(parts)
