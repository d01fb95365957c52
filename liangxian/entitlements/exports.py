"""The entitlement file's blank template, and the white list as an xlsx for the bureaus (Art 37).

The white list goes out through xlsxwriter in constant-memory mode, every cell escaped against formula injection,
with who exported it and when on the first line; ID numbers are masked for a reader whose duty does not need them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone

from liangxian.core.money import from_fen
from liangxian.exchange.exports import safe_cell, safe_workbook

from . import frames
from .models import Cause, EntryStatus, LeftReason, WhitelistEntry
from .selectors import Viewer, township_names

INSURANCE_LABELS = frames.INSURANCE_NAMES
TEMPLATE_HELP = [
    ["列名", "是否必填", "内容"],
    ["身份证号码", "必填", "18 位公民身份号码，请按文本格式填写，勿用数值格式"],
    ["姓名", "必填", "参保人姓名，少数民族姓名用“·”分隔"],
    ["险种", "必填", "城乡居民基本医疗保险（代码 390）或城乡居民基本养老保险（代码 170）；只能报送本部门的险种"],
    ["缴费年度", "必填", "权益所属的缴费年度（待遇享受年度），四位年份，如 2027"],
    ["权益记录日期", "必填", "本部门记录该权益的日期，如 2026-12-01"],
    ["记账金额(元)", "选填", "记入的金额，单位元，最多两位小数"],
    [],
    [
        "说明",
        "",
        "同一文件重复上传只按第一次导入；每一行都会给出结果：通过、已修复（写明如何修复）或未通过（写明原因）。",
    ],
]


def template_csv(insurance: str) -> bytes:
    """Write the blank template as UTF-8 csv with a BOM (Excel opens it with the Chinese headers intact)."""
    headers = ",".join(c.label for c in frames.COLUMNS)
    example = f",,{INSURANCE_LABELS[insurance]},2027,2026-12-01,"
    return ("\ufeff" + headers + "\r\n" + example + "\r\n").encode("utf-8")


def template_xlsx(insurance: str) -> bytes:
    """Write the blank template: the headers, text-formatted columns, and a sheet explaining each column."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7", "align": "center"})
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet("权益记录")
    for col, column in enumerate(frames.COLUMNS):
        sheet.write_string(0, col, column.label, head)
        sheet.set_column(col, col, 22 if column.key in ("id_number", "insurance") else 14, text)
    sheet.write_string(1, 2, INSURANCE_LABELS[insurance])
    sheet.freeze_panes(1, 0)
    help_sheet = book.add_worksheet("填写说明")
    help_sheet.set_column(0, 0, 16)
    help_sheet.set_column(1, 1, 10)
    help_sheet.set_column(2, 2, 80)
    for row, values in enumerate(TEMPLATE_HELP):
        for col, value in enumerate(values):
            help_sheet.write_string(row, col, value, head if row == 0 else None)
    book.close()
    return buffer.getvalue()


def whitelist_xlsx(viewer: Viewer, qs: QuerySet[WhitelistEntry], *, who: str, unit_code: str) -> bytes:
    """Write the white list entries the viewer may see."""
    buffer = io.BytesIO()
    book = safe_workbook(buffer, in_memory=True)
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    mark = f"导出人：{who}（{unit_code}）  用途：{viewer.duty}  导出时间：{when}  仅限履行法定职责使用，不得转作他用"
    book.set_properties({"author": who, "comments": mark, "created": timezone.now().replace(tzinfo=None)})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("白名单")
    sheet.set_column(1, 1, 22)
    sheet.write_string(0, 0, mark)
    headers = [
        "序号",
        "身份证号码",
        "姓名",
        "险种",
        "缴费年度",
        "乡镇",
        "净缴费金额(元)",
        "首次缴费时间",
        "列入时间",
        "原因",
        "权益所在身份证号码",
        "状态",
        "处理情况",
    ]
    for col, label in enumerate(headers):
        sheet.write_string(1, col, label, bold)
    causes = {c.value: str(c.label) for c in Cause}
    statuses = {s.value: str(s.label) for s in EntryStatus}
    lefts = {r.value: str(r.label) for r in LeftReason}
    codes = set(qs.values_list("township_code", flat=True).distinct())
    names = township_names(codes)

    def lines() -> Iterable[list[Any]]:
        for n, e in enumerate(qs.iterator(chunk_size=5000), start=1):
            status = statuses.get(e.status, e.status)
            if e.status == EntryStatus.LEFT:
                status += (
                    f"（{lefts.get(e.left_reason, '')} {timezone.localtime(e.left_at):%Y-%m-%d}）" if e.left_at else ""
                )
            yield [
                n,
                viewer.shown_id(e.id_number),
                e.name,
                INSURANCE_LABELS.get(e.insurance, e.insurance),
                e.coverage_year,
                names.get(e.township_code, e.township_code),
                f"{from_fen(e.net_paid_fen):.2f}",
                timezone.localtime(e.first_paid_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(e.listed_at).strftime("%Y-%m-%d %H:%M"),
                causes.get(e.cause, e.cause),
                viewer.shown_id(e.cause_id_number) if e.cause_id_number else "",
                status,
                e.resolution_note,
            ]

    row = 2
    for values in lines():
        for col, value in enumerate(values):
            sheet.write_string(row, col, safe_cell(value))
        row += 1
    book.close()
    return buffer.getvalue()
