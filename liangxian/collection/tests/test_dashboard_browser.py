"""In Chromium on a 360 px phone: a township clerk reads his collection dashboard and drills down to a village."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from liangxian.collection.services import PaymentIn, payment_record
from liangxian.roster.tests.due_fixtures import due_county, f
from tests.e2e.browser import PageProblems, chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    ) as page_and_problems:
        yield page_and_problems


def test_township_reads_its_dashboard_on_a_phone_and_drills_down(live_server: Any, phone: tuple[Any, Any]) -> None:
    page, problems = phone
    county = due_county()
    paid_at = datetime(2026, 11, 2, 4, 30, tzinfo=UTC)
    for n, who in enumerate(("aygul", "li")):
        person = county["people"][who]
        payment_record(
            PaymentIn(
                channel="wechat",
                txn_no=f"w{n}",
                id_number=person.id_number,
                insurance="medical",
                coverage_year=2027,
                amount_fen=40000,
                paid_at=paid_at,
                source="file",
            )
        )
    base = live_server.url

    # given township A's clerk signed in on his phone
    sign_in(page, base, "town_a")

    # when he opens the collection dashboard
    page.goto(f"{base}/collection/dashboard/")

    # then he sees his township's totals, both charts drawn, and a row per village — without sideways scrolling
    page.wait_for_selector("#area-chart canvas")
    page.wait_for_selector("#day-chart canvas")
    assert page.locator(".stat[data-key=own_paid_fen] .value").inner_text() == "¥800.00"
    assert page.locator("tr.area").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # when he drills down to 一村, he sees that village only, and its day
    page.click(f"tr.area[data-code='{f.VILLAGE_A1}'] a.drill")
    page.wait_for_load_state()
    assert page.locator(".dash-page").get_attribute("data-level") == "village"
    assert page.locator("tr.area").count() == 1
    assert page.locator(".stat[data-key=own_paid_fen] .value").inner_text() == "¥400.00"
    assert page.locator("tr.day").all_inner_texts()[0].split()[0] == "2026-11-02"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert problems.all(page) == []
