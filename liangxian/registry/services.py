"""Writes to the residents' register: lists applied in bulk, corrections, verification requests (Art 6, 12; SPEC 4)."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.ahead import read_ahead
from liangxian.batch.bulk import bulk_insert, large_cache, read_frame, sqlite_bytes, temp_table
from liangxian.core.audit import audit_record
from liangxian.core.models import AuditEvent, Division, DivisionLevel
from liangxian.core.scope import Actor
from liangxian.core.sealing import SEAL_VERSION, seal_spec

from . import frames, rules
from .models import (
    ApplyMark,
    ChangeRequest,
    ChangeRequestStatus,
    Household,
    Person,
    PersonCategory,
    PersonFact,
    RegisterChange,
    VerificationRequest,
    VerificationStatus,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from liangxian.exchange.models import Dataset, Submission
    from liangxian.org.models import Unit, User

ACCEPTED_OUTCOMES = ("accepted", "repaired")
CREATION_FACT = "record"  # one fact per created person: every field of the record came from this submission
SAMPLE_SIZE = 100
_LARGE_LIST = 20_000
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")

REGISTER_SCHEMA: dict[str, Any] = {
    "person_id": pl.Int64,
    "id_type": pl.String,
    "id_number": pl.String,
    "name": pl.String,
    "sex": pl.String,
    "birth_date": pl.Date,
    "village_code": pl.String,
    "status": pl.String,
    "status_date": pl.Date,
    "phone": pl.String,
    "relation": pl.String,
    "household_id": pl.Int64,
    "batch": pl.String,
}


class RegisterError(Exception):
    """A change to the register was refused; ``code`` says why, the message says it to the clerk."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ApplyResult:
    """What applying one list did to the register, and what it reports back to the provider."""

    submission_id: int
    mode: str  # register | deregistrations | categories
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    facts: int = 0
    households_created: int = 0
    categories_opened: int = 0
    categories_closed: int = 0
    not_in_register: int = 0  # persons of a non-police list the household register does not hold (not created)
    unplaced: int = 0  # police rows whose village could not be placed (not created)
    compared: int = 0  # listed persons compared with the register (the others unchanged since the last version)
    name_differs: int = 0  # persons whose name on a non-police list differs from the household register
    not_in_register_sample: list[dict[str, Any]] = field(default_factory=list)
    unplaced_sample: list[dict[str, Any]] = field(default_factory=list)
    # The ID numbers of all unplaced rows, for the apply mark (not reported; None when too many to keep).
    unplaced_numbers: list[str] | None = field(default_factory=list, repr=False)
    resealed: list[str] = field(default_factory=list)
    batch: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready values (audit payload, API)."""
        values = asdict(self)
        del values["unplaced_numbers"]
        return values


# ---------------------------------------------------------------------------------------------- list → register


def dataset_keys(dataset: Dataset) -> list[str]:
    """The column keys a list's catalogue entry declares, in its order."""
    return [str(c.get("key")) for c in (dataset.columns or []) if isinstance(c, dict) and c.get("key")]


def apply_mode(dataset_code: str, *, authority: bool) -> str:
    """Name how a list acts on the register: the household register, deregistrations, or categories."""
    if authority:
        return "deregistrations" if "dereg" in dataset_code else "register"
    return "categories"


def register_apply(
    *,
    actor: User | None,
    submission: Submission,
    rows: pl.DataFrame | None = None,
    differing: pl.Series | None = None,
    using: str = "default",
) -> ApplyResult:
    """Apply an in-force list to the register in bulk; public security is the authority for identity (SPEC 4).

    ``rows`` lets the exchange pipeline hand over the accepted and repaired rows it has just loaded (row_number,
    id_number, name, category and one String column per dataset key) instead of reading them back; ``differing``
    names the ID numbers of those rows that differ from the version this one replaces (``submission.previous``),
    where the exchange knows them. Then, on SQLite, the household register compares with the register only the
    persons that may have changed since that version's apply (see _incremental); the result is the same.
    """
    started = time.perf_counter()
    if submission.status != "in_force":
        raise RegisterError("not_in_force", _("Only a list in force is applied to the register."))
    dataset = submission.dataset
    mode = apply_mode(dataset.code, authority=dataset.authority_for_identity)
    result = ApplyResult(submission_id=submission.pk, mode=mode)
    now = timezone.now()
    keys = dataset_keys(dataset)
    with transaction.atomic(using=using), large_cache(using):
        if rows is None:
            rows = _submission_rows(submission.pk, keys, using)
        context, compared = "", None
        if mode == "register":
            villages = _villages(using)
            context = _context(submission, keys, villages)
            compared = _incremental(submission, rows, differing, context, using)
        if compared is None:
            listed = frames.list_frame(rows, keys)
            result.rows = listed.height
        else:
            # The others are in the register, unchanged since the last version gave them the same values.
            listed = frames.list_frame(compared, keys)
            result.rows = frames.listed_count(rows, keys)
            result.unchanged = result.rows - listed.height
        if mode == "register":
            listed = frames.resolve_villages(listed, frames.village_lookup(villages))
        result.compared = listed.height
        register = _register_frame(listed, using)
        found, missing = frames.match_register(listed, register)
        del register  # found carries the register's values of the listed persons; the rest may go
        if mode == "register":
            _apply_identity(submission, listed, found, missing, result, now, using)
            _mark_write(submission, context, result, using)
        elif mode == "deregistrations":
            status_only = found.with_columns(
                [pl.lit(None, dtype=REGISTER_SCHEMA[f]).alias(f) for f in frames.SEALED_FIELDS]
                + [pl.lit(None, dtype=pl.String).alias(f) for f in ("phone", "relation")]
                + [pl.lit(None, dtype=pl.Int64).alias("household_id")]
            )
            _apply_changes(submission, status_only, result, now, using)
            _report_missing(missing, result)
        else:
            _apply_categories(submission, found, result, now, using)
            _report_missing(missing, result)
            differs = found.filter(pl.col("name").is_not_null() & (pl.col("name") != pl.col("name_old")))
            result.name_differs = differs.height
        result.seconds = round(time.perf_counter() - started, 3)
        audit_record(
            actor=actor,
            action="register.apply",
            object_type="exchange.submission",
            object_id=str(submission.pk),
            payload={
                "dataset": dataset.code,
                "unit": submission.unit_id,
                "version": submission.version,
                **{k: v for k, v in result.as_dict().items() if k not in ("seconds",)},
            },
        )
    return result


