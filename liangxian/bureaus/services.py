"""Every write of the bureaus app: the monthly report (Art 36), notes on its differences, the daily detail (Art 37).

Each write is one transaction with its audit row. A report file is read as text, every row classified in
frames and loaded in bulk; a file that cannot be read, or has no usable row, changes nothing, and the same file
twice answers with the first import. The daily detail writes one xlsx and one csv per insurance type and day.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import bulk_insert, read_frame
from liangxian.batch.readers import UnreadableFile, read_table
from liangxian.collection.models import Payment
from liangxian.core.audit import audit_record
from liangxian.core.models import Division
from liangxian.exchange.exports import safe_workbook
from liangxian.obligations.models import ObligationRule
from liangxian.obligations.services import obligation_fulfil, obligation_raise
from liangxian.org.models import Department, Unit, UnitKind

from . import frames
from .models import (
    BUREAU_INSURANCE,
    INSURANCE_BUREAU,
    Bureau,
    DailyFile,
    DifferenceNote,
    FileFormat,
    MonthlyReport,
    ReportRow,
    ReportSource,
)

if TYPE_CHECKING:
    from liangxian.org.models import User

REPORT_RULE = "monthly.report"
DAILY_RULE = "receipts.daily_detail"
FORMULA_START = r"^[=+\-@\t\r]"


class BureausError(Exception):
    """A report, note or daily detail that cannot be made as asked; ``code`` says why, ``message`` to the clerk."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


FORBIDDEN_CODES = frozenset({"not_your_bureau", "not_tax", "out_of_scope"})


# ------------------------------------------------------------------------------------------------ who may


def department_of(user: User) -> str:
    """Return the county department the user acts for, or "" for none."""
    unit = user.unit
    return unit.department if unit is not None and unit.kind == UnitKind.DEPARTMENT else ""


def is_tax(user: User) -> bool:
    return bool(user.is_superuser or department_of(user) == Department.TAX)


def visible_insurances(user: User) -> list[str]:
    """Return the insurance types whose figures and daily files the user's duty reaches: tax both, a bureau its own."""
    if is_tax(user):
        return list(INSURANCE_BUREAU)
    bureau = department_of(user)
    return [BUREAU_INSURANCE[bureau]] if bureau in BUREAU_INSURANCE else []


def may_report(user: User, bureau: str) -> bool:
    """Tell whether the user may give (or enter for) a bureau's monthly report: the bureau itself, or tax."""
    return is_tax(user) or department_of(user) == bureau


def _check_month(month: str) -> tuple[int, int]:
    try:
        year, mon = (int(part) for part in month.split("-"))
        date(year, mon, 1)
    except (ValueError, TypeError) as exc:
        raise BureausError("bad_month", _("Give the month as YYYY-MM.")) from exc
    return year, mon


def month_bounds(month: str) -> tuple[date, date]:
    """Return the first and the last day of a month given as YYYY-MM."""
    year, mon = _check_month(month)
    first = date(year, mon, 1)
    nxt = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def townships() -> dict[str, str]:
    """Return the county's townships, code to name."""
    county = settings.LIANGXIAN_COUNTY_CODE
    return dict(
        Division.objects.filter(level="township", code__startswith=county).order_by("code").values_list("code", "name")
    )


# ------------------------------------------------------------------------------------------- the report


@dataclass
class ImportResult:
    report: MonthlyReport
    repeated: bool = False


def report_import(
    *, by: User, bureau: str, month: str, filename: str, data: bytes, at: datetime | None = None
) -> ImportResult:
    """Import a bureau's monthly report from its csv or xlsx file (Art 36); the same file twice is the first import.

    ``at`` records another moment of receipt than now (the demo's history).
    """
    _check_report(by, bureau, month)
    sha = hashlib.sha256(data).hexdigest()
    found = MonthlyReport.objects.filter(bureau=bureau, month=month, sha256=sha).first()
    if found is not None:
        return ImportResult(found, repeated=True)
    try:
        read = read_table(data, filename=filename, columns=frames.REPORT_COLUMNS)
    except UnreadableFile as exc:
        raise BureausError(f"unreadable_{exc.code}", exc.message) from exc
    return _report_save(by, bureau, month, ReportSource.FILE, filename, sha, read.frame, at)


