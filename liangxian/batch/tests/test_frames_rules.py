"""The vectorised ID and name rules give the same answer as core's per-value rules on the same dirty values."""

from __future__ import annotations

import csv
import re
import sys
from datetime import date
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liangxian.batch.frames import _PY_DIGIT_CLASS, _PY_DIGITS, classify_ids, classify_names
from liangxian.core.idnumbers import check_digit, check_resident_id
from liangxian.core.names import check_name

TODAY = date(2025, 6, 30)
KNOWN_AREAS = ("653123", "653101", "653121", "650102")
CASES_TODAY = date(2025, 6, 1)  # the date tests/data/id_cases.csv was written against
ID_CASES = Path(__file__).resolve().parents[3] / "tests" / "data" / "id_cases.csv"

FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "Ｘ", "x": "ｘ"}
SPACES = [" ", "\u3000", "\u00a0", "\t", "\u200b", "\ufeff", "\x1c"]
QUOTES = ["'", "`", "‘", "’", "＂", "＇"]


@st.composite
def id_bodies(draw: st.DrawFn) -> str:
    """Draw a 17-digit body with a plausible or deliberately impossible birth date."""
    area = draw(st.sampled_from(["653123", "653101", "110105", "810000", "990000", "000000"]))
    year = draw(st.integers(1880, 2030))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    seq = draw(st.integers(0, 999))
    return f"{area}{year:04d}{month:02d}{day:02d}{seq:03d}"


@st.composite
def dirty_ids(draw: st.DrawFn) -> str:
    """Draw an ID number dirtied the ways department files dirty them."""
    body = draw(id_bodies())
    right = check_digit(body)
    last = draw(st.sampled_from([right, right, right, "X", "0", "7"]))
    number = body + last
    kind = draw(
        st.sampled_from(
            [
                "clean",
                "fullwidth",
                "lower_x",
                "spaces",
                "fifteen",
                "scientific",
                "decimal",
                "truncated",
                "quote",
                "short",
                "letters",
                "mixed",
            ]
        )
    )
    if kind == "fullwidth":
        number = "".join(FULLWIDTH.get(ch, ch) if draw(st.booleans()) else ch for ch in number)
    elif kind == "lower_x":
        number = body + "x"
    elif kind == "spaces":
        at = draw(st.integers(0, len(number)))
        number = number[:at] + draw(st.sampled_from(SPACES)) + number[at:]
    elif kind == "fifteen":
        number = body[:6] + body[8:17]
    elif kind == "scientific":
        number = f"{number[0]}.{number[1 : draw(st.integers(2, 15))]}{draw(st.sampled_from(['E+17', 'e+17', 'E17']))}"
    elif kind == "decimal":
        number = number[:-1] + draw(st.sampled_from([".0", ".00", "."]))
    elif kind == "truncated":
        number = body[:15] + "000"
    elif kind == "quote":
        number = draw(st.sampled_from(QUOTES)) + number
    elif kind == "short":
        number = number[: draw(st.integers(0, 17))]
    elif kind == "letters":
        number = number[:10] + draw(st.sampled_from(["a", "Ｂ", "é", "中", "-", "/"])) + number[11:]
    elif kind == "mixed":
        number = " " + "".join(FULLWIDTH.get(ch, ch) for ch in body[:6]) + body[6:] + "x　"
    return number


def _scalar_ids(values: list[str | None], numeric: list[bool], today: date = TODAY) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for value, flag in zip(values, numeric, strict=True):
        c = check_resident_id(value, today=today, from_numeric_cell=flag, known_areas=KNOWN_AREAS)
        out.append((c.value, c.outcome, list(c.reasons), list(c.warnings), c.birth_date, c.sex))
    return out


def _vector_ids(values: list[str | None], numeric: list[bool], today: date = TODAY) -> list[tuple[object, ...]]:
    frame = pl.DataFrame({"id": values, "id__numeric": numeric}, schema={"id": pl.String, "id__numeric": pl.Boolean})
    result = classify_ids(frame, "id", numeric_column="id__numeric", today=today, known_areas=KNOWN_AREAS)
    cols = ["id__value", "id__outcome", "id__codes", "id__warnings", "id__birth_date", "id__sex"]
    return [tuple(row) for row in result.select(cols).iter_rows()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.one_of(dirty_ids(), st.text(max_size=20), st.none()), st.integers(0, 9).map(lambda n: n == 0)),
        min_size=1,
        max_size=40,
    )
)
def test_classify_ids_agrees_with_check_resident_id_on_dirty_values(pairs):
    # given dirty values, about one in ten flagged as read from a numeric spreadsheet cell
    values = [value for value, _ in pairs]
    numeric = [flag for _, flag in pairs]

    # when both rules check them, then they give the same value, outcome, codes, warnings, birth date and sex
    assert _vector_ids(values, numeric) == _scalar_ids(values, numeric)