# --- the next version of the household register: compare only what may have changed (SQLite) ---------------
#
# Applying a police row to the register is idempotent: a person's values become the row's (where it gives one),
# so the same row applied again changes nothing, unless something else changed the person, the person's
# household, or how rows are read (the code, the dataset's columns, the villages) in between. The database's
# triggers (migration registry 0004) record every update and removal of a resident or household; persons added
# have higher ids (AUTOINCREMENT; SQLite commits one writer at a time). So after a version's apply its mark notes
# the last change, person and household; for the next version of the same list, only these persons can change:
#   - those whose row differs from the previous version's (the exchange's digests);
#   - those the register changed, removed or added since the mark (by ID number, old and new);
#   - those the previous version could not place (not in the register then, perhaps now).
# Every other listed person is in the register with the values its unchanged row gives. Should a household have
# changed since, or the context differ, or the triggers be missing (PostgreSQL), the whole list is compared.

_TRIGGERS = (
    "registry_person_changed",
    "registry_person_removed",
    "registry_household_changed",
    "registry_household_removed",
)
_UNPLACED_KEPT = 20_000  # a version with more unplaced rows leaves them out of its mark: the next compares all


def _code_digest() -> str:
    """Digest the code that turns a row into register values: another release, or any edit, starts afresh."""
    try:
        code = b"".join(Path(__file__).with_name(n).read_bytes() for n in ("frames.py", "rules.py", "services.py"))
    except OSError:
        return uuid.uuid4().hex  # no sources to read: no mark is ever taken for this code's
    return hashlib.sha256(code).hexdigest()


_CODE_DIGEST = _code_digest()


def _tracked(using: str) -> bool:
    """Tell whether the database records register changes (the triggers of migration registry 0004)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    marks = ", ".join("%s" for _ in _TRIGGERS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",  # noqa: S608
            _TRIGGERS,
        )
        (count,) = cursor.fetchone()
    return int(count) == len(_TRIGGERS)


def _context(submission: Submission, keys: Sequence[str], villages: pl.DataFrame) -> str:
    """Digest what decides, besides the register, what a row gives: this code, the dataset's keys, the villages."""
    parts = [_CODE_DIGEST, str(submission.dataset_id), *keys]
    digest = hashlib.sha256(("\x1f".join(parts) + "\n").encode())
    digest.update(villages.sort("code").write_csv().encode())
    return digest.hexdigest()


def _latest(model: Any, using: str) -> int:
    return int(model.objects.using(using).aggregate(last=Max("id"))["last"] or 0)


def _mark_usable(submission: Submission, context: str, using: str) -> ApplyMark | None:
    """The mark of the version this one replaces, if the next apply may start from it (see above)."""
    if not settings.LIANGXIAN_REGISTER_INCREMENTAL or submission.previous_id is None or not _tracked(using):
        return None
    mark = ApplyMark.objects.using(using).filter(submission_id=submission.previous_id).first()
    if mark is None or mark.context != context:
        return None
    if _latest(Household, using) != mark.household_id:
        return None
    if RegisterChange.objects.using(using).filter(id__gt=mark.change_id, household_id__isnull=False).exists():
        return None
    return mark


def _incremental(
    submission: Submission, rows: pl.DataFrame, differing: pl.Series | None, context: str, using: str
) -> pl.DataFrame | None:
    """The rows of the persons that may have changed since the previous version's apply, or None: compare all.

    Chosen by ID number, so that every row of a chosen number is among them (list_frame keeps one per number).
    """
    if differing is None:
        return None
    mark = _mark_usable(submission, context, using)
    if mark is None:
        return None
    changed = RegisterChange.objects.using(using).filter(id__gt=mark.change_id)
    numbers = set(differing.to_list()) | set(mark.unplaced)
    for old, new in changed.values_list("old_id_number", "new_id_number").iterator():
        numbers.update((old, new))
    added = Person.objects.using(using).filter(id__gt=mark.person_id).values_list("id_number", flat=True)
    numbers.update(added)
    wanted = pl.Series([n for n in numbers if n], dtype=pl.String).str.strip_chars().str.to_uppercase()
    return rows.filter(frames.listed_number().is_in(wanted.implode()))


