"""Every app's Simplified Chinese catalogue is complete: no app ships untranslated text to Chinese readers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import liangxian

APPS_DIR = Path(liangxian.__file__).resolve().parent
# Each app's own catalogue, and the project-wide one of LOCALE_PATHS if there is one.
CATALOGUES = sorted(APPS_DIR.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")) + sorted(
    APPS_DIR.glob("locale/zh_Hans/LC_MESSAGES/django.po")
)

# A .po string: one or more quoted pieces, possibly on continuation lines.
_PIECES = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'
_ENTRY = re.compile(
    r"(?P<comments>(?:^#.*\n)*)"
    r"^msgid\s+" + _PIECES + r"(?:^msgid_plural\s+" + _PIECES + r")?"
    r"(?P<strs>(?:^msgstr(?:\[\d+\])?\s+" + _PIECES + r")+)",
    re.MULTILINE,
)
_MSGSTR = re.compile(r"^msgstr(?:\[\d+\])?\s+" + _PIECES, re.MULTILINE)


def _join(pieces: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', pieces))


@dataclass(frozen=True)
class Entry:
    msgid: str
    msgstrs: tuple[str, ...]
    fuzzy: bool


def po_entries(text: str) -> list[Entry]:
    """Parse the msgid/msgstr pairs of a .po file; obsolete (#~) entries are comments and skipped."""
    entries = []
    for match in _ENTRY.finditer(text):
        comments = match.group("comments")
        flags = [line for line in comments.splitlines() if line.startswith("#,")]
        entries.append(
            Entry(
                msgid=_join(match.group(2)),
                msgstrs=tuple(_join(m) for m in _MSGSTR.findall(match.group("strs"))),
                fuzzy=any("fuzzy" in line for line in flags),
            )
        )
    return entries


def test_the_parser_finds_empty_and_fuzzy_entries() -> None:
    text = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Home"\nmsgstr "首页"\n\n'
        '#, fuzzy\nmsgid "Sign in"\nmsgstr "登录"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr ""\n\n'
        'msgid "%(n)s village"\nmsgid_plural "%(n)s villages"\nmsgstr[0] ""\n'
    )

    entries = {e.msgid: e for e in po_entries(text)}

    assert entries["Home"].msgstrs == ("首页",)
    assert entries["Sign in"].fuzzy
    assert entries["Long text"].msgstrs == ("",)
    assert entries["%(n)s village"].msgstrs == ("",)


def test_there_is_a_chinese_catalogue_to_check() -> None:
    assert any(path.parts[-5] == "web" for path in CATALOGUES), CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_chinese_catalogue_has_no_empty_or_fuzzy_entry(path: Path) -> None:
    # given one app's Simplified Chinese catalogue
    entries = [e for e in po_entries(path.read_text(encoding="utf-8")) if e.msgid]
    # then every message is translated and none is only a guess
    untranslated = [e.msgid for e in entries if not all(e.msgstrs)]
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    assert entries, f"{path} holds no messages"
    assert not untranslated, f"{path}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{path}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
