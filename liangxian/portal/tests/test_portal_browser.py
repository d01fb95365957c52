"""In Chromium on a phone-sized screen: a payer switches to Uyghur, looks herself up and downloads her proof."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from captcha.models import CaptchaStore
from pypdf import PdfReader

from tests.e2e.browser import PageProblems, chromium_page

from .portal_fixtures import county_paid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}, accept_downloads=True) as page_and_problems:
        yield page_and_problems


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_payer_looks_herself_up_in_uyghur_and_downloads_her_proof(
    live_server: Any, page: tuple[Any, PageProblems], tmp_path: Any, settings: Any
) -> None:
    settings.LIANGXIAN_PORTAL_FAILURE_DELAY = 0
    browser_page, problems = page
    county = county_paid()
    aygul = county["people"]["aygul"]
    base = live_server.url

    # given the payer's page, switched to Uyghur
    browser_page.goto(f"{base}/pay/")
    browser_page.click(".lang button[value=ug]")
    browser_page.wait_for_load_state()
    assert browser_page.locator("html").get_attribute("lang") == "ug"
    assert browser_page.locator("html").get_attribute("dir") == "rtl"
    assert no_sideways_scroll(browser_page)

    # when she types her ID number, her name, her phone's last 4 digits and the captcha's characters
    browser_page.fill("#id_id_number", aygul.id_number)
    browser_page.fill("#id_name", aygul.name)
    browser_page.fill("#id_secret", "0001")
    key = browser_page.locator("input[name=captcha_0]").input_value()
    browser_page.fill("#id_captcha_1", CaptchaStore.objects.get(hashkey=key).response)
    browser_page.click(".portal-lookup button[type=submit]")
    browser_page.wait_for_load_state()

    # then she sees her page, masked, still in Uyghur, with her medical insurance paid
    assert browser_page.url.endswith("/pay/me/")
    assert browser_page.locator("html").get_attribute("lang") == "ug"
    assert browser_page.locator(".payer-name").inner_text() == "阿＊"
    assert aygul.id_number not in browser_page.content()
    assert browser_page.locator(".owe.medical.paid").count() == 1
    assert no_sideways_scroll(browser_page)

    # and the proof she downloads carries its number
    with browser_page.expect_download() as download:
        browser_page.click("a.proof-download")
    target = tmp_path / "proof.pdf"
    download.value.save_as(target)
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    assert county["proof"].number in text
    assert problems.all(browser_page) == []