def _mark_write(submission: Submission, context: str, result: ApplyResult, using: str) -> None:
    """Note where the register stands after this apply, for the next version; forget what no mark needs."""
    if not _tracked(using):
        return
    if submission.previous_id is not None:
        ApplyMark.objects.using(using).filter(submission_id=submission.previous_id).delete()
    if result.unplaced_numbers is None:
        return  # too many to keep: the next version compares the whole list
    ApplyMark.objects.using(using).update_or_create(
        submission=submission,
        defaults={
            "change_id": _latest(RegisterChange, using),
            "person_id": _latest(Person, using),
            "household_id": _latest(Household, using),
            "context": context,
            "unplaced": result.unplaced_numbers,
        },
    )
    oldest = ApplyMark.objects.using(using).aggregate(oldest=Min("change_id"))["oldest"]
    RegisterChange.objects.using(using).filter(id__lte=oldest).delete()


def _submission_rows(submission_id: int, keys: Sequence[str], using: str) -> pl.DataFrame:
    """Read a submission's accepted rows with the values the register uses (PostgreSQL extracts them from JSON)."""
    from liangxian.exchange.models import SubmissionRow

    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(SubmissionRow._meta.db_table)
    needed = {k for ks in frames.FIELD_KEYS.values() for k in ks}
    wanted = sorted(k for k in set(keys) & needed if _KEY.fullmatch(k) and k not in ("id_number", "name", "category"))
    fixed: dict[str, Any] = {"row_number": pl.Int64, "id_number": pl.String, "name": pl.String, "category": pl.String}
    if connection.vendor != "postgresql":
        # SQLite parses the JSON again for every json_extract; Polars decodes the whole column faster in one pass.
        return read_frame(
            f"SELECT row_number, id_number, name, category, data FROM {table} "  # noqa: S608 - quoted name
            "WHERE submission_id = %s AND outcome IN (%s, %s) ORDER BY row_number",
            [submission_id, *ACCEPTED_OUTCOMES],
            schema=fixed | {"data": pl.String},
            using=using,
        ).sort("row_number")
    extracts = [f"data ->> '{k}'" for k in wanted]
    columns = ", ".join(
        [
            "row_number",
            "id_number",
            "name",
            "category",
            *[f"{e} AS {quote(k)}" for e, k in zip(extracts, wanted, strict=True)],
        ]
    )
    return read_frame(
        f"SELECT {columns} FROM {table} "  # noqa: S608 - quoted names; keys checked against _KEY
        "WHERE submission_id = %s AND outcome IN (%s, %s) ORDER BY row_number",
        [submission_id, *ACCEPTED_OUTCOMES],
        schema=fixed | dict.fromkeys(wanted, pl.String),
        using=using,
    )


def _villages(using: str) -> pl.DataFrame:
    rows = list(
        Division.objects.using(using).filter(level=DivisionLevel.VILLAGE).values_list("code", "name", "parent__name")
    )
    return pl.DataFrame(rows, schema={"code": pl.String, "name": pl.String, "township_name": pl.String}, orient="row")


_REGISTER_COLUMNS = (
    "id, id_type, id_number, name, sex, CAST(birth_date AS TEXT), village_code, status, CAST(status_date AS TEXT), "
    "phone, relation, household_id, batch"
)


def _whole_register_sql(using: str) -> str:
    table = connections[using].ops.quote_name(Person._meta.db_table)
    return f"SELECT {_REGISTER_COLUMNS} FROM {table}"  # noqa: S608 - quoted name


def _register_frame(listed: pl.DataFrame, using: str) -> pl.DataFrame:
    """Fetch the register's values of the persons a list names (the whole register for a large list)."""
    table = connections[using].ops.quote_name(Person._meta.db_table)
    if listed.height > _LARGE_LIST:
        # Read ahead, while the list's rows were loaded, where the database allows (register_read_ahead).
        return read_frame(_whole_register_sql(using), [], schema=REGISTER_SCHEMA, using=using)
    # The persons by the list's (type, number) pairs, through the register's unique index on them.
    pairs = listed.select(pl.col("id_type").alias("t_type"), pl.col("id_number").alias("t_number")).unique()
    with temp_table("lx_register_pairs", pairs, using=using) as temp:
        return read_frame(
            f"SELECT {_REGISTER_COLUMNS} FROM {table} JOIN {temp} AS t "  # noqa: S608 - quoted names
            "ON t.t_type = id_type AND t.t_number = id_number",
            [],
            schema=REGISTER_SCHEMA,
            using=using,
        )


def _source_label(submission: Submission) -> str:
    return f"{submission.dataset_id} v{submission.version or '-'} #{submission.pk}"[:80]