def report_enter(
    *, by: User, bureau: str, month: str, lines: list[dict[str, str | None]], at: datetime | None = None
) -> ImportResult:
    """Record a bureau's monthly report entered on the form: lines of township and the figures as typed (Art 36)."""
    _check_report(by, bureau, month)
    keys = [c.key for c in frames.REPORT_COLUMNS]
    kept = [{k: (str(line.get(k) or "").strip() or None) for k in keys} for line in lines]
    kept = [line for line in kept if any(line[k] for k in keys if k not in ("insurance", "township"))]
    if not kept:
        raise BureausError("no_rows", _("Enter at least one line of figures."))
    frame = pl.DataFrame(kept, schema=dict.fromkeys(keys, pl.String)).with_columns(
        pl.int_range(1, len(kept) + 1).alias("__row"),
        pl.Series("__original", [orjson.dumps(line).decode() for line in kept]),
    )
    sha = hashlib.sha256(orjson.dumps(kept)).hexdigest()
    found = MonthlyReport.objects.filter(bureau=bureau, month=month, sha256=sha).first()
    if found is not None:
        return ImportResult(found, repeated=True)
    return _report_save(by, bureau, month, ReportSource.FORM, "", sha, frame, at)


def _check_report(by: User, bureau: str, month: str) -> None:
    if bureau not in Bureau.values:
        raise BureausError("bad_bureau", _("The bureau is medical or social."))
    _check_month(month)
    if not may_report(by, bureau):
        raise BureausError("not_your_bureau", _("Only the bureau itself or tax may give this bureau's monthly report."))


def _report_save(
    by: User,
    bureau: str,
    month: str,
    source: str,
    filename: str,
    sha: str,
    frame: pl.DataFrame,
    at: datetime | None = None,
) -> ImportResult:
    insurance = BUREAU_INSURANCE[bureau]
    cleaned = frames.report_clean(
        frame, insurance=insurance, townships=townships(), insurance_label=frames.INSURANCE_LABELS[insurance]
    )
    if "__original" in frame.columns:
        cleaned = cleaned.join(
            frame.select(pl.col("__row").cast(pl.Int64).alias("row"), pl.col("__original").alias("original")),
            on="row",
            how="left",
        )
    else:
        cleaned = cleaned.with_columns(pl.lit("{}").alias("original"))
    counts = {o: cleaned.filter(pl.col("outcome") == o).height for o in ("accepted", "repaired", "rejected")}
    if counts["accepted"] + counts["repaired"] == 0:
        reasons = "；".join(f"第{r}行：{why}" for r, why in cleaned.head(5).select("row", "reasons").iter_rows())
        raise BureausError("no_rows", _("The report has no usable row: %(reasons)s") % {"reasons": reasons})
    now = at or timezone.now()
    try:
        with transaction.atomic():
            MonthlyReport.objects.select_for_update().filter(bureau=bureau, month=month, current=True).update(
                current=False
            )
            report = MonthlyReport.objects.create(
                bureau=bureau,
                month=month,
                source=source,
                filename=filename[:200],
                sha256=sha,
                counts=counts,
                current=True,
                entered_by=by,
                entered_at=now,
            )
            bulk_insert(
                ReportRow,
                cleaned.select(
                    pl.lit(report.pk, dtype=pl.Int64).alias("report_id"),
                    "row",
                    "outcome",
                    pl.col("reasons").str.slice(0, 500),
                    "insurance",
                    "township_code",
                    "persons",
                    "amount_fen",
                    "refund_persons",
                    "refund_fen",
                    pl.col("original").fill_null("{}"),
                ),
            )
            audit_record(
                actor=by,
                action="bureaus.report.import",
                obj=report,
                payload={"bureau": bureau, "month": month, "source": source, "sha256": sha, "counts": counts},
            )
            _report_obligation_fulfil(by, report)
    except IntegrityError:
        found = MonthlyReport.objects.filter(bureau=bureau, month=month, sha256=sha).first()
        if found is None:
            raise
        return ImportResult(found, repeated=True)
    return ImportResult(report)


def _report_obligation_fulfil(by: User, report: MonthlyReport) -> None:
    """Meet the bureau's monthly-report obligation for the month (Art 36: month end + 5 working days)."""
    unit = Unit.objects.filter(kind=UnitKind.DEPARTMENT, department=report.bureau, active=True).order_by("code").first()
    if unit is None:
        return
    obligation_fulfil(
        rule_code=REPORT_RULE,
        unit=unit,
        ref=f"bureaus.report:{report.pk}",
        label=_("Monthly report of %(month)s received") % {"month": report.month},
        at=report.entered_at,
        actor=by,
        period=report.month,
    )


def difference_note_set(*, by: User, month: str, insurance: str, township_code: str, note: str) -> DifferenceNote:
    """Record a note on one difference of the month (Art 36: the analysis of the cause)."""
    _check_month(month)
    note = note.strip()
    if insurance not in visible_insurances(by):
        raise BureausError("out_of_scope", _("This insurance type is not within your unit's duty."))
    if not note:
        raise BureausError("note_required", _("Write the note."))
    with transaction.atomic():
        saved = DifferenceNote.objects.create(
            month=month,
            insurance=insurance,
            township_code=township_code[:12],
            note=note[:4000],
            written_by=by,
            written_at=timezone.now(),
        )
        audit_record(
            actor=by,
            action="bureaus.difference.note",
            obj=saved,
            payload={"month": month, "insurance": insurance, "township": township_code, "note": note[:4000]},
        )
    return saved


