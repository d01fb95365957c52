"""In Chromium: medical insurance approves and sends its roster, tax receives it, sees the abnormal items and
feeds some back, and medical insurance then sees them in its own queue (Art 7, 8)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.registry.tests import factories as f
from liangxian.roster.models import AbnormalItem, RosterTransmission
from liangxian.roster.tests.test_transmission import county, small_roster
from tests.e2e.browser import CHROMIUM_ARGS, PageProblems, chromium_or_skip, open_page

__all__ = ["county"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(live_server: Any) -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def sign_in(browser: Any, url: str, username: str) -> tuple[Any, Any, PageProblems]:
    context, page, problems = open_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f.PASSWORD)
    page.click(".login-page button[type=submit]")
    page.wait_for_load_state()
    return context, page, problems


def test_medical_sends_tax_feeds_back_and_medical_sees_the_items(
    live_server: Any, county: dict[str, Any], browser: Any
) -> None:
    # Given the campaign's roster with twelve abnormal data among its medical entries
    small_roster(county)
    # When medical insurance approves the latest build and sends it
    context, page, problems = sign_in(browser, live_server.url, "med1")
    page.goto(f"{live_server.url}/roster/transmissions/")
    page.locator("form.approve-roster button[type=submit]").first.click()
    page.wait_for_load_state()
    page.locator("button.send-roster").click()
    page.wait_for_load_state()
    assert RosterTransmission.objects.get().status == "sent"
    assert problems.all(page) == []
    context.close()
    # And tax receives and checks it
    context, page, problems = sign_in(browser, live_server.url, "tax1")
    page.goto(f"{live_server.url}/roster/transmissions/")
    page.locator("button.receive-roster").click()
    page.wait_for_load_state()
    # Then tax's queue shows the abnormal items with their deadline
    rows = page.locator("table.abnormal-items tbody tr[data-item]")
    assert rows.count() == 12
    assert page.locator("tr[data-kind=deceased]").is_visible()
    # When tax selects the deceased and the deregistered and feeds them back at once
    page.locator("tr[data-kind=deceased] input[name=item]").check()
    page.locator("tr[data-kind=deregistered] input[name=item]").check()
    page.fill("#a-note", "请核实户籍状态")
    page.locator("button[name=action][value=feed_back]").click()
    page.wait_for_load_state()
    assert page.locator("table.abnormal-items tbody tr[data-item]").count() == 10
    assert problems.all(page) == []
    context.close()
    # Then medical insurance sees exactly those two in its queue, and the steps on the item's page
    context, page, problems = sign_in(browser, live_server.url, "med1")
    page.goto(f"{live_server.url}/roster/abnormal/")
    mine = page.locator("table.abnormal-items tbody tr[data-item]")
    assert mine.count() == 2
    assert {mine.nth(i).get_attribute("data-kind") for i in range(2)} == {"deceased", "deregistered"}
    page.locator("tr[data-kind=deceased] td a").click()
    page.wait_for_load_state()
    assert page.locator("li[data-action=fed_back]").is_visible()
    assert page.locator("li[data-rule='abnormal.verify']").is_visible()
    assert problems.all(page) == []
    context.close()
    assert set(AbnormalItem.objects.filter(status="fed_back").values_list("kind", flat=True)) == {
        "deceased",
        "deregistered",
    }
