"""Every write of entitlements and the white list (Art 37): one transaction and one audit row each.

- :func:`entitlement_import`: a bureau's file of entitlement records, whole or not at all; the same file twice
  answers with the first import; a bureau sends its own insurance type only. The white list is refreshed after.
- :func:`whitelist_refresh`: who paid and has no entitlement is listed, with a cause; who got his entitlement,
  or whose payment was refunded or reversed to nothing, leaves. Computed on frames, written in bulk.
- :func:`whitelist_resolve`: a user of tax or of the insurance's bureau records how the cause was resolved.
"""

from __future__ import annotations

import hashlib
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import bulk_insert, read_frame, temp_table
from liangxian.batch.readers import UnreadableFile, read_table
from liangxian.core.audit import audit_record
from liangxian.refunds.models import PENDING

from . import frames
from .models import (
    INSURANCE_OF_BUREAU,
    Bureau,
    Entitlement,
    EntitlementImport,
    EntryStatus,
    ImportRow,
    ImportStatus,
    LeftReason,
    WhitelistEntry,
    WhitelistRefresh,
)

if TYPE_CHECKING:
    from liangxian.org.models import User

MAX_FILE_BYTES = 256 * 1024 * 1024
# Any constant will do: it names the advisory lock that lets one refresh run at a time on PostgreSQL.
_REFRESH_LOCK_KEY = 6531230037


class EntitlementError(Exception):
    """A rule of entitlements refused the change; ``code`` says which, ``message`` says it to the clerk."""

    def __init__(self, code: str, message: object, source: EntitlementImport | None = None) -> None:
        self.code = code
        self.message = str(message)
        self.source = source
        super().__init__(self.message)


FORBIDDEN_CODES = frozenset({"forbidden", "wrong_bureau"})


def department_of(user: User | None) -> str:
    unit = getattr(user, "unit", None)
    return unit.department if unit is not None and unit.kind == "department" else ""


# --------------------------------------------------------------------------------------------------- import


@dataclass
class ImportResult:
    source: EntitlementImport
    repeat: bool = False
    refresh: WhitelistRefresh | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        s = self.source
        return {
            "id": s.pk,
            "bureau": s.bureau,
            "insurance": s.insurance,
            "filename": s.filename,
            "sha256": s.sha256,
            "status": str(s.status),
            "repeat": self.repeat,
            "latest_record_date": s.latest_record_date.isoformat() if s.latest_record_date else None,
            "counts": dict(s.counts),
            "whitelist": dict(self.refresh.counts) if self.refresh is not None else None,
        }


def importer_check(by: User | None, bureau: str) -> None:
    """A bureau imports its own entitlement records; the system (None) and superusers may act for either."""
    if bureau not in Bureau.values:
        raise EntitlementError("bad_bureau", _("Unknown bureau: %(bureau)s.") % {"bureau": bureau})
    if by is None or by.is_superuser:
        return
    department = department_of(by)
    if department not in Bureau.values:
        raise EntitlementError(
            "forbidden", _("Only the medical insurance and social security bureaus import entitlement records.")
        )
    if department != bureau:
        raise EntitlementError("wrong_bureau", _("A bureau imports the entitlement records of its own insurance only."))


