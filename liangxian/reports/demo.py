"""The reports read what the other apps seeded (payments, accounts, transfers): nothing of their own to seed."""

from __future__ import annotations

from typing import Any


def demo_seed(*, stdout: Any = None) -> dict[str, Any]:
    """Seed nothing: the reports (Art 34) are computed from the collection and finance records."""
    return {}
