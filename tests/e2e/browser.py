"""Debian's Chromium driven by Playwright: launch options, and pages that collect their own problems."""

from __future__ import annotations

import os
import shutil
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