def entitlement_import(
    *,
    bureau: str,
    by: User | None,
    path: Path | str | None = None,
    data: bytes | None = None,
    filename: str = "",
    via: str = "web",
    today: date | None = None,
    refresh: bool = True,
) -> ImportResult:
    """Import a bureau's entitlement records, whole or not at all (Art 37); the same file twice answers the first.

    Each row is accepted, repaired (with the reason) or rejected (with the reason); the records are loaded in bulk.
    Then the white list is refreshed. Raises :class:`EntitlementError` (the refused import is kept with its reason).
    """
    importer_check(by, bureau)
    insurance = str(INSURANCE_OF_BUREAU[Bureau(bureau)])
    if data is None:
        if path is None:
            raise EntitlementError("no_file", _("No file given."))
        data = Path(path).read_bytes()
        filename = filename or Path(path).name
    filename = (filename or "upload")[:200]
    digest = hashlib.sha256(data).hexdigest()
    first = EntitlementImport.objects.filter(bureau=bureau, sha256=digest, status=ImportStatus.DONE).first()
    if first is not None:
        return ImportResult(first, repeat=True, counts=dict(first.counts))
    started = timezone.now()
    today = today or timezone.localdate()
    try:
        if len(data) > MAX_FILE_BYTES:
            raise EntitlementError("too_large", _("The file is larger than 256 MB."))
        read = read_table(data, filename=filename, columns=frames.COLUMNS)
        if read.frame.is_empty():
            raise EntitlementError("no_rows", _("The file has no rows of entitlement records."))
        checked = frames.classify_rows(read.frame, insurance=insurance, today=today)
    except UnreadableFile as exc:
        refused = _refuse(bureau, insurance, filename, digest, len(data), exc.message, by, started, via)
        raise EntitlementError("unreadable", exc.message, refused) from exc
    except EntitlementError as exc:
        exc.source = _refuse(bureau, insurance, filename, digest, len(data), exc.message, by, started, via)
        raise
    try:
        with transaction.atomic():
            source = EntitlementImport.objects.create(
                bureau=bureau,
                insurance=insurance,
                filename=filename,
                sha256=digest,
                size=len(data),
                status=ImportStatus.DONE,
                via=via,
                imported_by=by,
                started_at=started,
            )
            counts = _load(source, checked, blank_rows=read.blank_rows)
            usable = checked.filter(pl.col("outcome") != "rejected")
            latest = usable["date_value"].max() if usable.height else None
            source.latest_record_date = latest if isinstance(latest, date) else None
            source.counts = counts
            source.finished_at = timezone.now()
            source.save(update_fields=["counts", "finished_at", "latest_record_date"])
            audit_record(
                actor=by,
                action="entitlements.import",
                obj=source,
                payload={"sha256": digest, "bureau": bureau, "via": via, **counts},
            )
    except IntegrityError:
        # The same file imported at the same moment by someone else: answer with that import.
        first = EntitlementImport.objects.filter(bureau=bureau, sha256=digest, status=ImportStatus.DONE).first()
        if first is None:
            raise
        return ImportResult(first, repeat=True, counts=dict(first.counts))
    ran = whitelist_refresh(by=by, trigger="import") if refresh else None
    return ImportResult(source, refresh=ran, counts=counts)


def _refuse(
    bureau: str,
    insurance: str,
    filename: str,
    digest: str,
    size: int,
    message: str,
    by: User | None,
    started: datetime,
    via: str,
) -> EntitlementImport:
    with transaction.atomic():
        refused = EntitlementImport.objects.create(
            bureau=bureau,
            insurance=insurance,
            filename=filename,
            sha256=digest,
            size=size,
            status=ImportStatus.REFUSED,
            error=message,
            via=via,
            imported_by=by,
            started_at=started,
            finished_at=timezone.now(),
        )
        audit_record(actor=by, action="entitlements.import_refused", obj=refused, payload={"error": message})
    return refused


