"""Debian's Chromium driven by Playwright: launch options, pages that collect their own problems, signing in."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("LIANGXIAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Records CSP violations in the page itself, in addition to the console: Playwright injects it through the
# debugging protocol, which the page's CSP does not govern.
_CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def chromium_or_skip() -> Path:
    """Return the Chromium to drive, or skip (fail under CI=true) when it is not installed."""
    if CHROMIUM.exists() or shutil.which(str(CHROMIUM)):
        return CHROMIUM
    reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen while a page was open."""

    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    def all(self, page: Any) -> list[str]:
        csp = page.evaluate("window.__cspViolations || []")
        return [*self.console, *self.exceptions, *(f"CSP: {v}" for v in csp)]


def open_page(browser: Any, **context_options: Any) -> tuple[Any, Any, PageProblems]:
    """Open a fresh context and page that collects its problems; Chinese is the browser's language."""
    context = browser.new_context(locale="zh-CN", **context_options)
    context.add_init_script(_CSP_PROBE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = PageProblems()
    page.on("console", lambda msg: problems.console.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.exceptions.append(str(exc)))
    return context, page, problems


@contextmanager
def chromium() -> Iterator[Any]:
    """Launch headless Debian Chromium (Playwright's own browser download fails here); skip when it is missing."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_page(**context_options: Any) -> Iterator[tuple[Any, PageProblems]]:
    """A fresh Chromium with one page (``open_page``'s context options) and its problems; closed afterwards."""
    with chromium() as browser:
        context, page, problems = open_page(browser, **context_options)
        try:
            yield page, problems
        finally:
            context.close()


def sign_in(page: Any, base: str, username: str, password: str | None = None) -> None:
    """Sign in through the login form; the password defaults to the test factories' ``PASSWORD``."""
    if password is None:
        from liangxian.registry.tests.factories import PASSWORD

        password = PASSWORD
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(".login-page button[type=submit]")
    page.wait_for_load_state()
