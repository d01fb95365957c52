"""In Chromium: a township specialist sees his to-do on his home page and marks a manual obligation met."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from liangxian.campaigns.models import Campaign
from liangxian.obligations import services
from liangxian.obligations.models import Obligation
from liangxian.org.models import Role, Unit
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .conftest import PASSWORD, TOWN_A, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(live_server: Any) -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    ) as page_and_problems:
        yield page_and_problems


def test_township_sees_its_to_do_and_marks_the_handlers_notice_met(
    live_server: Any, campaign: Campaign, units: dict[str, Unit], phone: tuple[Any, PageProblems]
) -> None:
    # Given the campaign's obligations and the township's specialist
    services.obligations_generate(actor=None, campaign=campaign)
    make_user("specialist", units[TOWN_A], Role.SPECIALIST)
    page, problems = phone
    # When he signs in on his phone
    sign_in(page, live_server.url, "specialist", password=PASSWORD)
    # Then his home page shows the overdue handlers' notice in the to-do list
    todo = page.locator("#todo")
    assert todo.get_by_role("heading", name="待办事项").is_visible()
    overdue = todo.locator(".todo-overdue")
    assert overdue.get_by_text("按村（社区）公示社保经办人员").is_visible()
    # When he opens it and says how it was met
    overdue.get_by_role("link", name="按村（社区）公示社保经办人员").click()
    page.fill("textarea[name=note]", "8月28日已在各村（社区）显著位置公示")
    page.locator("form[action$='/fulfil/'] button[type=submit]").click()
    page.wait_for_load_state()
    # Then the page shows it fulfilled (late: due 31 August), and the record says so
    assert page.locator("section.fulfilled").is_visible()
    notice = Obligation.objects.get(rule_id="handlers.notice", unit__code=TOWN_A)
    assert notice.fulfilled_label == "8月28日已在各村（社区）显著位置公示"
    assert notice.fulfilled_by_user is not None and notice.fulfilled_by_user.username == "specialist"
    assert notice.late is True
    # And back home it is under "done recently"
    page.goto(f"{live_server.url}/")
    assert page.locator("#todo .todo-done").get_by_text("按村（社区）公示社保经办人员").is_visible()
    assert problems.all(page) == []
