"""Browser fixtures: one headless Chromium per session, one context per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .browser import PageProblems, chromium, open_page


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Launch headless Chromium once for the session (Playwright's own browser download fails here)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def browser_page(browser: Any) -> Iterator[tuple[Any, PageProblems]]:
    """A desktop page (1280x800) and its problems."""
    context, page, problems = open_page(browser, viewport={"width": 1280, "height": 800})
    yield page, problems
    context.close()


@pytest.fixture
def phone_page(browser: Any) -> Iterator[tuple[Any, PageProblems]]:
    """A 360x740 phone page with touch, and its problems."""
    context, page, problems = open_page(
        browser, viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield page, problems
    context.close()