def _apply_identity(
    submission: Submission,
    listed: pl.DataFrame,
    found: pl.DataFrame,
    missing: pl.DataFrame,
    result: ApplyResult,
    now: datetime,
    using: str,
) -> None:
    """Create the persons the household register adds and take its identity and status for the others."""
    households = _households(submission, listed, result, using)
    # A looked-up column rather than a join: a join would copy the whole (large) frame of found persons.
    household_id = pl.col("household_number").replace_strict(
        households["household_number"], households["household_id"], default=None, return_dtype=pl.Int64
    )
    found = found.with_columns(household_id.alias("household_id"))
    missing = missing.with_columns(household_id.alias("household_id"))
    placeable = pl.col("village_code").is_not_null() & pl.col("name").is_not_null()
    unplaced = missing.filter(~placeable)
    result.unplaced = unplaced.height
    result.unplaced_sample = _sample(unplaced)
    result.unplaced_numbers = unplaced["id_number"].to_list() if unplaced.height <= _UNPLACED_KEPT else None
    new = missing.filter(placeable)
    batch = f"exchange-{submission.pk}"
    result.batch = batch
    if new.height:
        persons = frames.person_rows(
            new,
            source=_source_label(submission),
            batch=batch,
            household_id=pl.col("household_id"),
            status=pl.col("status").fill_null("active"),
            status_date=pl.col("status_date"),
        )
        bulk_insert(Person, persons, using=using)
        result.created = persons.height
        table = connections[using].ops.quote_name(Person._meta.db_table)
        ids = read_frame(
            f"SELECT id FROM {table} WHERE batch = %s",  # noqa: S608 - quoted name
            [batch],
            schema={"person_id": pl.Int64},
            using=using,
        ).sort("person_id")
        facts = ids.select("person_id", pl.lit(CREATION_FACT).alias("field"), pl.lit("").alias("value"))
        result.facts += _insert_facts(facts, submission=submission, now=now, using=using)
        _seal_person_batch(
            actor=None,
            batch=batch,
            action="register.load",
            payload={"submission": submission.pk, "dataset": submission.dataset_id, "persons": persons.height},
            using=using,
        )
    _apply_changes(submission, found, result, now, using)


def _households(submission: Submission, listed: pl.DataFrame, result: ApplyResult, using: str) -> pl.DataFrame:
    """Return household_number → household_id for the list, creating the households the register lacks."""
    wanted = (
        listed.filter(pl.col("household_number").is_not_null() & pl.col("village_code").is_not_null())
        .select(pl.col("household_number").str.slice(0, 30), "village_code")
        .unique("household_number", keep="first", maintain_order=True)
    )
    empty = pl.DataFrame(schema={"household_number": pl.String, "household_id": pl.Int64})
    if wanted.is_empty():
        return empty
    table = connections[using].ops.quote_name(Household._meta.db_table)
    schema = {"household_id": pl.Int64, "household_number": pl.String}
    existing = read_frame(f"SELECT id, number FROM {table}", [], schema=schema, using=using)  # noqa: S608
    new = wanted.join(existing, on="household_number", how="anti")
    if new.height:
        source = f"exchange-{submission.pk}"
        bulk_insert(
            Household,
            new.select(
                pl.col("household_number").alias("number"),
                pl.col("village_code").alias("village_id"),
                pl.lit("").alias("address"),
                pl.lit(source).alias("source"),
            ),
            using=using,
        )
        result.households_created = new.height
        created = read_frame(
            f"SELECT id, number FROM {table} WHERE source = %s",  # noqa: S608 - quoted name
            [source],
            schema=schema,
            using=using,
        )
        existing = pl.concat([existing, created])
    return wanted.join(existing, on="household_number", how="inner").select("household_number", "household_id")


def _apply_changes(submission: Submission, found: pl.DataFrame, result: ApplyResult, now: datetime, using: str) -> None:
    """Write the authority's changed values over the register in one UPDATE, each with its fact; re-seal batches."""
    if "household_id" not in found.columns:
        found = found.with_columns(pl.lit(None, dtype=pl.Int64).alias("household_id"))
    changes = frames.identity_changes(found)
    result.updated = changes.height
    result.unchanged += found.height - changes.height
    if changes.is_empty():
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    person = quote(Person._meta.db_table)
    update = changes.select(
        "person_id",
        *frames.COMPARED_FIELDS,
        pl.col("village_code").str.slice(0, 9).alias("township_code"),
    )
    columns = [*frames.COMPARED_FIELDS, "township_code"]
    with temp_table("lx_person_update", update, using=using, types=_TEMP_TYPES) as temp:
        assignments = ", ".join(f"{quote(c)} = t.{quote(c)}" for c in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {person} SET {assignments} FROM {temp} AS t WHERE {person}.id = t.person_id"  # noqa: S608
            )
    facts = frames.fact_rows(changes)
    _retire_facts(facts, using)
    result.facts += _insert_facts(facts, submission=submission, now=now, using=using)
    batches = changes.filter(pl.col("sealed") & pl.col("batch").is_not_null() & (pl.col("batch") != ""))
    result.resealed = batches_reseal(
        actor=None,
        batches=batches["batch"].unique().sort().to_list(),
        reason={"submission": submission.pk, "dataset": submission.dataset_id},
        using=using,
    )


_TEMP_TYPES = {
    "person_id": "bigint",
    "id": "bigint",
    "household_id": "bigint",
    "birth_date": "date",
    "status_date": "date",
}


def _retire_facts(facts: pl.DataFrame, using: str) -> None:
    """Mark the facts a new value replaces as no longer current."""
    connection = connections[using]
    table = connection.ops.quote_name(PersonFact._meta.db_table)
    keys = facts.select("person_id", "field").unique()
    with temp_table("lx_fact_retire", keys, using=using, types=_TEMP_TYPES) as temp, connection.cursor() as cursor:
        # Driven from the (small) set of changed keys through the (person, field, current) index.
        cursor.execute(
            f"UPDATE {table} SET current = %s WHERE id IN (SELECT f.id FROM {temp} AS t "  # noqa: S608 - quoted names
            f"JOIN {table} AS f ON f.person_id = t.person_id AND f.field = t.field AND f.current = %s)",
            [False, True],
        )


