"""Reading a row's key from text a person typed or a URL carried."""

from __future__ import annotations

# The largest key a 64-bit signed integer column (SQLite's and PostgreSQL's bigint) holds.
MAX_KEY = 2**63 - 1


def as_key(text: str | None) -> int | None:
    """The integer key ``text`` names, or None: ASCII digits only (``str.isdigit`` also accepts ``²`` and ``٣``,
    which ``int`` then refuses or reads as another number) and within a 64-bit column."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_KEY else None
