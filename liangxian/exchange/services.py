"""Every write of the data exchange: submitting a list, approving it, putting a version in force (Art 7, 10-22)."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.ahead import Settled, atomic_reading_ahead, read_settled
from liangxian.batch.bulk import (
    bulk_insert,
    checkpoint_after,
    large_cache,
    read_frame,
    temp_table,
)
from liangxian.core.audit import audit_record
from liangxian.core.scans import scan_type
from liangxian.org.models import UnitKind

from . import frames
from .catalogue import column_specs, dataset_resolve
from .errors import DuplicateSubmission, ExchangeError
from .models import (
    Approval,
    Dataset,
    ExchangeMethod,
    RowOutcome,
    Submission,
    SubmissionRow,
    SubmissionStatus,
    VersionChange,
)
from .signals import identity_changes_reported, list_in_force, list_loading

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from liangxian.org.models import Unit, User

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
SCAN_MAX_BYTES = 10 * 1024 * 1024
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
ROW_FIELDS = (
    "submission_id",
    "row_number",
    "outcome",
    "reasons",
    "reason_codes",
    "problem_column",
    "id_number",
    "name",
    "category",
    "data",
    "original",
    "digest",
)
# Polars' hash is stable within one release only: a version's digests compare with another's when both were
# made under the same scheme; otherwise the difference compares the rows' values themselves.
DIGEST_SCHEME = f"polars-{pl.__version__}-name-data-1"[:40]
DIGEST_SEED = 20_251_014


def row_digest() -> pl.Expr:
    """The digest of a row's name and values (its JSON text), as SubmissionRow.digest stores it (signed 64-bit)."""
    text = pl.concat_str([pl.col("name").fill_null(""), pl.lit("\x1f"), pl.col("data").fill_null("")])
    return text.hash(seed=DIGEST_SEED).reinterpret(signed=True).alias("digest")


def _code_version() -> str:
    try:
        return metadata.version("liangxian")[:40]
    except metadata.PackageNotFoundError:
        return ""


def _noop(stage: str, fraction: float) -> None:
    return None


def provider_unit(actor: User, dataset: Dataset) -> Unit:
    """Return the unit for which the actor provides this list; raise ExchangeError if his unit does not."""
    unit = actor.unit
    if unit is not None and dataset.provider_kind == UnitKind.TOWNSHIP and unit.kind == UnitKind.TOWNSHIP:
        return unit
    if (
        unit is not None
        and dataset.provider_kind == UnitKind.DEPARTMENT
        and unit.kind == UnitKind.DEPARTMENT
        and unit.department == dataset.provider
    ):
        return unit
    raise ExchangeError("not_provider", _("Your unit does not provide the list %(name)s.") % {"name": dataset.name})


def _file_bytes(source: Path | bytes) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else bytes(source)


def _duplicate(dataset: Dataset, unit: Unit, sha256: str) -> Submission | None:
    return (
        Submission.objects.filter(dataset=dataset, unit=unit, sha256=sha256)
        .exclude(status=SubmissionStatus.REFUSED)
        .first()
    )


def _duplicate_error(existing: Submission) -> DuplicateSubmission:
    return DuplicateSubmission(
        existing,
        _("This file was already submitted on %(when)s as version %(version)s; no new version was made.")
        % {"when": timezone.localtime(existing.submitted_at).strftime("%Y-%m-%d %H:%M"), "version": existing.version},
    )


