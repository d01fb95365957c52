"""Model fields the project adds to Django's."""

from __future__ import annotations

from typing import Any

from django.db import models


class BulkJSONField(models.JSONField):
    """A JSON column filled in bulk by code that encodes it (Polars ``json_encode``), without SQLite's row check.

    On SQLite Django guards every JSON column with ``CHECK (JSON_VALID(col) OR col IS NULL)``, which parses each
    value once more on insert: a third of the time of loading a large list's rows. The values of such a column
    come only from an encoder, never from a person's typing, and are read back by a decoder that refuses bad
    JSON; PostgreSQL (``jsonb``) still parses them on the way in.
    """

    def db_check(self, connection: Any) -> str | None:
        return None
