"""Submitting lists, approving them and putting versions in force (Art 10-18)."""

from __future__ import annotations

import csv
import io
import sys
import types
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from liangxian.batch import frames as batch_frames
from liangxian.core import idnumbers, names
from liangxian.core.idnumbers import check_digit
from liangxian.core.models import AccessLog, AuditEvent
from liangxian.exchange import services
from liangxian.exchange.catalogue import catalogue_load
from liangxian.exchange.errors import DuplicateSubmission, ExchangeError
from liangxian.exchange.models import (
    Approval,
    ChangeKind,
    Submission,
    SubmissionRow,
    SubmissionStatus,
    VersionChange,
)
from liangxian.exchange.signals import identity_changes_reported
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 1)

# --- a stand-in for batch.readers / batch.frames, used only while those modules are not there --------------


@dataclass(frozen=True)
class _ColumnSpec:
    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    type: str = "text"


class _Unreadable(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class _ReadResult:
    frame: pl.DataFrame
    format: str
    encoding: str
    header_map: dict[str, str]
    unmatched_headers: list[str] = field(default_factory=list)
    header_row: int = 1
    blank_rows: int = 0


def _read_table(source: Any, *, filename: str, columns: Any, sheet: Any = 0) -> _ReadResult:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _Unreadable("unreadable", "无法识别的文件")
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or not filename.endswith(".csv"):
        raise _Unreadable("unreadable", "无法识别的文件")
    header = [h.strip() for h in lines[0]]
    lookup = {name: c.key for c in columns for name in (c.label, *c.synonyms)}
    header_map = {h: lookup[h] for h in header if h in lookup}
    missing = [c.label for c in columns if c.required and c.key not in header_map.values()]
    if missing:
        raise _Unreadable("missing_columns", "缺少必需的列：" + "、".join(missing))
    body = [(n, r) for n, r in enumerate(lines[1:], start=2) if any(cell.strip() for cell in r)]
    frame = pl.DataFrame(
        {
            "__row": [n for n, _ in body],
            **{key: [(r[header.index(h)].strip() or None) for _, r in body] for h, key in header_map.items()},
            "__original": [orjson.dumps(dict(zip(header, r, strict=False))).decode() for _, r in body],
        },
        schema_overrides={"__row": pl.Int64, **dict.fromkeys(header_map.values(), pl.String)},
    )
    for c in columns:
        if c.type == "id_number" and c.key in frame.columns:
            frame = frame.with_columns(pl.lit(False).alias(f"{c.key}__numeric"))
    return _ReadResult(frame, "csv", "utf-8", header_map, [], 1, len(lines) - 1 - len(body))


def _classify_ids(
    frame: pl.DataFrame, column: str, *, numeric_column: Any, today: date, known_areas: Any
) -> pl.DataFrame:
    numeric = frame[numeric_column].to_list() if numeric_column else [False] * frame.height
    res = [
        idnumbers.check_resident_id(v or "", today=today, from_numeric_cell=bool(n), known_areas=known_areas)
        for v, n in zip(frame[column].to_list(), numeric, strict=True)
    ]
    return frame.with_columns(
        pl.Series(f"{column}__value", [r.value for r in res], dtype=pl.String),
        pl.Series(f"{column}__outcome", [r.outcome for r in res], dtype=pl.String),
        pl.Series(f"{column}__codes", [list(r.reasons) for r in res], dtype=pl.List(pl.String)),
        pl.Series(f"{column}__warnings", [list(r.warnings) for r in res], dtype=pl.List(pl.String)),
    )


def _classify_names(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    res = [names.check_name(v or "") for v in frame[column].to_list()]
    return frame.with_columns(
        pl.Series(f"{column}__value", [r.canonical for r in res], dtype=pl.String),
        pl.Series(f"{column}__outcome", [r.outcome for r in res], dtype=pl.String),
        pl.Series(f"{column}__codes", [list(r.reasons) for r in res], dtype=pl.List(pl.String)),
    )


def install_standins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use batch.readers and batch.frames' classifiers when they exist, else the stand-ins above."""
    try:
        import liangxian.batch.readers  # noqa: F401
    except ImportError:
        module = types.ModuleType("liangxian.batch.readers")
        module.ColumnSpec = _ColumnSpec  # type: ignore[attr-defined]
        module.UnreadableFile = _Unreadable  # type: ignore[attr-defined]
        module.ReadResult = _ReadResult  # type: ignore[attr-defined]
        module.read_table = _read_table  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "liangxian.batch.readers", module)
    if not hasattr(batch_frames, "classify_ids"):
        monkeypatch.setattr(batch_frames, "classify_ids", _classify_ids, raising=False)
    if not hasattr(batch_frames, "classify_names"):
        monkeypatch.setattr(batch_frames, "classify_names", _classify_names, raising=False)


# --- fixtures -------------------------------------------------------------------------------------------------


def ident(n: int, born: str = "19800101") -> str:
    """Return a valid ID number of the county."""
    body = f"653123{born}{n:03d}"
    return body + check_digit(body)


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


DISABLED_HEADER = [
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "残疾证号",
    "残疾类别",
    "残疾等级",
    "乡镇",
    "村（社区）",
    "联系电话",
]


def disabled_row(n: int, name: str, grade: str = "二级", id_number: str | None = None) -> list[str]:
    return [
        str(n),
        name,
        "男",
        id_number or ident(n),
        f"{ident(n)}42",
        "肢体残疾",
        grade,
        "英吉沙镇",
        "一村",
        "13912345678",
    ]


@pytest.fixture
def county(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    install_standins(monkeypatch)
    f.county()
    catalogue_load()
    disabled_unit = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="disabled", code="dept-disabled")
    police_unit = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="police", code="dept-police")
    medical_unit = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="medical", code="dept-medical")
    return {
        "disabled": f.user(disabled_unit),
        "disabled_leader": f.user(disabled_unit, Role.LEADER),
        "police": f.user(police_unit),
        "medical": f.user(medical_unit),
        "publicity": f.department("publicity"),
    }


