"""``export parquet``: a county's payments and enrolments as Parquet partitioned by county, for the national jobs.

Each county sends its export to where the national jobs run; the folders gather there side by side::

    OUT/payments/county=653123/part-00000.parquet     voucher, entry_date, amount_fen, insurance, id_number, …
    OUT/enrolments/county=653123/part-00000.parquet   id_number, insurance, coverage_year, province, paid, paid_fen

The rows are read in keyset pages (``id > last ORDER BY id LIMIT n``) through :func:`batch.bulk.read_frame`, so
memory stays bounded by one page whatever the county's size; each page is written as it comes, one file per
county and page. A county's folders are written aside and put in place only when all its rows are written: a
failed export leaves the last good one, and exporting a county again replaces its folders, never another
county's.

The amount that reaches the treasury is ``amount_fen + other_fen``: the person's part and the other payer's
(the 代缴 batch from finance) go in on the same voucher; the subsidy does not pass through the treasury line.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection

from liangxian.batch.bulk import read_frame
from liangxian.core.access import access_log
from liangxian.core.audit import audit_record
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.org.models import User

from .jobs import ENROLMENT_COLUMNS, PAYMENT_COLUMNS, JobError

PAGE_ROWS = 200_000
DUTY = "national_check"

_PAYMENT_SCHEMA = {
    "id": pl.Int64,
    "voucher": pl.String,
    "entry_date": pl.Date,
    "amount_fen": pl.Int64,
    "insurance": pl.String,
    "id_number": pl.String,
    "coverage_year": pl.Int32,
    "kind": pl.String,
    "township": pl.String,
}
_ENROLMENT_SCHEMA = {
    "id": pl.Int64,
    "id_number": pl.String,
    "insurance": pl.String,
    "coverage_year": pl.Int32,
    "township": pl.String,
    "paid": pl.Int64,
    "paid_fen": pl.Int64,
}


@dataclass
class ExportResult:
    out: Path
    county: str
    payments: int = 0
    enrolments: int = 0
    files: int = 0
    counties: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "county": self.county,
            "payments": self.payments,
            "enrolments": self.enrolments,
            "files": self.files,
            "counties": self.counties,
            "seconds": round(self.seconds, 3),
        }


def system_actor() -> Actor:
    """The actor of a scheduled run with no signed-in user."""
    return Actor(user_id=None, unit_code="", unit_kind="", department="", role="", division_code="")


def may_run(user: User | None) -> bool:
    """Whether the user may export and run the jobs across counties: tax, a department's principal leader, admin.

    None is the system itself (a scheduled run from the command line).
    """
    if user is None or user.is_superuser:
        return True
    unit = user.unit
    return unit is not None and unit.kind == "department" and (unit.department == "tax" or user.role == "leader")


def export_parquet(*, out: Path, county: str = "", by: User | None = None, page_rows: int = PAGE_ROWS) -> ExportResult:
    """Write the payments and enrolments (of one county, or all on record) as Parquet under ``out``."""
    if not may_run(by):
        raise JobError("forbidden", "exporting for the national checks is not within your unit's duty")
    if by is not None and not by.is_superuser:
        own = (by.unit.division_id if by.unit else "")[:6]
        if county and county != own:
            raise JobError("out_of_scope", f"county {county} is not your unit's county")
        county = own
    if county and not (county.isdigit() and len(county) == 6):
        raise JobError("bad_county", f"a county code has 6 digits, not {county!r}")
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    result = ExportResult(out=out, county=county)
    written: set[tuple[str, str]] = set()
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out) as tmp:
        staging = Path(tmp)
        for name, page in (("payments", _payment_pages), ("enrolments", _enrolment_pages)):
            columns = list(PAYMENT_COLUMNS if name == "payments" else ENROLMENT_COLUMNS)
            for number, frame in enumerate(page(county, page_rows)):
                rows = frame.height
                setattr(result, name, getattr(result, name) + rows)
                for (code,), part in frame.partition_by("county", as_dict=True).items():
                    folder = staging / name / f"county={code}"
                    folder.mkdir(parents=True, exist_ok=True)
                    part.select(columns).write_parquet(folder / f"part-{number:05d}.parquet", statistics=True)
                    written.add((name, str(code)))
                    result.files += 1
        # Put each county's folders in place; a county asked for but with no rows loses its old folders too.
        replace = set(written) | ({("payments", county), ("enrolments", county)} if county else set())
        for name, code in sorted(replace):
            target = out / name / f"county={code}"
            if target.exists():
                shutil.rmtree(target)
            source = staging / name / f"county={code}"
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                source.rename(target)
    result.counties = sorted({code for _name, code in written})
    result.seconds = time.perf_counter() - started
    actor = Actor.of(by) if by is not None else system_actor()
    for name, count in (("collection.payment", result.payments), ("roster.rosterentry", result.enrolments)):
        access_log(
            actor=actor,
            action=AccessAction.EXPORT,
            object_type=name,
            count=count,
            duty=DUTY,
            query=f"export parquet county={county or 'all'} out={out}",
            channel="cli",
        )
    audit_record(
        actor=by,
        action="national.export_parquet",
        object_type="national.export",
        object_id=str(out)[:100],
        payload=result.as_dict(),
    )
    return result


def _county_column(frame: pl.DataFrame) -> pl.DataFrame:
    """The county (the township code's first six digits, or this system's county) and its province."""
    own = str(getattr(settings, "LIANGXIAN_COUNTY_CODE", "") or "000000")
    county = (
        pl.when(pl.col("township").str.len_chars() >= 6).then(pl.col("township").str.slice(0, 6)).otherwise(pl.lit(own))
    )
    return frame.with_columns(county.alias("county")).with_columns(pl.col("county").str.slice(0, 2).alias("province"))


def _where_county(column: str, county: str) -> tuple[str, list[Any]]:
    if not county:
        return "", []
    return f" AND {column} >= %s AND {column} < %s", [county, county + ":"]


def _pages(sql: str, params: list[Any], schema: dict[str, Any], page_rows: int) -> Any:
    """Keyset pages of the query (its first parameter the last id seen, its last the page size)."""
    last = 0
    while True:
        frame = read_frame(sql, [last, *params, page_rows], schema=schema)
        if frame.is_empty():
            return
        last = int(frame["id"].max())  # type: ignore[arg-type]
        yield frame
        if frame.height < page_rows:
            return


def _payment_pages(county: str, page_rows: int) -> Any:
    where, params = _where_county("township_code", county)
    entry_date = "CAST(treasury_date AS TEXT)"
    sql = (
        "SELECT id, NULLIF(etax_voucher, '') AS voucher, "  # noqa: S608 - the filter is ours, the values are params
        f"{entry_date} AS entry_date, amount_fen + other_fen AS amount_fen, insurance, id_number, coverage_year, "
        f"kind, township_code FROM collection_payment WHERE id > %s{where} ORDER BY id LIMIT %s"
    )
    for frame in _pages(sql, params, _PAYMENT_SCHEMA, page_rows):
        yield _county_column(frame)


def _enrolment_pages(county: str, page_rows: int) -> Any:
    where, params = _where_county("e.township_code", county)
    # Each page is an index walk over the entries' primary key with three primary-key probes per row (the person's
    # ID number, the campaign's year, the settlement): bounded by the page, never a join of whole tables.
    true = "TRUE" if connection.vendor == "postgresql" else "1"
    sql = (
        "SELECT e.id, p.id_number, e.insurance, c.coverage_year, e.township_code, "  # noqa: S608 - params only
        f"CASE WHEN s.paid = {true} THEN 1 ELSE 0 END AS paid, "
        "COALESCE(s.own_paid_fen, 0) + COALESCE(s.gov_paid_fen, 0) AS paid_fen "
        "FROM roster_rosterentry e "
        "JOIN registry_person p ON p.id = e.person_id "
        "JOIN campaigns_campaign c ON c.id = e.campaign_id "
        "LEFT JOIN collection_entrysettlement s ON s.entry_id = e.id "
        f"WHERE e.id > %s{where} ORDER BY e.id LIMIT %s"
    )
    for frame in _pages(sql, params, _ENROLMENT_SCHEMA, page_rows):
        yield _county_column(frame).with_columns(pl.col("paid") == 1)
