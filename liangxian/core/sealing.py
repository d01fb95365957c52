"""Seals on rows loaded in bulk: one audit event carries the digest of the batch it loaded.

``bulk_create`` and COPY bypass every per-row audit, so each app registers its bulk-loaded model with the
batch field and the columns that must never change; the loader calls :func:`seal_batch` in its transaction,
and ``liangxian audit verify`` recomputes each batch's digest to find a row changed or deleted since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
from django.apps import apps
from django.db import models, transaction
from django.utils.translation import gettext as _

from .audit import Problem, audit_record

if TYPE_CHECKING:
    from liangxian.org.models import User

    from .models import AuditEvent

SEAL_VERSION = 1
_CHUNK = 5000


class SealError(Exception):
    """A batch cannot be sealed."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SealSpec:
    """Which model is loaded in bulk, the field naming its batch, and the columns a seal covers."""

    label: str
    batch_field: str
    columns: tuple[str, ...]


_SPECS: dict[str, SealSpec] = {}


def seal_register(model: type[models.Model], *, batch_field: str, columns: Sequence[str]) -> SealSpec:
    """Register a model whose bulk-loaded batches are sealed; call from the app's ``ready()``."""
    names = {f.name for f in model._meta.get_fields()} | {f.attname for f in model._meta.concrete_fields}
    unknown = [c for c in (batch_field, *columns) if c not in names]
    if unknown:
        raise SealError(f"{model._meta.label_lower} has no field {', '.join(unknown)}", code="unknown_field")
    spec = SealSpec(label=model._meta.label_lower, batch_field=batch_field, columns=tuple(columns))
    _SPECS[spec.label] = spec
    return spec


def seal_spec(model: type[models.Model] | str) -> SealSpec:
    """Return the registered seal of a model, by class or ``app_label.model``."""
    label = model if isinstance(model, str) else model._meta.label_lower
    try:
        return _SPECS[label.lower()]
    except KeyError:
        raise SealError(f"{label} is not registered for sealing", code="not_registered") from None


def _canonical(value: Any) -> Any:
    """Give orjson a form for a column value it cannot write itself, the same from either database."""
    # orjson writes str, int, bool, None, date and aware datetime (RFC 3339) natively and identically for
    # SQLite and PostgreSQL; Decimal is the one that differs (12.5 vs 12.50) until normalised.
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def batch_digest(*, label: str, batch_field: str, batch_id: str, columns: Sequence[str]) -> tuple[int, str]:
    """Count a batch's rows and hash them in primary-key order, streaming from the database."""
    model = apps.get_model(label)
    rows = (
        model._base_manager.filter(**{batch_field: batch_id})
        .order_by("pk")
        .values_list("pk", *columns)
        .iterator(chunk_size=_CHUNK)
    )
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(orjson.dumps(row, default=_canonical, option=orjson.OPT_APPEND_NEWLINE))
        count += 1
    return count, digest.hexdigest()


def seal_batch(
    *,
    actor: User | None,
    model: type[models.Model] | str,
    batch_id: str,
    action: str,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write the audit event of a bulk load, carrying the digest and count of the rows it loaded."""
    spec = seal_spec(model)
    with transaction.atomic():
        count, digest = batch_digest(
            label=spec.label, batch_field=spec.batch_field, batch_id=str(batch_id), columns=spec.columns
        )
        seal = {
            "v": SEAL_VERSION,
            "model": spec.label,
            "batch_field": spec.batch_field,
            "batch": str(batch_id),
            "columns": list(spec.columns),
            "rows": count,
            "digest": digest,
        }
        return audit_record(
            actor=actor,
            action=action,
            object_type=spec.label,
            object_id=str(batch_id),
            payload={**(payload or {}), "seal": seal},
        )


def seals_verify(seals: Iterable[tuple[int, dict[str, Any]]]) -> list[Problem]:
    """Recompute each sealed batch from its rows; report a batch whose rows were changed, added or deleted."""
    problems: list[Problem] = []
    for seq, seal in seals:
        names = {"seq": seq, "batch": seal.get("batch"), "model": seal.get("model")}
        try:
            count, digest = batch_digest(
                label=str(seal["model"]),
                batch_field=str(seal["batch_field"]),
                batch_id=str(seal["batch"]),
                columns=[str(c) for c in seal["columns"]],
            )
        except (KeyError, LookupError, ValueError) as exc:
            problems.append(
                Problem(
                    seq,
                    "seal_unreadable",
                    _("The seal of event #%(seq)s cannot be checked: %(error)s") % {"seq": seq, "error": exc},
                )
            )
            continue
        if count != seal.get("rows"):
            problems.append(
                Problem(
                    seq,
                    "seal_rows",
                    _(
                        "Batch %(batch)s of %(model)s (sealed by event #%(seq)s) had %(sealed)s rows and now has "
                        "%(found)s: rows were deleted or added."
                    )
                    % {**names, "sealed": seal.get("rows"), "found": count},
                )
            )
        elif digest != seal.get("digest"):
            problems.append(
                Problem(
                    seq,
                    "seal_changed",
                    _("Batch %(batch)s of %(model)s (sealed by event #%(seq)s): rows were changed after loading.")
                    % names,
                )
            )
    return problems
