"""Pure rules of outreach: masking names for the public list, half-year periods, the default yearly minimums."""

from __future__ import annotations

from datetime import date
from typing import Any

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
PHOTO_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png", "png"), (b"\xff\xd8\xff", "image/jpeg", "jpg"))
PHOTO_MAX_BYTES = 8 * 1024 * 1024
ATTACHMENT_TYPES = ((b"%PDF-", "application/pdf", "pdf"), *PHOTO_TYPES)
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def mask_name(name: str) -> str:
    """Mask a name for a public list: first and last character kept (张三丰 → 张*丰, 张三 → 张*)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


def half_year(day: date) -> str:
    """Name the half-year an activity falls in, as the yearly obligations do: ``YYYY#1`` or ``YYYY#2``."""
    return f"{day.year}#{1 if day.month <= 6 else 2}"


def sniff(head: bytes, types: tuple[tuple[bytes, str, str], ...]) -> tuple[str, str] | None:
    """Tell a file's type by its first bytes: (content type, extension), or None for any other."""
    for magic, content_type, extension in types:
        if head.startswith(magic):
            return content_type, extension
    return None


def shortfall(count: int, minimum: int) -> int:
    """How many activities are missing to reach the minimum (0 when met)."""
    return max(minimum - count, 0)