def submission_submit(
    *,
    actor: User,
    dataset: str | Dataset,
    source: Path | bytes,
    filename: str,
    method: str = ExchangeMethod.INTRANET,
    period: str = "",
    note: str = "",
    progress: Progress | None = None,
    today: date | None = None,
) -> Submission:
    """Receive one file of a list: classify every row, keep the version and its difference (Art 10-18).

    A file that cannot be read raises ExchangeError and changes nothing; the same file again raises
    DuplicateSubmission carrying the version it already made.
    """
    from liangxian.batch.readers import UnreadableFile, read_table

    report = progress or _noop
    ds = dataset_resolve(dataset)
    unit = provider_unit(actor, ds)
    if method not in ExchangeMethod.values:
        raise ExchangeError("bad_method", _("Unknown exchange method %(method)s.") % {"method": method})
    data = _file_bytes(source)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = _duplicate(ds, unit, sha256)
    if existing is not None:
        raise _duplicate_error(existing)

    # The version in force now is, most likely, the one this version will replace: its rows' digests (never
    # changed once stored) are read on a second connection while the file is read.
    settled = _digests_settled(ds, unit)
    report("read", 0.05)
    try:
        # The row as written comes as a struct: rows_classify encodes it for the few rows that keep it.
        read = read_table(data, filename=filename, columns=column_specs(ds), original="struct")
    except UnreadableFile as exc:
        log.info("refused %s for %s from %s: %s", filename, ds.code, unit.code, exc.code)
        raise ExchangeError(exc.code, exc.message) from exc
    report("classify", 0.35)
    headers = {key: header for header, key in read.header_map.items()}
    file_format, encoding, unmatched_headers = read.format, read.encoding, read.unmatched_headers
    classified = frames.rows_classify(
        read.frame,
        columns=ds.columns,
        person_column=ds.person_column,
        category=ds.category,
        headers=headers,
        today=today or timezone.localdate(),
        known_areas=None,
    )
    # The cells as read are no longer needed: free them before the load (peak memory of a large list).
    del read
    counts = dict(classified.group_by("outcome").len().iter_rows())
    report("load", 0.6)
    try:
        # The commit's checkpoint (copying the WAL's pages into the SQLite file) runs after the answer.
        with checkpoint_after(), atomic_reading_ahead():
            # One writer per list at a time: versions are numbered in order.
            Dataset.objects.select_for_update().filter(pk=ds.pk).first()
            last = Submission.objects.filter(dataset=ds, unit=unit).aggregate(v=Max("version"))["v"] or 0
            previous = _in_force(ds, unit)
            submission = Submission(
                dataset=ds,
                unit=unit,
                submitted_by=actor,
                submitted_at=timezone.now(),
                method=method,
                period=period,
                version=last + 1,
                previous=previous,
                status=SubmissionStatus.RECEIVED,
                file_name=filename[:255],
                sha256=sha256,
                file_format=file_format,
                encoding=encoding,
                rows_total=classified.height,
                rows_accepted=counts.get(RowOutcome.ACCEPTED, 0),
                rows_repaired=counts.get(RowOutcome.REPAIRED, 0),
                rows_rejected=counts.get(RowOutcome.REJECTED, 0),
                code_version=_code_version(),
                digest_scheme=DIGEST_SCHEME,
                note=note,
            )
            submission.file.save(Path(filename).name or "list", ContentFile(data), save=False)
            del data  # kept in the file store now: free it before the register's frames (peak memory)
            submission.save()
            loaded = classified.with_columns(
                pl.lit(submission.pk, dtype=pl.Int64).alias("submission_id"), row_digest()
            ).select(ROW_FIELDS)
            # The earlier version's digests, read while the file was read, if that is the version replaced.
            before = settled[1].frame() if settled and previous and settled[0] == previous.pk else None
            if not ds.needs_approval:
                # While the rows load, the register reads what it will compare on a second connection where
                # SQLite allows it (batch.ahead).
                list_loading.send(sender=Submission, dataset=ds, rows=classified.height, submission=submission)
            bulk_insert(SubmissionRow, loaded)
            # This version's digests stay in memory for the difference rather than being read back.
            mine = loaded.filter(pl.col("outcome") != RowOutcome.REJECTED).select("row_number", "id_number", "digest")
            del loaded
            # From here on only the values the register reads stay in memory.
            usable = None if ds.needs_approval else register_rows(classified, ds)
            del classified
            report("diff", 0.8)
            changed, differing = _diff_rows_write(submission, previous, mine=mine, earlier=before)
            audit_record(
                actor=actor,
                action="exchange.submission.submit",
                obj=submission,
                payload={
                    "dataset": ds.code,
                    "unit": unit.code,
                    "version": submission.version,
                    "sha256": sha256,
                    "method": method,
                    "rows": submission.rows_total,
                    "accepted": submission.rows_accepted,
                    "repaired": submission.rows_repaired,
                    "rejected": submission.rows_rejected,
                    "changes": changed,
                    "unmatched_headers": unmatched_headers,
                },
            )
            if ds.needs_approval:
                submission.status = SubmissionStatus.PENDING_APPROVAL
                submission.save(update_fields=["status"])
            else:
                report("apply", 0.9)
                # The register takes the rows from memory rather than reading the version back.
                _put_in_force(actor, submission, usable, differing)
    except IntegrityError:
        # Another request stored the same file a moment earlier: point at its version.
        existing = _duplicate(ds, unit, sha256)
        if existing is None:
            raise
        raise _duplicate_error(existing) from None
    report("done", 1.0)
    return submission


def _digests_settled(dataset: Dataset, unit: Unit) -> tuple[int, Settled] | None:
    current = _in_force(dataset, unit, lock=False)
    if current is None or current.digest_scheme != DIGEST_SCHEME:
        return None
    sql, params, schema = _digests_query(current.pk)
    settled = read_settled(sql, params, schema=schema)
    return None if settled is None else (current.pk, settled)


