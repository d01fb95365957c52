"""In Chromium: medical insurance approves and sends its roster, tax receives it, sees the abnormal items and
feeds some back, and medical insurance then sees them in its own queue (Art 7, 8)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.roster.models import AbnormalItem, RosterTransmission
from liangxian.roster.tests.test_transmission import county, small_roster
from tests.e2e.browser import PageProblems, chromium, open_page, sign_in

__all__ = ["county"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(live_server: Any) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def signed_in(browser: Any, url: str, username: str) -> tuple[Any, Any, PageProblems]:
    """A fresh phone context signed in as ``username``."""
    context, page, problems = open_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(page, url, username)
    return context, page, problems


def test_medical_sends_tax_feeds_back_and_medical_sees_the_items(
    live_server: Any, county: dict[str, Any], browser: Any
) -> None:
    # Given the campaign's roster with twelve abnormal data among its medical entries
    small_roster(county)
    # When medical insurance approves the latest build and sends it
    context, page, problems = signed_in(browser, live_server.url, "med1")
    page.goto(f"{live_server.url}/roster/transmissions/")
    page.locator("form.approve-roster button[type=submit]").first.click()
    page.wait_for_load_state()
    page.locator("button.send-roster").click()
    page.wait_for_load_state()
    assert RosterTransmission.objects.get().status == "sent"
    assert problems.all(page) == []
    context.close()
    # And tax receives and checks it
    context, page, problems = signed_in(browser, live_server.url, "tax1")
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
    context, page, problems = signed_in(browser, live_server.url, "med1")
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