def _insert_facts(
    facts: pl.DataFrame,
    *,
    submission: Submission | None = None,
    change_request: ChangeRequest | None = None,
    now: datetime,
    using: str,
) -> int:
    if facts.is_empty():
        return 0
    source = (
        _source_label(submission)
        if submission is not None
        else f"correction #{change_request.pk if change_request else ''}"
    )
    frame = facts.select(
        "person_id",
        pl.col("field").str.slice(0, 40),
        pl.col("value").fill_null("").str.slice(0, 200),
        pl.lit(submission.pk if submission is not None else None, dtype=pl.Int64).alias("submission_id"),
        pl.lit(change_request.pk if change_request is not None else None, dtype=pl.Int64).alias("change_request_id"),
        pl.lit(source).alias("source"),
        pl.lit(now).dt.convert_time_zone("UTC").alias("recorded_at"),
        pl.lit(True).alias("current"),
    )
    return bulk_insert(PersonFact, frame, using=using)


def batches_reseal(
    *, actor: User | None, batches: Sequence[str], reason: dict[str, Any], using: str = "default"
) -> list[str]:
    """Seal again those of these load batches that were sealed, after a recorded change of their rows."""
    if not batches:
        return []
    sealed = set(
        AuditEvent.objects.using(using)
        .filter(object_type=Person._meta.label_lower, object_id__in=list(batches))
        .values_list("object_id", flat=True)
    )
    done = []
    for batch in sorted(sealed):
        _seal_person_batch(actor=actor, batch=batch, action="register.reseal", payload=reason, using=using)
        done.append(batch)
    return done


def person_batch_digest(batch: str, *, using: str = "default") -> tuple[int, str]:
    """Count and hash a load batch of residents exactly as ``core.sealing.batch_digest`` does, in columns.

    ``batch_digest`` hashes one ``orjson`` array per row (``[pk,"text",...,null]`` and a newline). The sealed
    columns are text and one date, so Polars writes the same lines column-wise: strings quoted with ``\\`` and
    ``"`` escaped, ``null`` for NULL. A row holding a control character (escaped by orjson in its own way) is left
    to orjson itself. On SQLite the database writes the lines itself (``json_array`` escapes as orjson does; it
    would differ on a boolean column, which the sealed columns have none of).
    """
    spec = seal_spec(Person)
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = {f.name: (str(f.column), f.get_internal_type()) for f in Person._meta.concrete_fields}
    selected = ", ".join(
        f"CAST({quote(fields[c][0])} AS TEXT)" if fields[c][1] == "DateField" else quote(fields[c][0])
        for c in spec.columns
    )
    table = quote(Person._meta.db_table)
    where = f"FROM {table} WHERE {quote(spec.batch_field)} = %s"
    if connection.vendor == "sqlite":
        return _sqlite_batch_digest(connection, f"SELECT json_array(id, {selected}) {where} ORDER BY id", batch)
    sql = f"SELECT id, {selected} {where}"
    schema: dict[str, Any] = {"_pk": pl.Int64} | {f"_{c}": pl.String for c in spec.columns}
    frame = read_frame(sql, [batch], schema=schema, using=using).sort("_pk")
    digest = hashlib.sha256()
    for chunk in frame.iter_slices(_DIGEST_CHUNK):
        digest.update(_json_lines(chunk).encode())
    return frame.height, digest.hexdigest()


_DIGEST_CHUNK = 50_000


def _sqlite_batch_digest(connection: Any, sql: str, batch: str) -> tuple[int, str]:
    """Let SQLite write each row as the JSON array orjson writes (``json_array``: the same escapes, raw UTF-8) and
    hash the lines as bytes, with no value ever made a Python object; the tests hold it byte-equal to core's."""
    digest = hashlib.sha256()
    count = 0
    with sqlite_bytes(connection), connection.cursor() as cursor:
        cursor.execute(sql, [batch])
        while rows := cursor.fetchmany(_DIGEST_CHUNK):
            digest.update(b"\n".join(line for (line,) in rows) + b"\n")
            count += len(rows)
    return count, digest.hexdigest()


_CONTROL = r"[\x00-\x1f]"


def _json_lines(frame: pl.DataFrame) -> str:
    """Write each row as orjson would write the tuple of its values, newline-ended, all joined into one text."""
    texts = [c for c, t in frame.schema.items() if t == pl.String]
    parts: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype == pl.String:
            escaped = column.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
            parts.append(pl.when(column.is_null()).then(pl.lit("null")).otherwise(pl.lit('"') + escaped + pl.lit('"')))
        else:
            parts.append(column.cast(pl.String).fill_null("null"))
    line = pl.lit("[") + pl.concat_str(parts, separator=",") + pl.lit("]\n")
    control = pl.any_horizontal([pl.col(c).str.contains(_CONTROL).fill_null(False) for c in texts]) if texts else None
    lines = frame.select(line.alias("line"), (control if control is not None else pl.lit(False)).alias("control"))
    if lines["control"].any():
        odd = frame.filter(lines["control"]).rows()
        exact = [orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE).decode() for row in odd]
        index = lines.with_row_index("_i").filter(pl.col("control"))["_i"].to_list()
        values = lines["line"].to_list()
        for at, text in zip(index, exact, strict=True):
            values[at] = text
        return "".join(values)
    return str(lines["line"].str.join("").item())