def _load(source: EntitlementImport, checked: pl.DataFrame, *, blank_rows: int) -> dict[str, int]:
    """Load the usable rows as records (skipping those already on record) and keep the others with their reasons."""
    now = timezone.now()
    usable = checked.filter(pl.col("outcome") != "rejected")
    persons = read_frame(
        "SELECT id, id_number FROM registry_person", [], schema={"person_id": pl.Int64, "id_value": pl.String}
    ).unique("id_value", keep="first")
    known = read_frame(
        "SELECT id_number, coverage_year FROM entitlements_entitlement WHERE insurance = %s",
        [source.insurance],
        schema={"id_value": pl.String, "year_value": pl.Int32},
    ).with_columns(pl.lit(True).alias("__known"))
    usable = (
        usable.join(persons, on="id_value", how="left")
        .join(known, on=["id_value", "year_value"], how="left")
        .with_columns(pl.col("__known").fill_null(False))
    )
    new = usable.filter(~pl.col("__known"))
    records = new.select(
        pl.lit(source.pk).alias("source_id"),
        pl.col("__row").cast(pl.Int64).alias("row_number"),
        pl.col("person_id"),
        pl.col("id_value").alias("id_number"),
        pl.col("name_value").alias("name"),
        pl.col("insurance_value").alias("insurance"),
        pl.col("year_value").cast(pl.Int64).alias("coverage_year"),
        pl.col("date_value").alias("record_date"),
        pl.col("amount_fen"),
        pl.lit(now).alias("recorded_at"),
    )
    bulk_insert(Entitlement, records)
    problems = checked.filter(pl.col("outcome") != "accepted").select(
        pl.lit(source.pk).alias("source_id"),
        pl.col("__row").cast(pl.Int64).alias("row_number"),
        pl.col("outcome"),
        pl.col("reasons"),
        pl.coalesce(pl.col("id_value"), pl.col("id_number").str.strip_chars().str.slice(0, 60))
        .fill_null("")
        .alias("id_number"),
        pl.coalesce(pl.col("name_value"), pl.col("name").str.strip_chars().str.slice(0, 80))
        .fill_null("")
        .alias("name"),
        pl.col("insurance_value").fill_null("").alias("insurance"),
        pl.col("year_value").cast(pl.Int64).alias("coverage_year"),
        pl.col("__original").alias("original"),
    )
    bulk_insert(ImportRow, problems)
    outcomes = checked["outcome"].value_counts()
    by_outcome = dict(zip(outcomes["outcome"].to_list(), outcomes["count"].to_list(), strict=True))
    return {
        "rows": checked.height,
        "accepted": int(by_outcome.get("accepted", 0)),
        "repaired": int(by_outcome.get("repaired", 0)),
        "rejected": int(by_outcome.get("rejected", 0)),
        "recorded": new.height,
        "already_recorded": usable.height - new.height,
        "not_in_register": int(usable["person_id"].is_null().sum()),
        "blank_rows": blank_rows,
    }


# ------------------------------------------------------------------------------------------------ white list


def _utc_text(column: str) -> str:
    """Select a timestamp as UTC text to the second, the same on both databases."""
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    return f"substr({column}, 1, 19)"


def _as_utc(column: str) -> pl.Expr:
    return pl.col(column).str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=False).dt.replace_time_zone("UTC")


def payments_frame() -> pl.DataFrame:
    """Read every payment row (refunds and reversals negative) into a frame, times in UTC to the second."""
    frame = read_frame(
        "SELECT id, id_number, person_id, name, insurance, coverage_year, kind, amount_fen + other_fen, "  # noqa: S608
        f"{_utc_text('paid_at')}, township_code, village_code FROM collection_payment",
        [],
        schema={
            "payment_id": pl.Int64,
            "id_number": pl.String,
            "person_id": pl.Int64,
            "name": pl.String,
            "insurance": pl.String,
            "coverage_year": pl.Int64,
            "kind": pl.String,
            "total_fen": pl.Int64,
            "paid_at": pl.String,
            "township_code": pl.String,
            "village_code": pl.String,
        },
    )
    return frame.with_columns(_as_utc("paid_at"), pl.col("name").fill_null(""))


def _pending_refunds(payments: pl.DataFrame) -> pl.DataFrame:
    placeholders = ", ".join(["%s"] * len(PENDING))
    pending = read_frame(
        f"SELECT payment_id FROM refunds_refund WHERE status IN ({placeholders})",  # noqa: S608
        list(PENDING),
        schema={"payment_id": pl.Int64},
    )
    return pending.join(payments, on="payment_id", how="inner").select("id_number", "insurance", "coverage_year")


_LISTED_SCHEMA = {
    "entry_id": pl.Int64,
    "id_number": pl.String,
    "insurance": pl.String,
    "coverage_year": pl.Int64,
    "old_cause": pl.String,
    "old_cause_id_number": pl.String,
    "old_net_paid_fen": pl.Int64,
    "old_first_paid_at": pl.String,
    "old_last_paid_at": pl.String,
}


def _lock_refresh() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REFRESH_LOCK_KEY])
    # SQLite runs every transaction with BEGIN IMMEDIATE (settings): one writer at a time already.


