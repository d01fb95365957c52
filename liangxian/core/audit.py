"""The append-only audit chain: every state change is one event chained to the last by SHA-256."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from django.db import connection, connections, models, transaction
from django.db.backends.signals import connection_created
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEvent

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from liangxian.org.models import User

GENESIS = "0" * 64
# Any constant will do: it names the one advisory lock that serialises writers of the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 6531230001


class AuditImmutableError(Exception):
    """An audit event may be appended, never changed or deleted."""

    code = "audit_append_only"


def audit_time(moment: datetime) -> datetime:
    """Return the moment in UTC cut to the millisecond, as it is stored and hashed."""
    if timezone.is_naive(moment):
        raise ValueError("audit times must be timezone-aware")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def audit_time_text(moment: datetime) -> str:
    """Write the moment the way the hash reads it; the same on SQLite and PostgreSQL."""
    return audit_time(moment).isoformat(timespec="milliseconds")


def event_digest(
    *,
    prev_hash: str,
    at: str,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    payload: Any,
    actor_label: str = "",
) -> str:
    """Hash one event's content together with the hash of the event before it."""
    body = orjson.dumps(
        [prev_hash, at, actor_id, actor_label, action, object_type, object_id, payload],
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(body).hexdigest()


def _lock_chain() -> None:
    """Serialise writers of the chain: it has one tail, and two writers must not both extend it."""
    if connection.vendor == "postgresql":
        # A row lock on the last event is not enough: a waiter re-reads that row, not the new tail.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite runs every transaction with BEGIN IMMEDIATE (settings), which already takes the write lock.


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain; call inside the transaction of the change it records."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    # Round-trip through JSON so that what is hashed is exactly what the database gives back.
    payload = orjson.loads(orjson.dumps(payload or {}, default=str, option=orjson.OPT_SORT_KEYS))
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").only("hash").first()
        prev_hash = last.hash if last else GENESIS
        at = audit_time(timezone.now())
        actor_id = actor.pk if actor is not None else None
        actor_label = str(actor)[:150] if actor is not None else "system"
        digest = event_digest(
            prev_hash=prev_hash,
            at=audit_time_text(at),
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            payload=payload,
        )
        return AuditEvent.objects.create(
            at=at,
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            payload=payload,
            prev_hash=prev_hash,
            hash=digest,
        )


# --- append-only ---------------------------------------------------------------------------------------------


@receiver(pre_save, sender=AuditEvent, dispatch_uid="liangxian.audit.refuse_update")
def _refuse_update(sender: type[AuditEvent], instance: AuditEvent, **kwargs: Any) -> None:
    if not instance._state.adding:
        raise AuditImmutableError(f"audit event #{instance.seq} cannot be changed")


@receiver(pre_delete, sender=AuditEvent, dispatch_uid="liangxian.audit.refuse_delete")
def _refuse_delete(sender: type[AuditEvent], instance: AuditEvent, **kwargs: Any) -> None:
    raise AuditImmutableError(f"audit event #{instance.seq} cannot be deleted")


_maintenance = threading.local()


def _audit_locked() -> int:
    return 0 if getattr(_maintenance, "active", False) else 1


@contextlib.contextmanager
def audit_maintenance() -> Iterator[None]:
    """Let this thread empty the audit table on SQLite (``flush``, test teardown); nothing else may."""
    # PostgreSQL needs no such door: its triggers fire on UPDATE and DELETE, and flush uses TRUNCATE.
    previous = getattr(_maintenance, "active", False)
    _maintenance.active = True
    try:
        yield
    finally:
        _maintenance.active = previous


def _register_guard(conn: BaseDatabaseWrapper) -> None:
    # The SQLite triggers (migration core 0003) call this function; a client without it cannot pass them.
    if conn.vendor == "sqlite" and conn.connection is not None:
        conn.connection.create_function("liangxian_audit_locked", 0, _audit_locked)


@receiver(connection_created, dispatch_uid="liangxian.audit.guard")
def _on_connection(sender: object, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    _register_guard(connection)


for _conn in connections.all(initialized_only=True):
    _register_guard(_conn)


# --- verification --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the chain or with a sealed batch, at the event where it shows."""

    seq: int | None
    kind: str
    message: str


@dataclass(frozen=True)
class Head:
    """The last event of the chain: record its hash elsewhere to detect deletion of the newest events."""

    seq: int | None
    hash: str
    count: int
    at: str


@dataclass
class ChainReport:
    """What verifying the chain found, and the sealed batches it met on the way."""

    events: int = 0
    head: Head | None = None
    problems: list[Problem] = field(default_factory=list)
    # The latest seal of each (model, batch): a later seal supersedes an earlier one.
    seals: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    gaps: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


_FIELDS = ("seq", "at", "actor_id", "actor_label", "action", "object_type", "object_id", "payload", "prev_hash", "hash")


def chain_head() -> Head:
    """Return the chain's newest event, with the number of events."""
    count = AuditEvent.objects.count()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash", "at").first()
    if last is None:
        return Head(seq=None, hash=GENESIS, count=0, at="")
    return Head(seq=last[0], hash=last[1], count=count, at=audit_time_text(last[2]))


def chain_verify(*, expect_head: str | None = None, chunk_size: int = 2000) -> ChainReport:
    """Recompute every event's hash from its content and its predecessor's; report each break by seq."""
    report = ChainReport()
    prev_seq: int | None = None
    prev_hash = GENESIS
    head_seen = expect_head is None or expect_head == GENESIS
    last: tuple[Any, ...] | None = None
    rows = AuditEvent.objects.order_by("seq").values_list(*_FIELDS).iterator(chunk_size=chunk_size)
    for row in rows:
        seq, at, actor_id, actor_label, action, object_type, object_id, payload, stored_prev, stored_hash = row
        report.events += 1
        digest = event_digest(
            prev_hash=stored_prev,
            at=audit_time_text(at),
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            payload=payload,
        )
        if digest != stored_hash:
            report.problems.append(
                Problem(
                    seq,
                    "changed",
                    _("Event #%(seq)s was changed: its content no longer gives its hash.") % {"seq": seq},
                )
            )
        gap = prev_seq is not None and seq != prev_seq + 1
        if stored_prev != prev_hash:
            if gap or (prev_seq is None and seq != 1):
                after = prev_seq if prev_seq is not None else 0
                report.problems.append(
                    Problem(
                        seq,
                        "deleted",
                        _("Events between #%(after)s and #%(seq)s were deleted: the chain breaks there.")
                        % {"after": after, "seq": seq},
                    )
                )
            else:
                report.problems.append(
                    Problem(
                        seq,
                        "inserted",
                        _("Event #%(seq)s does not follow #%(prev)s: an event was inserted or replaced.")
                        % {"seq": seq, "prev": prev_seq if prev_seq is not None else 0},
                    )
                )
        elif gap:
            # PostgreSQL burns a sequence number when a transaction rolls back; an unbroken link shows
            # nothing was removed.
            report.gaps += 1
        if isinstance(payload, dict) and isinstance(payload.get("seal"), dict):
            seal = payload["seal"]
            report.seals[(str(seal.get("model")), str(seal.get("batch")))] = (seq, seal)
        if not head_seen and stored_hash == expect_head:
            head_seen = True
        prev_seq, prev_hash, last = seq, stored_hash, row
    if last is not None:
        report.head = Head(seq=last[0], hash=last[-1], count=report.events, at=audit_time_text(last[1]))
    else:
        report.head = Head(seq=None, hash=GENESIS, count=0, at="")
    if not head_seen:
        report.problems.append(
            Problem(
                None,
                "head_missing",
                _(
                    "The recorded head %(hash)s is not in the chain: the newest events were deleted or the chain "
                    "was rewritten."
                )
                % {"hash": expect_head},
            )
        )
    return report
