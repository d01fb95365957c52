"""In Chromium: the tax clerk records a phoned-in report, the head assigns discipline, the clerk can no longer
read the reporter's identity, the investigator opens it, and the reporter follows his case without an account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.core.models import AccessLog
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import IDENTITY, people

pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}) as page_and_problems:
        yield page_and_problems


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def switch_to(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, base, username)


def test_clerk_records_head_assigns_investigator_reveals_reporter_follows(
    live_server: Any, page: tuple[Any, PageProblems]
) -> None:
    browser_page, problems = page
    p = people()
    base = live_server.url

    # given the tax clerk recording a phoned-in report with the reporter's name and phone
    sign_in(browser_page, base, "clerk")
    browser_page.goto(f"{base}/complaints/")
    browser_page.click("a.to-intake")
    browser_page.select_option("#id_via", "phone")
    browser_page.fill("#id_subject", "协征员收现金不开票")
    browser_page.fill("#id_text", "一村协征员收医保费现金未开票据")
    browser_page.fill("#id_name", IDENTITY["name"])
    browser_page.fill("#id_phone", IDENTITY["phone"])
    browser_page.click("button.save-intake")
    browser_page.wait_for_load_state()

    # then she sees the case number and the follow-up code to tell the reporter
    number = browser_page.locator("dd.case-number").inner_text()
    code = browser_page.locator("dd.follow-code").inner_text()
    assert number.startswith("JB") and len(code) == 14
    assert no_sideways_scroll(browser_page)

    # when the tax head assigns the discipline investigator
    switch_to(browser_page, base, "tax_leader")
    browser_page.goto(f"{base}/complaints/")
    browser_page.click(f'tr.complaint[data-number="{number}"] a.case-link')
    browser_page.select_option("#a-investigator", str(p["investigator"].pk))
    browser_page.click("button.assign-button")
    browser_page.wait_for_load_state()
    assert browser_page.locator('li.assignment[data-user="investigator"]').count() == 1

    # then the clerk sees the case as "identity sealed", with no way to open it
    switch_to(browser_page, base, "clerk")
    browser_page.goto(f"{base}/complaints/")
    browser_page.click(f'tr.complaint[data-number="{number}"] a.case-link')
    assert browser_page.locator("button.reveal-button").count() == 0
    assert IDENTITY["name"] not in browser_page.content()

    # when the investigator opens the identity
    switch_to(browser_page, base, "investigator")
    browser_page.goto(f"{base}/complaints/")
    browser_page.click(f'tr.complaint[data-number="{number}"] a.case-link')
    browser_page.click("button.reveal-button")
    browser_page.wait_for_load_state()

    # then he reads the reporter's name and phone, and the reading is logged
    assert browser_page.locator("dd.id-name").inner_text() == IDENTITY["name"]
    assert browser_page.locator("dd.id-phone").inner_text() == IDENTITY["phone"]
    assert (
        AccessLog.objects.filter(object_type="complaint.identity", action="view", user_id=p["investigator"].pk).count()
        == 1
    )

    # and the reporter, without an account, sees his case being handled
    browser_page.context.clear_cookies()
    browser_page.goto(f"{base}/complaints/follow/")
    browser_page.fill("#id_number", number)
    browser_page.fill("#id_code", code)
    browser_page.click("button.follow-button")
    browser_page.wait_for_load_state()
    assert browser_page.locator("dd.case-status.status-assigned").count() == 1
    assert IDENTITY["name"] not in browser_page.content()
    assert no_sideways_scroll(browser_page)
    assert problems.all(browser_page) == []
