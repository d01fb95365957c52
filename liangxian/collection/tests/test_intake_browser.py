"""In Chromium: tax uploads a WeChat bill, sees its counts, and resolves a queued payment after a correction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liangxian.collection.channel_files import write_wechat_bill
from liangxian.collection.models import Payment
from liangxian.collection.tests.fixtures import paid_at
from liangxian.roster.tests.due_fixtures import due_county
from tests.e2e.browser import PageProblems, chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[tuple[Any, PageProblems]]:
    with chromium_page(viewport={"width": 1280, "height": 800}) as page_and_problems:
        yield page_and_problems


def test_tax_imports_a_bill_and_resolves_a_queued_payment(
    live_server: Any, page: tuple[Any, PageProblems], tmp_path: Path
) -> None:
    browser_page, problems = page
    county = due_county()
    li = county["people"]["li"]
    base = live_server.url
    bill = write_wechat_bill(
        [
            {"txn_no": "W1", "paid_at": paid_at(), "id_number": li.id_number, "name": li.name,
             "insurance": "medical", "coverage_year": 2027, "amount_fen": 40000},
            {"txn_no": "W2", "paid_at": paid_at(), "id_number": "110101199003074477", "name": "买买提·吐尔逊",
             "insurance": "medical", "coverage_year": 2027, "amount_fen": 40000},
        ],
        tmp_path / "wechat-20261102.csv",
    )  # fmt: skip

    # given tax on the channel-files page uploads the day's WeChat bill
    sign_in(browser_page, base, county["tax"].username)
    browser_page.goto(f"{base}/collection/imports/")
    browser_page.select_option("#i-channel", "wechat")
    browser_page.set_input_files("#i-file", str(bill))
    browser_page.click("form[enctype] button[type=submit]")
    browser_page.wait_for_load_state()

    # then he sees what the file did: 2 lines, 1 counted, 1 queued
    assert browser_page.locator(".import-result .count-lines dd").inner_text() == "2"
    assert browser_page.locator(".import-result .count-counted dd").inner_text() == "1"
    assert browser_page.locator(".import-result .count-queued dd").inner_text() == "1"

    # when he opens the queue and matches the unknown payer after correcting the ID number
    browser_page.goto(f"{base}/collection/queue/")
    row = browser_page.locator("tr.reason-unknown_person")
    assert row.count() == 1
    row.locator("summary").click()
    row.locator("select[name=resolution]").select_option("match")
    row.locator("input[name=id_number]").fill(county["people"]["mamat"].id_number)
    row.locator("textarea[name=note]").fill("ID number mistyped at the counter")
    row.locator("button[type=submit]").click()
    browser_page.wait_for_load_state()

    # then the item leaves the open queue and the payment counts
    assert browser_page.locator(".messages .success").count() == 1
    assert browser_page.locator("tr.reason-unknown_person").count() == 0
    assert Payment.objects.get(txn_no="W2").entry_id is not None
    assert problems.all(browser_page) == []