# ------------------------------------------------------------------------------------------ daily detail


@dataclass
class DayResult:
    day: date
    files: list[DailyFile] = field(default_factory=list)
    skipped: bool = False  # already sent, not forced
    empty: bool = False  # no receipts that day


def local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def payments_between(start: date, end: date) -> tuple[str, list[Any]]:
    """SQL and parameters of the payment ids paid from the local start of ``start`` up to that of ``end``."""
    sql, params = (
        Payment.objects.filter(paid_at__gte=local_start(start), paid_at__lt=local_start(end))
        .values_list("pk")
        .query.sql_with_params()
    )
    return sql, list(params)


def days_with_receipts(start: date, end: date) -> list[date]:
    """Return the local days from ``start`` through ``end`` on which any payment, refund or reversal was made."""
    if end < start:
        return []
    sub, params = payments_between(start, end + timedelta(days=1))
    frame = read_frame(
        f"SELECT CAST(paid_at AS TEXT) FROM collection_payment WHERE id IN ({sub})",  # noqa: S608
        params,
        schema={"paid_at": pl.String},
    )
    days = frame.select(frames.local_day(pl.col("paid_at"), settings.TIME_ZONE).unique().sort())
    return list(days.get_column("paid_at"))


def first_receipt_day() -> date | None:
    first = Payment.objects.order_by("paid_at").values_list("paid_at", flat=True).first()
    return timezone.localdate(first) if first else None


def day_payments(day: date) -> pl.DataFrame:
    """Read a day's payments with their original's transaction number, as ``frames.DAILY_SCHEMA``."""
    sub, params = payments_between(day, day + timedelta(days=1))
    # ``sub`` is the ORM's own SQL for the day's payment ids; its values are parameters.
    columns = (
        "p.id, p.id_number, p.name, p.insurance, p.coverage_year, p.tier_fen, p.amount_fen, p.subsidy_fen,"
        " p.other_fen, p.channel, p.txn_no, p.etax_voucher, CAST(p.paid_at AS TEXT), p.kind, o.txn_no"
    )
    joined = "collection_payment p LEFT JOIN collection_payment o ON o.id = p.original_id"
    sql = f"SELECT {columns} FROM {joined} WHERE p.id IN ({sub})"  # noqa: S608
    return read_frame(
        sql,
        params,
        schema=frames.DAILY_SCHEMA,
    )


