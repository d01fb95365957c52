"""The exchange's spreadsheets: the error report, the blank template and a version's changes (Art 20-21).

Every cell a department typed goes out escaped against formula injection, and every export of personal data
carries who exported it and when, and is written to the access log with its duty.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import xlsxwriter
from django.utils import timezone

from liangxian.core.access import access_log
from liangxian.core.idnumbers import mask
from liangxian.core.models import AccessAction
from liangxian.org.models import User

from . import selectors
from .catalogue import deadline_text
from .models import ChangeKind, Dataset, RowOutcome, Submission

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liangxian.core.scope import Actor

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TYPE_LABELS = {
    "id_number": "身份证号码（18 位，文本格式）",
    "name": "姓名（少数民族姓名用“·”分隔）",
    "text": "文本",
    "date": "日期（如 2025-01-31）",
    "phone": "电话号码",
    "enum": "从下列取值中选择",
    "division": "乡镇或村（社区）名称",
    "number": "整数",
}
KIND_LABELS: dict[str, str] = {ChangeKind.ADDED: "新增", ChangeKind.REMOVED: "减少", ChangeKind.CHANGED: "变更"}


def safe_cell(value: object) -> str:
    """Return a cell's text with a leading apostrophe where a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def safe_workbook(target: Any, *, constant_memory: bool = True, in_memory: bool = False) -> Any:
    """An xlsx workbook that writes text as text: never read back as a number, a formula or a link.

    ``constant_memory`` writes row by row through a temporary file, for the large lists; ``in_memory`` builds
    the workbook in memory instead (xlsxwriter then ignores ``constant_memory``), for the small ones.
    """
    options: dict[str, Any] = {
        "constant_memory": constant_memory,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    if in_memory:
        options["in_memory"] = True
    return xlsxwriter.Workbook(target, options)


def _workbook(buffer: io.BytesIO, *, author: str, comments: str) -> Any:
    book = safe_workbook(buffer, in_memory=True)
    book.set_properties({"author": author, "comments": comments, "created": timezone.now().replace(tzinfo=None)})
    return book


def _exporter(actor: Actor) -> str:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    return str(user) if user else "system"


def export_mark(actor: Actor, duty: str) -> str:
    """Say who exported, for which unit and duty, and when: the line at the top of every export (Art 21)."""
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    who = f"导出人：{_exporter(actor)}（{actor.unit_code}）"
    return f"{who}  用途：{duty}  导出时间：{when}  仅限履行法定职责使用，不得转作他用"


def _write_rows(sheet: Any, start: int, rows: Iterable[Sequence[object]]) -> int:
    write = sheet.write_string
    row = start
    for values in rows:
        for col, value in enumerate(values):
            write(row, col, safe_cell(value))
        row += 1
    return row


def _log_export(actor: Actor, submission: Submission, object_type: str, count: int, query: str, **kw: Any) -> str:
    duty = selectors.duty_for(actor, submission)
    access_log(
        actor=actor,
        action=AccessAction.EXPORT,
        object_type=object_type,
        object_ids=[submission.pk],
        count=count,
        duty=duty,
        query=query,
        **kw,
    )
    return duty


def error_report_xlsx(
    actor: Actor, submission: Submission, *, request: HttpRequest | None = None, channel: str = "web"
) -> bytes:
    """Write the rejected and repaired rows as the file had them, with the reason and the column."""
    submission = selectors.submission_get(actor, submission.pk)
    qs = submission.rows.exclude(outcome=RowOutcome.ACCEPTED).order_by("outcome", "row_number")
    duty = _log_export(
        actor, submission, selectors.ROWS_OBJECT, qs.count(), "errors.xlsx", request=request, channel=channel
    )
    full = selectors.sees_full_ids(actor, submission)
    first = qs.values_list("original", flat=True).first() or {}
    headers = list(first) if isinstance(first, dict) else []
    buffer = io.BytesIO()
    mark = export_mark(actor, duty)
    book = _workbook(buffer, author=_exporter(actor), comments=mark)
    bold = book.add_format({"bold": True})
    for outcome, title in ((RowOutcome.REJECTED, "未通过的行"), (RowOutcome.REPAIRED, "已修复的行")):
        sheet = book.add_worksheet(title)
        sheet.write_string(0, 0, mark)
        sheet.write_string(
            1, 0, f"{submission.dataset.name}  第 {submission.version} 版  文件：{safe_cell(submission.file_name)}"
        )
        for col, label in enumerate(["行号", "结果", "问题列", "原因", *headers]):
            sheet.write_string(2, col, safe_cell(label), bold)
        id_header = {h for h in headers if "身份证" in h or "证件号码" in h or "身份号码" in h}

        def lines(outcome: str = outcome, id_header: set[str] = id_header) -> Iterable[list[object]]:
            for number, result, column, reasons, original in (
                qs.filter(outcome=outcome)
                .values_list("row_number", "outcome", "problem_column", "reasons", "original")
                .iterator(chunk_size=5000)
            ):
                cells = original if isinstance(original, dict) else {}
                values = [
                    cells.get(h, "") if full or h not in id_header else mask(str(cells.get(h) or "")) for h in headers
                ]
                yield [number, RowOutcome(result).label, column, reasons, *values]

        _write_rows(sheet, 3, lines())
    book.close()
    return buffer.getvalue()


def template_xlsx(dataset: Dataset) -> bytes:
    """Write the list's blank template: the Chinese headers, text-formatted, and a sheet explaining them."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header = book.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7", "align": "center"})
    required = book.add_format({"bold": True, "border": 1, "bg_color": "#FCE4D6", "align": "center"})
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet(dataset.name[:31])
    for col, column in enumerate(dataset.columns):
        sheet.write_string(0, col, column["label"], required if column.get("required") else header)
        # Text format keeps Excel from turning an ID number into a rounded number (SPEC section 3).
        sheet.set_column(col, col, 22 if column.get("type") == "id_number" else 14, text)
        if column.get("type") == "enum" and column.get("choices"):
            sheet.data_validation(1, col, 100_000, col, {"validate": "list", "source": list(column["choices"])})
    sheet.freeze_panes(1, 0)
    help_sheet = book.add_worksheet("填写说明")
    help_sheet.set_column(0, 0, 22)
    help_sheet.set_column(1, 5, 30)
    lines = [
        ["名单", dataset.name],
        ["依据", dataset.article],
        ["报送单位", dataset.provider or "各乡镇人民政府"],
        ["报送时限", deadline_text(dataset.deadline_rule)],
        [
            "是否需主要领导签字盖章",
            "是：报送后须上传主要领导审核签字并加盖公章的扫描件" if dataset.needs_approval else "否",
        ],
        ["说明", "表头可使用下列同义名称；红色表头为必填列；身份证号码请按文本填写，勿用数值格式。"],
        [],
        ["列名", "是否必填", "内容", "可用的同义表头", "可选值", "备注"],
    ]
    for column in dataset.columns:
        lines.append(
            [
                column["label"],
                "必填" if column.get("required") else "选填",
                TYPE_LABELS.get(column.get("type", "text"), "文本"),
                "、".join(column.get("synonyms", [])),
                "、".join(column.get("choices", [])),
                column.get("help", ""),
            ]
        )
    for row, values in enumerate(lines):
        for col, value in enumerate(values):
            help_sheet.write_string(row, col, str(value), header if row == 7 else None)
    book.close()
    return buffer.getvalue()


def changes_xlsx(
    actor: Actor, submission: Submission, *, request: HttpRequest | None = None, channel: str = "web"
) -> bytes:
    """Write a version's persons added, removed and changed (with each field before and after)."""
    submission = selectors.submission_get(actor, submission.pk)
    qs = submission.changes.order_by("kind", "id_number")
    duty = _log_export(
        actor, submission, selectors.CHANGES_OBJECT, qs.count(), "changes.xlsx", request=request, channel=channel
    )
    full = selectors.sees_full_ids(actor, submission)
    labels = {c["key"]: c["label"] for c in submission.dataset.columns}
    buffer = io.BytesIO()
    mark = export_mark(actor, duty)
    book = _workbook(buffer, author=_exporter(actor), comments=mark)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("版本变化")
    sheet.write_string(0, 0, mark)
    previous = submission.previous.version if submission.previous else "-"
    sheet.write_string(1, 0, f"{submission.dataset.name}  第 {submission.version} 版 对比 第 {previous} 版")
    for col, label in enumerate(["变化", "身份证号码", "姓名", "变化内容"]):
        sheet.write_string(2, col, label, bold)

    def lines() -> Iterable[list[object]]:
        for kind, number, name, fields in qs.values_list("kind", "id_number", "name", "fields").iterator(
            chunk_size=5000
        ):
            described = "；".join(
                f"{labels.get(k, k)}：{before or '（空）'} → {after or '（空）'}"
                for k, (before, after) in (fields or {}).items()
            )
            yield [KIND_LABELS.get(kind, kind), number if full else mask(number), name, described]

    _write_rows(sheet, 3, lines())
    book.close()
    return buffer.getvalue()
