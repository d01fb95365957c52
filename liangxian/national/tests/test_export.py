"""``export parquet`` writes each county's payments and enrolments where the jobs read them, logged and audited."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from liangxian.core.models import AccessLog, AuditEvent
from liangxian.national import jobs
from liangxian.national.export import export_parquet
from liangxian.national.jobs import JobError

from .fixtures import national_county

pytestmark = pytest.mark.django_db


def _read(folder: Path) -> pl.DataFrame:
    return pl.read_parquet(folder / "*.parquet")


def test_export_writes_the_partitions_with_the_right_rows(tmp_path: Path) -> None:
    county = national_county()
    result = export_parquet(out=tmp_path, by=county["tax"])
    assert result.counties == ["653123"] and result.county == "653123"
    assert result.payments == 3 and result.enrolments == county["entries"]
    payments = _read(tmp_path / "payments" / "county=653123").sort("voucher", nulls_last=True)
    assert payments.columns == list(jobs.PAYMENT_COLUMNS)
    assert payments["voucher"].to_list() == ["V1", "V2", None]
    # What reaches the treasury: the person's part and the government's 代缴 part on the same voucher.
    assert payments["amount_fen"].to_list() == [40000, 40000, 40000]
    assert str(payments["entry_date"][0]) == "2026-11-02" and payments["entry_date"][2] is None
    assert set(payments["township"].to_list()) == {"653123100"}
    enrolments = _read(tmp_path / "enrolments" / "county=653123")
    assert enrolments.columns == list(jobs.ENROLMENT_COLUMNS)
    assert enrolments.height == county["entries"]
    assert enrolments["province"].unique().to_list() == ["65"]
    assert enrolments["coverage_year"].unique().to_list() == [2027]
    assert enrolments["paid"].sum() == county["paid"] >= 2
    aygul = enrolments.filter(
        (pl.col("id_number") == county["people"]["aygul"].id_number) & (pl.col("insurance") == "medical")
    )
    assert aygul.row(0, named=True)["paid"] is True and aygul["paid_fen"][0] == 40000
    logged = AccessLog.objects.filter(action="export", duty="national_check")
    assert {(a.object_type, a.count) for a in logged} == {
        ("collection.payment", 3),
        ("roster.rosterentry", county["entries"]),
    }
    assert AuditEvent.objects.filter(action="national.export_parquet").count() == 1


def test_export_again_replaces_its_county_only(tmp_path: Path) -> None:
    county = national_county()
    other = tmp_path / "enrolments" / "county=110101"
    other.mkdir(parents=True)
    (other / "part-00000.parquet").write_bytes(b"another county's export")
    (tmp_path / "enrolments" / "county=653123").mkdir()
    (tmp_path / "enrolments" / "county=653123" / "part-00099.parquet").write_bytes(b"stale")
    export_parquet(out=tmp_path, by=county["tax"], page_rows=2)  # pages of two rows: several files per county
    files = sorted(p.name for p in (tmp_path / "enrolments" / "county=653123").iterdir())
    assert "part-00099.parquet" not in files and len(files) == (county["entries"] + 1) // 2
    assert (other / "part-00000.parquet").read_bytes() == b"another county's export"
    assert _read(tmp_path / "enrolments" / "county=653123").height == county["entries"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]


def test_export_is_refused_outside_duty_and_scope(tmp_path: Path) -> None:
    county = national_county()
    with pytest.raises(JobError) as staff:
        export_parquet(out=tmp_path, by=county["finance_staff"])
    assert staff.value.code == "forbidden"
    with pytest.raises(JobError) as scope:
        export_parquet(out=tmp_path, county="110101", by=county["tax"])
    assert scope.value.code == "out_of_scope"
    assert export_parquet(out=tmp_path, county="110101").payments == 0  # the system may export any county
    assert not AuditEvent.objects.filter(action="national.export_parquet", actor_id=county["tax"].pk).exists()
