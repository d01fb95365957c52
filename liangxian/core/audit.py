"""The append-only audit chain: every state change is one event chained to the last by SHA-256."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import orjson
from django.db import models, transaction
from django.utils import timezone

from .models import AuditEvent

if TYPE_CHECKING:
    from liangxian.org.models import User

GENESIS = "0" * 64


def event_digest(
    *, prev_hash: str, at: str, actor_id: int | None, action: str, object_type: str, object_id: str, payload: Any
) -> str:
    """Hash one event's content together with the hash of the event before it."""
    body = orjson.dumps(
        [prev_hash, at, actor_id, action, object_type, object_id, payload],
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(body).hexdigest()


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
    payload = orjson.loads(orjson.dumps(payload or {}, default=str, option=orjson.OPT_SORT_KEYS))
    with transaction.atomic():
        # Serialise writers: the chain has one tail, so take it under a lock.
        last = AuditEvent.objects.select_for_update().order_by("-seq").only("hash").first()
        prev_hash = last.hash if last else GENESIS
        at = timezone.now().replace(microsecond=(timezone.now().microsecond // 1000) * 1000)
        actor_id = actor.pk if actor is not None else None
        digest = event_digest(
            prev_hash=prev_hash,
            at=at.isoformat(),
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            payload=payload,
        )
        return AuditEvent.objects.create(
            at=at,
            actor_id=actor_id,
            actor_label=str(actor) if actor is not None else "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            payload=payload,
            prev_hash=prev_hash,
            hash=digest,
        )
