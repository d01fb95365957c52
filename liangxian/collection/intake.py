"""Import a channel's daily detail file (Art 26, 29): new payments, reconciliation with the real-time record.

:func:`channel_import` reads the file into a frame (:mod:`.channel_files`), then, in one transaction:

- lines already on record (a real-time notification, a collector's pay-in) are marked ``in_file_at``, never
  recorded twice;
- lines never notified (掉单) become payments, classified by :func:`.services.payments_classify` and loaded in
  bulk; what does not count goes to the queue with its reason;
- refund and reversal lines link to their original payment by its transaction number (in the file or on
  record); one whose original is nowhere is queued ``refund_unlinked``;
- payments notified in real time for the file's business day but missing from it are queued ``not_in_file``;
- the touched roster entries' settlements are recomputed, and one audit row records the import.

A file refused (unreadable, summary not agreeing, a bad line) changes no payment; the refusal is kept as a
:class:`.models.ChannelImport` row with its reason. The same file (channel and SHA-256) imported twice answers
with the first import.
"""

from __future__ import annotations

import hashlib
import time as clock_time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import bulk_insert, read_frame, temp_table
from liangxian.core.audit import audit_record
from liangxian.org.models import User

from .channel_files import TZ, ChannelFileError, read_channel_file
from .models import Channel, ChannelImport, ImportStatus, IssueReason, Payment, PaymentIssue, PaymentSource
from .services import CANDIDATE_SCHEMA, payments_classify, settlement_refresh

IMPORTERS = frozenset({"tax", "finance"})
MAX_FILE_BYTES = 512 * 1024 * 1024
# Above this many touched entries (and most of all counted ones), recompute every settlement in one statement.
REFRESH_ALL_ABOVE = 2_000


