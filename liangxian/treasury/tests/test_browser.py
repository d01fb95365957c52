"""In Chromium: tax uploads October's statement, sees the difference, resolves it and signs the month off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from liangxian.treasury.models import DifferenceKind, TreasuryMonth
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import CLEAN_LINES, csv_bytes, treasury_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}) as page_and_problems:
        yield page_and_problems


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_tax_uploads_the_statement_resolves_the_difference_and_signs_off(
    live_server: Any, page: tuple[Any, PageProblems], tmp_path: Path
) -> None:
    browser_page, problems = page
    county = treasury_county()
    base = live_server.url
    statement = tmp_path / "人民银行对账单-2026-10.csv"
    statement.write_bytes(csv_bytes(CLEAN_LINES[1:], encoding="gbk"))  # SP001 is missing from it

    # given tax on the months list, where October waits for its statement
    sign_in(browser_page, base, county["tax"].username)
    browser_page.goto(f"{base}/treasury/")
    assert browser_page.locator('tr.month[data-month="2026-10"][data-status="no_statement"]').count() == 1
    assert no_sideways_scroll(browser_page)

    # when tax uploads the People's Bank statement
    browser_page.click("a.to-upload")
    browser_page.fill("#u-month", "2026-10")
    browser_page.set_input_files("#u-file", str(statement))
    browser_page.click("button.upload")
    browser_page.wait_for_load_state()

    # then the month shows the one difference, in our records only
    rows = browser_page.locator("tr.difference")
    assert rows.count() == 1
    assert rows.first.locator("td.voucher").inner_text() == "SP001"
    with translation.override("zh-hans"):  # 仅征收记录有, once the catalogue has it
        assert rows.first.locator("td.kind").inner_text() == str(DifferenceKind.OURS_ONLY.label)
    assert no_sideways_scroll(browser_page)

    # when tax resolves it (htmx swaps the row) and signs the month off
    rows.first.locator("input[name=note]").fill("人民银行漏记，已通知补录")
    rows.first.locator("button.resolve-button").click()
    browser_page.locator('tr.difference[data-status="resolved"]').wait_for()
    assert "人民银行漏记" in browser_page.locator("tr.difference .note").inner_text()
    browser_page.reload()
    browser_page.click("button.signoff-button")
    browser_page.wait_for_load_state()

    # then the month is signed off and read-only
    assert browser_page.locator("dd.month-status.status-signed_off").count() == 1
    assert browser_page.locator("form.resolve, button.signoff-button").count() == 0
    assert TreasuryMonth.objects.get(month="2026-10").status == "signed_off"
    assert problems.all(browser_page) == []
