"""Build in-force submissions with their rows directly, as the exchange pipeline leaves them (tests only)."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from django.utils import timezone

from liangxian.exchange.models import Dataset, Submission, SubmissionRow
from liangxian.org.models import Unit, User

_serial = itertools.count(1)

POLICE_COLUMNS = [
    {"key": k, "label": label, "type": t}
    for k, label, t in (
        ("household_number", "户号", "text"),
        ("name", "姓名", "name"),
        ("id_number", "公民身份号码", "id_number"),
        ("sex", "性别", "enum"),
        ("birth_date", "出生日期", "date"),
        ("relation", "与户主关系", "text"),
        ("township", "乡镇（街道）", "division"),
        ("village", "村（社区）", "division"),
        ("phone", "联系电话", "phone"),
        ("status", "户口状态", "enum"),
        ("status_date", "变动日期", "date"),
    )
]


def dataset(code: str, *, provider: str, authority: bool = False, category: str = "", **extra: Any) -> Dataset:
    """Return the catalogue entry of a list, created if the catalogue has not been loaded."""
    ds, _created = Dataset.objects.get_or_create(
        code=code,
        defaults={
            "name": code,
            "provider": provider,
            "authority_for_identity": authority,
            "category": category,
            "columns": extra.pop("columns", POLICE_COLUMNS),
            **extra,
        },
    )
    return ds


def submission(
    ds: Dataset, unit: Unit, by: User, rows: list[dict[str, Any]], *, status: str = "in_force"
) -> Submission:
    """Create a submission of these rows (each a dict of column key → value), all accepted, in force."""
    n = next(_serial)
    # Every key a row carries is a column of the list, as the catalogue would declare it.
    known = {c["key"] for c in ds.columns}
    extra = sorted({k for row in rows for k in row} - known)
    if extra:
        ds.columns = [*ds.columns, *({"key": k, "label": k, "type": "text"} for k in extra)]
        ds.save(update_fields=["columns"])
    version = Submission.objects.filter(dataset=ds, unit=unit).count() + 1
    sub = Submission.objects.create(
        dataset=ds,
        unit=unit,
        submitted_by=by,
        submitted_at=timezone.now(),
        method="intranet",
        version=version,
        status=status,
        sha256=hashlib.sha256(f"{ds.code}-{n}".encode()).hexdigest(),
        rows_total=len(rows),
        rows_accepted=len(rows),
        in_force_at=timezone.now() if status == "in_force" else None,
    )
    SubmissionRow.objects.bulk_create(
        SubmissionRow(
            submission=sub,
            row_number=i + 2,
            outcome="accepted",
            id_number=row.get("id_number", ""),
            name=row.get("name", ""),
            category=row.get("category", ""),
            data=row,
        )
        for i, row in enumerate(rows)
    )
    return sub
