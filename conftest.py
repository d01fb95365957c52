"""Settings every test run needs before Django starts."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would then refuse ORM calls made by the
# test itself (fixtures, assertions) as if they came from async code. They do not: allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _audit_table_flushable_between_tests() -> Iterator[None]:
    """Let the teardown of a transactional test (live server, browser) empty the append-only audit table.

    On SQLite, core's triggers refuse every DELETE on the audit table unless the deleting thread is inside
    ``audit_maintenance()``; Django's test teardown flushes all tables, so only that flush gets the door.
    """
    from django.test import TransactionTestCase

    from liangxian.core.audit import audit_maintenance

    original = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]  # private, not in the stubs

    def teardown(self: TransactionTestCase) -> None:
        with audit_maintenance():
            original(self)

    setattr(TransactionTestCase, "_fixture_teardown", teardown)  # noqa: B010
    yield
    setattr(TransactionTestCase, "_fixture_teardown", original)  # noqa: B010
