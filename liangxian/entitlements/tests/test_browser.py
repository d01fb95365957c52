"""In Chromium: the medical bureau imports its entitlement records, sees the white list, and resolves a line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liangxian.entitlements.models import WhitelistEntry
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import csv_file, line, paid_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}) as page_and_problems:
        yield page_and_problems


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_the_bureau_imports_records_sees_the_white_list_and_resolves_a_line(
    live_server: Any, page: tuple[Any, PageProblems], tmp_path: Path
) -> None:
    browser_page, problems = page
    county = paid_county()
    people = county["people"]
    base = live_server.url
    upload = tmp_path / "医保权益记录.csv"
    upload.write_bytes(csv_file(line(people["aygul"]), line(people["mamat"]), "12345,王芳,医疗,2027,2026-11-10,"))

    # given the medical insurance bureau's clerk uploads the bureau's entitlement records
    sign_in(browser_page, base, county["medical"].username)
    browser_page.goto(f"{base}/entitlements/imports/")
    browser_page.set_input_files("#i-file", str(upload))
    browser_page.click("button.import")
    browser_page.wait_for_load_state()
    # then the result names the rejected row and why
    assert "位数不对" in browser_page.locator("table.rows").inner_text()
    assert no_sideways_scroll(browser_page)

    # when he opens the white list
    browser_page.goto(f"{base}/entitlements/")
    rows = browser_page.locator("tr.entry")
    # then 李明, who paid and has no entitlement, is on it with his full ID number and a cause
    assert rows.count() == 1
    assert people["li"].id_number in rows.first.inner_text()
    assert browser_page.locator("li.cause-count[data-cause=investigate] .n").inner_text() == "1"

    # when he records how the cause was resolved, without leaving the page
    browser_page.fill("tr.entry input[name=note]", "已核实，补录权益")
    browser_page.click("tr.entry button.resolve")
    browser_page.locator("tr.entry .resolution .note").wait_for()
    # then the line shows the resolution, and it is kept
    assert browser_page.locator("tr.entry .resolution .note").inner_text() == "已核实，补录权益"
    entry = WhitelistEntry.objects.get(name="李明")
    assert entry.resolution_note == "已核实，补录权益" and entry.resolved_by_id == county["medical"].pk
    assert no_sideways_scroll(browser_page)
    assert problems.all(browser_page) == []
