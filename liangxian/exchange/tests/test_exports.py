"""The exchange's spreadsheets: escaped, marked with who exported them, logged (Art 20-21)."""
# ruff: noqa: F811 -- the shared fixtures come from test_services and are used as parameters

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from liangxian.core.models import AccessLog
from liangxian.core.scope import Actor
from liangxian.exchange import exports
from liangxian.exchange.models import Dataset

from .test_services import approve_all, county, disabled_row, ident, submit_disabled  # noqa: F401

pytestmark = pytest.mark.django_db


def test_formula_cells_are_escaped() -> None:
    assert exports.safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert exports.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert exports.safe_cell("王芳") == "王芳"


def test_error_report_has_original_row_reason_column_and_mark(county: dict[str, Any]) -> None:
    s = submit_disabled(
        county["disabled"], [disabled_row(1, "=cmd|' /C calc'!A0"), disabled_row(2, "王芳"), disabled_row(2, "王芳")]
    )
    content = exports.error_report_xlsx(Actor.of(county["disabled"]), s)
    sheet = openpyxl.load_workbook(io.BytesIO(content))["未通过的行"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("导出人：")
    assert rows[2][:4] == ("行号", "结果", "问题列", "原因")
    by_row = {r[0]: r for r in rows[3:]}
    assert by_row["4"][2:4] == ("身份证号码", "同一文件内重复")
    assert by_row["2"][3] == "姓名含数字" or by_row["2"][4 + 1].startswith("'=")
    log = AccessLog.objects.filter(action="export").latest("at")
    assert log.duty == "data_provision" and log.object_ids == [str(s.pk)]


def test_template_has_chinese_headers_and_help(county: dict[str, Any]) -> None:
    content = exports.template_xlsx(Dataset.objects.get(code="education.students"))
    book = openpyxl.load_workbook(io.BytesIO(content))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers[:3] == ["学校名称", "年级", "学生姓名"] and "监护人身份证号码" in headers
    assert book["填写说明"]["A1"].value == "名单"


def test_changes_export_masks_ids_for_a_duty_without_full_numbers(county: dict[str, Any]) -> None:
    v1 = submit_disabled(county["disabled"], [disabled_row(1, "王芳")])
    approve_all(v1, county)
    v2 = submit_disabled(county["disabled"], [disabled_row(1, "王芳", grade="一级")])
    # medical insurance needs whole numbers; the provider sees its own
    content = exports.changes_xlsx(Actor.of(county["medical"]), v2)
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    assert rows[3][:3] == ("变更", ident(1), "王芳")
    assert "残疾等级：二级 → 一级" in rows[3][3]
