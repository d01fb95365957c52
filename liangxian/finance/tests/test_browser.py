"""In Chromium: the finance user sees the overview of the year, the checks adding up, and drills down to persons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.finance import services
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import finance_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 1280, "height": 900}) as page_and_problems:
        yield page_and_problems


def test_finance_user_sees_the_overview_and_drills_down_to_the_persons(
    live_server: Any, page: tuple[Any, PageProblems]
) -> None:
    browser_page, problems = page
    county = finance_county()
    fin = county["finance"]
    app = services.application_draw(by=fin, year=2027, insurance="medical")
    services.application_submit(by=fin, application_id=app.pk)
    base = live_server.url

    # given the finance user opens the overview of 2027, medical insurance
    sign_in(browser_page, base, fin.username)
    browser_page.goto(f"{base}/finance/?year=2027&insurance=medical")
    flows = browser_page.locator("table.flows")
    assert "¥1,000.00" in flows.locator("tr.flow-on_behalf td.owed").inner_text()
    # then the checks add up
    assert browser_page.locator("li.check.bad").count() == 0
    assert browser_page.locator("li.check-daijiao_owed.ok").count() == 1

    # when he opens the 代缴 owed figure
    flows.locator("tr.flow-on_behalf td.owed a").click()
    browser_page.wait_for_load_state()
    # then he sees the three persons the government pays for, their ID numbers masked
    rows = browser_page.locator("tr.person-row")
    assert rows.count() == 3
    text = browser_page.locator("table.persons").inner_text()
    assert "古丽·托乎提" in text and "艾力·买买提" in text and "王芳" in text
    assert county["people"]["guli"].id_number not in text and "*" in text

    # and the subsidy figure leads to the paid persons
    browser_page.goto(f"{base}/finance/?year=2027&insurance=medical")
    browser_page.locator("tr.flow-subsidy td.owed a").click()
    browser_page.wait_for_load_state()
    assert browser_page.locator("tr.person-row").count() == 2
    assert problems.all(browser_page) == []