def _seal_person_batch(
    *, actor: User | None, batch: str, action: str, payload: dict[str, Any], using: str = "default"
) -> AuditEvent:
    """Write a seal of a resident batch in core's format (``liangxian audit verify`` recomputes it the core way)."""
    spec = seal_spec(Person)
    count, digest = person_batch_digest(batch, using=using)
    seal = {
        "v": SEAL_VERSION,
        "model": spec.label,
        "batch_field": spec.batch_field,
        "batch": batch,
        "columns": list(spec.columns),
        "rows": count,
        "digest": digest,
    }
    return audit_record(
        actor=actor, action=action, object_type=spec.label, object_id=batch, payload={**payload, "seal": seal}
    )


def _sample(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.head(SAMPLE_SIZE).select("row_number", "id_number", "name").to_dicts()


def _report_missing(missing: pl.DataFrame, result: ApplyResult) -> None:
    # A non-police list cannot create a resident: public security is the authority for who exists (Art 12).
    result.not_in_register = missing.height
    result.not_in_register_sample = _sample(missing)


def _apply_categories(
    submission: Submission, found: pl.DataFrame, result: ApplyResult, now: datetime, using: str
) -> None:
    """Open the categories this version lists and close those of the provider's previous version it drops."""
    from liangxian.exchange.models import Submission as SubmissionModel

    dataset = submission.dataset
    listed = frames.category_rows(found, fallback=dataset.category or dataset.code)
    connection = connections[using]
    quote = connection.ops.quote_name
    category = quote(PersonCategory._meta.db_table)
    submissions = quote(SubmissionModel._meta.db_table)
    current = read_frame(
        f"SELECT c.id, c.person_id, c.category, c.detail FROM {category} AS c "  # noqa: S608 - quoted names
        f"JOIN {submissions} AS s ON s.id = c.submission_id "
        "WHERE c.dataset = %s AND s.unit_id = %s AND c.until IS NULL",
        [dataset.code, submission.unit_id],
        schema={"id": pl.Int64, "person_id": pl.Int64, "category": pl.String, "detail": pl.String},
        using=using,
    )
    close, open_ = frames.category_delta(current, listed)
    if close.height:
        with (
            temp_table("lx_category_close", close, using=using, types=_TEMP_TYPES) as temp,
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"UPDATE {category} SET until = %s WHERE id IN (SELECT id FROM {temp})",  # noqa: S608
                [now],
            )
    if open_.height:
        bulk_insert(
            PersonCategory,
            open_.select(
                "person_id",
                "category",
                "detail",
                pl.lit(dataset.code).alias("dataset"),
                pl.lit(submission.pk, dtype=pl.Int64).alias("submission_id"),
                pl.lit(now).dt.convert_time_zone("UTC").alias("since"),
            ),
            using=using,
        )
    result.categories_closed = close.height
    result.categories_opened = open_.height


# ------------------------------------------------------------------------------------------------- corrections


def _check_sees(actor: Actor, person: Person) -> None:
    if not actor.sees_division(person.village_code):
        raise RegisterError("out_of_scope", _("This resident is not within your unit's duty."))


def _current_value(person: Person, field_name: str) -> str:
    value = getattr(person, field_name)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _parse_value(field_name: str, text: str) -> Any:
    text = (text or "").strip()
    if field_name in ("birth_date", "status_date"):
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise RegisterError(
                "invalid_value", _("%(field)s must be a date (YYYY-MM-DD).") % {"field": field_name}
            ) from None
    if field_name == "sex" and text not in ("M", "F"):
        raise RegisterError("invalid_value", _("Sex must be M or F."))
    if field_name == "status" and text not in ("active", "deceased", "moved_away"):
        raise RegisterError("invalid_value", _("Unknown status."))
    if field_name == "village_code" and not Division.objects.filter(code=text, level=DivisionLevel.VILLAGE).exists():
        raise RegisterError("invalid_value", _("Unknown village code."))
    if field_name == "id_number":
        from liangxian.core import idnumbers

        check = idnumbers.check_resident_id(text, today=timezone.localdate())
        if not check.ok or check.value is None:
            raise RegisterError("invalid_value", _("The ID number is not valid."))
        return check.value
    if field_name == "name" and not text:
        raise RegisterError("invalid_value", _("The name cannot be empty."))
    return text


def _evidence(evidence: UploadedFile | None) -> tuple[ContentFile | None, str]:
    if evidence is None:
        return None, ""
    if evidence.size is not None and evidence.size > rules.EVIDENCE_MAX_BYTES:
        raise RegisterError("evidence_too_large", _("The evidence file is larger than 10 MB."))
    content = evidence.read()
    if len(content) > rules.EVIDENCE_MAX_BYTES:
        raise RegisterError("evidence_too_large", _("The evidence file is larger than 10 MB."))
    if rules.evidence_type(content[:16]) is None:
        raise RegisterError("evidence_type", _("The evidence must be a PDF, PNG or JPEG file."))
    digest = hashlib.sha256(content).hexdigest()
    return ContentFile(content, name=evidence.name or "evidence"), digest


def change_request_create(
    *,
    actor: User,
    person: Person,
    changes: dict[str, str],
    reason: str,
    evidence: UploadedFile | None = None,
) -> ChangeRequest:
    """Ask for a manual correction of a resident's record; it is applied only once another user approves it."""
    who = Actor.of(actor)
    _check_sees(who, person)
    if not reason.strip():
        raise RegisterError("reason_required", _("Say why the record is wrong."))
    unknown = sorted(set(changes) - rules.CORRECTABLE_FIELDS)
    if unknown:
        raise RegisterError(
            "unknown_field", _("These fields cannot be corrected: %(fields)s") % {"fields": ", ".join(unknown)}
        )
    diff: dict[str, list[str]] = {}
    for name, after in changes.items():
        value = _parse_value(name, after)
        after_text = value.isoformat() if isinstance(value, date) else ("" if value is None else str(value))
        before = _current_value(person, name)
        if after_text != before:
            diff[name] = [before, after_text]
    if not diff:
        raise RegisterError("no_change", _("The correction changes nothing."))
    upload, digest = _evidence(evidence)
    with transaction.atomic():
        request = ChangeRequest(
            person=person,
            changes=diff,
            reason=reason.strip(),
            requested_by=actor,
            requested_at=timezone.now(),
        )
        if upload is not None:
            request.evidence.save(upload.name or "evidence", upload, save=False)
        request.save()
        audit_record(
            actor=actor,
            action="register.correction_request",
            obj=request,
            payload={"person": person.pk, "changes": diff, "reason": request.reason, "evidence_sha256": digest},
        )
    return request


def change_request_can_decide(*, actor: User, request: ChangeRequest) -> bool:
    """Tell whether this user may approve or reject the correction: another user of an authorised department."""
    if actor.pk == request.requested_by_id or actor.unit is None:
        return False
    who = Actor.of(actor)
    departments = rules.approver_departments(set(request.changes))
    return (
        who.unit_kind == "department"
        and who.department in departments
        and who.role in rules.APPROVER_ROLES
        and who.sees_division(request.person.village_code)
    )


def change_request_decide(*, actor: User, request: ChangeRequest, approve: bool, note: str = "") -> ChangeRequest:
    """Approve (and apply) or reject a correction; identity needs public security, never the requester himself."""
    with transaction.atomic():
        locked = ChangeRequest.objects.select_for_update().select_related("person").get(pk=request.pk)
        if locked.status != ChangeRequestStatus.PENDING:
            raise RegisterError("already_decided", _("This correction has already been decided."))
        if actor.pk == locked.requested_by_id:
            raise RegisterError("same_user", _("A correction must be approved by someone other than its requester."))
        if not change_request_can_decide(actor=actor, request=locked):
            raise RegisterError("forbidden", _("Your unit or role may not decide this correction."))
        now = timezone.now()
        person = Person.objects.select_for_update().get(pk=locked.person_id)
        if approve:
            stale = [f for f, (before, _after) in locked.changes.items() if _current_value(person, f) != before]
            if stale:
                raise RegisterError(
                    "stale",
                    _("The record changed since the correction was asked for (%(fields)s): ask again.")
                    % {"fields": ", ".join(stale)},
                )
            _apply_correction(actor, locked, person, now)
        locked.status = ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = now
        locked.decision_note = note.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="register.correction_approve" if approve else "register.correction_reject",
            obj=locked,
            payload={"person": person.pk, "changes": locked.changes, "note": locked.decision_note},
        )
    return locked