def whitelist_refresh(*, by: User | None = None, trigger: str = "command") -> WhitelistRefresh:
    """Bring the white list up to date with the payments and the entitlement records (Art 37); idempotent.

    Lists whoever paid (net > 0) without an entitlement for that insurance and year, with the cause; takes off,
    keeping the entry, whoever has his entitlement now or was refunded to nothing; recomputes the causes of the
    rest. A second run with nothing new changes nothing.
    """
    started = timezone.now()
    tick = clock.perf_counter()
    key = ["id_number", "insurance", "coverage_year"]
    with transaction.atomic():
        _lock_refresh()
        payments = payments_frame()
        paid = frames.paid_by_person(payments)
        entitlements = read_frame(
            "SELECT id_number, name, insurance, coverage_year FROM entitlements_entitlement",
            [],
            schema={"id_number": pl.String, "name": pl.String, "insurance": pl.String, "coverage_year": pl.Int64},
        )
        rejected = read_frame(
            "SELECT id_number, name, insurance, coverage_year FROM entitlements_importrow "
            "WHERE outcome = 'rejected' AND insurance <> '' AND coverage_year IS NOT NULL",
            [],
            schema={"id_number": pl.String, "name": pl.String, "insurance": pl.String, "coverage_year": pl.Int64},
        )
        latest = read_frame(
            "SELECT insurance, CAST(MAX(record_date) AS TEXT) FROM entitlements_entitlement GROUP BY insurance",
            [],
            schema={"insurance": pl.String, "latest": pl.Date},
        )
        latest_dates = {row["insurance"]: row["latest"] for row in latest.iter_rows(named=True) if row["latest"]}
        should = frames.whitelist_compute(
            paid,
            entitlements,
            rejected_rows=rejected,
            pending_refunds=_pending_refunds(payments),
            latest_dates=latest_dates,
            tz=settings.TIME_ZONE,
        )
        current = read_frame(
            "SELECT id, id_number, insurance, coverage_year, cause, cause_id_number, net_paid_fen, "  # noqa: S608
            f"{_utc_text('first_paid_at')}, {_utc_text('last_paid_at')} "
            "FROM entitlements_whitelistentry WHERE status = 'listed'",
            [],
            schema=_LISTED_SCHEMA,
        ).with_columns(_as_utc("old_first_paid_at"), _as_utc("old_last_paid_at"))

        # Newly listed.
        new = should.join(current.select(key), on=key, how="anti")
        bulk_insert(
            WhitelistEntry,
            new.select(
                "person_id",
                "id_number",
                "name",
                "insurance",
                "coverage_year",
                "township_code",
                "village_code",
                "net_paid_fen",
                "first_paid_at",
                "last_paid_at",
                pl.lit(started).alias("listed_at"),
                "cause",
                "cause_id_number",
                pl.lit(EntryStatus.LISTED.value).alias("status"),
                pl.lit("").alias("left_reason"),
                pl.lit("").alias("resolution_note"),
            ),
        )
        # Leaving: the entitlement is recorded now, or nothing is paid any more.
        gone = current.join(should.select(key), on=key, how="anti").join(
            entitlements.select(key).unique().with_columns(pl.lit(True).alias("recorded")), on=key, how="left"
        )
        left_entitled = gone.filter(pl.col("recorded").fill_null(False))["entry_id"]
        left_refunded = gone.filter(~pl.col("recorded").fill_null(False))["entry_id"]
        _leave(left_entitled, LeftReason.ENTITLEMENT, started)
        _leave(left_refunded, LeftReason.REFUNDED, started)
        # Still listed: the cause or the amounts may have changed.
        stay = current.join(should, on=key, how="inner")
        changed = stay.filter(
            (pl.col("old_cause") != pl.col("cause"))
            | (pl.col("old_cause_id_number") != pl.col("cause_id_number"))
            | (pl.col("old_net_paid_fen") != pl.col("net_paid_fen"))
            | (pl.col("old_first_paid_at") != pl.col("first_paid_at")).fill_null(True)
            | (pl.col("old_last_paid_at") != pl.col("last_paid_at")).fill_null(True)
        )
        _update_listed(changed)
        counts = {
            "listed_new": new.height,
            "left_entitlement": left_entitled.len(),
            "left_refunded": left_refunded.len(),
            "updated": changed.height,
            "listed": should.height,
            "payers": int((paid["net_paid_fen"] > 0).sum()),
        }
        run = WhitelistRefresh.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            by=by,
            trigger=trigger[:20],
            counts=counts,
            seconds=round(clock.perf_counter() - tick, 3),
        )
        if counts["listed_new"] or counts["left_entitlement"] or counts["left_refunded"] or counts["updated"]:
            audit_record(actor=by, action="entitlements.whitelist_refresh", obj=run, payload=counts)
    return run


