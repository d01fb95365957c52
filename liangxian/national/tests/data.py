"""Small Parquet datasets as ``export parquet`` writes them, with known duplicates and every kind of difference."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from liangxian.national.jobs import ENROLMENT_COLUMNS, PAYMENT_COLUMNS

__all__ = ["ENROLMENT_COLUMNS", "PAYMENT_COLUMNS"]

A = "653123"  # 英吉沙县, Xinjiang
B = "653124"  # 莎车县, Xinjiang
C = "110101"  # 东城区, Beijing
ID_1 = "653123198001010011"
ID_2 = "653123199002020022"
ID_3 = "653123200003030033"
ID_4 = "653123196004040044"


def _write(
    folder: Path, name: str, county: str, rows: list[dict[str, object]], columns: dict[str, pa.DataType]
) -> None:
    target = folder / name / f"county={county}"
    target.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=pa.schema(columns.items()))
    pq.write_table(table, target / "part-00000.parquet")


def enrolments(folder: Path) -> Path:
    """ID_1 paid medical in A and C (two provinces); ID_2 paid pension in A and B; ID_3 enrolled in B and C but
    paid only in C (no duplicate); ID_4 paid in A for 2027 and in B for 2026 (another year: no duplicate)."""

    def row(id_number: str, county: str, *, insurance: str = "medical", year: int = 2027, paid: bool = True):
        return {"id_number": id_number, "insurance": insurance, "coverage_year": year, "province": county[:2],
                "paid": paid, "paid_fen": 40000 if paid else 0}  # fmt: skip

    _write(folder, "enrolments", A, [row(ID_1, A), row(ID_2, A, insurance="pension"), row(ID_4, A)], ENROLMENT_COLUMNS)
    _write(
        folder,
        "enrolments",
        B,
        [row(ID_2, B, insurance="pension"), row(ID_3, B, paid=False), row(ID_4, B, year=2026)],
        ENROLMENT_COLUMNS,
    )
    _write(folder, "enrolments", C, [row(ID_1, C), row(ID_3, C)], ENROLMENT_COLUMNS)
    return folder


def payments_and_statement(folder: Path) -> tuple[Path, Path]:
    """Our payments of county A and the statement, with each kind of difference on one voucher:

    V1 matches (two lines of a 代缴 batch against one statement line); V2 has another amount; V3 another date;
    V4 is ours only; V9 is on the statement only; V5's reversal is on our side only; V6 has no voucher yet.
    """
    day = date(2026, 11, 2)

    def pay(voucher: str | None, amount: int, *, entry: date | None = day, kind: str = "payment"):
        return {"voucher": voucher, "entry_date": entry, "amount_fen": amount, "insurance": "medical",
                "id_number": ID_1, "coverage_year": 2027, "kind": kind, "township": A + "100"}  # fmt: skip

    ours = [
        pay("V1", 20000),
        pay("V1", 20000),
        pay("V2", 40000),
        pay("V3", 40000),
        pay("V4", 40000),
        pay("V5", 40000),
        pay("V5", -40000, kind="reversal"),
        pay(None, 40000, entry=None),
    ]
    _write(folder, "payments", A, ours, PAYMENT_COLUMNS)
    lines = [
        ("V1", day, 40000),
        ("V2", day, 39000),
        ("V3", date(2026, 11, 3), 40000),
        ("V5", day, 40000),
        ("V9", day, 40000),
    ]
    statement = pa.Table.from_pylist(
        [{"voucher": v, "entry_date": d, "amount_fen": a, "insurance": "medical"} for v, d, a in lines],
        schema=pa.schema(
            [
                ("voucher", pa.string()),
                ("entry_date", pa.date32()),
                ("amount_fen", pa.int64()),
                ("insurance", pa.string()),
            ]
        ),
    )
    path = folder / "statement.parquet"
    pq.write_table(statement, path)
    return folder / "payments", path