def _in_force(dataset: Dataset, unit: Unit, *, lock: bool = True) -> Submission | None:
    versions = Submission.objects.select_for_update() if lock else Submission.objects
    return versions.filter(dataset=dataset, unit=unit, status=SubmissionStatus.IN_FORCE).order_by("-version").first()


def _stored_rows(submission_id: int, keys: Sequence[str], *, unlike: int) -> pl.DataFrame:
    """Read the usable rows of a stored version that have no identical usable row in version ``unlike``.

    Returns person, the compared keys and name, in columns, as versions_diff compares them. A row is identical
    when its person, name and values are: the database finds those by the person's index without sending a
    row out, so only the few added, removed and changed rows are read. (A version's usable rows name each person
    once: a second row of one person is rejected as a duplicate.)
    """
    table = connections["default"].ops.quote_name(SubmissionRow._meta.db_table)
    # "+o.submission_id" keeps SQLite from walking the version's rows for each row: the ID number's index leads.
    twin = (
        f"SELECT 1 FROM {table} AS o WHERE o.id_number = r.id_number AND +o.submission_id = %s "  # noqa: S608
        "AND o.outcome <> %s AND o.name = r.name AND o.data = r.data"
    )
    where = f"WHERE r.submission_id = %s AND r.outcome <> %s AND NOT EXISTS ({twin})"
    return _rows_compared(where, [submission_id, RowOutcome.REJECTED, unlike, RowOutcome.REJECTED], keys)


def _rows_compared(where: str, params: Sequence[Any], keys: Sequence[str], join: str = "") -> pl.DataFrame:
    """Read the rows ``where`` picks (table alias r) as versions_diff compares them: person, keys, name."""
    connection = connections["default"]
    table = connection.ops.quote_name(SubmissionRow._meta.db_table)
    wanted = [k for k in keys if k != "name"]
    schema: dict[str, Any] = {"id_number": pl.String, "name": pl.String}
    source = f"{table} AS r {join} {where}"
    if connection.vendor == "postgresql" and all(_KEY.fullmatch(k) for k in wanted):
        # jsonb gives each key by itself: only the compared values leave the database.
        extracts = "".join(f", r.data ->> '{k}'" for k in wanted)
        return read_frame(
            f"SELECT r.id_number, r.name{extracts} FROM {source}",  # noqa: S608 - keys checked
            params,
            schema=schema | dict.fromkeys(wanted, pl.String),
        ).select("id_number", *wanted, "name")
    if not wanted:
        return read_frame(f"SELECT r.id_number, r.name FROM {source}", params, schema=schema)  # noqa: S608
    # The JSON text once through the database and Polars, decoded straight into the compared keys.
    frame = read_frame(
        f"SELECT r.id_number, r.name, r.data FROM {source}",  # noqa: S608 - quoted name
        params,
        schema=schema | {"data": pl.Struct(dict.fromkeys(wanted, pl.String))},
    )
    return frame.unnest("data").select("id_number", *wanted, "name")


def _digests_query(submission_id: int) -> tuple[str, list[Any], dict[str, Any]]:
    """The query of a version's usable rows' (id, id_number, digest): SQL, parameters, schema."""
    table = connections["default"].ops.quote_name(SubmissionRow._meta.db_table)
    sql = f"SELECT id, id_number, digest FROM {table} WHERE submission_id = %s AND outcome <> %s"  # noqa: S608
    return sql, [submission_id, RowOutcome.REJECTED], {"id": pl.Int64, "id_number": pl.String, "digest": pl.Int64}


def _digests(submission_id: int) -> pl.DataFrame:
    sql, params, schema = _digests_query(submission_id)
    return read_frame(sql, params, schema=schema)


