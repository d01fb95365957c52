"""Each demo login signs in through the form in Chromium and lands on its own home page, in Chinese."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from liangxian.org.models import User
from liangxian.web.tests.roles import EXPECTED_HOME, Login, demo_logins

from .browser import PageProblems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HAN = re.compile(r"[\u4e00-\u9fff]")
SYSTEM_NAME = "两险征缴管理系统"


def _role_label(username: str) -> str:
    with translation.override("zh-hans"):
        return str(User.objects.get(username=username).get_role_display())


@pytest.fixture
def logins(live_server: Any) -> dict[str, Login]:
    return {login.username: login for login in demo_logins()}


@pytest.mark.parametrize("username", sorted(EXPECTED_HOME))
def test_each_role_signs_in_and_sees_its_home_page_in_chinese(
    live_server: Any, logins: dict[str, Login], browser_page: tuple[Any, PageProblems], username: str
) -> None:
    page, problems = browser_page
    login = logins[username]
    # when he signs in through the form
    sign_in(page, live_server.url, login.username, login.password)
    # then he is on the home page, headed by his unit and his role in Chinese, with the to-do section
    assert page.url == f"{live_server.url}/"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    heading = page.locator(".page-head h1").inner_text()
    assert heading == (login.unit_name or SYSTEM_NAME)
    role = page.locator(".page-head .role").inner_text()
    assert _role_label(username) in role
    assert HAN.search(role), f"role line not in Chinese: {role!r}"
    assert page.get_by_role("heading", name="待办事项").is_visible()
    assert page.locator(".site-nav a", has_text="首页").is_visible()
    # and the page raised no console error, script error or CSP violation
    assert problems.all(page) == []


def test_collector_opens_the_navigation_on_a_phone(
    live_server: Any, logins: dict[str, Login], phone_page: tuple[Any, PageProblems]
) -> None:
    page, problems = phone_page
    login = logins["collector"]
    sign_in(page, live_server.url, login.username, login.password)
    home_link = page.locator(".site-nav a", has_text="首页")
    toggle = page.locator(".nav-toggle")
    # given the phone layout, the navigation is folded behind the menu button and nothing overflows sideways
    assert toggle.is_visible()
    assert not home_link.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # when he taps the menu button
    toggle.tap()
    # then the sections show, each a big tap target, and one leads on
    assert toggle.get_attribute("aria-expanded") == "true"
    assert home_link.is_visible()
    for link in page.locator(".site-nav a").all():
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44, link.inner_text()
    page.locator(".site-nav a", has_text="单位").tap()
    page.wait_for_url(f"{live_server.url}/org/**")
    assert problems.all(page) == []


def test_wrong_password_is_refused_in_chinese(
    live_server: Any, logins: dict[str, Login], browser_page: tuple[Any, PageProblems]
) -> None:
    page, problems = browser_page

    sign_in(page, live_server.url, "tax", "not-the-password")

    assert page.url.startswith(f"{live_server.url}/login/")
    error = page.locator(".errorlist").inner_text()
    assert HAN.search(error), error
    assert problems.all(page) == []


def test_five_failed_sign_ins_lock_the_account(
    live_server: Any, logins: dict[str, Login], browser_page: tuple[Any, PageProblems]
) -> None:
    page, problems = browser_page
    login = logins["township"]
    # given five wrong passwords in a row
    for _ in range(5):
        sign_in(page, live_server.url, login.username, "wrong-password")
    # when the right password follows
    sign_in(page, live_server.url, login.username, login.password)
    # then the account stays locked, and the page says so in Chinese
    assert page.locator("h1").inner_text() == "账号已锁定"
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login/")
    # The locked page answers 429 (django-axes), which Chromium reports as a failed resource; nothing else may.
    assert [p for p in problems.all(page) if "status of 429" not in p] == []
