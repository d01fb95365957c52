"""Telling an uploaded scan or photo by its first bytes, never by its name."""

from __future__ import annotations

from collections.abc import Sequence

# Magic bytes, not the file name: a renamed .exe must not pass as a signed page.
SCAN_TYPES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def scan_type(head: bytes, types: Sequence[tuple[bytes, str, str]] = SCAN_TYPES) -> tuple[str, str] | None:
    """Tell a file among ``types`` (PDF, PNG or JPEG) by its first bytes: (content type, extension) or None."""
    for magic, content_type, extension in types:
        if head.startswith(magic):
            return content_type, extension
    return None