def _escape(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Put an apostrophe before a text cell a spreadsheet would read as a formula."""
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in columns
    )


def _xlsx_bytes(rows: pl.DataFrame, title: str) -> bytes:
    buffer = io.BytesIO()
    book = safe_workbook(buffer, in_memory=True)
    book.set_properties({"title": title, "author": "liangxian"})
    sheet = book.add_worksheet("缴费明细")
    for col, name in enumerate(frames.DAILY_HEADERS):
        sheet.write_string(0, col, name)
    for r, values in enumerate(rows.iter_rows(), start=1):
        for col, value in enumerate(values):
            sheet.write_string(r, col, value)
    book.close()
    return buffer.getvalue()


def _csv_bytes(rows: pl.DataFrame) -> bytes:
    return b"\xef\xbb\xbf" + rows.write_csv(quote_style="necessary").encode("utf-8")


def _tax_unit() -> Unit | None:
    return (
        Unit.objects.filter(kind=UnitKind.DEPARTMENT, department=Department.TAX, active=True).order_by("code").first()
    )


def _daily_obligation(day: date, by: User | None, *, fulfil: bool, at: datetime | None = None) -> None:
    """Raise tax's obligation to send the day's detail (next day, Art 37) and, once sent, fulfil it."""
    unit = _tax_unit()
    if unit is None or not ObligationRule.objects.filter(code=DAILY_RULE).exists():
        return  # the obligation rules are not loaded (a bare test database): the daily files still show
    obligation_raise(
        rule_code=DAILY_RULE,
        unit=unit,
        event_date=day,
        subject="",
        subject_label=_("Detail of receipts of %(day)s to the bureaus") % {"day": day.isoformat()},
        actor=by,
    )
    if fulfil:
        obligation_fulfil(
            rule_code=DAILY_RULE,
            unit=unit,
            ref=f"bureaus.daily:{day.isoformat()}",
            label=_("Daily detail files generated"),
            at=at,
            actor=by,
            period=day.isoformat(),
            subject="",
        )


def daily_file_name(f: DailyFile) -> str:
    """The name a daily file is downloaded under."""
    return f"{f.day:%Y%m%d}_{frames.INSURANCE_LABELS.get(f.insurance, f.insurance)}_缴费明细.{f.format}"


def daily_detail_generate(*, by: User | None, day: date, force: bool = False, at: datetime | None = None) -> DayResult:
    """Write the day's receipts as one xlsx and one csv per insurance type for its bureau (Art 37).

    A day already sent is not sent again unless forced; forcing makes a new generation and keeps the old one.
    ``at`` records another moment of generation than now (the demo's history of mornings).
    """
    if by is not None and not is_tax(by):
        raise BureausError("not_tax", _("Only tax generates the daily detail."))
    if day >= timezone.localdate():
        raise BureausError("day_not_over", _("A day's detail is made once the day is over."))
    existing = list(DailyFile.objects.filter(day=day, current=True))
    if existing and not force:
        return DayResult(day, files=existing, skipped=True)
    payments = day_payments(day)
    if payments.is_empty():
        return DayResult(day, empty=True)
    tz = settings.TIME_ZONE
    made: list[tuple[str, str, bytes, int, int]] = []
    for (insurance,), part in payments.partition_by("insurance", as_dict=True, maintain_order=False).items():
        rows = frames.daily_rows(part, tz)
        total = int(rows.get_column("total_fen").sum())
        rows = _escape(rows.drop("total_fen"), ["身份证号码", "姓名", "交易流水号", "电子税票号", "原交易流水号"])
        label = frames.INSURANCE_LABELS.get(str(insurance), str(insurance))
        made.append((str(insurance), FileFormat.XLSX, _xlsx_bytes(rows, f"{day} {label}"), rows.height, total))
        made.append((str(insurance), FileFormat.CSV, _csv_bytes(rows), rows.height, total))
    now = at or timezone.now()
    folder = Path(settings.MEDIA_ROOT) / "bureaus" / "daily" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with transaction.atomic():
            previous = {
                (f.insurance, f.format): f.generation
                for f in DailyFile.objects.select_for_update().filter(day=day).order_by("generation")
            }
            if not force and DailyFile.objects.filter(day=day, current=True).exists():
                return DayResult(day, files=list(DailyFile.objects.filter(day=day, current=True)), skipped=True)
            DailyFile.objects.filter(day=day, current=True).update(current=False)
            records = []
            for insurance, fmt, content, n, total in sorted(made):
                generation = previous.get((insurance, fmt), 0) + 1
                relative = f"bureaus/daily/{day.isoformat()}/{insurance}-{day:%Y%m%d}-g{generation}.{fmt}"
                (Path(settings.MEDIA_ROOT) / relative).write_bytes(content)
                records.append(
                    DailyFile(
                        day=day,
                        insurance=insurance,
                        format=fmt,
                        generation=generation,
                        current=True,
                        rows=n,
                        total_fen=total,
                        sha256=hashlib.sha256(content).hexdigest(),
                        path=relative,
                        generated_at=now,
                        generated_by=by,
                    )
                )
            DailyFile.objects.bulk_create(records)
            audit_record(
                actor=by,
                action="bureaus.daily.generate",
                object_type="bureaus.dailyfile",
                object_id=day.isoformat(),
                payload={
                    "day": day,
                    "force": force,
                    "files": [
                        {
                            "insurance": r.insurance,
                            "format": r.format,
                            "generation": r.generation,
                            "rows": r.rows,
                            "total_fen": r.total_fen,
                            "sha256": r.sha256,
                        }
                        for r in records
                    ],
                },
            )
            _daily_obligation(day, by, fulfil=True, at=now)
    except IntegrityError:
        # Generated at the same moment by another run: that run's files are the day's.
        return DayResult(day, files=list(DailyFile.objects.filter(day=day, current=True)), skipped=True)
    return DayResult(day, files=list(DailyFile.objects.filter(day=day, current=True)))


def daily_detail_run(
    *, by: User | None, day: date | None = None, since: date | None = None, force: bool = False
) -> list[DayResult]:
    """Send the detail of one day, or of yesterday and every earlier day with receipts that has none yet (Art 37)."""
    if day is not None:
        return [daily_detail_generate(by=by, day=day, force=force)]
    yesterday = timezone.localdate() - timedelta(days=1)
    start = since or first_receipt_day()
    if start is None:
        return []
    days = days_with_receipts(start, yesterday)
    sent = set(DailyFile.objects.filter(current=True, day__gte=start).values_list("day", flat=True))
    todo = days if force else [d for d in days if d not in sent]
    for d in todo:
        _daily_obligation(d, by, fulfil=False)
    return [daily_detail_generate(by=by, day=d, force=force) for d in todo]


def daily_file_copy(files: list[DailyFile], out: Path) -> list[Path]:
    """Copy daily files to a folder (the scheduler's outbox) under their download names."""
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for f in files:
        target = out / daily_file_name(f)
        shutil.copyfile(Path(settings.MEDIA_ROOT) / f.path, target)
        copied.append(target)
    return copied
