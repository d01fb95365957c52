"""Pure rules of outreach: masking names for the public list, half-year periods, the default yearly minimums."""

from __future__ import annotations

from datetime import date
from typing import Any

from liangxian.core import names
from liangxian.core.scans import SCAN_TYPES, scan_type

# The yearly minimums when the county has not set its own (``ActivityMinimum`` rows replace them).
DEFAULT_MINIMUMS: dict[str, dict[str, Any]] = {
    "training": {"per": "department", "minimum": 2, "departments": ["tax", "medical", "social"]},  # Art 25
    "drill": {"per": "department", "minimum": 2, "departments": ["tax", "medical", "social"]},  # Art 25
    "inspection": {"per": "township", "minimum": 2, "departments": []},  # Art 40
    "publicity": {"per": "township", "minimum": 1, "departments": []},  # Art 15, 23: within the period
}
# Who may record each kind (county departments); townships also record their own publicity (Art 23).
RECORDERS: dict[str, frozenset[str]] = {
    "training": frozenset({"tax", "medical", "social"}),
    "drill": frozenset({"tax", "medical", "social"}),
    "inspection": frozenset({"discipline", "tax", "finance", "medical", "social", "audit"}),
    "publicity": frozenset({"publicity", "tax", "medical", "social"}),
}
# The owners of the obligation an activity fulfils (obligations/data/rules.json).
TRAINING_OWNERS = frozenset({"tax", "medical", "social"})
INSPECTION_OWNERS = frozenset({"discipline", "tax", "finance", "medical", "social"})
# A posting proof is a photo: sniffed by its first bytes, never by its name.
PHOTO_TYPES = tuple(t for t in SCAN_TYPES if t[1].startswith("image/"))
PHOTO_MAX_BYTES = 8 * 1024 * 1024
ATTACHMENT_TYPES = SCAN_TYPES
sniff = scan_type  # a photo or attachment told by its first bytes
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def mask_name(name: str) -> str:
    """Mask a name for a public list with one asterisk whatever its length (张三丰 → 张*丰, 张三 → 张*)."""
    return names.mask_name(name, keep_length=False)


def half_year(day: date) -> str:
    """Name the half-year an activity falls in, as the yearly obligations do: ``YYYY#1`` or ``YYYY#2``."""
    return f"{day.year}#{1 if day.month <= 6 else 2}"


def shortfall(count: int, minimum: int) -> int:
    """How many activities are missing to reach the minimum (0 when met)."""
    return max(minimum - count, 0)
