"""Vectorised expressions shared by batch jobs: frame in, frame out, no ORM and no I/O."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from functools import cache
from string import ascii_lowercase, ascii_uppercase
from typing import Final

import polars as pl
import polars.selectors as cs

from liangxian.core.idnumbers import PROVINCES

# GB 11643-1999 MOD 11-2: weight of position i is 2**(17-i) mod 11; the remainder picks the check character.
ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK_CHARS: Final = "10X98765432"


def id_check_digit(body: pl.Expr) -> pl.Expr:
    """Compute the MOD 11-2 check character of 17-digit resident ID bodies (GB 11643)."""
    total = pl.sum_horizontal(
        [body.str.slice(i, 1).cast(pl.Int32, strict=False) * weight for i, weight in enumerate(ID_WEIGHTS)]
    )
    return (total % 11).replace_strict(list(range(11)), list(ID_CHECK_CHARS), return_dtype=pl.String)


def id_has_valid_check_digit(id_number: pl.Expr) -> pl.Expr:
    """Tell whether 18-character resident ID numbers end in their MOD 11-2 check character."""
    well_formed = id_number.str.contains(r"^[0-9]{17}[0-9X]$")
    return well_formed & (id_check_digit(id_number.str.slice(0, 17)) == id_number.str.slice(17, 1))


# --- resident ID numbers and names, column by column -----------------------------------------------------
#
# These mirror ``core.idnumbers.check_resident_id`` and ``core.names.check_name`` as Polars expressions, so a
# 300,000-row file is classified without a Python loop over its rows. A property test feeds both the same
# values. The character classes below follow Python's own ``str.isspace``/``str.isdigit`` (the digit class is
# written out) because the Rust regex engine's ``\s`` and ``\d`` are not the same sets as Python's.


def _char_class(chars: Iterable[str]) -> str:
    """Return a Rust-regex character class body (no brackets) matching exactly the given characters."""
    points = sorted({ord(ch) for ch in chars})
    ranges: list[tuple[int, int]] = []
    for point in points:
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return "".join(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges)


@cache
def _py_space() -> str:
    # Every character str.isspace() accepts lies below U+3001 (the last is the ideographic space U+3000).
    return "".join(chr(i) for i in range(0x3001) if chr(i).isspace())


# Every character str.isdigit() accepts, for core.names' "name holds a digit" (Unicode 14.0, Python 3.11): the
# decimal digits of all scripts plus superscript, circled and other digits, which Rust's \d leaves out. Written
# out as hexadecimal ranges because deriving it scans all 1.1 million code points in every process (0.1 s, over
# a second under a profiler); a test derives it again and compares.
_PY_DIGITS: Final = (
    "30-39 B2-B3 B9 660-669 6F0-6F9 7C0-7C9 966-96F 9E6-9EF A66-A6F AE6-AEF B66-B6F BE6-BEF C66-C6F CE6-CEF "
    "D66-D6F DE6-DEF E50-E59 ED0-ED9 F20-F29 1040-1049 1090-1099 1369-1371 17E0-17E9 1810-1819 1946-194F "
    "19D0-19DA 1A80-1A89 1A90-1A99 1B50-1B59 1BB0-1BB9 1C40-1C49 1C50-1C59 2070 2074-2079 2080-2089 "
    "2460-2468 2474-247C 2488-2490 24EA 24F5-24FD 24FF 2776-277E 2780-2788 278A-2792 A620-A629 A8D0-A8D9 "
    "A900-A909 A9D0-A9D9 A9F0-A9F9 AA50-AA59 ABF0-ABF9 FF10-FF19 104A0-104A9 10A40-10A43 10D30-10D39 "
    "10E60-10E68 11052-1105A 11066-1106F 110F0-110F9 11136-1113F 111D0-111D9 112F0-112F9 11450-11459 "
    "114D0-114D9 11650-11659 116C0-116C9 11730-11739 118E0-118E9 11950-11959 11C50-11C59 11D50-11D59 "
    "11DA0-11DA9 16A60-16A69 16AC0-16AC9 16B50-16B59 1D7CE-1D7FF 1E140-1E149 1E2F0-1E2F9 1E950-1E959 "
    "1F100-1F10A 1FBF0-1FBF9"
)


def _hex_class(ranges: str) -> str:
    """Return a Rust-regex character class body from space-separated hexadecimal code points and ranges."""
    return "".join("-".join(f"\\x{{{point}}}" for point in item.split("-")) for item in ranges.split())


_PY_DIGIT_CLASS: Final = _hex_class(_PY_DIGITS)


_ID_INVISIBLE: Final = "\u200b\ufeff"
_ID_QUOTES: Final = "'\"`‘’“”′″＇＂｀"
# Full-width ASCII block minus the three full-width quotes, which count as quotes (removed), not converted.
_FULLWIDTH: Final = tuple(chr(i) for i in range(0xFF01, 0xFF5F) if chr(i) not in _ID_QUOTES)
_PERMITS: Final = ("810000", "820000", "830000")
_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _first(expr: pl.Expr, char_class: str) -> pl.Expr:
    """Return the position of the first character of the class, or null when there is none."""
    return expr.str.find(f"[{char_class}]")


def _ordered_codes(found: Sequence[tuple[pl.Expr, str]]) -> pl.Expr:
    """Join repair codes with "|" in the order the scalar rule notes them: where in the value each first applies."""
    keys = [
        pl.when(position.is_not_null()).then(
            pl.concat_str(position.cast(pl.String).str.zfill(9), pl.lit(f"{rank}{code}"))
        )
        for rank, (position, code) in enumerate(found)
    ]
    return pl.concat_list(keys).list.drop_nulls().list.sort().list.eval(pl.element().str.slice(10)).list.join("|")


def _joined(conditions: Sequence[tuple[pl.Expr, str]]) -> pl.Expr:
    """Join with "|" the codes whose condition holds, in the given order ("" when none)."""
    return pl.concat_str(
        [pl.when(condition).then(pl.lit(code)) for condition, code in conditions], separator="|", ignore_nulls=True
    )


def _code_list(joined: pl.Expr) -> pl.Expr:
    # Codes travel as "|"-joined text while they are built: lists in long when/then chains are slow in Polars.
    return joined.fill_null("").str.split("|").list.filter(pl.element() != "")


def classify_ids(
    frame: pl.DataFrame,
    column: str,
    *,
    numeric_column: str | None,
    today: date,
    known_areas: Collection[str] | None,
) -> pl.DataFrame:
    """Check a column of resident ID numbers as ``core.idnumbers.check_resident_id`` does, vectorised (GB 11643).

    Adds ``{column}__value`` (canonical 18 characters or null), ``__outcome`` (accepted, repaired, rejected),
    ``__codes`` (repair or rejection codes of ``core.idnumbers.MESSAGES``), ``__warnings``, ``__birth_date``
    and ``__sex`` (M, F or null).
    """
    space = _char_class(_py_space())
    # Intermediate columns are materialised stage by stage: one nested expression tree would be re-planned
    # (and re-evaluated) for every branch that uses it.
    t = f"{column}__tmp_"
    original = pl.col(column).cast(pl.String).fill_null("")
    numeric = pl.col(numeric_column).fill_null(False) if numeric_column else pl.lit(False)

    # normalise(): drop spaces, invisibles and quotes; full-width to ASCII; ASCII lower case to upper case.
    drop = f"{space}{_char_class(_ID_INVISIBLE)}"
    quotes = _char_class(_ID_QUOTES)
    fullwidth = _char_class(_FULLWIDTH)
    frame = frame.with_row_index(f"{t}index").with_columns(
        original.alias(f"{t}original"),
        numeric.alias(f"{t}numeric"),
        original.str.replace_all(f"[{drop}{quotes}]", "")
        .str.replace_many(list(_FULLWIDTH), [chr(ord(ch) - 0xFEE0) for ch in _FULLWIDTH])
        .str.replace_many(list(ascii_lowercase), list(ascii_uppercase))
        .alias(f"{t}text"),
    )
    # Only values outside the clean alphabet can need a character repair (normalise()'s fast path): order the
    # repair codes on that small subset and join them back.
    kept = pl.col(f"{t}original")
    dirty = frame.filter(~kept.str.contains(r"^[0-9A-Z.+-]*$")).select(
        f"{t}index",
        _ordered_codes(
            [
                (_first(kept, drop), "whitespace"),
                (_first(kept, quotes), "quotes"),
                (_first(kept, fullwidth), "fullwidth"),
                (_first(kept, "x\\x{FF58}"), "lowercase_x"),
                (_first(kept, "a-wyz\\x{FF41}-\\x{FF57}\\x{FF59}\\x{FF5A}"), "lowercase_letters"),
            ]
        ).alias(f"{t}repairs"),
    )
    frame = frame.join(dirty, on=f"{t}index", how="left", maintain_order="left")
    text = pl.col(f"{t}text")
    frame = frame.with_columns(
        (text.str.len_chars() == 15).alias(f"{t}is15"),
        text.str.contains(r"^[0-9]{15}$").alias(f"{t}digits15"),
        pl.concat_str(text.str.slice(0, 6), pl.lit("19"), text.str.slice(6)).alias(f"{t}body15"),
    )
    is15, digits15, body15 = pl.col(f"{t}is15"), pl.col(f"{t}digits15"), pl.col(f"{t}body15")
    frame = frame.with_columns(
        pl.when(is15 & digits15).then(pl.concat_str(body15, id_check_digit(body15))).otherwise(text).alias(f"{t}up")
    )
    upgraded = pl.col(f"{t}up")
    frame = frame.with_columns(
        upgraded.str.contains(r"^[0-9]{17}[0-9X]$").alias(f"{t}well_formed"),
        upgraded.str.slice(6, 4).cast(pl.Int32, strict=False).alias(f"{t}year"),
        upgraded.str.slice(10, 2).cast(pl.Int32, strict=False).alias(f"{t}month"),
        upgraded.str.slice(12, 2).cast(pl.Int32, strict=False).alias(f"{t}day"),
        id_has_valid_check_digit(upgraded).alias(f"{t}check_ok"),
    )
    well_formed, year, month, day = (pl.col(f"{t}{name}") for name in ("well_formed", "year", "month", "day"))
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = month.clip(1, 12).replace_strict(list(range(1, 13)), list(_DAYS_IN_MONTH), return_dtype=pl.Int32) + (
        (month == 2) & leap
    ).cast(pl.Int32)
    real_date = (year >= 1) & month.is_between(1, 12) & (day >= 1) & (day <= month_days)
    frame = frame.with_columns(
        pl.when(well_formed & real_date)
        .then(
            pl.concat_str(upgraded.str.slice(6, 4), upgraded.str.slice(10, 2), upgraded.str.slice(12, 2), separator="-")
        )
        .str.to_date("%Y-%m-%d", strict=False)
        .alias(f"{t}born")
    )
    born, check_ok = pl.col(f"{t}born"), pl.col(f"{t}check_ok")
    frame = frame.with_columns((born.is_null() | (year < 1900)).alias(f"{t}bad_birth"))
    bad_birth = pl.col(f"{t}bad_birth")
    future = ~bad_birth & (born > pl.lit(today))
    truncated = upgraded.str.ends_with("000")
    problems = _joined(
        [
            (~check_ok & truncated, "excel_truncated"),
            (~check_ok & ~truncated, "bad_check_digit"),
            (bad_birth, "bad_birth_date"),
            (future, "future_birth_date"),
        ]
    )
    frame = frame.with_columns(
        pl.when(pl.col(f"{t}original").str.strip_chars(_py_space()) == "")
        .then(pl.lit("empty"))
        .when(pl.col(f"{t}numeric"))
        .then(pl.lit("excel_numeric"))
        .when(text == "")
        .then(pl.lit("empty"))
        .when(text.str.contains(r"^[+-]?[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+$"))
        .then(pl.lit("excel_scientific"))
        .when(text.str.contains(r"^[0-9]{15,18}\.0*$"))
        .then(pl.lit("excel_decimal"))
        .when(is15 & ~digits15)
        .then(pl.lit("bad_characters"))
        .when(upgraded.str.len_chars() != 18)
        .then(pl.lit("bad_length"))
        .when(~well_formed)
        .then(pl.lit("bad_characters"))
        .when(~check_ok | bad_birth | future)
        .then(problems)
        .alias(f"{t}reject"),
        pl.concat_str(
            [pl.col(f"{t}repairs"), pl.when(is15).then(pl.lit("upgraded_15"))], separator="|", ignore_nulls=True
        ).alias(f"{t}repairs"),
    )
    reject, repairs = pl.col(f"{t}reject"), pl.col(f"{t}repairs")
    ok = reject.is_null()
    area = upgraded.str.slice(0, 6)
    unknown = ~upgraded.str.slice(0, 2).is_in(list(PROVINCES))
    if known_areas is not None:
        unknown = unknown | ~area.is_in(list(known_areas))
    no_codes = pl.lit([], pl.List(pl.String))
    warnings = (
        pl.when(~ok)
        .then(no_codes)
        .when(area.is_in(list(_PERMITS)))
        .then(pl.lit(["looks_like_permit"]))
        .when(unknown)
        .then(pl.lit(["unknown_area"]))
        .otherwise(no_codes)
    )
    outcome = (
        pl.when(~ok).then(pl.lit("rejected")).when(repairs != "").then(pl.lit("repaired")).otherwise(pl.lit("accepted"))
    )
    sex_digit = upgraded.str.slice(16, 1).cast(pl.Int32, strict=False)
    frame = frame.with_columns(
        pl.when(ok).then(upgraded).alias(f"{column}__value"),
        outcome.alias(f"{column}__outcome"),
        _code_list(pl.when(ok).then(repairs).otherwise(reject)).alias(f"{column}__codes"),
        warnings.alias(f"{column}__warnings"),
        pl.when(ok).then(born).alias(f"{column}__birth_date"),
        pl.when(ok).then(pl.when(sex_digit % 2 == 1).then(pl.lit("M")).otherwise(pl.lit("F"))).alias(f"{column}__sex"),
    )
    return frame.drop(cs.starts_with(t))


# core.names: what may stand in for the middle dot; the Han ranges; compound surnames.
_NAME_DOTS: Final = (
    "\u00b7\u0387\u2022\u2027\u2219\u22c5\u30fb\uff65.\uff0e-\uff0d\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
)
_HAN_CLASS: Final = r"\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{F900}-\x{FAFF}\x{20000}-\x{3134F}"
_COMPOUND: Final = (
    "欧阳司马上官诸葛东方皇甫尉迟公孙慕容长孙宇文司徒司空夏侯令狐端木"
    "澹台独孤南宫呼延申屠轩辕西门万俟闻人赫连公羊濮阳太史钟离百里东郭拓跋"
)
_COMPOUND_SURNAMES: Final = tuple(_COMPOUND[i : i + 2] for i in range(0, len(_COMPOUND), 2))


def classify_names(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Check a column of personal names as ``core.names.check_name`` does, vectorised.

    Adds ``{column}__value`` (canonical spelling or null), ``__outcome`` and ``__codes`` (``core.names`` codes).
    A null cell is an empty name.
    """
    space = _char_class(_py_space())
    dots = _char_class(_NAME_DOTS)
    part_sep = f"[{dots}{space}]"
    not_sep = f"[^{dots}{space}]"
    t = f"{column}__tmp_"
    raw = pl.col(column).cast(pl.String).fill_null("")
    frame = frame.with_columns(
        raw.str.replace_all("[\\x{200B}\\x{FEFF}]", "").str.strip_chars(_py_space()).alias(f"{t}stripped")
    )
    stripped = pl.col(f"{t}stripped")
    frame = frame.with_columns(
        (stripped.str.replace_all(f"{part_sep}+", "") == "").alias(f"{t}empty"),
        stripped.str.contains(f"[{_PY_DIGIT_CLASS}]").alias(f"{t}digits"),
        (stripped != raw).alias(f"{t}strip_changed"),
        stripped.str.contains(f"[{_HAN_CLASS}]").alias(f"{t}han"),
        stripped.str.contains(f"[{space}]").alias(f"{t}has_space"),
        stripped.str.contains(f"[{dots}]").alias(f"{t}has_dot"),
        # Not Han script: runs of spaces become one.
        stripped.str.replace_all(f"[{space}]+", " ").alias(f"{t}latin"),
        # Han script: the parts between separators.
        stripped.str.replace(f"^{part_sep}+", "").str.replace(f"{part_sep}+$", "").alias(f"{t}trimmed"),
    )
    trimmed = pl.col(f"{t}trimmed")
    frame = frame.with_columns(
        trimmed.str.contains(part_sep).alias(f"{t}several"),
        trimmed.str.contains(f"(?:^|{part_sep}){not_sep}(?:{part_sep}|$)").alias(f"{t}single_char_part"),
        (
            trimmed.str.contains(f"^{not_sep}+{part_sep}+{not_sep}+$")
            & trimmed.str.extract(f"^({not_sep}+)", 1).is_in(list(_COMPOUND_SURNAMES))
            & (trimmed.str.extract(f"({not_sep}+)$", 1).str.len_chars() <= 2)
        ).alias(f"{t}compound"),
        trimmed.str.replace_all(f"{part_sep}+", "\u00b7").alias(f"{t}dotted"),
    )
    several, has_dot, dotted, strip_changed = (
        pl.col(f"{t}{name}") for name in ("several", "has_dot", "dotted", "strip_changed")
    )
    frame = frame.with_columns(
        (several & ~has_dot & (pl.col(f"{t}single_char_part") | pl.col(f"{t}compound"))).alias(f"{t}spaced_han")
    )
    spaced_han, han, latin = pl.col(f"{t}spaced_han"), pl.col(f"{t}han"), pl.col(f"{t}latin")
    han_value = (
        pl.when(~several)
        .then(trimmed)
        .when(spaced_han)
        .then(trimmed.str.replace_all(f"{part_sep}+", ""))
        .otherwise(dotted)
    )
    han_spaces = strip_changed | spaced_han | (several & has_dot & pl.col(f"{t}has_space"))
    han_separator = (
        pl.when(~several)
        .then(trimmed != stripped)
        .when(spaced_han)
        .then(pl.lit(False))
        .otherwise(stripped.str.replace_all(f"[{space}]+", "") != dotted)
    )
    frame = frame.with_columns(
        pl.when(han).then(han_spaces).otherwise(strip_changed | (latin != stripped)).alias(f"{t}name_spaces"),
        (han & han_separator).alias(f"{t}name_separator"),
        pl.when(han).then(han_value).otherwise(latin).alias(f"{t}value"),
        (pl.col(f"{t}empty") | pl.col(f"{t}digits")).alias(f"{t}rejected"),
    )
    name_spaces, name_separator = pl.col(f"{t}name_spaces"), pl.col(f"{t}name_separator")
    rejected = pl.col(f"{t}rejected")
    codes = (
        pl.when(pl.col(f"{t}empty"))
        .then(pl.lit("name_empty"))
        .when(pl.col(f"{t}digits"))
        .then(pl.lit("name_digits"))
        .otherwise(_joined([(name_spaces, "name_spaces"), (name_separator, "name_separator")]))
    )
    outcome = (
        pl.when(rejected)
        .then(pl.lit("rejected"))
        .when(name_spaces | name_separator)
        .then(pl.lit("repaired"))
        .otherwise(pl.lit("accepted"))
    )
    return frame.with_columns(
        pl.when(~rejected).then(pl.col(f"{t}value")).alias(f"{column}__value"),
        outcome.alias(f"{column}__outcome"),
        _code_list(codes).alias(f"{column}__codes"),
    ).drop(cs.starts_with(t))
