"""In Chromium: tax edits a pension tier on the page and sees the new revision in the history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.campaigns.models import Campaign, ContributionTier
from tests.e2e.browser import chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, Any]]:
    with chromium_page(viewport={"width": 360, "height": 740}, is_mobile=True) as page_and_problems:
        yield page_and_problems


def test_tax_edits_a_tier_and_sees_the_revision(
    live_server: Any, campaign: Campaign, county: dict[str, Any], page: tuple[Any, Any]
) -> None:
    browser_page, problems = page
    base = live_server.url
    # given tax signed in on a phone
    sign_in(browser_page, base, "tax")
    # when he opens the campaign, follows the pension amounts link and raises the 100 tier's subsidy to 45 yuan
    browser_page.goto(f"{base}/campaigns/2027/")
    browser_page.locator("#pension a.edit-tiers").click()
    browser_page.fill("input[name=subsidy_0]", "45")
    browser_page.fill("#reason", "县里提高补贴")
    browser_page.click("#tiers-form button[type=submit]")
    browser_page.wait_for_load_state()
    # then he is back on the campaign, which shows 45.00 beside the 100 tier and revision 2
    assert browser_page.url == f"{base}/campaigns/2027/"
    first_row = browser_page.locator("#tiers-pension tbody tr").first.inner_text()
    assert "100.00" in first_row and "45.00" in first_row
    tier = ContributionTier.objects.get(campaign=campaign, insurance="pension", amount_fen=10000)
    assert tier.subsidy_fen == 4500
    # and the history compares r1 with r2, naming the tier and the reason
    browser_page.goto(f"{base}/campaigns/2027/revisions/")
    diff = browser_page.locator("table.diff").inner_text()
    assert "tiers.pension.100.00" in diff and "45.00" in diff and "30.00" in diff
    assert "县里提高补贴" in browser_page.locator("table.revision-list").inner_text()
    assert problems.all(browser_page) == []
