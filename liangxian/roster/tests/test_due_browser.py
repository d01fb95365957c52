"""In Chromium: tax pushes the due-lists, the township opens its own, filters by village and downloads the xlsx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from liangxian.roster.models import DueListPush
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .due_fixtures import due_county, f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 1280, "height": 800}, accept_downloads=True) as page_and_problems:
        yield page_and_problems


def test_tax_pushes_and_the_township_filters_and_downloads(
    live_server: Any, page: tuple[Any, PageProblems], tmp_path: Any
) -> None:
    browser_page, problems = page
    county = due_county()
    base = live_server.url

    # given tax on its due-list page pushes every township its list
    sign_in(browser_page, base, county["tax"].username)
    browser_page.goto(f"{base}/roster/due/")
    browser_page.click("button.push")
    browser_page.wait_for_load_state()
    assert DueListPush.objects.count() == 2
    assert browser_page.locator(".messages .success").count() == 1
    browser_page.click(".account button[type=submit]")
    browser_page.wait_for_load_state()

    # when township A's clerk opens his due-list and filters by village 二村
    sign_in(browser_page, base, "town_a")
    browser_page.goto(f"{base}/roster/due/")
    names = browser_page.locator("table.duelist td.name").all_inner_texts()
    assert sorted(set(names)) == ["李明", "王芳", "阿依古丽·艾买提"]
    browser_page.select_option("#f-village", f.VILLAGE_A2)
    browser_page.click(".due-filters button[type=submit]")
    browser_page.wait_for_load_state()

    # then only 二村's person is listed
    assert browser_page.locator("table.duelist td.name").all_inner_texts() == ["李明"]
    # and the xlsx he downloads holds that filtered list
    with browser_page.expect_download() as download:
        browser_page.click("a.export-xlsx")
    target = tmp_path / "due.xlsx"
    download.value.save_as(target)
    rows = list(load_workbook(target, read_only=True).active.iter_rows(min_row=4, values_only=True))
    assert [r[3] for r in rows] == ["李明"]
    # and the progress page draws its chart from the static script, within the CSP
    browser_page.goto(f"{base}/roster/due/progress/")
    browser_page.wait_for_selector("#progress-chart canvas")
    assert browser_page.locator("tr.village").count() == 2
    assert problems.all(browser_page) == []
