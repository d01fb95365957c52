"""In Chromium: the village head sees the masked paid list and sends the photo of it posted; tax sees it posted;
tax records an inspection and the shortfall table shows the township left uninspected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liangxian.outreach.models import Activity, PostingProof
from liangxian.registry.tests import factories as f
from tests.e2e.browser import PageProblems, chromium_page, sign_in

from .fixtures import outreach_county

pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 360, "height": 740}) as page_and_problems:
        yield page_and_problems


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def photo(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 30, 30)).save(path, format="JPEG")
    return path


def test_the_village_posts_its_paid_list_and_tax_sees_it_and_the_shortfall(
    live_server: Any, page: tuple[Any, PageProblems], tmp_path: Path
) -> None:
    browser_page, problems = page
    county = outreach_county()
    base = live_server.url
    zhang = county["people"]["zhang"]

    # given the village head on the village's paid list: names and ID numbers masked
    sign_in(browser_page, base, "head_a1")
    browser_page.goto(f"{base}/outreach/notices/villages/{f.VILLAGE_A1}/?year=2027")
    rows = browser_page.locator("tr.paid-row")
    assert rows.count() == 2
    assert rows.first.locator("td.name").inner_text() == "张*丰"
    assert rows.first.locator("td.id").inner_text() == zhang.id_number[:6] + "********" + zhang.id_number[-4:]
    assert browser_page.locator("p.no-proof").count() == 1
    assert no_sideways_scroll(browser_page)

    # when he sends the photo of the list as posted
    browser_page.set_input_files("#p-photo", str(photo(tmp_path / "公示照片.jpg")))
    browser_page.fill("#p-place", "村委会公示栏")
    browser_page.click("button.proof-button")
    browser_page.wait_for_load_state()

    # then the page shows the photo, and it is kept
    assert browser_page.locator("li.proof img").count() == 1
    assert browser_page.locator("li.proof img").evaluate("img => img.naturalWidth") == 64
    assert PostingProof.objects.get().place == "村委会公示栏"
    assert problems.all(browser_page) == []

    # when tax opens the overview, the village is posted and the other two are not
    browser_page.context.clear_cookies()
    sign_in(browser_page, base, "tax")
    browser_page.goto(f"{base}/outreach/notices/?year=2027")
    assert browser_page.locator(f'tr.village[data-code="{f.VILLAGE_A1}"][data-posted="1"]').count() == 1
    assert browser_page.locator('tr.village[data-posted="0"]').count() == 2
    assert no_sideways_scroll(browser_page)

    # when tax records a special inspection of township A
    browser_page.goto(f"{base}/outreach/activities/new/?kind=inspection")
    browser_page.fill("#r-title", "现金缴费专项检查")
    browser_page.check(f'input[name="townships"][value="{f.TOWN_A}"]')
    browser_page.fill("#r-minutes", "台账与缴入一致")
    browser_page.click("button.record-button")
    browser_page.wait_for_load_state()
    assert Activity.objects.get().kind == "inspection"
    assert "台账与缴入一致" in browser_page.locator("p.minutes").inner_text()

    # then the shortfall shows township B with two inspections missing, township A with one
    browser_page.goto(f"{base}/outreach/shortfall/")
    missing_b = browser_page.locator(f'tr.short-row[data-kind="inspection"][data-code="{f.TOWN_B}"] td.missing')
    missing_a = browser_page.locator(f'tr.short-row[data-kind="inspection"][data-code="{f.TOWN_A}"] td.missing')
    assert missing_b.inner_text() == "2" and missing_a.inner_text() == "1"
    assert no_sideways_scroll(browser_page)
    assert problems.all(browser_page) == []
