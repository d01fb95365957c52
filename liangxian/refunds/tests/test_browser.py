"""In Chromium: a refund from the township's request to the bureau's roster; a problem from report to close."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.refunds.models import PaymentProblem, Refund
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import refund_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}) as page_and_problems:
        yield page_and_problems


def sign_out(page: Any) -> None:
    # On a phone-sized screen the account menu is folded away: drop the session instead.
    page.context.clear_cookies()


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_township_requests_bureau_approves_carries_out_and_sends_the_roster(
    live_server: Any, page: tuple[Any, PageProblems]
) -> None:
    browser_page, problems = page
    county = refund_county()
    base = live_server.url
    duplicate = county["li_again"]

    # given township A's clerk asks, from the queue's link, for the duplicate payment back
    sign_in(browser_page, base, "town_a")
    browser_page.goto(f"{base}/refunds/?payment={duplicate.pk}")
    browser_page.select_option("#r-reason", "duplicate")
    browser_page.click("button.request")
    browser_page.wait_for_load_state()
    refund = Refund.objects.get()
    assert browser_page.locator("h1").inner_text().find(refund.number) >= 0
    assert no_sideways_scroll(browser_page)
    sign_out(browser_page)

    # when the medical insurance bureau approves and carries it out
    sign_in(browser_page, base, county["medical"].username)
    browser_page.goto(f"{base}/refunds/{refund.pk}/")
    browser_page.click("button.approve")
    browser_page.wait_for_load_state()
    assert browser_page.locator("dd.roster-due").count() == 1
    browser_page.click("button.execute")
    browser_page.wait_for_load_state()
    assert browser_page.locator("dd.status.status-executed").count() == 1

    # then it waits on the roster page, and sending the roster lists it for tax
    browser_page.goto(f"{base}/refunds/rosters/")
    assert browser_page.locator("tr.waiting-refund").count() == 1
    browser_page.click("button.send-roster")
    browser_page.wait_for_load_state()
    assert browser_page.locator("table.rosters tr.roster").count() == 1
    assert browser_page.locator("tr.waiting-refund").count() == 0
    assert no_sideways_scroll(browser_page)
    assert problems.all(browser_page) == []
    refund.refresh_from_db()
    assert refund.status == "executed" and refund.roster_id is not None
    assert refund.refund_payment is not None and refund.refund_payment.amount_fen == -40000


def test_township_reports_a_problem_tax_answers_and_the_township_closes_it(
    live_server: Any, page: tuple[Any, PageProblems]
) -> None:
    browser_page, problems = page
    county = refund_county()
    base = live_server.url

    # given township A reports that the mini-program is down
    sign_in(browser_page, base, "town_a")
    browser_page.goto(f"{base}/refunds/problems/")
    browser_page.select_option("#p-category", "channel_down")
    browser_page.fill("#p-subject", "小程序无法支付")
    browser_page.fill("#p-text", "一村多户反映小程序支付失败")
    browser_page.click("button.report")
    browser_page.wait_for_load_state()
    assert browser_page.locator("p.no-answer").count() == 1
    assert no_sideways_scroll(browser_page)
    sign_out(browser_page)

    # when tax answers it
    sign_in(browser_page, base, county["tax"].username)
    browser_page.goto(f"{base}/refunds/problems/")
    browser_page.click("a.subject")
    browser_page.fill("#a-text", "渠道已恢复，请重新缴费")
    browser_page.click("button.answer-send")
    browser_page.wait_for_load_state()
    sign_out(browser_page)

    # then the township sees the answer and closes the report
    sign_in(browser_page, base, "town_a")
    browser_page.goto(f"{base}/refunds/problems/")
    assert browser_page.locator("tr.problem[data-status=answered]").count() == 1
    browser_page.click("a.subject")
    assert browser_page.locator("p.answer").inner_text() == "渠道已恢复，请重新缴费"
    browser_page.click("button.close-problem")
    browser_page.wait_for_load_state()
    assert PaymentProblem.objects.get().status == "closed"
    assert problems.all(browser_page) == []
