"""The HTTP status a domain error's code answers with, for the API's front doors."""

from __future__ import annotations

from collections.abc import Collection


def error_status(
    code: str,
    *,
    forbidden: Collection[str] = (),
    not_found: Collection[str] = (),
    conflict: Collection[str] = (),
    too_many: Collection[str] = (),
) -> int:
    """403, 404, 409 or 429 for the codes an app names so; 400 (the input) for every other code."""
    if code in forbidden:
        return 403
    if code in not_found:
        return 404
    if code in too_many:
        return 429
    if code in conflict:
        return 409
    return 400