def _rows_by_digest(
    submission: Submission,
    previous: Submission,
    keys: Sequence[str],
    mine: pl.DataFrame | None = None,
    before: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """Both versions' rows without an identical twin in the other, found by their digests (see SubmissionRow), and
    the ID numbers of this version's such rows.

    Each version's (person, digest) pairs come out in one sequential read, or for the version just loaded from
    memory (``mine``: row_number, id_number, digest of its usable rows), and the earlier version's where the caller
    read them already (``before``, as _digests gives them); the rows whose pair the other version
    lacks (a row without a digest lacks it always) are then read in full, by their ids or row numbers.
    """
    if before is None:
        before = _digests(previous.pk)
    on = ["id_number", "digest"]
    if mine is None:
        now = _digests(submission.pk)
        now_join = "JOIN {temp} AS t ON t.id = r.id"
    else:
        now = mine
        now_join = f"JOIN {{temp}} AS t ON t.row_number = r.row_number AND r.submission_id = {int(submission.pk)}"
    picked = []
    differing = pl.Series("id_number", [], dtype=pl.String)
    for mine_side, other, join, key in ((now, before, now_join, now.columns[0]), (before, now, None, "id")):
        unmatched = mine_side.join(other.select(on), on=on, how="anti")
        if mine_side is now:
            differing = unmatched["id_number"]
        with temp_table("lx_diff_rows", unmatched.select(key), types={key: "bigint"}) as temp:
            clause = (join or "JOIN {temp} AS t ON t.id = r.id").format(temp=temp)
            picked.append(_rows_compared("", [], keys, join=clause))
    return picked[0], picked[1], differing


def _diff_write(
    submission: Submission, previous: Submission | None, *, mine: pl.DataFrame | None = None
) -> dict[str, int]:
    """Write the version's VersionChange rows against ``previous``; return the count of each kind."""
    return _diff_rows_write(submission, previous, mine=mine)[0]


def _diff_rows_write(
    submission: Submission,
    previous: Submission | None,
    *,
    mine: pl.DataFrame | None = None,
    earlier: pl.DataFrame | None = None,
) -> tuple[dict[str, int], pl.Series | None]:
    """Write the version's VersionChange rows against ``previous``; return the count of each kind, and the ID
    numbers of the version's usable rows that differ in any value from ``previous``'s (None where unknown).

    Both versions are read from the database, each without the rows identical in the other: persons in neither
    reduced frame are the same in both, so the difference of the reduced frames is the whole difference. Rows
    are identical when their digests are (made under the same scheme; a 64-bit digest), else when their values
    are. (A row may differ in a value the difference does not compare: it is among the differing ID numbers all
    the same, for the register, but no VersionChange.)
    """
    VersionChange.objects.filter(submission=submission).delete()
    if previous is None:
        return {}, None
    ds = submission.dataset
    keys = frames.compare_keys(ds.columns, ds.person_column)
    differing = None
    if submission.digest_scheme and submission.digest_scheme == previous.digest_scheme:
        now, before, differing = _rows_by_digest(submission, previous, keys, mine, earlier)
    else:
        # Each row of one version looks up its twin in the other: SQLite's default 2 MB page cache would thrash.
        with large_cache():
            now = _stored_rows(submission.pk, keys, unlike=previous.pk)
            before = _stored_rows(previous.pk, keys, unlike=submission.pk)
    changes = frames.versions_diff(now, before, keys=keys)
    bulk_insert(VersionChange, changes.with_columns(pl.lit(submission.pk, dtype=pl.Int64).alias("submission_id")))
    return dict(changes.group_by("kind").len().iter_rows()), differing


def submission_diff(*, submission: Submission, previous: Submission | None) -> dict[str, int]:
    """Recompute a version's difference from another (the one it replaces); return the count of each kind."""
    with transaction.atomic():
        return _diff_write(submission, previous)


def _register_apply(
    actor: User | None, submission: Submission, rows: pl.DataFrame | None, differing: pl.Series | None
) -> None:
    """Let the register apply the list now in force, inside this transaction (see signals.list_in_force)."""
    list_in_force.send(sender=Submission, actor=actor, submission=submission, rows=rows, differing=differing)


def register_rows(classified: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
    """Reduce classified rows to what the register reads: the usable rows, as stored (row and data's values)."""
    fixed = ("row_number", "id_number", "name", "category")
    keys = [c["key"] for c in dataset.columns if c["key"] not in fixed]
    # Lazily, so that only the selected columns of the usable rows are copied, not every classified column.
    usable = pl.col("outcome").is_in([RowOutcome.ACCEPTED.value, RowOutcome.REPAIRED.value])
    return (
        classified.lazy()
        .filter(usable)
        .select(*fixed, *[pl.col(frames.value_column(k)).alias(k) for k in keys])
        .collect()
    )


def _put_in_force(
    actor: User | None,
    submission: Submission,
    rows: pl.DataFrame | None = None,
    differing: pl.Series | None = None,
) -> None:
    """Make a version the list in force: supersede the one before, update the register, report changes.

    ``rows`` are the version's usable rows in memory (see register_rows), when the caller has them; ``differing``
    the ID numbers of those that differ from ``submission.previous``'s (see _diff_rows_write).
    """
    ds = submission.dataset
    current = _in_force(ds, submission.unit)
    if current is not None and current.pk != submission.pk and (current.version or 0) > (submission.version or 0):
        raise ExchangeError(
            "older_version",
            _("A later version (%(version)s) of this list is already in force.") % {"version": current.version},
        )
    if current is not None and current.pk != submission.pk:
        if submission.previous_id != current.pk:
            submission.previous = current
            _changed, differing = _diff_rows_write(submission, current)
        current.status = SubmissionStatus.SUPERSEDED
        current.save(update_fields=["status"])
    submission.status = SubmissionStatus.IN_FORCE
    submission.in_force_at = timezone.now()
    submission.save(update_fields=["status", "in_force_at", "previous"])
    audit_record(
        actor=actor,
        action="exchange.submission.in_force",
        obj=submission,
        payload={"dataset": ds.code, "version": submission.version, "superseded": current.pk if current else None},
    )
    _register_apply(actor, submission, rows, differing)
    if ds.needs_approval and submission.previous_id is not None:
        changes = VersionChange.objects.filter(submission=submission)
        if changes.exists():
            transaction.on_commit(
                lambda: identity_changes_reported.send(sender=Submission, submission=submission, changes=changes)
            )


def approval_may_act(actor: User, submission: Submission, stage: dict[str, Any]) -> bool:
    """Tell whether the actor's unit and role fit an approval stage of the submission (Art 10, 11, 14)."""
    unit = actor.unit
    if unit is None:
        return False
    if stage.get("unit", "provider") == "provider":
        same_unit = unit.pk == submission.unit_id
    else:
        same_unit = unit.kind == UnitKind.DEPARTMENT and unit.department in (submission.dataset.consumers or [])
    roles = stage.get("roles") or []
    return same_unit and (not roles or actor.role in roles)


def approval_record(
    *, actor: User, submission: Submission, stage: str, scan: UploadedFile | None = None, note: str = ""
) -> Approval:
    """Record one approval stage of a list, in order, with the signed-and-stamped scan (Art 10, 11, 14).

    The last stage puts the list in force.
    """
    with transaction.atomic():
        locked = Submission.objects.select_for_update().select_related("dataset", "unit").get(pk=submission.pk)
        stages = list(locked.dataset.approval_stages or [])
        if locked.status != SubmissionStatus.PENDING_APPROVAL:
            raise ExchangeError("not_pending", _("This version is not awaiting approval."))
        index = next((i for i, s in enumerate(stages) if s.get("key") == stage), None)
        if index is None:
            raise ExchangeError("unknown_stage", _("This list has no approval stage %(stage)s.") % {"stage": stage})
        spec = stages[index]
        done = set(Approval.objects.filter(submission=locked).values_list("stage", flat=True))
        if stage in done:
            raise ExchangeError(
                "stage_done", _("The stage “%(label)s” is already approved.") % {"label": spec["label"]}
            )
        waiting = [s["label"] for s in stages[:index] if s["key"] not in done]
        if waiting:
            raise ExchangeError(
                "stage_out_of_order",
                _("Approve “%(label)s” first.") % {"label": waiting[0]},
            )
        if not approval_may_act(actor, locked, spec):
            raise ExchangeError(
                "not_allowed", _("You may not approve the stage “%(label)s”.") % {"label": spec["label"]}
            )
        approval = Approval(
            submission=locked,
            stage=stage,
            order=index + 1,
            approved_by=actor,
            approved_at=timezone.now(),
            note=note,
        )
        if spec.get("scan") and scan is None:
            raise ExchangeError("scan_required", _("Attach the scanned page with the leader's signature and stamp."))
        if scan is not None:
            if (scan.size or 0) > SCAN_MAX_BYTES:
                raise ExchangeError("scan_too_large", _("The scan is larger than 10 MB."))
            content = scan.read()
            if len(content) > SCAN_MAX_BYTES:
                raise ExchangeError("scan_too_large", _("The scan is larger than 10 MB."))
            kind = scan_type(content[:16])
            if kind is None:
                raise ExchangeError("scan_type", _("The scan must be a PDF, PNG or JPEG file."))
            approval.scan_content_type, extension = kind
            approval.scan_sha256 = hashlib.sha256(content).hexdigest()
            approval.scan.save(f"approval-{locked.pk}-{stage}.{extension}", ContentFile(content), save=False)
        approval.save()
        audit_record(
            actor=actor,
            action="exchange.approval.record",
            obj=approval,
            payload={
                "submission": locked.pk,
                "stage": stage,
                "order": index + 1,
                "scan_sha256": approval.scan_sha256,
                "scan_type": approval.scan_content_type,
            },
        )
        if index == len(stages) - 1 and not ({s["key"] for s in stages} - done - {stage}):
            _put_in_force(actor, locked)
    submission.refresh_from_db()
    return approval
