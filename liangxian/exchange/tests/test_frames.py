"""The exchange's vectorised row rules and version comparison."""

from __future__ import annotations

from datetime import date

import orjson
import polars as pl

from liangxian.exchange.catalogue import catalogue_entries
from liangxian.exchange.frames import compare_keys, comparison_frame, rows_classify, versions_diff

from .test_services import _classify_ids, _classify_names, ident

COLUMNS = {e["code"]: e for e in catalogue_entries()}["disabled_persons_federation.certified"]["columns"]


def classify(**cols: list) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    frame = pl.DataFrame(
        {"__row": list(range(2, n + 2)), **cols, "__original": ["{}"] * n}, schema_overrides={"__row": pl.Int64}
    )
    return rows_classify(
        frame,
        columns=COLUMNS,
        person_column="id_number",
        category="disabled",
        headers={},
        today=date(2026, 1, 1),
        classify_ids=_classify_ids,
        classify_names=_classify_names,
    )


def test_enum_and_required_values_are_checked_with_the_column_named() -> None:
    out = classify(name=["王芳", "李四"], id_number=[ident(1), ident(2)], disability_grade=["五级", None])
    assert out["outcome"].to_list() == ["rejected", "rejected"]
    assert out["reasons"].to_list() == ["取值不在允许范围内", "必填项为空"]
    assert out["problem_column"].to_list() == ["残疾等级", "残疾等级"]


def test_a_bad_phone_warns_without_rejecting() -> None:
    out = classify(name=["王芳"], id_number=[ident(1)], disability_grade=["一级"], phone=["123"])
    assert out["outcome"].to_list() == ["accepted"]
    assert "仅提示" in out["reasons"][0]


def test_only_the_first_of_repeated_persons_stands() -> None:
    out = classify(
        name=["王芳", "王芳", "王芳"], id_number=[ident(1), ident(1).lower(), ident(1)], disability_grade=["一级"] * 3
    )
    assert out["outcome"].to_list() == ["accepted", "rejected", "rejected"]
    assert out["reasons"].to_list()[1:] == ["同一文件内重复", "同一文件内重复"]


def test_data_holds_the_repaired_values() -> None:
    out = classify(name=["阿卜杜拉．买买提"], id_number=[" " + ident(1)], disability_grade=["一级"])
    data = orjson.loads(out["data"][0])
    assert data["name"] == "阿卜杜拉·买买提" and data["id_number"] == ident(1)
    assert out["outcome"][0] == "repaired"


def test_rows_keep_their_order_and_only_rows_with_a_code_get_reasons() -> None:
    # given clean rows between rows that carry a reject, a repair and a warning
    out = classify(
        name=["王芳", "李四", "阿卜杜拉．买买提", "赵六", "钱七"],
        id_number=[ident(1), ident(2), ident(3), ident(4), ident(5)],
        disability_grade=["一级", "五级", "一级", "二级", "一级"],
        phone=[None, None, None, "123", None],
    )
    # when classified, then each row keeps its place, and the clean ones have no reason and no problem column
    assert out["row_number"].to_list() == [2, 3, 4, 5, 6]
    assert out["outcome"].to_list() == ["accepted", "rejected", "repaired", "accepted", "accepted"]
    assert out["reasons"].to_list()[0] == out["reasons"].to_list()[4] == ""
    assert out["reason_codes"].to_list()[0] == out["problem_column"].to_list()[4] == ""
    assert out["reason_codes"][1] == "bad_choice" and out["problem_column"][1] == "残疾等级"
    assert out["problem_column"][2] == "姓名" and out["reason_codes"][3] == "bad_phone"
    assert out["__person"].to_list() == [ident(1), None, ident(3), ident(4), ident(5)]


def test_versions_diff_names_the_changed_fields_and_ignores_sequence_numbers() -> None:
    keys = compare_keys(COLUMNS, "id_number")
    before = comparison_frame(
        classify(
            seq=["1", "2"], name=["王芳", "李四"], id_number=[ident(1), ident(2)], disability_grade=["二级", "一级"]
        ),
        keys,
    )
    after = comparison_frame(
        classify(
            seq=["9", "8"], name=["王芳", "张三"], id_number=[ident(1), ident(3)], disability_grade=["一级", "一级"]
        ),
        keys,
    )
    diff = {
        (r["kind"], r["id_number"]): orjson.loads(r["fields"])
        for r in versions_diff(after, before, keys=keys).to_dicts()
    }
    assert diff == {
        ("changed", ident(1)): {"disability_grade": ["二级", "一级"]},
        ("added", ident(3)): {},
        ("removed", ident(2)): {},
    }