def _leave(entry_ids: pl.Series, reason: str, at: datetime) -> None:
    """Take entries off the list in one statement, keeping them with the date and the reason."""
    if entry_ids.is_empty():
        return
    ids = pl.DataFrame({"id": entry_ids})
    with temp_table("entitlements_leave_tmp", ids, types={"id": "bigint primary key"}) as tmp, connection.cursor() as c:
        c.execute(
            "UPDATE entitlements_whitelistentry SET status = %s, left_at = %s, left_reason = %s "  # noqa: S608
            f"WHERE id IN (SELECT id FROM {tmp})",
            [EntryStatus.LEFT.value, at, reason],
        )


def _update_listed(changed: pl.DataFrame) -> None:
    """Write the new causes and amounts of entries still listed, in one statement."""
    if changed.is_empty():
        return
    rows = changed.select(
        pl.col("entry_id").alias("id"),
        "cause",
        "cause_id_number",
        "net_paid_fen",
        pl.col("first_paid_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("first_paid_at"),
        pl.col("last_paid_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("last_paid_at"),
    )
    is_pg = connection.vendor == "postgresql"
    stamp = "timestamptz" if is_pg else "varchar(40)"
    types = {
        "id": "bigint primary key",
        "cause": "varchar(16)",
        "cause_id_number": "varchar(60)",
        "net_paid_fen": "bigint",
        "first_paid_at": stamp,
        "last_paid_at": stamp,
    }
    if is_pg:
        rows = rows.with_columns(pl.col("first_paid_at") + "+00", pl.col("last_paid_at") + "+00")
    with temp_table("entitlements_update_tmp", rows, types=types) as tmp, connection.cursor() as c:
        sets = ", ".join(
            f"{column} = (SELECT t.{column} FROM {tmp} t WHERE t.id = entitlements_whitelistentry.id)"  # noqa: S608
            for column in ("cause", "cause_id_number", "net_paid_fen", "first_paid_at", "last_paid_at")
        )
        c.execute(
            f"UPDATE entitlements_whitelistentry SET {sets} WHERE id IN (SELECT id FROM {tmp})"  # noqa: S608
        )


# -------------------------------------------------------------------------------------------------- resolve


def may_resolve(user: User, entry: WhitelistEntry) -> bool:
    """Tax and the bureau of the entry's insurance find and fix the cause together (Art 37)."""
    if user.is_superuser:
        return True
    department = department_of(user)
    return department == "tax" or (
        department in Bureau.values and INSURANCE_OF_BUREAU[Bureau(department)] == entry.insurance
    )


def whitelist_resolve(*, by: User, entry: WhitelistEntry | int, note: str) -> WhitelistEntry:
    """Record how the cause of a white-list entry was resolved: the note, who and when (Art 37)."""
    note = (note or "").strip()
    if not note:
        raise EntitlementError("note_required", _("Say how the cause was resolved."))
    with transaction.atomic():
        entry_id = entry.pk if isinstance(entry, WhitelistEntry) else int(entry)
        locked = WhitelistEntry.objects.select_for_update().filter(pk=entry_id).first()
        if locked is None:
            raise EntitlementError("not_found", _("No such white list entry."))
        if not may_resolve(by, locked):
            raise EntitlementError(
                "forbidden", _("Only tax and the bureau of this insurance record how the cause was resolved.")
            )
        previous = locked.resolution_note
        locked.resolution_note = note[:2000]
        locked.resolved_by = by
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["resolution_note", "resolved_by", "resolved_at"])
        audit_record(
            actor=by,
            action="entitlements.whitelist_resolve",
            obj=locked,
            payload={"note": locked.resolution_note, "previous": previous, "cause": locked.cause},
        )
    return locked
