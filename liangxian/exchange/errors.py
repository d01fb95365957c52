"""Domain errors of the data exchange, and the clerk-readable text of the row rules' reason codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .models import Submission

# Reason codes of exchange/frames.py. Stored with each row in Chinese, like core.idnumbers.MESSAGES and
# core.names.MESSAGES: the row report is read by the clerk who sent the file, in the language of the file.
ROW_MESSAGES: Final = {
    "duplicate_in_file": "同一文件内重复",
    "required_empty": "必填项为空",
    "bad_date": "日期无效",
    "bad_choice": "取值不在允许范围内",
    "bad_number": "应为数字",
    "bad_phone": "电话号码格式不符（仅提示）",
    "bad_related_id": "身份证号码无效",
}


class ExchangeError(Exception):
    """A submission, approval or export that cannot be done; ``message`` says why in the clerk's words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DuplicateSubmission(ExchangeError):
    """The same file was already submitted for this list by this unit: no second version is made."""

    def __init__(self, existing: Submission, message: str) -> None:
        super().__init__("duplicate_file", message)
        self.existing = existing
