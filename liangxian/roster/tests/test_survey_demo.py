"""The demo's survey files carry what a township needs: 摸排情况, cash-only residents, gone and added persons."""

from __future__ import annotations

import polars as pl

from liangxian.demo.county import county_generate, villages_from_csv
from liangxian.demo.files import department_files_build


def test_demo_survey_files_mark_cash_only_gone_and_added_persons() -> None:
    county = county_generate(persons=20_000, seed=7, villages=villages_from_csv())
    surveys = [f.frame for f in department_files_build(county) if f.kind == "township.village_survey"]
    frame = pl.concat(surveys)

    assert {"仅能现金缴费", "摸排情况"} <= set(frame.columns)
    statuses = dict(frame["摸排情况"].value_counts().iter_rows())
    assert statuses["在村"] > 0.9 * frame.height
    assert statuses["已死亡"] > 0 and statuses["已迁出"] > 0 and statuses["新增"] > 0
    assert 0 < frame.filter(pl.col("仅能现金缴费") == "是").height < 0.2 * frame.height
    # the persons added are not in the household register the police file sends
    registered = set(county.persons["id_number"].to_list())
    added = frame.filter(pl.col("摸排情况") == "新增")["身份证号码"].to_list()
    assert added and not (set(added) & registered)
