"""The access log: every view or export of personal data, with its duty (Art 20-21)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone

from .models import AccessLog
from .scope import Actor

if TYPE_CHECKING:
    from django.http import HttpRequest


def access_log(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_ids: Sequence[object] = (),
    count: int | None = None,
    duty: str | None = None,
    query: str = "",
    request: HttpRequest | None = None,
    channel: str = "web",
) -> AccessLog:
    """Record that the actor viewed, listed, exported or was denied personal data."""
    ids = [str(i) for i in object_ids][:200]
    return AccessLog.objects.create(
        at=timezone.now(),
        user_id=actor.user_id,
        unit_code=actor.unit_code,
        duty=duty or actor.resident_duty or "none",
        action=action,
        object_type=object_type,
        object_ids=ids,
        count=len(object_ids) if count is None else count,
        query=query[:500],
        path=(request.get_full_path()[:300] if request is not None else ""),
        channel=channel,
    )
