"""The vectorised ID check digit agrees with the scalar rule and python-stdnum."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from liangxian.batch.frames import id_check_digit, id_has_valid_check_digit
from liangxian.core.idnumbers import check_digit


@settings(max_examples=50, deadline=None)
@given(st.lists(st.from_regex(r"\A[0-9]{17}\Z"), min_size=1, max_size=50))
def test_check_digit_agrees_with_stdnum_and_core(bodies):
    computed = pl.DataFrame({"body": bodies}).select(id_check_digit(pl.col("body")))["body"].to_list()

    # stdnum's calc_check_digit drops the last character of what it is given.
    assert computed == [ric.calc_check_digit(b + "0") for b in bodies]
    assert computed == [check_digit(b) for b in bodies]


def test_valid_check_digit_needs_eighteen_well_formed_characters():
    numbers = ["11010519491231002X", "11010519491231002x", "110105194912310021", "1101051949123100", None]

    result = pl.DataFrame({"n": numbers}).select(id_has_valid_check_digit(pl.col("n")))["n"].to_list()

    assert result == [True, False, False, False, None]
