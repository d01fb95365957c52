"""In Chromium on a 360 px phone: the collector finds a payer, records his cash and its pay-in, sees the balance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.cash.models import CashReceipt
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .cash_fixtures import cash_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True) as page_and_problems:
        yield page_and_problems


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_collector_records_cash_and_pay_in_on_a_phone(live_server: Any, phone: tuple[Any, PageProblems]) -> None:
    page, problems = phone
    county = cash_county()
    base = live_server.url
    sign_in(page, base, county["collector"].username)

    # given the collector on his cash page finds 吐尔逊 by name
    page.goto(f"{base}/cash/")
    assert no_sideways_scroll(page)
    page.fill("#cash-q", "吐尔逊")
    page.click(".cash-find button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".payer .name").all_inner_texts() == ["吐尔逊·买买提"]

    # when he records the 400 yuan (prefilled) and then the WeChat transaction that paid it in
    page.click(".cash-record button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".cash-figures .open").inner_text().strip() == "¥400.00"
    page.fill(".cash-payin input[name=txn_no]", "4200000001")
    page.click(".cash-payin button[type=submit]")
    page.wait_for_load_state()

    # then his balance shows it received and paid in, nothing open, and the proof of payment is there
    assert page.locator(".cash-figures .received").inner_text().strip() == "¥400.00"
    assert page.locator(".cash-figures .paid-in").inner_text().strip() == "¥400.00"
    assert page.locator(".cash-figures .open").inner_text().strip() == "¥0.00"
    receipt = CashReceipt.objects.select_related("payment__proof").get()
    assert receipt.payment is not None
    assert receipt.payment.proof.number in page.locator(".receipt.paid-in .proof").inner_text()
    assert no_sideways_scroll(page)
    assert problems.all(page) == []
