"""In Chromium: tax computes the campaign's assessment, follows a figure to its evidence and finalises it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.assessment.models import AssessmentRun
from liangxian.registry.tests import factories as f
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import assessed_county, patch_screening

pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 1280, "height": 900}) as page_and_problems:
        yield page_and_problems


def test_tax_computes_follows_a_figure_to_its_evidence_and_finalises(
    live_server: Any, page: tuple[Any, PageProblems], monkeypatch: pytest.MonkeyPatch
) -> None:
    browser_page, problems = page
    county = assessed_county()
    patch_screening(monkeypatch, county["collector"].pk)
    base = live_server.url

    # given tax on the assessment page, where the 2027 campaign waits to be assessed
    sign_in(browser_page, base, county["tax"].username)
    browser_page.goto(f"{base}/assessment/")
    assert browser_page.locator("tr.run").count() == 0

    # when tax computes it
    browser_page.select_option("#a-year", "2027")
    browser_page.click("button.compute-button")
    browser_page.wait_for_load_state()

    # then the townships are ranked, B first, and A has lost its award eligibility
    rows = browser_page.locator("table.scores-township tr.score")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-code") == f.TOWN_B
    assert rows.nth(1).locator("td.total").inner_text() == "74.00"
    assert rows.nth(1).get_attribute("data-lost") == "1"

    # when tax follows A's collection rate to its evidence
    rows.nth(1).locator("a.evidence-link").nth(1).click()
    browser_page.wait_for_load_state()

    # then the five entries counted show, the unpaid first, names and IDs masked
    assert browser_page.locator("tr.evidence-row").count() == 5
    first = browser_page.locator("tr.evidence-row").first
    assert first.locator("td.col-name").inner_text() == "赵*"
    assert "*" in first.locator("td.col-id_number").inner_text()

    # when tax goes back and finalises the run
    browser_page.go_back()
    browser_page.click("button.finalise-button")
    browser_page.wait_for_load_state()

    # then the run is final and can no longer be computed again
    assert browser_page.locator("dd.run-status.status-final").count() == 1
    assert browser_page.locator("button.recompute-button, button.finalise-button").count() == 0
    assert AssessmentRun.objects.get().status == "final"
    assert problems.all(browser_page) == []
