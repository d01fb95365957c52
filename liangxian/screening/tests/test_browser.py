"""In Chromium: tax runs the screening and pushes it; the township answers each item and files its report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.screening.models import SelfCheck
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import screening_county

pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}) as page_and_problems:
        yield page_and_problems


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_tax_runs_and_pushes_and_the_township_answers_and_files(
    live_server: Any, page: tuple[Any, PageProblems]
) -> None:
    browser_page, problems = page
    county = screening_county()
    base = live_server.url

    # given tax on the screening page, when it runs the screening for 2027
    sign_in(browser_page, base, county["tax"].username)
    browser_page.goto(f"{base}/screening/")
    browser_page.click("button.run-button")
    browser_page.wait_for_load_state()

    # then the run shows the keeper's cash not paid in and the over-charges, IDs masked
    assert browser_page.locator('tr.hit[data-rule="cash_not_paid_in"]').count() == 1
    assert browser_page.locator('tr.hit[data-rule="overcharge"]').count() == 2
    assert browser_page.locator('tr.hit[data-rule="card_many_households"]').count() == 1
    assert no_sideways_scroll(browser_page)
    keeper_row = browser_page.locator('tr.hit[data-rule="cash_not_paid_in"] td.collector').inner_text()
    assert keeper_row == str(county["keeper"])

    # when tax pushes the run to the townships
    browser_page.click("button.push-button")
    browser_page.wait_for_load_state()
    assert browser_page.locator("p.pushed").count() == 1

    # and the township's specialist answers each item and files the report
    browser_page.context.clear_cookies()
    sign_in(browser_page, base, county["specialist_a"].username)
    browser_page.goto(f"{base}/screening/")
    browser_page.click("a.selfcheck-link")
    browser_page.wait_for_load_state()
    deadline = SelfCheck.objects.get(township_code="653123100").deadline.isoformat()
    assert deadline in browser_page.locator("p.deadline").inner_text()
    assert no_sideways_scroll(browser_page)
    items = browser_page.locator("section.item").count()
    assert items == 3
    for i in range(items):
        form = browser_page.locator("section.item form.answer-form").nth(i)
        form.locator("select[name=finding]").select_option("confirmed")
        form.locator("textarea[name=evidence]").fill("经核实属实")
        form.locator("button.answer-button").click()
        browser_page.wait_for_load_state()
    assert browser_page.locator("p.answer.finding-confirmed").count() == 3
    browser_page.fill("#s-report", "本乡镇已完成自查，问题属实，已责令整改。")
    browser_page.click("button.file-button")
    browser_page.wait_for_load_state()

    # then the report is filed, on time, and the forms are gone
    assert browser_page.locator("p.filed").count() == 1
    assert browser_page.locator("form.answer-form, form.file-form").count() == 0
    check = SelfCheck.objects.get(township_code="653123100")
    assert check.filed_at is not None and not check.late
    assert problems.all(browser_page) == []