class IntakeError(Exception):
    """A channel file refused (or an importer without the duty): a code and a clerk-readable message."""

    def __init__(self, code: str, message: str, channel_import: ChannelImport | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.channel_import = channel_import


@dataclass
class ImportResult:
    channel_import: ChannelImport
    repeat: bool = False  # the same file was imported before: this is the first import
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase (read, load, commit)

    def as_dict(self) -> dict[str, Any]:
        ci = self.channel_import
        return {
            "id": ci.pk,
            "channel": ci.channel,
            "filename": ci.filename,
            "business_date": ci.business_date.isoformat() if ci.business_date else None,
            "sha256": ci.sha256,
            "status": ci.status,
            "repeat": self.repeat,
            "counts": self.counts,
        }


def importer_check(by: User | None) -> None:
    """Only tax and finance import channel files (the channels report to them); None is the system itself."""
    if by is None or by.is_superuser:
        return
    unit = by.unit
    if unit is None or unit.kind != "department" or unit.department not in IMPORTERS:
        raise IntakeError("forbidden", _("Only the tax and finance bureaus import channel files."))


def channel_import(
    *, channel: str, path: Path | str | None = None, data: bytes | None = None, filename: str = "", by: User | None
) -> ImportResult:
    """Import one channel's daily file whole or not at all (Art 26, 29); the same file twice answers the first.

    The file comes as a ``path``, or as its bytes (``data``, an upload) with its ``filename``.
    """
    importer_check(by)
    if channel not in Channel.values:
        raise IntakeError("bad_channel", _("Unknown channel: %(channel)s.") % {"channel": channel})
    if data is None:
        if path is None:
            raise IntakeError("no_file", _("No file given."))
        data = Path(path).read_bytes()
        filename = filename or Path(path).name
    filename = (filename or "upload")[:200]
    digest = hashlib.sha256(data).hexdigest()
    first = ChannelImport.objects.filter(channel=channel, sha256=digest, status=ImportStatus.DONE).first()
    if first is not None:
        return ImportResult(first, repeat=True, counts=dict(first.counts))
    started = timezone.now()
    clock = clock_time.perf_counter()
    seconds: dict[str, float] = {}
    try:
        if len(data) > MAX_FILE_BYTES:
            raise ChannelFileError("too_large", _("The file is larger than 512 MB."))
        frame = read_channel_file(channel, data)
        if frame.is_empty() and channel != "wechat":
            raise ChannelFileError("no_lines", _("The file has no payment lines."))
    except ChannelFileError as exc:
        refused = _refuse(channel, filename, digest, len(data), exc, by, started)
        raise IntakeError(exc.code, exc.message, refused) from exc
    seconds["read"] = clock_time.perf_counter() - clock
    try:
        with transaction.atomic():
            record = ChannelImport.objects.create(
                channel=channel,
                business_date=_business_date(frame),
                filename=filename,
                sha256=digest,
                size=len(data),
                status=ImportStatus.DONE,
                imported_by=by,
                started_at=started,
            )
            counts = _load(record, frame, seconds)
            record.counts = counts
            record.finished_at = timezone.now()
            record.save(update_fields=["counts", "finished_at"])
            audit_record(actor=by, action="collection.channel_import", obj=record, payload={"sha256": digest, **counts})
            clock = clock_time.perf_counter()
    except IntegrityError:
        # The same file was imported at the same moment by someone else: answer with that import.
        first = ChannelImport.objects.filter(channel=channel, sha256=digest, status=ImportStatus.DONE).first()
        if first is None:
            # A real-time notification of one of the file's transactions arrived during the import: nothing of
            # the file was kept, and importing it again finds that payment on record.
            raise IntakeError(
                "conflict", _("A payment of this file was recorded while it was imported: import the file again.")
            ) from None
        return ImportResult(first, repeat=True, counts=dict(first.counts))
    seconds["commit"] = clock_time.perf_counter() - clock  # the deferred foreign-key checks run here
    return ImportResult(record, counts=counts, seconds=seconds)


def _refuse(
    channel: str, filename: str, digest: str, size: int, exc: ChannelFileError, by: User | None, at: datetime
) -> ChannelImport:
    with transaction.atomic():
        record = ChannelImport.objects.create(
            channel=channel,
            filename=filename,
            sha256=digest,
            size=size,
            status=ImportStatus.REFUSED,
            error=exc.message[:2000],
            counts={},
            imported_by=by,
            started_at=at,
            finished_at=timezone.now(),
        )
        audit_record(actor=by, action="collection.channel_import_refused", obj=record, payload={"code": exc.code})
    return record


def _business_date(frame: pl.DataFrame) -> date | None:
    """The day the file reports: the most frequent Beijing-time date of its lines."""
    if frame.is_empty():
        return None
    days = frame.select(pl.col("paid_at").dt.convert_time_zone(TZ).dt.date().mode().sort().first())
    value = days.item()
    return value if isinstance(value, date) else None


def _load(record: ChannelImport, frame: pl.DataFrame, seconds: dict[str, float]) -> dict[str, int]:
    """Reconcile and load the file's frame; return the counts. Runs inside the import's transaction."""
    now = timezone.now()
    clock = clock_time.perf_counter()
    channel = record.channel
    known = _known(channel, frame.select("txn_no"))
    frame = frame.join(known.rename({"payment_id": "known_id"}), on="txn_no", how="left")
    is_known = pl.col("known_id").is_not_null()
    known_ids = frame.filter(is_known).get_column("known_id").to_list()
    _mark_in_file(known_ids, now)
    fresh = frame.filter(~is_known).drop("known_id")

    payments = fresh.filter(pl.col("kind") == "payment")
    queued, touched = _insert(record, payments.with_columns(pl.lit(None, dtype=pl.Int64).alias("original_id")), now)
    refunds = fresh.filter(pl.col("kind") != "payment")
    if refunds.height:
        # Originals: on record before this file, or loaded from it a moment ago.
        originals = _known(channel, refunds.select(pl.col("original_txn_no").alias("txn_no")).unique())
        refunds = refunds.join(
            originals.rename({"txn_no": "original_txn_no", "payment_id": "original_id"}),
            on="original_txn_no",
            how="left",
        )
        more, touched_too = _insert(record, refunds, now)
        queued, touched = queued + more, pl.concat([touched, touched_too])
    not_in_file = _flag_not_in_file(record, frame, now)
    seconds["classify_load"] = clock_time.perf_counter() - clock
    clock = clock_time.perf_counter()
    counted = touched.len()
    touched = touched.unique()
    if touched.len() > REFRESH_ALL_ABOVE and touched.len() * 4 >= _counted_total():
        # Most counted payments are this file's: one set-based statement beats thousands of chunks.
        settlement_refresh(None)
    elif touched.len():
        settlement_refresh(touched.to_list())
    seconds["settle"] = clock_time.perf_counter() - clock
    return {
        "lines": frame.height,
        "new": fresh.height,
        "known": len(known_ids),
        "refunds": int((frame.get_column("kind") != "payment").sum()),
        "counted": counted,
        "queued": queued,
        "not_in_file": not_in_file,
        "amount_fen": int(frame.get_column("amount_fen").sum() or 0),
        "other_fen": int(frame.get_column("other_fen").sum() or 0),
    }


def _counted_total() -> int:
    return Payment.objects.filter(entry__isnull=False).count()


def _known(channel: str, txns: pl.DataFrame) -> pl.DataFrame:
    """The payments on record for these transaction numbers of the channel: ``txn_no``, ``payment_id``."""
    schema = {"txn_no": pl.String, "payment_id": pl.Int64}
    if txns.is_empty():
        return pl.DataFrame(schema=schema)
    if txns.height <= 500:
        values = txns.get_column("txn_no").to_list()
        rows = Payment.objects.filter(channel=channel, txn_no__in=values).values_list("txn_no", "pk")
        return pl.DataFrame(list(rows), schema=schema, orient="row")
    with temp_table("collection_intake_txn", txns.select("txn_no"), types={"txn_no": "varchar(64)"}) as table:
        return read_frame(
            f"SELECT p.txn_no, p.id FROM collection_payment p JOIN {table} t ON t.txn_no = p.txn_no"  # noqa: S608
            " WHERE p.channel = %s",
            [channel],
            schema=schema,
        )


def _mark_in_file(ids: list[int], now: datetime) -> None:
    """Mark payments on record as seen in the daily file (the first time only)."""
    for start in range(0, len(ids), 500):
        Payment.objects.filter(pk__in=ids[start : start + 500], in_file_at__isnull=True).update(in_file_at=now)


def _insert(record: ChannelImport, lines: pl.DataFrame, now: datetime) -> tuple[int, pl.Series]:
    """Classify and load new lines as payments, and their issues; return how many were queued, and the entries
    counted toward (one per counted payment)."""
    if lines.is_empty():
        return 0, pl.Series("entry_id", [], dtype=pl.Int64)
    candidates = lines.with_columns(pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items() if c in lines.columns)
    judged = payments_classify(candidates)
    source = PaymentSource.BATCH if record.channel == Channel.GOV else PaymentSource.FILE
    rows = judged.select(
        pl.lit(record.channel).alias("channel"),
        pl.col("txn_no"),
        pl.col("kind"),
        pl.col("original_id"),
        pl.col("person_id"),
        pl.col("id_number").fill_null(""),
        pl.col("name").fill_null("").str.slice(0, 80),
        pl.col("insurance"),
        pl.col("coverage_year"),
        pl.col("tier_fen"),
        pl.col("amount_fen"),
        pl.lit(0, dtype=pl.Int64).alias("subsidy_fen"),
        pl.col("other_fen"),
        pl.col("paid_at"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("settled_at"),
        pl.col("account_hash").fill_null(""),
        pl.col("pos_terminal").fill_null("").str.slice(0, 40),
        pl.col("operator").fill_null("").str.slice(0, 40),
        pl.lit(None, dtype=pl.Int64).alias("collector_id"),
        pl.col("etax_voucher").fill_null("").str.slice(0, 40),
        pl.lit(None, dtype=pl.Date).alias("treasury_date"),
        pl.col("batch_no").fill_null("").str.slice(0, 40),
        pl.lit(source).alias("source"),
        pl.lit(record.pk, dtype=pl.Int64).alias("channel_import_id"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("notified_at"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("in_file_at"),
        pl.col("entry_id"),
        pl.col("township_code"),
        pl.col("village_code"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("recorded_at"),
    )
    bulk_insert(Payment, rows)
    touched = judged.get_column("entry_id").drop_nulls()
    issues = judged.filter(pl.col("reason").is_not_null()).select("txn_no", "reason", "detail", "township_code")
    if issues.is_empty():
        return 0, touched
    # A queued payment never counts: read back only the uncounted ones' ids.
    ids = read_frame(
        "SELECT txn_no, id FROM collection_payment WHERE channel_import_id = %s AND entry_id IS NULL",
        [record.pk],
        schema={"txn_no": pl.String, "payment_id": pl.Int64},
    )
    _issues_insert(issues.join(ids, on="txn_no", how="inner").drop("txn_no"), now)
    return issues.height, touched


def _issues_insert(issues: pl.DataFrame, now: datetime) -> None:
    """Bulk-load open issues from a frame of ``payment_id``, ``reason``, ``detail``, ``township_code``."""
    frame = issues.select(
        pl.col("payment_id"),
        pl.col("reason"),
        pl.col("detail").fill_null("").str.slice(0, 300),
        pl.col("township_code").fill_null(""),
        pl.lit("open").alias("status"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("raised_at"),
        pl.lit(None, dtype=pl.Int64).alias("resolved_by_id"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("resolved_at"),
        pl.lit("").alias("resolution"),
        pl.lit("").alias("note"),
    )
    bulk_insert(PaymentIssue, frame)


def _flag_not_in_file(record: ChannelImport, frame: pl.DataFrame, now: datetime) -> int:
    """Queue the payments notified in real time for the file's business day that the file does not hold."""
    day = record.business_date
    if day is None:
        return 0
    zone = ZoneInfo(TZ)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = start + timedelta(days=1)
    in_file = set(frame.get_column("txn_no").to_list())
    candidates = (
        Payment.objects.filter(
            channel=record.channel,
            notified_at__isnull=False,
            paid_at__gte=start,
            paid_at__lt=end,
            in_file_at__isnull=True,
        )
        .exclude(issues__reason=IssueReason.NOT_IN_FILE)
        .values_list("pk", "txn_no", "township_code")
    )
    missing = [(pk, township) for pk, txn, township in candidates if txn not in in_file]
    if not missing:
        return 0
    detail = _("Not in the daily file %(filename)s of %(day)s.") % {"filename": record.filename, "day": day.isoformat()}
    issues = pl.DataFrame(
        {
            "payment_id": [pk for pk, _t in missing],
            "reason": [IssueReason.NOT_IN_FILE.value] * len(missing),
            "detail": [detail] * len(missing),
            "township_code": [t for _p, t in missing],
        },
        schema={"payment_id": pl.Int64, "reason": pl.String, "detail": pl.String, "township_code": pl.String},
    )
    _issues_insert(issues, now)
    return len(missing)


def imports_list(limit: int = 200) -> list[ChannelImport]:
    """The latest channel files, imported or refused."""
    return list(ChannelImport.objects.select_related("imported_by").order_by("-started_at", "-pk")[:limit])


__all__ = ["ImportResult", "IntakeError", "channel_import", "importer_check", "imports_list"]
