"""In Chromium: tax exports the county and runs the duplicate check; the person enrolled twice shows, masked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liangxian.core.idnumbers import mask
from liangxian.national.models import JobRun
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from . import data
from .fixtures import national_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}) as page_and_problems:
        yield page_and_problems


def test_tax_runs_the_check_and_sees_the_duplicate_masked(
    live_server: Any, page: tuple[Any, PageProblems], settings: Any
) -> None:
    browser_page, problems = page
    county = national_county()
    aygul = county["people"]["aygul"].id_number
    # given a Beijing county's export in which 阿依古丽 is enrolled and paid too
    data._write(
        Path(settings.LIANGXIAN_NATIONAL_DATA), "enrolments", "110101",
        [{"id_number": aygul, "insurance": "medical", "coverage_year": 2027, "province": "11", "paid": True,
          "paid_fen": 40000}],
        data.ENROLMENT_COLUMNS,
    )  # fmt: skip
    # when the tax clerk runs the check from the page
    sign_in(browser_page, live_server.url, county["tax"].username)
    browser_page.goto(f"{live_server.url}/national/")
    browser_page.click("button.start-check")
    browser_page.wait_for_load_state()
    # then the run's page lists her once, masked, with both counties
    assert JobRun.objects.get().findings == 1
    row = browser_page.locator("tr.duplicate")
    assert row.count() == 1
    assert row.locator("td.id-number").inner_text() == mask(aygul)
    assert "110101" in row.inner_text() and "653123" in row.inner_text()
    assert aygul not in browser_page.content()
    assert problems.all(browser_page) == []