def _apply_correction(actor: User, request: ChangeRequest, person: Person, now: datetime) -> None:
    fields = []
    for name, (_before, after) in request.changes.items():
        value = _parse_value(name, after)
        setattr(person, name, value)
        fields.append(name)
        if name == "village_code":
            person.township_code = str(value)[:9]
            fields.append("township_code")
    if (
        "id_number" in request.changes
        and Person.objects.filter(id_type=person.id_type, id_number=person.id_number).exclude(pk=person.pk).exists()
    ):
        raise RegisterError("duplicate_id", _("Another resident already has this ID number."))
    person.save(update_fields=fields)
    PersonFact.objects.filter(person=person, field__in=list(request.changes), current=True).update(current=False)
    PersonFact.objects.bulk_create(
        [
            PersonFact(
                person=person,
                field=name,
                value=after[:200],
                change_request=request,
                source=f"correction #{request.pk}",
                recorded_at=now,
                current=True,
            )
            for name, (_before, after) in request.changes.items()
        ]
    )
    from .apps import PERSON_SEALED_COLUMNS

    if person.batch and set(request.changes) & set(PERSON_SEALED_COLUMNS):
        batches_reseal(actor=actor, batches=[person.batch], reason={"correction": request.pk})


# ------------------------------------------------------------------------------------------ verification requests


def _default_owner(unit: Unit) -> User:
    from liangxian.org.models import DataContact, User

    today = timezone.localdate()
    contact = (
        DataContact.objects.filter(unit=unit, since__lte=today)
        .exclude(until__lt=today)
        .select_related("user")
        .order_by("-since")
        .first()
    )
    if contact is not None:
        return contact.user
    user = User.objects.filter(unit=unit, is_active=True).order_by("role", "pk").first()
    if user is None:
        raise RegisterError("no_owner", _("The asked unit has no user who could own the request."))
    return user