def test_classify_ids_agrees_with_the_documented_id_cases():
    # given the hand-written cases of tests/data/id_cases.csv (resident IDs only)
    with ID_CASES.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["doc_type"] == "resident_id"]
    # The table spells invisible characters as \\uXXXX and tabs as \\t so that a reader can see them.
    values = [
        re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), row["raw"]).replace("\\t", "\t") for row in rows
    ]
    numeric = [row["numeric"] == "1" for row in rows]

    # when classified column-wise, then each row matches the scalar rule and the file's expected outcome
    vector = _vector_ids(values, numeric, today=CASES_TODAY)
    assert vector == _scalar_ids(values, numeric, today=CASES_TODAY)
    assert [v[1] for v in vector] == [row["outcome"] for row in rows]


def test_classify_ids_without_known_areas_checks_only_the_province():
    bodies = ["11010519491231002", "99010519491231002"]
    frame = pl.DataFrame({"id": [body + check_digit(body) for body in bodies]})

    result = classify_ids(frame, "id", numeric_column=None, today=TODAY, known_areas=None)

    assert result["id__outcome"].to_list() == ["accepted", "accepted"]
    assert result["id__warnings"].to_list() == [[], ["unknown_area"]]


UYGHUR_PARTS = ["阿不都", "热合曼", "买买提", "艾力", "古丽", "努尔", "阿依", "吐尔逊"]
HAN = ["张", "王", "李", "司马", "欧阳", "相如", "三", "明"]
DOTS = ["·", "•", ".", "．", "-", "－", "—", "・", "\u0387", " ", "　", " · "]


@st.composite
def dirty_names(draw: st.DrawFn) -> str:
    """Draw a name with the separators, spaces and digits files really carry."""
    script = draw(st.sampled_from(["uyghur", "han", "latin", "arabic"]))
    if script == "uyghur":
        parts = draw(st.lists(st.sampled_from(UYGHUR_PARTS), min_size=1, max_size=3))
        name = draw(st.sampled_from(DOTS)).join(parts)
    elif script == "han":
        parts = draw(st.lists(st.sampled_from(HAN), min_size=1, max_size=3))
        name = draw(st.sampled_from(["", " ", "　", "·"])).join(parts)
    elif script == "latin":
        name = draw(st.sampled_from(["John Smith", "John  Smith", "ANNA-MARIA", "o'neil"]))
    else:
        name = draw(st.sampled_from(["ئابدۇرەھمان", "ئابدۇ  رەھمان", "\u200cئا\u200dبدۇ"]))
    if draw(st.booleans()):
        name = draw(st.sampled_from([*SPACES, ""])) + name + draw(st.sampled_from([*SPACES, ""]))
    if draw(st.integers(0, 9)) == 0:
        name += draw(st.sampled_from(["3", "３", "²", "٣"]))
    return name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(dirty_names(), st.text(max_size=12)), min_size=1, max_size=40))
def test_classify_names_agrees_with_check_name_on_dirty_values(names):
    # given dirty names (Uyghur separators, stray spaces, digits, arbitrary text)
    frame = pl.DataFrame({"name": names}, schema={"name": pl.String})

    # when both rules check them
    result = classify_names(frame, "name").select("name__value", "name__outcome", "name__codes")

    # then they agree on the canonical spelling, the outcome and the codes
    expected = [(c.canonical, c.outcome, list(c.reasons)) for c in map(check_name, names)]
    assert [tuple(row) for row in result.iter_rows()] == expected


def test_classify_names_treats_a_null_cell_as_an_empty_name():
    frame = pl.DataFrame({"name": [None, "阿不都•热合曼"]}, schema={"name": pl.String})

    result = classify_names(frame, "name")

    assert result["name__outcome"].to_list() == ["rejected", "repaired"]
    assert result["name__codes"].to_list() == [["name_empty"], ["name_separator"]]
    assert result["name__value"].to_list() == [None, "阿不都·热合曼"]


def test_the_written_out_digit_class_matches_exactly_what_str_isdigit_accepts():
    # given every code point a Polars string can hold (not the surrogates)
    chars = [chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i <= 0xDFFF]

    # when Polars' regex engine matches them against the class written out in frames.py
    matched = pl.Series(chars, dtype=pl.String).str.contains(f"[{_PY_DIGIT_CLASS}]")

    # then it matches exactly the characters core.names rejects as digits (after a Python upgrade with a newer
    # Unicode database, regenerate _PY_DIGITS from str.isdigit)
    assert matched.to_list() == [ch.isdigit() for ch in chars]


def test_classify_names_rejects_digits_as_check_name_does_at_every_edge_of_the_digit_ranges():
    # given names ending in the first and last digit of every range, and in the characters just outside
    edges: set[int] = set()
    for item in _PY_DIGITS.split():
        bounds = item.split("-")
        first, last = int(bounds[0], 16), int(bounds[-1], 16)
        edges |= {first - 1, first, last, last + 1}
    names = ["阿" + chr(point) for point in sorted(edges)]
    frame = pl.DataFrame({"name": names}, schema={"name": pl.String})

    # when both rules check them
    result = classify_names(frame, "name").select("name__value", "name__outcome", "name__codes")

    # then they agree on every one, and both digits and non-digits are among them
    expected = [(c.canonical, c.outcome, list(c.reasons)) for c in map(check_name, names)]
    assert [tuple(row) for row in result.iter_rows()] == expected
    assert {outcome for _, outcome, _ in expected} >= {"rejected", "accepted"}
