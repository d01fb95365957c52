"""In Chromium: tax reads November by insurance type, its charts drawn, drills into the refunds, then the accounts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import report_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 1200, "height": 900}) as page_and_problems:
        yield page_and_problems


def test_tax_reads_the_report_sees_the_charts_and_drills_down(live_server: Any, page: tuple[Any, PageProblems]) -> None:
    browser_page, problems = page
    county = report_county()
    base = live_server.url

    # given tax's clerk signed in
    sign_in(browser_page, base, county["tax"].username)

    # when he asks for November's receipts by insurance type
    browser_page.goto(f"{base}/reports/")
    browser_page.select_option("#r-period", "month")
    browser_page.fill("#r-month", "2026-11")
    browser_page.click(".period-form button[type=submit]")
    browser_page.wait_for_load_state()

    # then he sees the hand-counted figures and the three charts drawn
    medical = browser_page.locator("tr.fig-row[data-insurance=medical]")
    assert medical.locator("[data-key=net_fen] a").inner_text() == "2350.00"
    assert medical.locator("[data-key=refund_fen] a").inner_text() == "400.00"
    assert medical.locator("[data-key=gov_fen] a").inner_text() == "200.00"
    assert browser_page.locator("tr.fig-row.total [data-key=net_fen] a").inner_text() == "2650.00"
    for chart in ("#trend-chart", "#channel-chart", "#township-chart"):
        browser_page.wait_for_selector(f"{chart} canvas")

    # when he follows the medical refunds to the payments behind them
    medical.locator("[data-key=refund_fen] a").click()
    browser_page.wait_for_load_state()

    # then he sees the one refund, its ID number masked
    rows = browser_page.locator("tr.payment")
    assert rows.count() == 1
    assert "*" in rows.locator(".id-number").inner_text()

    # and the accounts page draws the flows between the accounts
    browser_page.goto(f"{base}/reports/accounts/?month=2026-11")
    browser_page.wait_for_selector("#flow-chart canvas")
    fiscal = browser_page.locator("section[data-insurance=medical] tr.acct-row[data-kind=fiscal]")
    assert fiscal.locator("[data-key=balance_fen]").inner_text() == "3700.00"
    assert problems.all(browser_page) == []