def verification_request_create(
    *,
    actor: User,
    target: Unit,
    question: str,
    id_numbers: Sequence[str] = (),
    owner: User | None = None,
) -> VerificationRequest:
    """Ask another department to check particular persons (Art 6, 12); the request gets an owner there."""
    if actor.unit is None:
        raise RegisterError("no_unit", _("Only a user acting for a unit may ask another to verify."))
    if target.pk == actor.unit_id:
        raise RegisterError("same_unit", _("Ask another unit, not your own."))
    if not question.strip():
        raise RegisterError("question_required", _("Say what should be checked."))
    from liangxian.core import idnumbers

    numbers = []
    for raw in id_numbers:
        number, _repairs = idnumbers.normalise(str(raw))
        if number and number not in numbers:
            numbers.append(number)
    if owner is not None and owner.unit_id != target.pk:
        raise RegisterError("owner_elsewhere", _("The owner must belong to the asked unit."))
    with transaction.atomic():
        request = VerificationRequest.objects.create(
            requester=actor.unit,
            target=target,
            level=rules.level_of_division(target.division_id) if target.division_id else "county",
            question=question.strip(),
            id_numbers=numbers,
            owner=owner or _default_owner(target),
            asked_by=actor,
            asked_at=timezone.now(),
        )
        persons = list(Person.objects.filter(id_type__in=rules.DOCUMENT_WORDS.values(), id_number__in=numbers))
        request.persons.set(persons)
        audit_record(
            actor=actor,
            action="register.verification_ask",
            obj=request,
            payload={"target": target.pk, "level": request.level, "persons": len(numbers)},
        )
    return request


def _may_act_for_target(actor: User, request: VerificationRequest) -> bool:
    return actor.pk == request.owner_id or (actor.unit_id is not None and actor.unit_id == request.target_id)


def verification_request_answer(*, actor: User, request: VerificationRequest, answer: str) -> VerificationRequest:
    """Record the answer of the asked unit, and with it the time the request took."""
    with transaction.atomic():
        locked = VerificationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != VerificationStatus.OPEN:
            raise RegisterError("not_open", _("This request is no longer open."))
        if not _may_act_for_target(actor, locked):
            raise RegisterError("forbidden", _("Only the asked unit answers the request."))
        if not answer.strip():
            raise RegisterError("answer_required", _("Write the answer."))
        locked.answer = answer.strip()
        locked.answered_by = actor
        locked.answered_at = timezone.now()
        locked.status = VerificationStatus.ANSWERED
        locked.save(update_fields=["answer", "answered_by", "answered_at", "status"])
        audit_record(
            actor=actor,
            action="register.verification_answer",
            obj=locked,
            payload={"seconds": int((locked.answered_at - locked.asked_at).total_seconds())},
        )
    return locked


def verification_request_escalate(
    *,
    actor: User,
    request: VerificationRequest,
    reason: str,
    target: Unit | None = None,
    owner: User | None = None,
) -> VerificationRequest:
    """Pass a request the asked unit cannot answer one level up, as a new request linked to it (Art 12).

    Where the upper level has no unit in the system, the asked unit carries the request on and records the
    answer it receives: the new request's target is then the asked unit itself, at the higher level.
    """
    with transaction.atomic():
        locked = VerificationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != VerificationStatus.OPEN:
            raise RegisterError("not_open", _("This request is no longer open."))
        if not _may_act_for_target(actor, locked):
            raise RegisterError("forbidden", _("Only the asked unit escalates the request."))
        level = rules.next_level(locked.level)
        if level is None:
            raise RegisterError("top_level", _("The request is already at the national level."))
        if not reason.strip():
            raise RegisterError("reason_required", _("Say why the request cannot be answered here."))
        carrier = target or locked.target
        if target is not None and target.division_id and rules.level_of_division(target.division_id) != level:
            raise RegisterError("wrong_level", _("The unit asked next must be at the next level up."))
        if owner is not None and owner.unit_id != carrier.pk:
            raise RegisterError("owner_elsewhere", _("The owner must belong to the asked unit."))
        now = timezone.now()
        upper = VerificationRequest.objects.create(
            requester=locked.target,
            target=carrier,
            level=level,
            question=locked.question,
            id_numbers=locked.id_numbers,
            owner=owner or (actor if target is None else _default_owner(carrier)),
            asked_by=actor,
            asked_at=now,
            escalated_from=locked,
        )
        upper.persons.set(list(locked.persons.all()))
        locked.status = VerificationStatus.ESCALATED
        locked.answer = reason.strip()
        locked.answered_by = actor
        locked.answered_at = now
        locked.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        audit_record(
            actor=actor,
            action="register.verification_escalate",
            obj=upper,
            payload={"from": locked.pk, "level": level, "target": carrier.pk, "reason": locked.answer},
        )
    return upper


def register_read_ahead_on_list_loading(
    sender: object, *, dataset: Dataset, rows: int, submission: Submission, **kwargs: object
) -> None:
    """Start reading the whole register while a large list that applies to it loads (exchange.list_loading).

    The apply reads it before it writes anything to the register (see _register_frame), so the read ahead holds
    what the apply would read (batch.ahead). Not where the apply will compare only the persons that may have
    changed (_incremental): the exchange compares the versions by digests, and the previous one left a mark.
    """
    if rows <= _LARGE_LIST:
        return
    keys = dataset_keys(dataset)
    register = apply_mode(dataset.code, authority=dataset.authority_for_identity) == "register"
    previous = submission.previous
    by_digest = (
        previous is not None and bool(previous.digest_scheme) and previous.digest_scheme == submission.digest_scheme
    )
    if register and by_digest and _mark_usable(submission, _context(submission, keys, _villages("default")), "default"):
        return
    read_ahead(_whole_register_sql("default"), [], schema=REGISTER_SCHEMA)


def register_apply_on_list_in_force(
    sender: object,
    *,
    actor: User | None,
    submission: Submission,
    rows: pl.DataFrame | None = None,
    differing: pl.Series | None = None,
    **kwargs: object,
) -> None:
    """Apply a list the moment the exchange puts it in force (receiver of exchange.signals.list_in_force)."""
    register_apply(actor=actor, submission=submission, rows=rows, differing=differing)
