"""Bring personal names to one canonical spelling, keeping the spelling as written.

Uyghur names written in Chinese script join their parts with the middle dot U+00B7 ("阿不都·热合曼"); files
arrive with bullets, full stops, hyphens, dashes or spaces in its place. Han names have no separator, so
spaces inside them go ("张 三" → "张三"). Latin-script names (passport holders) keep single spaces. Names in
other scripts (Uyghur in Arabic script) only lose stray spaces.

Pure functions, no Django: ``MESSAGES`` holds the Chinese clerk-readable text of each code as plain constants;
the data-exchange layer renders them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["MESSAGES", "SEPARATOR", "NameCheck", "canonical_name", "check_name"]

SEPARATOR: Final = "\u00b7"  # ·

MESSAGES: Final[Mapping[str, str]] = {
    "name_separator": "姓名分隔符已统一",
    "name_spaces": "已去除多余空格",
    "name_empty": "姓名为空",
    "name_digits": "姓名含数字",
}

# Everything seen standing in for the middle dot: bullets, Greek/katakana dots, full stops, hyphens, dashes.
_DOTS: Final = (
    "\u00b7\u0387\u2022\u2027\u2219\u22c5\u30fb\uff65.\uff0e-\uff0d\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
)
_INVISIBLE: Final = re.compile("[\u200b\ufeff]")  # zero-width space, BOM; ZWNJ/ZWJ are real Arabic-script text
# re's \s is Unicode-aware: it takes the ideographic space U+3000 and NBSP too.
_SPACES: Final = re.compile(r"\s+")
_PARTS: Final = re.compile(f"[{re.escape(_DOTS)}\\s]+")
_HAN: Final = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Compound Han surnames: "司马 相如" is one Han name with a stray space, not a transliterated two-part name.
_COMPOUND: Final = (
    "欧阳司马上官诸葛东方皇甫尉迟公孙慕容长孙宇文司徒司空夏侯令狐端木"
    "澹台独孤南宫呼延申屠轩辕西门万俟闻人赫连公羊濮阳太史钟离百里东郭拓跋"
)
_COMPOUND_SURNAMES: Final = frozenset(_COMPOUND[i : i + 2] for i in range(0, len(_COMPOUND), 2))


@dataclass(frozen=True, slots=True)
class NameCheck:
    """The outcome of checking one name: its canonical form (None when rejected) and the spelling as written."""

    canonical: str | None
    original: str
    outcome: Literal["accepted", "repaired", "rejected"]
    reasons: tuple[str, ...] = ()

    @property
    def repaired(self) -> bool:
        """Tell whether the canonical form differs from the spelling as written."""
        return self.outcome == "repaired"

    @property
    def ok(self) -> bool:
        """Tell whether the name can be used (accepted or repaired)."""
        return self.outcome != "rejected"

    @property
    def messages(self) -> tuple[str, ...]:
        """Return the Chinese text of the reasons."""
        return tuple(MESSAGES.get(code, code) for code in self.reasons)


def check_name(raw: str) -> NameCheck:
    """Canonicalise a name; reject it when empty or when it holds digits."""
    text = _INVISIBLE.sub("", raw)
    stripped = text.strip()
    if not _PARTS.sub("", stripped):
        return NameCheck(canonical=None, original=raw, outcome="rejected", reasons=("name_empty",))
    if any(ch.isdigit() for ch in stripped):
        return NameCheck(canonical=None, original=raw, outcome="rejected", reasons=("name_digits",))

    reasons: list[str] = []
    if stripped != raw:
        reasons.append("name_spaces")
    if _HAN.search(stripped):
        canonical = _han_script(stripped, reasons)
    else:
        canonical = _SPACES.sub(" ", stripped)
        if canonical != stripped and "name_spaces" not in reasons:
            reasons.append("name_spaces")
    return NameCheck(
        canonical=canonical, original=raw, outcome="repaired" if reasons else "accepted", reasons=tuple(reasons)
    )


def canonical_name(raw: str) -> str:
    """Return the canonical form of a name; raise ValueError with the reason code when it is rejected."""
    result = check_name(raw)
    if result.canonical is None:
        raise ValueError(result.reasons[0])
    return result.canonical


def _han_script(text: str, reasons: list[str]) -> str:
    parts = [part for part in _PARTS.split(text) if part]
    if len(parts) == 1:
        if parts[0] != text:  # only leading or trailing dots were around it
            reasons.append("name_separator")
        return parts[0]
    has_dot = any(ch in _DOTS for ch in text)
    if not has_dot and _is_spaced_han_name(parts):
        if "name_spaces" not in reasons:
            reasons.append("name_spaces")
        return "".join(parts)
    canonical = SEPARATOR.join(parts)
    if _SPACES.search(text) and has_dot and "name_spaces" not in reasons:
        reasons.append("name_spaces")
    if _without_spaces(text) != canonical:
        reasons.append("name_separator")
    return canonical


def _is_spaced_han_name(parts: list[str]) -> bool:
    # Transliterated parts run to two characters or more; a one-character part is a Han surname or given name.
    if any(len(part) == 1 for part in parts):
        return True
    return len(parts) == 2 and parts[0] in _COMPOUND_SURNAMES and len(parts[1]) <= 2


def _without_spaces(text: str) -> str:
    return _SPACES.sub("", text)


def mask_name(name: str, *, keep_length: bool = True) -> str:
    """Mask a name as 张*三: the first and last characters kept, two characters as 张*.

    ``keep_length`` puts one asterisk per hidden character (张**丰); without it a single asterisk stands for them
    all (张*丰), as a list posted in public does, so that the length gives nothing away either.
    """
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2 if keep_length else 1) + name[-1]