def submit_disabled(actor: Any, rows: list[list[str]], **kw: Any) -> Submission:
    return services.submission_submit(
        actor=actor,
        dataset="disabled_persons_federation.certified",
        source=csv_bytes(DISABLED_HEADER, rows),
        filename="残联名单.csv",
        today=TODAY,
        **kw,
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def approve_all(submission: Submission, users: dict[str, Any]) -> None:
    services.approval_record(actor=users["disabled"], submission=submission, stage="review")
    services.approval_record(
        actor=users["disabled_leader"],
        submission=submission,
        stage="leader_sign",
        scan=SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf"),
    )


# --- submitting -----------------------------------------------------------------------------------------------


def test_submit_classifies_every_row_and_counts_add_up(county: dict[str, Any]) -> None:
    # given a list with a clean row, a repairable one, a wrong check digit and a duplicate
    bad = ident(3)[:17] + ("1" if ident(3)[17] != "1" else "2")
    rows = [
        disabled_row(1, "王芳"),
        disabled_row(2, "阿卜杜拉•买买提"),
        disabled_row(3, "李四", id_number=bad),
        disabled_row(1, "王芳"),
    ]
    # when it is submitted
    s = submit_disabled(county["disabled"], rows)
    # then each row has its outcome, the counts add up and the list awaits approval
    assert (s.rows_total, s.rows_accepted, s.rows_repaired, s.rows_rejected) == (4, 1, 1, 2)
    assert s.status == SubmissionStatus.PENDING_APPROVAL
    outcomes = {
        r.row_number: (r.outcome, r.reasons, r.problem_column) for r in SubmissionRow.objects.filter(submission=s)
    }
    assert outcomes[3] == ("repaired", "姓名分隔符已统一", "姓名")
    assert outcomes[4] == ("rejected", "校验码错误", "身份证号码")
    assert outcomes[5] == ("rejected", "同一文件内重复", "身份证号码")
    assert AuditEvent.objects.filter(action="exchange.submission.submit", object_id=str(s.pk)).exists()


def test_same_file_twice_makes_no_second_version(county: dict[str, Any]) -> None:
    rows = [disabled_row(1, "王芳")]
    first = submit_disabled(county["disabled"], rows)
    with pytest.raises(DuplicateSubmission) as caught:
        submit_disabled(county["disabled"], rows)
    assert caught.value.existing.pk == first.pk
    assert Submission.objects.count() == 1


def test_unreadable_file_changes_nothing_and_says_why(county: dict[str, Any]) -> None:
    before = (Submission.objects.count(), SubmissionRow.objects.count())
    with pytest.raises(ExchangeError) as caught:
        services.submission_submit(
            actor=county["disabled"],
            dataset="disabled_persons_federation.certified",
            source=csv_bytes(["序号", "备注"], [["1", "x"]]),
            filename="x.csv",
        )
    assert caught.value.code == "missing_columns"
    assert "缺少必需的列" in caught.value.message
    assert (Submission.objects.count(), SubmissionRow.objects.count()) == before


def test_only_the_providing_department_submits(county: dict[str, Any]) -> None:
    with pytest.raises(ExchangeError) as caught:
        submit_disabled(county["publicity"], [disabled_row(1, "王芳")])
    assert caught.value.code == "not_provider"


def test_list_without_approval_is_in_force_at_once_and_applied(county: dict[str, Any]) -> None:
    header = ["户号", "姓名", "公民身份号码", "性别", "出生日期", "乡镇（街道）", "村（社区）", "户口状态"]
    rows = [["H1", "王芳", ident(1), "女", "1980-01-01", "英吉沙镇", "一村", "正常"]]
    s = services.submission_submit(
        actor=county["police"],
        dataset="public_security.household_register",
        source=csv_bytes(header, rows),
        filename="户籍.csv",
        today=TODAY,
    )
    assert s.status == SubmissionStatus.IN_FORCE
    assert s.in_force_at is not None


def test_register_gets_the_usable_rows_in_memory_as_it_would_read_them_back(county: dict[str, Any]) -> None:
    # given a register list with a clean row, a repaired name, a bad date, a rejected number and a duplicate
    from liangxian.exchange.signals import list_in_force
    from liangxian.registry import frames as registry_frames
    from liangxian.registry.services import _submission_rows

    header = ["户号", "姓名", "公民身份号码", "性别", "出生日期", "乡镇（街道）", "村（社区）", "户口状态", "联系电话"]
    bad = ident(3)[:17] + ("1" if ident(3)[17] != "1" else "2")
    rows = [
        ["H1", "王芳", ident(1), "女", "1980/1/1", "英吉沙镇", "一村", "正常", "139 1234 5678"],
        ["H1", "阿卜杜拉•买买提", ident(2), "男", "19810203", "英吉沙镇", "一村", "正常", ""],
        ["H2", "李四", bad, "男", "1982-01-01", "英吉沙镇", "二村", "正常", ""],
        ["H3", "赵六", ident(4), "男", "not a date", "英吉沙镇", "二村", "正常", "12"],
        ["H1", "王芳", ident(1), "女", "1980-01-01", "英吉沙镇", "一村", "正常", ""],
    ]
    handed: list[Any] = []

    def spy(sender: object, **kwargs: Any) -> None:
        handed.append(kwargs.get("rows"))

    list_in_force.connect(spy, dispatch_uid="test.spy")
    try:
        # when it is submitted and put in force at once
        s = services.submission_submit(
            actor=county["police"],
            dataset="public_security.household_register",
            source=csv_bytes(header, rows),
            filename="户籍.csv",
            today=TODAY,
        )
    finally:
        list_in_force.disconnect(dispatch_uid="test.spy")
    # then the register got the accepted and repaired rows from memory, the same as the stored ones read back
    assert s.status == SubmissionStatus.IN_FORCE and len(handed) == 1
    given = handed[0]
    assert isinstance(given, pl.DataFrame)
    stored = SubmissionRow.objects.filter(submission=s, outcome__in=["accepted", "repaired"]).count()
    assert given.height == stored == s.rows_accepted + s.rows_repaired == 2
    keys = [c["key"] for c in s.dataset.columns]
    expected = registry_frames.list_frame(_submission_rows(s.pk, keys, "default"), keys)
    assert registry_frames.list_frame(given, keys).equals(expected)


# --- approval -------------------------------------------------------------------------------------------------


def test_stages_go_in_order_and_the_last_puts_the_list_in_force(county: dict[str, Any]) -> None:
    s = submit_disabled(county["disabled"], [disabled_row(1, "王芳")])
    scan = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")
    # a later stage cannot act before an earlier one
    with pytest.raises(ExchangeError) as early:
        services.approval_record(actor=county["disabled_leader"], submission=s, stage="leader_sign", scan=scan)
    assert early.value.code == "stage_out_of_order"
    approve_all(s, county)
    s.refresh_from_db()
    assert s.status == SubmissionStatus.IN_FORCE
    signed = Approval.objects.get(submission=s, stage="leader_sign")
    assert signed.scan_content_type == "application/pdf" and len(signed.scan_sha256) == 64


def test_scan_checked_by_content_not_name(county: dict[str, Any]) -> None:
    s = submit_disabled(county["disabled"], [disabled_row(1, "王芳")])
    services.approval_record(actor=county["disabled"], submission=s, stage="review")
    fake = SimpleUploadedFile("signed.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ExchangeError) as caught:
        services.approval_record(actor=county["disabled_leader"], submission=s, stage="leader_sign", scan=fake)
    assert caught.value.code == "scan_type"
    with pytest.raises(ExchangeError) as missing:
        services.approval_record(actor=county["disabled_leader"], submission=s, stage="leader_sign")
    assert missing.value.code == "scan_required"


def test_staff_cannot_sign_for_the_leader(county: dict[str, Any]) -> None:
    s = submit_disabled(county["disabled"], [disabled_row(1, "王芳")])
    services.approval_record(actor=county["disabled"], submission=s, stage="review")
    scan = SimpleUploadedFile("s.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    with pytest.raises(ExchangeError) as caught:
        services.approval_record(actor=county["disabled"], submission=s, stage="leader_sign", scan=scan)
    assert caught.value.code == "not_allowed"


# --- versions -------------------------------------------------------------------------------------------------


def test_new_version_records_added_removed_and_changed_fields(county: dict[str, Any]) -> None:
    v1 = submit_disabled(county["disabled"], [disabled_row(1, "王芳"), disabled_row(2, "李四")])
    approve_all(v1, county)
    v2 = submit_disabled(county["disabled"], [disabled_row(1, "王芳", grade="一级"), disabled_row(3, "张三")])
    kinds = {(c.kind, c.id_number): c.fields for c in VersionChange.objects.filter(submission=v2)}
    assert kinds[(ChangeKind.CHANGED, ident(1))] == {"disability_grade": ["二级", "一级"]}
    assert (ChangeKind.ADDED, ident(3)) in kinds
    assert (ChangeKind.REMOVED, ident(2)) in kinds
    assert v2.previous_id == v1.pk and v2.version == 2


@pytest.mark.parametrize("scheme", ["same", "older"])
def test_the_difference_is_the_same_by_digests_or_by_values(county: dict[str, Any], scheme: str) -> None:
    from liangxian.exchange.services import DIGEST_SCHEME, submission_diff

    v1 = submit_disabled(
        county["disabled"], [disabled_row(1, "王芳"), disabled_row(2, "李四"), disabled_row(4, "赵六")]
    )
    approve_all(v1, county)
    assert v1.digest_scheme == DIGEST_SCHEME
    assert not SubmissionRow.objects.filter(submission=v1, outcome__in=["accepted", "repaired"], digest=None).exists()
    if scheme == "older":  # v1 made by another release: its digests are not compared, its values are
        Submission.objects.filter(pk=v1.pk).update(digest_scheme="polars-0.0-old")
        SubmissionRow.objects.filter(submission=v1).update(digest=0)
        v1.refresh_from_db()
    rows = [disabled_row(1, "王芳", grade="一级"), disabled_row(3, "张三"), disabled_row(4, "赵六")]
    v2 = submit_disabled(county["disabled"], rows)
    expected = {
        (ChangeKind.CHANGED, ident(1)): {"disability_grade": ["二级", "一级"]},
        (ChangeKind.ADDED, ident(3)): {},
        (ChangeKind.REMOVED, ident(2)): {},
    }
    assert {(c.kind, c.id_number): c.fields for c in VersionChange.objects.filter(submission=v2)} == expected
    assert submission_diff(submission=v2, previous=v1) == {"changed": 1, "added": 1, "removed": 1}


def test_identity_changes_signal_when_an_approved_list_changes(
    county: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, submission: Submission, changes: Any, **kw: Any) -> None:
        received.append({"submission": submission.pk, "kinds": sorted(c.kind for c in changes)})

    identity_changes_reported.connect(receiver, dispatch_uid="test-receiver")
    try:
        v1 = submit_disabled(county["disabled"], [disabled_row(1, "王芳")])
        with django_capture_on_commit_callbacks(execute=True):
            approve_all(v1, county)
        assert received == []  # a first version replaces nothing
        v2 = submit_disabled(county["disabled"], [disabled_row(1, "王芳", grade="一级"), disabled_row(2, "李四")])
        with django_capture_on_commit_callbacks(execute=True):
            approve_all(v2, county)
    finally:
        identity_changes_reported.disconnect(dispatch_uid="test-receiver")
    assert received == [{"submission": v2.pk, "kinds": ["added", "changed"]}]
    v1.refresh_from_db()
    assert v1.status == SubmissionStatus.SUPERSEDED


def test_reading_rows_is_logged_with_its_duty(county: dict[str, Any]) -> None:
    from liangxian.core.scope import Actor
    from liangxian.exchange import selectors

    s = submit_disabled(county["disabled"], [disabled_row(1, "王芳")])
    medical = Actor.of(county["medical"])
    assert list(selectors.rows(medical, s).values_list("id_number", flat=True)) == [ident(1)]
    log = AccessLog.objects.filter(object_type=selectors.ROWS_OBJECT).latest("at")
    assert log.duty == "enrolment" and log.object_ids == [str(s.pk)]
    publicity = Actor.of(county["publicity"])
    with pytest.raises(Exception):  # noqa: B017 - ScopeError: publicity's duty does not use this list
        selectors.rows(publicity, s)
