"""In Chromium: the medical bureau downloads its daily file; tax imports a report and sees the causes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from liangxian.bureaus import services
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import MONTH, bureaus_county, send_on_time

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(accept_downloads=True) as page_and_problems:
        yield page_and_problems


def test_a_bureau_downloads_its_daily_file_and_tax_sees_the_causes_of_a_report(
    live_server: Any, page: tuple[Any, PageProblems], tmp_path: Path
) -> None:
    browser_page, problems = page
    county = bureaus_county()
    services.daily_detail_run(by=None, since=date(2026, 10, 1))
    send_on_time()
    base = live_server.url

    # given the medical bureau's clerk on the daily detail page: medical files only
    sign_in(browser_page, base, county["medical"].username)
    browser_page.goto(f"{base}/bureaus/daily/")
    assert browser_page.locator("a.download-pension-csv").count() == 0
    with browser_page.expect_download() as info:
        browser_page.locator("a.download-medical-csv").first.click()
    saved = tmp_path / "daily.csv"
    info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"\xef\xbb\xbf") and "身份证号码" in saved.read_text("utf-8-sig")
    browser_page.context.clear_cookies()

    # when tax imports the medical bureau's report, which misses the last day, the queue and the refund
    report = tmp_path / "月报.csv"
    report.write_text(
        "险种,乡镇,入账人数,入账金额（元）,退费人数,退费金额（元）\n医保,合计,5,1810.00,0,0\n", "utf-8-sig"
    )
    sign_in(browser_page, base, county["tax"].username)
    browser_page.goto(f"{base}/bureaus/")
    browser_page.select_option("#i-bureau", "medical")
    browser_page.fill("#i-month", MONTH)
    browser_page.set_input_files("#i-file", str(report))
    browser_page.click("button.import")
    browser_page.wait_for_load_state()
    browser_page.click("a.compare")
    browser_page.wait_for_load_state()

    # then the comparison shows the three causes that explain it and nothing unexplained
    section = browser_page.locator("section.insurance-medical")
    applied = section.locator("li.cause.applies")
    assert applied.count() == 3
    text = section.inner_text()
    assert "370.00" in text
    assert section.locator("td.unexplained").first.inner_text().strip().endswith("0.00")
    assert problems.all(browser_page) == []
